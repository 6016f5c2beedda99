#include "engine/training_stage.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "engine/checkpoint.h"
#include "engine/progress.h"
#include "engine/sampler_setup.h"
#include "engine/training_step.h"
#include "io/atomic_file.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

struct LossRow {
  std::int64_t step = 0;
  double velocity = 0.0;
  double growth = 0.0;
  // velocity + growth; kept as read for rows from an earlier file, so a continued run rewrites
  // them unchanged.
  double total = 0.0;
  double learning_rate = 0.0;
  // Training seconds from the start of the training (across interruptions) to this row.
  double seconds = 0.0;
};

void write_loss_csv(const std::filesystem::path& path, const std::vector<LossRow>& rows) {
  AtomicFileWriter writer(path);
  std::ostream& out = writer.stream();
  out << "step,velocity_loss,growth_loss,loss,learning_rate,seconds\n";
  for (const LossRow& row : rows)
    out << fmt::format("{},{:.9g},{:.9g},{:.9g},{:.9g},{:.3f}\n", row.step, row.velocity,
                       row.growth, row.total, row.learning_rate, row.seconds);
  writer.commit();
}

// The rows of an earlier loss.csv up to `last_step`; a file that does not parse is dropped (the
// curve restarts at the checkpoint), since the checkpoint, not the curve, carries the training.
std::vector<LossRow> read_loss_csv(const std::filesystem::path& path, std::int64_t last_step) {
  std::vector<LossRow> rows;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return rows;
  while (std::getline(in, line)) {
    LossRow row;
    char c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0;
    std::istringstream fields(line);
    if (!(fields >> row.step >> c1 >> row.velocity >> c2 >> row.growth >> c3 >> row.total >> c4 >>
          row.learning_rate >> c5 >> row.seconds))
      return {};
    if (row.step <= last_step) rows.push_back(row);
  }
  return rows;
}

std::vector<PairSamplerData> sampler_intervals(Context& context,
                                               const Job& job,
                                               const Dataset& dataset,
                                               const std::vector<StoredPairs>& intervals) {
  MUSTFM_EXPECTS(intervals.size() + 1 == dataset.snapshots.size(),
                 fmt::format("training: {} pair distributions for {} snapshots", intervals.size(),
                             dataset.snapshots.size()));
  std::vector<PairSamplerData> data;
  for (std::size_t k = 0; k < intervals.size(); ++k)
    data.push_back(make_pair_sampler_data(
        context.allocator(), context.compute_space(), intervals[k].pairs, dataset.snapshots[k],
        dataset.snapshots[k + 1], dataset.dimension, job.coupling.delta));
  return data;
}

}  // namespace

TrainingOutcome train_networks(Context& context,
                               const Job& job,
                               const Dataset& dataset,
                               const std::vector<StoredPairs>& intervals,
                               const RunFolder& folder) {
  Logger& log = context.log();
  TrainingStep<float> step(context.exec(), context.allocator(), job,
                           sampler_intervals(context, job, dataset, intervals));
  const std::filesystem::path checkpoint = folder.file(kCheckpointFile);
  const std::filesystem::path loss_path = folder.file(kLossFile);

  TrainingOutcome outcome;
  std::vector<LossRow> rows;
  if (std::filesystem::exists(checkpoint)) {
    load_checkpoint(checkpoint, step);
    outcome.resumed_from = step.steps_taken();
    rows = read_loss_csv(loss_path, outcome.resumed_from);
    if (!rows.empty()) outcome.earlier_seconds = rows.back().seconds;
    log.info("training continues from {} at step {}", checkpoint.string(), outcome.resumed_from);
  }
  const std::int64_t total = job.training.steps;
  if (step.steps_taken() > total)
    throw InputError(
        fmt::format("'{}' holds step {}, beyond training.steps = {}; rerun with "
                    "--force to train afresh",
                    checkpoint.string(), step.steps_taken(), total));
  if (context.backend() == Backend::cuda && step.steps_taken() < total) step.capture_graph();

  log.info(
      "training {} steps: {} interval(s) x batch {}, velocity net {} parameters, growth "
      "net {} parameters, on {}",
      total, intervals.size(), job.training.batch_size, step.velocity().mlp.parameter_count(),
      step.growth().mlp.parameter_count(), context.describe());
  Progress progress(log, "training step", total - step.steps_taken());
  progress.set_done_before(step.steps_taken());
  const std::int64_t log_every = std::max(1, job.training.log_every);
  // 0: only the final checkpoint.
  const std::int64_t checkpoint_every =
      job.training.checkpoint_every > 0 ? job.training.checkpoint_every : total;
  LossRow window;
  int window_steps = 0;
  const auto started = std::chrono::steady_clock::now();
  const auto close_window = [&](std::int64_t done) {
    window.step = done;
    window.velocity /= window_steps;
    window.growth /= window_steps;
    window.total = window.velocity + window.growth;
    window.seconds =
        outcome.earlier_seconds +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    rows.push_back(window);
    outcome.final_loss = window.total;
    window = LossRow{};
    window_steps = 0;
  };
  while (step.steps_taken() < total) {
    if (context.stop_requested()) {
      // The steps since the last row become a row of their own, so the continued run's curve
      // and its seconds miss nothing.
      if (window_steps > 0) close_window(step.steps_taken());
      write_loss_csv(loss_path, rows);
      save_checkpoint(checkpoint, step, job);
      throw Interrupted(
          fmt::format("training interrupted at step {} of {}; the checkpoint is "
                      "saved, and the same command continues from it",
                      step.steps_taken(), total));
    }
    const TrainingLoss loss = step.step();
    if (!std::isfinite(loss.total()))
      throw RuntimeFailure(
          fmt::format("training diverged at step {}: loss {} (velocity {}, growth {}); lower "
                      "training.learning_rate or check the data's scale",
                      step.steps_taken(), loss.total(), loss.velocity, loss.growth));
    window.velocity += loss.velocity;
    window.growth += loss.growth;
    window.learning_rate = loss.learning_rate;
    ++window_steps;
    const std::int64_t done = step.steps_taken();
    if (done % log_every == 0 || done == total) {
      close_window(done);
      const LossRow& row = rows.back();
      progress.update(done - outcome.resumed_from,
                      fmt::format("loss {:.4g} (velocity {:.4g}, growth {:.4g}), lr {:.3g}",
                                  row.total, row.velocity, row.growth, row.learning_rate));
    }
    if (done % checkpoint_every == 0 || done == total) {
      write_loss_csv(loss_path, rows);
      save_checkpoint(checkpoint, step, job);
    }
  }
  progress.finish();
  outcome.steps = step.steps_taken();
  outcome.dropped_pairs = step.dropped_pairs();
  if (outcome.dropped_pairs > 0)
    log.warn("training dropped {} sampled pairs at or beyond pi * delta (coupling.delta = {})",
             outcome.dropped_pairs, job.coupling.delta);
  return outcome;
}

}  // namespace mustfm
