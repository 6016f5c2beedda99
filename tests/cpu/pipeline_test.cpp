// The whole job end to end on tiny generated data with known answers: a pure translation is
// learned as a constant velocity without growth, a population that doubles grows by ln 2 per
// unit time; stages are skipped, forced and resumed as documented; bad input writes nothing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/cli/commands.h"
#include "engine/data_loading.h"
#include "engine/job_runner.h"
#include "engine/pair_distribution_file.h"
#include "engine/sampler_setup.h"
#include "engine/training_step.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "test_support.h"

namespace mustfm {
namespace {

int run_cli(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "mustfm-engine");
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  return cli::run_command_line(static_cast<int>(argv.size()), argv.data());
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream file(path);
  return nlohmann::json::parse(file);
}

// A 6 x 6 grid of cells (spacing 0.5) at t = 0, and at t = 1, 2, ... the same grid moved by
// `shift` along x per unit time, with every weight multiplied by `growth` per unit time.
std::string grid_csv(double shift, double growth, int snapshots = 2) {
  std::string csv = "samples,x1,x2,cell_weight\n";
  for (int t = 0; t < snapshots; ++t)
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j)
        csv += fmt::format("{},{},{},{}\n", t, 0.5 * i + t * shift, 0.5 * j, std::pow(growth, t));
  return csv;
}

// Small networks and few steps, so a whole run takes about a second. delta 5 keeps the costs
// of neighbouring pairs (d^2 / (4 delta^2) apart, at least 0.0025) far above eps, so the plan
// pairs every cell with its own image, while bending the paths by only O((d / delta)^2). A short
// moving average, since 0.995^400 of the default would still be the untrained network.
std::string tiny_job(const std::filesystem::path& data,
                     const std::filesystem::path& output,
                     int steps,
                     const std::string& prediction_times = "[]") {
  return fmt::format(R"({{
    "seed": 3,
    "data": {{"path": "{}"}},
    "coupling": {{"delta": 5.0, "eps": 0.0001}},
    "model": {{"velocity_hidden": [32, 32], "growth_hidden": [32]}},
    "training": {{"steps": {}, "batch_size": 128, "learning_rate": 0.01, "ema_decay": 0.9,
                  "checkpoint_every": 100, "log_every": 20}},
    "prediction": {{"times": {}, "trajectory_particles": 5, "trajectory_points": 11}},
    "backend": {{"device": "cpu"}},
    "output": {{"dir": "{}", "log_level": "warn"}}
  }})",
                     data.string(), steps, prediction_times, output.string());
}

std::vector<float> read_floats(const std::filesystem::path& path) {
  return read_npy_float32(path).values;
}

TEST(Pipeline, PureTranslationIsLearnedAsConstantVelocityWithoutGrowth) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto output = dir.path() / "run";
  const auto job = dir.write("job.json", tiny_job(data, output, 400));
  ASSERT_EQ(run_cli({"run", job.string()}), 0);

  // The networks at the observed cells: u = (1, 0), g = 0. The traveling Dirac changes the
  // targets by O((d / delta)^2) = 1%; the rest is the training error of a tiny network.
  for (int k = 0; k < 2; ++k) {
    const auto velocity = read_floats(output / fmt::format("fields/snapshot_{}_velocity.npy", k));
    const auto growth = read_floats(output / fmt::format("fields/snapshot_{}_growth.npy", k));
    ASSERT_EQ(velocity.size(), 72u);
    for (std::size_t i = 0; i < 36; ++i) {
      EXPECT_NEAR(velocity[2 * i], 1.0, 0.1) << "snapshot " << k << " cell " << i;
      EXPECT_NEAR(velocity[2 * i + 1], 0.0, 0.1) << "snapshot " << k << " cell " << i;
      EXPECT_NEAR(growth[i], 0.0, 0.1) << "snapshot " << k << " cell " << i;
    }
  }
  const nlohmann::json metrics = read_json(output / "metrics.json");
  ASSERT_EQ(metrics["snapshots"].size(), 1u);
  const nlohmann::json& scored = metrics["snapshots"][0];
  EXPECT_EQ(scored["time"], 1.0);
  EXPECT_EQ(scored["points"], 36);
  // The grid spacing is 0.5: a W1 well under it means every particle found its cell.
  EXPECT_LT(scored["w1"].get<double>(), 0.1);
  EXPECT_LT(scored["rme"].get<double>(), 0.05);
  for (const char* stage : {"data", "couple", "train", "predict", "evaluate", "total"})
    EXPECT_TRUE(metrics["timings"][stage].is_number()) << stage;

  // The trajectory of a tracked particle runs from its cell to the cell one unit to the right.
  std::ifstream trajectories(output / "predictions/trajectories.csv");
  std::string header;
  std::getline(trajectories, header);
  EXPECT_EQ(header, "particle,cell,time,x1,x2,log_weight");
  int rows = 0;
  for (std::string line; std::getline(trajectories, line);) ++rows;
  EXPECT_EQ(rows, 5 * 11);
}

