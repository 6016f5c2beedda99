#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <sstream>

#include "engine/run_log.h"
#include "engine/stage_record.h"
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
  EXPECT_TRUE(throws_input_error(
      [&] { check_output_folder(run.path(), "{\"seed\": 2}", false); },
      {"different job", "seed (1 in the folder's run, 2 in this job) differs", "--force"}));
  EXPECT_EQ(check_output_folder(run.path(), "{\"seed\": 2}", true), OutputFolderUse::replacing);

  // A folder that would need a file as its parent.
  EXPECT_TRUE(throws_input_error([&] { check_output_folder(file / "run", "{}", false); },
                                 {"cells.csv is a file, not a folder"}));
}

TEST(CheckOutputFolder, NamesTheNestedKeysThatDiffer) {
  testing::TempDir run;
  run.write(kResolvedJobFile, R"({"seed": 1, "coupling": {"eps": 0.001, "delta": 5}})");
  EXPECT_TRUE(throws_input_error(
      [&] {
        check_output_folder(run.path(), R"({"seed": 1, "coupling": {"eps": 0.01, "delta": 5}})",
                            false);
      },
      {"coupling.eps (0.001 in the folder's run, 0.01 in this job) differs"}));
}

TEST(CheckOutputFolder, ChangesTheCallerAcceptsReuseTheFolder) {
  testing::TempDir run;
  run.write(kResolvedJobFile, R"({"seed": 1, "prediction": {"times": [], "rtol": 1e-7}})");
  const std::string changed = R"({"seed": 1, "prediction": {"times": [2], "rtol": 1e-6}})";
  std::vector<std::string> seen;
  const ReusableChange accept = [&](const std::vector<std::string>& keys) {
    seen = keys;
    return true;
  };
  std::vector<std::string> keys;
  EXPECT_EQ(check_output_folder(run.path(), changed, false, accept, &keys),
            OutputFolderUse::changed_job);
  EXPECT_EQ(keys, (std::vector<std::string>{"prediction.rtol", "prediction.times"}));
  EXPECT_EQ(seen, keys);

  const ReusableChange refuse = [](const std::vector<std::string>&) { return false; };
  EXPECT_TRUE(throws_input_error([&] { check_output_folder(run.path(), changed, false, refuse); },
                                 {"prediction.rtol (1e-07 in the folder's run, 1e-06 in this job), "
                                  "prediction.times ([] in the folder's run, [2] in this job) "
                                  "differ"}));
  EXPECT_EQ(check_output_folder(run.path(), changed, true, refuse), OutputFolderUse::replacing);
}

TEST(FirstStageReading, EachSectionFeedsItsStage) {
  EXPECT_EQ(first_stage_reading({"evaluation.max_points"}), Stage::evaluate);
  EXPECT_EQ(first_stage_reading({"evaluation.seed", "prediction.times"}), Stage::predict);
  EXPECT_EQ(first_stage_reading({"model.velocity_hidden", "prediction.rtol"}), Stage::train);
  EXPECT_EQ(first_stage_reading({"training.steps"}), Stage::train);
  EXPECT_EQ(first_stage_reading({"evaluation.leave_out"}), Stage::couple);
  EXPECT_EQ(first_stage_reading({"training.steps", "coupling.eps"}), Stage::couple);
  EXPECT_EQ(first_stage_reading({"seed"}), Stage::couple);
  EXPECT_EQ(first_stage_reading({"data.path"}), Stage::couple);
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

TEST(RunLog, FileOnlyRecordsStayOffTheTerminal) {
  testing::TempDir dir;
  std::ostringstream terminal;
  ContextOptions options;
  options.device = "cpu";
  options.log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(terminal);
  Context context(options);
  std::filesystem::path path = dir.path() / "mustfm.log";
  {
    RunLog log(context);
    log.record_in_file("before the folder");
    context.log().info("shown everywhere");
    log.attach_file(path);
    log.record_in_file("after the folder");
  }
  context.log().flush();

  const std::string text = read_file_bytes(path);
  EXPECT_NE(text.find("before the folder"), std::string::npos) << text;
  EXPECT_NE(text.find("after the folder"), std::string::npos) << text;
  EXPECT_NE(text.find("shown everywhere"), std::string::npos) << text;
  EXPECT_NE(terminal.str().find("shown everywhere"), std::string::npos) << terminal.str();
  EXPECT_EQ(terminal.str().find("folder"), std::string::npos) << terminal.str();
}

TEST(RunLog, FileOnlyRecordsFollowTheLogLevel) {
  testing::TempDir dir;
  ContextOptions options;
  options.device = "cpu";
  options.log_level = "warn";
  std::ostringstream terminal;
  options.log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(terminal);
  Context context(options);
  std::filesystem::path path = dir.path() / "mustfm.log";
  {
    RunLog log(context);
    log.attach_file(path);
    log.record_in_file("an info record");
  }
  EXPECT_EQ(read_file_bytes(path).find("an info record"), std::string::npos);
}

}  // namespace
}  // namespace mustfm
