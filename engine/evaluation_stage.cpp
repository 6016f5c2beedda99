#include "engine/evaluation_stage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/metrics.h"
#include "engine/prediction_stage.h"
#include "io/npy.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

WeightedPoints predicted_points(const RunFolder& folder,
                                const PredictedTime& predicted,
                                std::size_t dimension) {
  const std::filesystem::path positions_path =
      folder.root() / predicted_positions_file(predicted.index);
  const std::filesystem::path weights_path =
      folder.root() / predicted_log_weights_file(predicted.index);
  const NpyArray positions = read_npy(positions_path);
  const NpyArray log_weights = read_npy(weights_path);
  const std::size_t n = log_weights.values.size();
  if (positions.shape.size() != 2 || positions.shape[0] != n || positions.shape[1] != dimension)
    throw InputError(fmt::format("'{}' does not hold {} x {} positions; rerun the predict stage",
                                 positions_path.string(), n, dimension));
  WeightedPoints points;
  points.dimension = dimension;
  points.points = positions.values;
  points.weights.resize(n);
  // Shifted by the largest log-weight so tiny masses do not all underflow; only proportions
  // matter to W1.
  const double top = *std::max_element(log_weights.values.begin(), log_weights.values.end());
  for (std::size_t i = 0; i < n; ++i) points.weights[i] = std::exp(log_weights.values[i] - top);
  return points;
}

WeightedPoints observed_points(const Snapshot& snapshot, std::size_t dimension) {
  WeightedPoints points;
  points.dimension = dimension;
  points.points = snapshot.features;
  points.weights = snapshot.weights;
  return points;
}

}  // namespace

std::vector<SnapshotScore> score_predictions(Context& context,
                                             const Job& job,
                                             const Dataset& dataset,
                                             const RunFolder& folder) {
  Logger& log = context.log();
  const std::vector<PredictedTime> predicted = read_prediction_times(folder);
  const std::size_t start = start_snapshot(job, dataset);
  const double start_mass = dataset.snapshots[start].total_mass();
  const auto max_points = static_cast<std::size_t>(std::max(1, job.evaluation.max_points));
  std::vector<SnapshotScore> scores;
  for (std::size_t k = start + 1; k < dataset.snapshots.size(); ++k) {
    const Snapshot& snapshot = dataset.snapshots[k];
    const auto match =
        std::find_if(predicted.begin(), predicted.end(),
                     [&](const PredictedTime& p) { return p.time == snapshot.time; });
    if (match == predicted.end()) {
      log.warn("t {} is observed but was not predicted (prediction.times); it is not scored",
               snapshot.time);
      continue;
    }
    SnapshotScore score;
    score.time = snapshot.time;
    score.left_out = std::find(job.evaluation.leave_out.begin(), job.evaluation.leave_out.end(),
                               snapshot.time) != job.evaluation.leave_out.end();
    const std::uint64_t seed = job.evaluation.seed + 2 * k;
    const WeightedPoints model =
        subsample_by_weight(predicted_points(folder, *match, dataset.dimension), max_points, seed);
    const WeightedPoints data =
        subsample_by_weight(observed_points(snapshot, dataset.dimension), max_points, seed + 1);
    score.predicted_points = model.size();
    score.observed_points = data.size();
    score.w1 = wasserstein1_exact(model, data);
    score.predicted_mass = match->mass;
    score.observed_mass = snapshot.total_mass() / start_mass;
    score.rme = relative_mass_error(score.predicted_mass, score.observed_mass);
    log.info(
        "t {}{}: W1 {:.4g} ({} predicted vs {} observed points), RME {:.3g} (mass {:.6g} "
        "predicted, {:.6g} observed)",
        score.time, score.left_out ? " (left out of training)" : "", score.w1,
        score.predicted_points, score.observed_points, score.rme, score.predicted_mass,
        score.observed_mass);
    scores.push_back(score);
  }
  return scores;
}

}  // namespace mustfm