TEST(Pipeline, DoublingPopulationGrowsByLn2PerUnitTime) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(0.0, 2.0));
  const auto output = dir.path() / "run";
  const auto job = dir.write("job.json", tiny_job(data, output, 400));
  ASSERT_EQ(run_cli({"run", job.string()}), 0);

  const nlohmann::json metrics = read_json(output / "metrics.json");
  const nlohmann::json& scored = metrics["snapshots"][0];
  EXPECT_DOUBLE_EQ(scored["observed_mass"].get<double>(), 2.0);
  // The predicted mass is exp of the growth integrated over [0, 1]: ln 2 on average.
  EXPECT_NEAR(scored["predicted_mass"].get<double>(), 2.0, 0.1);
  EXPECT_LT(scored["rme"].get<double>(), 0.05);
  // Along the Dirac without motion, g(s) = 2 (sqrt 2 - 1) / ((1 - s) + s sqrt 2): 0.83 at the
  // start and 0.59 at the end, ln 2 = 0.69 on average.
  const auto start = read_floats(output / "fields/snapshot_0_growth.npy");
  const auto end = read_floats(output / "fields/snapshot_1_growth.npy");
  double start_mean = 0.0, end_mean = 0.0;
  for (std::size_t i = 0; i < 36; ++i) {
    start_mean += start[i] / 36.0;
    end_mean += end[i] / 36.0;
  }
  EXPECT_NEAR(start_mean, 0.83, 0.15);
  EXPECT_NEAR(end_mean, 0.59, 0.15);
  // No motion: every particle stays on its cell.
  EXPECT_LT(scored["w1"].get<double>(), 0.1);
}

TEST(Pipeline, LeftOutSnapshotIsPredictedWithoutBeingTrainedOn) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0, 3));
  const auto output = dir.path() / "run";
  std::string job_text = tiny_job(data, output, 400);
  job_text.insert(job_text.rfind('}'), R"(, "evaluation": {"leave_out": [1.0]})");
  const auto job = dir.write("job.json", job_text);
  ASSERT_EQ(run_cli({"run", job.string()}), 0);

  // One training interval, t 0 -> 2; t 1 never enters the couplings.
  EXPECT_TRUE(std::filesystem::exists(output / "couplings/interval_0_pairs.bin"));
  EXPECT_FALSE(std::filesystem::exists(output / "couplings/interval_1_pairs.bin"));
  EXPECT_EQ(read_pairs(output / "couplings/interval_0_pairs.bin").target_time, 2.0);

  const nlohmann::json metrics = read_json(output / "metrics.json");
  ASSERT_EQ(metrics["snapshots"].size(), 2u);
  const nlohmann::json& middle = metrics["snapshots"][0];
  EXPECT_EQ(middle["time"], 1.0);
  EXPECT_EQ(middle["left_out"], true);
  EXPECT_EQ(metrics["snapshots"][1]["left_out"], false);
  // A uniform translation is linear in time: the left-out snapshot is half way, up to the
  // paths' bending of O((d / delta)^2) with d = 2 and the training error.
  EXPECT_LT(middle["w1"].get<double>(), 0.15);
  EXPECT_LT(middle["rme"].get<double>(), 0.05);
}

