#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/run_log.h"
#include "io/atomic_file.h"
#include "io/run_folder.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::throws_input_error;

TEST(CheckOutputFolder, AcceptsAbsentEmptyAndSameJobFolders) {
  testing::TempDir dir;
  EXPECT_EQ(check_output_folder(dir.path() / "new", "{}", false), OutputFolderUse::fresh);
  EXPECT_EQ(check_output_folder(dir.path(), "{}", false), OutputFolderUse::fresh);  // empty
  dir.write(kResolvedJobFile,
            R"({"seed": 1, "output": {"force": true}, "backend": {"device": "auto"}})");
  // The output and backend sections do not change what a run computes.
  EXPECT_EQ(check_output_folder(dir.path(),
                                R"({"output": {"force": false}, "backend": {"device": "cpu"},
                                    "seed": 1})",
                                false),
            OutputFolderUse::same_job);
}

TEST(CheckOutputFolder, RefusesForeignFoldersAndOtherJobsRuns) {
  testing::TempDir dir;
  auto file = dir.write("cells.csv", "data");
  EXPECT_TRUE(throws_input_error([&] { check_output_folder(file, "{}", true); },
                                 {"cells.csv", "not a folder"}));
  EXPECT_TRUE(throws_input_error([&] { check_output_folder(dir.path(), "{}", true); },
                                 {dir.path().string(), "holds no run"}));

  testing::TempDir run;
  run.write(kResolvedJobFile, "{\"seed\": 1}");
  EXPECT_TRUE(throws_input_error([&] { check_output_folder(run.path(), "{\"seed\": 2}", false); },
                                 {"different job", "seed differ", "--force"}));
  EXPECT_EQ(check_output_folder(run.path(), "{\"seed\": 2}", true), OutputFolderUse::replacing);
}

TEST(CheckOutputFolder, NamesTheNestedKeysThatDiffer) {
  testing::TempDir run;
  run.write(kResolvedJobFile, R"({"seed": 1, "coupling": {"eps": 0.001, "delta": 5}})");
  EXPECT_TRUE(throws_input_error(
      [&] {
        check_output_folder(run.path(), R"({"seed": 1, "coupling": {"eps": 0.01, "delta": 5}})",
                            false);
      },
      {"coupling.eps differ"}));
}

TEST(ClearRunOutputs, RemovesEveryRunFileAndNothingElse) {
  testing::TempDir run;
  std::filesystem::create_directories(run.path() / "data");
  std::filesystem::create_directories(run.path() / "couplings");
  run.write(kResolvedJobFile, "{}");
  run.write("mustfm.log", "old log");
  run.write("data/snapshots.csv", "x");
  run.write("couplings/interval_0_cells_mass.npy", "stale");
  run.write("notes.txt", "the user's");
  ASSERT_TRUE(std::filesystem::exists(run.path() / "couplings/interval_0_cells_mass.npy"));
  clear_run_outputs(run.path());
  EXPECT_FALSE(std::filesystem::exists(run.path() / kResolvedJobFile));
  EXPECT_FALSE(std::filesystem::exists(run.path() / "mustfm.log"));
  EXPECT_FALSE(std::filesystem::exists(run.path() / "data"));
  EXPECT_FALSE(std::filesystem::exists(run.path() / "couplings"));
  EXPECT_TRUE(std::filesystem::exists(run.path() / "notes.txt"));
}

TEST(RunLog, FileHoldsMessagesFromBeforeItExisted) {
  testing::TempDir dir;
  Context context = testing::make_quiet_context("cpu");
  std::filesystem::path path = dir.path() / "mustfm.log";
  {
    RunLog log(context);
    context.log().info("early message");
    log.attach_file(path);
    context.log().info("late message");
  }
  context.log().info("after the run");
  context.log().flush();

  const std::string text = read_file_bytes(path);
  const std::size_t early = text.find("early message");
  const std::size_t late = text.find("late message");
  EXPECT_NE(early, std::string::npos) << text;
  EXPECT_NE(late, std::string::npos) << text;
  EXPECT_LT(early, late);
  EXPECT_EQ(text.find("after the run"), std::string::npos) << text;
}

}  // namespace
}  // namespace mustfm
