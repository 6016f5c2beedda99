// The evaluation stage (DESIGN.md section 8): every observed snapshot after the start, and every
// left-out one, against the prediction at its time. W1 is the exact earth mover's distance with
// Euclidean cost between the observed cells (their weights, normalized) and the predicted
// particles (weights exp(ln w), normalized), each side subsampled to evaluation.max_points;
// RME = |M_pred - M_obs| / M_obs with both masses relative to the start snapshot's.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/snapshots.h"
#include "io/job.h"
#include "io/run_folder.h"

namespace mustfm {

inline constexpr const char* kMetricsFile = "metrics.json";

struct SnapshotScore {
  double time = 0.0;
  double w1 = 0.0;
  double rme = 0.0;
  double predicted_mass = 0.0;
  double observed_mass = 0.0;
  std::size_t predicted_points = 0;
  std::size_t observed_points = 0;
  bool left_out = false;
};

// Reads the predictions the predict stage wrote in `folder`; `dataset` holds every observed
// snapshot. Observed times that were not predicted are skipped with a warning.
std::vector<SnapshotScore> score_predictions(Context& context,
                                             const Job& job,
                                             const Dataset& dataset,
                                             const RunFolder& folder);

}  // namespace mustfm