std::string file_text(const std::filesystem::path& path) {
  return read_file_bytes(path);
}

TEST(Pipeline, FinishedStagesAreSkippedAndForcedStagesClearTheLaterOnes) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto output = dir.path() / "run";
  const auto job = dir.write("job.json", tiny_job(data, output, 20));
  ASSERT_EQ(run_cli({"run", job.string()}), 0);
  const std::string train_record = file_text(output / "stages/train.json");
  const Checkpoint first = read_checkpoint(output / "checkpoint.bin");
  const std::string metrics = file_text(output / "metrics.json");

  // Nothing left to do: no stage runs again, so no record changes.
  ASSERT_EQ(run_cli({"run", job.string()}), 0);
  EXPECT_TRUE(file_text(output / "stages/train.json") == train_record);
  EXPECT_TRUE(file_text(output / "metrics.json") == metrics);

  // `predict --force` reruns prediction only; evaluation, which read the old predictions, is
  // cleared and training is kept.
  ASSERT_EQ(run_cli({"predict", job.string(), "--force"}), 0);
  EXPECT_EQ(file_text(output / "stages/train.json"), train_record);
  EXPECT_TRUE(std::filesystem::exists(output / "stages/predict.json"));
  EXPECT_FALSE(std::filesystem::exists(output / "stages/evaluate.json"));
  EXPECT_FALSE(std::filesystem::exists(output / "metrics.json"));

  // `evaluate` runs only what is missing.
  ASSERT_EQ(run_cli({"evaluate", job.string()}), 0);
  EXPECT_EQ(file_text(output / "stages/train.json"), train_record);
  EXPECT_TRUE(std::filesystem::exists(output / "metrics.json"));

  // `run --force` trains again from step 0, with the same seed to the same parameters.
  ASSERT_EQ(run_cli({"run", job.string(), "--force"}), 0);
  EXPECT_NE(file_text(output / "stages/train.json"), train_record);
  const Checkpoint again = read_checkpoint(output / "checkpoint.bin");
  EXPECT_EQ(again.state.steps_taken, 20);
  EXPECT_TRUE(again.state.velocity.parameters == first.state.velocity.parameters);
  EXPECT_TRUE(again.state.growth.average == first.state.growth.average);
}

TEST(Pipeline, AChangedJobRerunsTheStagesItAffectsAndKeepsTheEarlierOnes) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto output = dir.path() / "run";
  ASSERT_EQ(run_cli({"run", dir.write("job.json", tiny_job(data, output, 20)).string()}), 0);
  const std::string couple_record = file_text(output / "stages/couple.json");
  const std::string train_record = file_text(output / "stages/train.json");

  // New prediction times: the coupling and the training stay, prediction and scores run again.
  const auto times = dir.write("times.json", tiny_job(data, output, 20, "[0.5, 1]"));
  ASSERT_EQ(run_cli({"evaluate", times.string()}), 0);
  EXPECT_EQ(file_text(output / "stages/couple.json"), couple_record);
  EXPECT_EQ(file_text(output / "stages/train.json"), train_record);
  EXPECT_TRUE(std::filesystem::exists(output / "predictions/t1_positions.npy"));
  EXPECT_EQ(read_json(output / "job.resolved.json")["prediction"]["times"].size(), 2u);

  // More training steps: training runs again from step 0; `train` leaves prediction undone.
  const auto longer = dir.write("longer.json", tiny_job(data, output, 30, "[0.5, 1]"));
  ASSERT_EQ(run_cli({"train", longer.string()}), 0);
  EXPECT_EQ(file_text(output / "stages/couple.json"), couple_record);
  EXPECT_EQ(read_checkpoint(output / "checkpoint.bin").state.steps_taken, 30);
  EXPECT_FALSE(std::filesystem::exists(output / "stages/predict.json"));
  EXPECT_FALSE(std::filesystem::exists(output / "metrics.json"));

  // A changed coupling makes it another job's folder: refused without --force, nothing touched.
  std::string text = tiny_job(data, output, 30, "[0.5, 1]");
  text.replace(text.find("\"delta\": 5.0"), 12, "\"delta\": 6.0");
  const auto coupling = dir.write("coupling.json", text);
  EXPECT_EQ(run_cli({"run", coupling.string()}), 2);
  EXPECT_EQ(file_text(output / "stages/couple.json"), couple_record);
  EXPECT_EQ(read_json(output / "job.resolved.json")["coupling"]["delta"], 5.0);
}

