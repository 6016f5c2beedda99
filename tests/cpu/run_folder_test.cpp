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
  EXPECT_NO_THROW(check_output_folder(dir.path() / "new", "{}", false));
  EXPECT_NO_THROW(check_output_folder(dir.path(), "{}", false));  // empty
  dir.write(kResolvedJobFile, R"({"seed": 1, "output": {"force": true}})");
  EXPECT_NO_THROW(
      check_output_folder(dir.path(), R"({"output": {"force": false}, "seed": 1})", false));
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
                                 {"different job", "--force"}));
  EXPECT_NO_THROW(check_output_folder(run.path(), "{\"seed\": 2}", true));
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
