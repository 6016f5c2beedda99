#include <gtest/gtest.h>

#include <cmath>

#include "engine/data_loading.h"
#include "engine/job_data_checks.h"
#include "engine/snapshots.h"
#include "io/table_reader.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::throws_input_error;

// Three snapshots (times 0, 1, 2) of two cells each, coarse labels A and B.
Dataset three_snapshots(const std::vector<double>& weights = {1, 1, 1, 1, 1, 1}) {
  testing::TempDir dir;
  std::string text = "samples,x1,scale0,cell_weight\n";
  const char* rows[] = {"0,0.0,A", "0,1.0,B", "1,0.5,A", "1,1.5,B", "2,1.0,A", "2,2.0,B"};
  for (int i = 0; i < 6; ++i)
    text += std::string(rows[i]) + "," + std::to_string(weights[i]) + "\n";
  auto path = dir.write("cells.csv", text);
  return build_dataset(read_cell_table_csv(path, TableColumns{}), DataSettings{});
}

TEST(JobDataChecks, ConsistentJobPasses) {
  Job job;
  job.prediction.start_time = 0;
  job.prediction.times = {0.5, 3};
  job.evaluation.leave_out = {1};
  job.data.prior_pairs = {{0, "A", "B"}};
  EXPECT_NO_THROW(check_job_against_data(job, three_snapshots()));
}

TEST(JobDataChecks, SnapshotWithoutMass) {
  EXPECT_TRUE(throws_input_error(
      [] {
        check_job_against_data(Job{}, three_snapshots({1, 1, 0, 0, 1, 1}));
      },
      {"time 1", "total weight 0"}));
}

TEST(JobDataChecks, TimesMustBeSnapshots) {
  Dataset dataset = three_snapshots();
  Job start;
  start.prediction.start_time = 0.5;
  EXPECT_TRUE(throws_input_error([&] { check_job_against_data(start, dataset); },
                                 {"prediction.start_time 0.5", "times: 0, 1, 2"}));
  Job before;
  before.prediction.start_time = 1;
  before.prediction.times = {0.5};
  EXPECT_TRUE(throws_input_error([&] { check_job_against_data(before, dataset); },
                                 {"prediction.times: 0.5 lies before the start time 1"}));
}

TEST(JobDataChecks, LeaveOutMustLeaveSomethingToTrainOn) {
  Dataset dataset = three_snapshots();
  Job absent;
  absent.evaluation.leave_out = {7};
  EXPECT_TRUE(throws_input_error([&] { check_job_against_data(absent, dataset); },
                                 {"evaluation.leave_out: 7 is not a snapshot time"}));
  Job first;
  first.evaluation.leave_out = {0};
  EXPECT_TRUE(throws_input_error([&] { check_job_against_data(first, dataset); },
                                 {"evaluation.leave_out: 0 is the start snapshot"}));
  Job too_many;
  too_many.evaluation.leave_out = {1, 2};
  EXPECT_TRUE(throws_input_error([&] { check_job_against_data(too_many, dataset); },
                                 {"leaves 1 snapshot(s) to train on"}));
}

TEST(JobDataChecks, PriorPairsNameExistingLevelsAndLabels) {
  Dataset dataset = three_snapshots();
  Job level;
  level.data.prior_pairs = {{3, "A", "B"}};
  EXPECT_TRUE(throws_input_error([&] { check_job_against_data(level, dataset); },
                                 {"data.prior_pairs[0].level 3", "1 annotation level(s)"}));
  Job labels;
  labels.data.prior_pairs = {{0, "Q", "A"}, {0, "B", "Z"}};
  EXPECT_TRUE(
      throws_input_error([&] { check_job_against_data(labels, dataset); }, {"label(s) Q, Z"}));
}

TEST(JobDataChecks, LoadingNamesTheJobFileOfAFaultySetting) {
  testing::TempDir dir;
  Job job;
  job.data.path = dir.write("cells.csv", "samples,x1\n0,0.0\n1,1.0\n2,2.0\n").string();
  job.job_file = dir.path() / "job.json";
  job.evaluation.leave_out = {7};
  Context context = testing::make_quiet_context("cpu");
  EXPECT_TRUE(throws_input_error([&] { load_data(context, job); },
                                 {"job.json: ", "evaluation.leave_out: 7"}));
}

}  // namespace
}  // namespace mustfm