TEST(Pipeline, TrainingContinuesFromItsCheckpointBitForBit) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.5));
  constexpr int kSteps = 30, kInterrupted = 12;

  // The run that is never interrupted.
  const auto straight = dir.path() / "straight";
  const auto straight_job = dir.write("straight.json", tiny_job(data, straight, kSteps));
  ASSERT_EQ(run_cli({"train", straight_job.string()}), 0);

  // The interrupted run: its couplings, then the checkpoint an interruption after step 12
  // leaves behind, then `train` again.
  const auto resumed = dir.path() / "resumed";
  const auto resumed_job_path = dir.write("resumed.json", tiny_job(data, resumed, kSteps));
  ASSERT_EQ(run_cli({"couple", resumed_job_path.string()}), 0);
  {
    const Job job = load_job_with_overrides(resumed_job_path.string(), {});
    Context context = testing::make_quiet_context("cpu");
    const LoadedData loaded = load_data(context, job);
    const StoredPairs pairs = read_pairs(resumed / "couplings/interval_0_pairs.bin");
    std::vector<PairSamplerData> intervals;
    intervals.push_back(make_pair_sampler_data(
        context.allocator(), MemorySpace::host, pairs.pairs, loaded.dataset.snapshots[0],
        loaded.dataset.snapshots[1], loaded.dataset.dimension, job.coupling.delta));
    TrainingStep<float> step(context.exec(), context.allocator(), job, std::move(intervals));
    for (int i = 0; i < kInterrupted; ++i) step.step();
    save_checkpoint(resumed / "checkpoint.bin", step, job);
  }
  ASSERT_EQ(run_cli({"train", resumed_job_path.string()}), 0);

  const Checkpoint a = read_checkpoint(straight / "checkpoint.bin");
  const Checkpoint b = read_checkpoint(resumed / "checkpoint.bin");
  EXPECT_EQ(a.state.steps_taken, kSteps);
  EXPECT_EQ(b.state.steps_taken, kSteps);
  EXPECT_TRUE(a.state.velocity.parameters == b.state.velocity.parameters);
  EXPECT_TRUE(a.state.velocity.average == b.state.velocity.average);
  EXPECT_TRUE(a.state.growth.parameters == b.state.growth.parameters);
  EXPECT_TRUE(a.state.growth.adam_second == b.state.growth.adam_second);
}

TEST(Pipeline, BadInputStopsBeforeAnyOutputIsWritten) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto output = dir.path() / "run";
  const auto early = dir.write("early.json", tiny_job(data, output, 20, "[-1.0]"));
  EXPECT_EQ(run_cli({"run", early.string()}), 2);
  EXPECT_FALSE(std::filesystem::exists(output));

  const auto missing = dir.write("missing.json", tiny_job(dir.path() / "absent.csv", output, 20));
  EXPECT_EQ(run_cli({"run", missing.string()}), 2);
  EXPECT_FALSE(std::filesystem::exists(output));

  const auto bad_row = dir.write("bad.csv", "samples,x1,x2\n0,1,2\n1,nan,2\n");
  const auto bad_job = dir.write("bad.json", tiny_job(bad_row, output, 20));
  EXPECT_EQ(run_cli({"run", bad_job.string()}), 2);
  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST(Pipeline, CouplingWithoutAdmissiblePairsStopsWithAdvice) {
  testing::TempDir dir;
  // A shift of 20 is beyond pi * delta = 15.7 for every pair.
  const auto data = dir.write("cells.csv", grid_csv(20.0, 1.0));
  const auto path = dir.write("job.json", tiny_job(data, dir.path() / "run", 20));
  const Job job = load_job_with_overrides(path.string(), {});
  Context context = testing::make_quiet_context("cpu");
  EXPECT_TRUE(testing::throws_input_error([&] { run_job(context, job); },
                                          {"t 0 -> 1", "no pair of cells", "coupling.delta"}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run" / "checkpoint.bin"));
}

TEST(Pipeline, AStopRequestKeepsTheCheckpointAndTheRerunFinishesTheSameTraining) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto straight_path = dir.write("straight.json", tiny_job(data, dir.path() / "a", 30));
  const auto stopped_path = dir.write("stopped.json", tiny_job(data, dir.path() / "b", 30));
  ASSERT_EQ(run_cli({"train", straight_path.string()}), 0);

  const Job job = load_job_with_overrides(stopped_path.string(), {});
  Context context = testing::make_quiet_context("cpu");
  std::atomic<bool> stop{false};
  context.set_stop_flag(&stop);
  couple_job(context, job);
  stop = true;
  EXPECT_THROW(run_job_until(context, job, Stage::train), Interrupted);
  EXPECT_EQ(read_checkpoint(dir.path() / "b" / "checkpoint.bin").state.steps_taken, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b" / "stages/train.json"));
  stop = false;
  run_job_until(context, job, Stage::train);

  const Checkpoint a = read_checkpoint(dir.path() / "a" / "checkpoint.bin");
  const Checkpoint b = read_checkpoint(dir.path() / "b" / "checkpoint.bin");
  EXPECT_EQ(b.state.steps_taken, 30);
  EXPECT_TRUE(a.state.velocity.parameters == b.state.velocity.parameters);
  EXPECT_TRUE(a.state.growth.adam_first == b.state.growth.adam_first);

  // Prediction stops as well, leaving only whole files and no stage record.
  stop = true;
  EXPECT_THROW(run_job_until(context, job, Stage::predict), Interrupted);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b" / "stages/predict.json"));
  EXPECT_EQ(remove_stale_temporaries(dir.path() / "b"), 0u);
}

struct LossCsvRow {
  std::int64_t step;
  double seconds;
};

std::vector<LossCsvRow> read_loss_rows(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "step,velocity_loss,growth_loss,loss,learning_rate,seconds");
  std::vector<LossCsvRow> rows;
  while (std::getline(in, line))
    rows.push_back({std::stoll(line), std::stod(line.substr(line.rfind(',') + 1))});
  return rows;
}

TEST(Pipeline, AnInterruptedTrainingKeepsItsWholeLossCurveAndTime) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto output = dir.path() / "run";
  // Long enough that the stop lands well before the end even on a loaded machine.
  constexpr int kSteps = 6000;
  const auto path = dir.write("job.json", tiny_job(data, output, kSteps));
  const Job job = load_job_with_overrides(path.string(), {});
  Context context = testing::make_quiet_context("cpu");
  std::atomic<bool> stop{false};
  context.set_stop_flag(&stop);
  couple_job(context, job);
  // Stop soon after the first checkpoint (step 100), between two loss rows (every 20 steps).
  std::thread watcher([&] {
    while (!std::filesystem::exists(output / "checkpoint.bin"))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stop = true;
  });
  EXPECT_THROW(run_job_until(context, job, Stage::train), Interrupted);
  watcher.join();
  const std::int64_t stopped_at = read_checkpoint(output / "checkpoint.bin").state.steps_taken;
  ASSERT_GE(stopped_at, 100);
  ASSERT_LT(stopped_at, kSteps) << "training finished before the stop request";
  const std::vector<LossCsvRow> before = read_loss_rows(output / "training/loss.csv");
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before.back().step, stopped_at);  // the steps since the last row, as a row

  stop = false;
  run_job_until(context, job, Stage::train);
  const std::vector<LossCsvRow> rows = read_loss_rows(output / "training/loss.csv");
  std::vector<std::int64_t> expected_steps;
  for (std::int64_t s = 20; s <= kSteps; s += 20) {
    if (s > stopped_at && (expected_steps.empty() || expected_steps.back() < stopped_at))
      expected_steps.push_back(stopped_at);
    expected_steps.push_back(s);
  }
  std::vector<std::int64_t> steps;
  for (const LossCsvRow& row : rows) steps.push_back(row.step);
  EXPECT_EQ(steps, expected_steps);
  for (std::size_t r = 1; r < rows.size(); ++r) EXPECT_GE(rows[r].seconds, rows[r - 1].seconds);
  // The stage's time counts the part before the interruption.
  const nlohmann::json record = read_json(output / "stages/train.json");
  EXPECT_GE(record["seconds"].get<double>(), rows.back().seconds - 1e-3);
  EXPECT_GT(rows.back().seconds, before.back().seconds);
}

TEST(Pipeline, DamagedInputsOfAForcedStageLeaveItsOutputsInPlace) {
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", grid_csv(1.0, 1.0));
  const auto output = dir.path() / "run";
  const auto job = dir.write("job.json", tiny_job(data, output, 20));
  ASSERT_EQ(run_cli({"run", job.string()}), 0);
  const std::string metrics = file_text(output / "metrics.json");

  // A temporary an interrupted writer left is removed by the next command.
  dir.write("run/predictions/t1_positions.npy.tmp-123-4", "half");
  ASSERT_EQ(run_cli({"run", job.string()}), 0);
  EXPECT_FALSE(std::filesystem::exists(output / "predictions/t1_positions.npy.tmp-123-4"));

  // A truncated checkpoint: `predict --force` refuses before clearing anything.
  std::string checkpoint = file_text(output / "checkpoint.bin");
  dir.write("run/checkpoint.bin", checkpoint.substr(0, checkpoint.size() / 2));
  const Job parsed = load_job_with_overrides(job.string(), {});
  Job forced = parsed;
  forced.output.force = true;
  Context context = testing::make_quiet_context("cpu");
  EXPECT_TRUE(testing::throws_input_error([&] { run_job_until(context, forced, Stage::predict); },
                                          {"checkpoint.bin", "train --force"}));
  EXPECT_TRUE(file_text(output / "metrics.json") == metrics);
  EXPECT_TRUE(std::filesystem::exists(output / "stages/predict.json"));
}

TEST(Pipeline, PairFilesRejectDamage) {
  testing::TempDir dir;
  StoredPairs stored;
  stored.source_time = 0.0;
  stored.target_time = 1.0;
  stored.source_cells = 2;
  stored.target_cells = 2;
  stored.pairs.source = {0, 1};
  stored.pairs.target = {1, 0};
  stored.pairs.probability = {0.25, 0.75};
  stored.pairs.cumulative = {0.25, 1.0};
  stored.pairs.mass_ratio = {1.0, 2.0};
  stored.pairs.source_order = {0, 1};
  stored.pairs.target_order = {1, 0};
  const auto path = dir.path() / "pairs.bin";
  write_pairs(path, stored);
  const StoredPairs back = read_pairs(path);
  EXPECT_EQ(back.pairs.cumulative, stored.pairs.cumulative);
  EXPECT_EQ(back.pairs.target_order, stored.pairs.target_order);
  EXPECT_EQ(back.target_time, 1.0);

  std::string bytes = encode_pairs(stored);
  bytes[40] ^= 1;
  EXPECT_TRUE(testing::throws_input_error([&] { decode_pairs(bytes, "flipped.bin"); },
                                          {"flipped.bin", "checksum"}));
  EXPECT_TRUE(testing::throws_input_error(
      [&] { decode_pairs(encode_pairs(stored).substr(0, 60), "short.bin"); }, {"short.bin"}));
  EXPECT_TRUE(testing::throws_input_error(
      [&] { decode_pairs("something else entirely", "other.bin"); }, {"other.bin", "not a"}));
}

}  // namespace
}  // namespace mustfm
