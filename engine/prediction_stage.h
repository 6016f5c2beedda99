// The prediction stage (DESIGN.md section 8): every cell of the start snapshot becomes a particle
// with log-weight ln(w / total w), and positions and log-weights are integrated through every
// requested time as one system, dx/dt = v(t, x), d ln w/dt = g(t, x), with the networks' moving
// averages and the adaptive Dormand-Prince 5(4) method. Files in the run folder:
//  * predictions/times.csv: index, time, particles, mass (sum of w; 1 at the start);
//  * predictions/t<index>_positions.npy (particles x d, float32) and
//    predictions/t<index>_log_weights.npy (particles, float64), rows in the start snapshot's
//    cell order;
//  * predictions/trajectories.csv: particle, cell (row of the start snapshot), time, x1..xd,
//    log_weight, for prediction.trajectory_particles particles evenly spread over the cells, at
//    prediction.trajectory_points times from the start to the last requested time;
//  * fields/snapshot_<k>_velocity.npy (cells x d, float32) and fields/snapshot_<k>_growth.npy
//    (cells, float32): the networks at every observed snapshot's own cells and time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "engine/context.h"
#include "engine/snapshots.h"
#include "engine/training_state.h"
#include "io/job.h"
#include "io/run_folder.h"

namespace mustfm {

inline constexpr const char* kPredictionTimesFile = "predictions/times.csv";

struct PredictedTime {
  std::size_t index = 0;
  double time = 0.0;
  std::size_t particles = 0;
  double mass = 0.0;
};

struct PredictionOutcome {
  std::vector<PredictedTime> times;
  std::int64_t accepted_steps = 0;
  std::int64_t rejected_steps = 0;
  std::int64_t evaluations = 0;
};

// The snapshot prediction starts from: prediction.start_time, or the first snapshot.
std::size_t start_snapshot(const Job& job, const Dataset& dataset);
// The times to predict at, ascending and distinct: prediction.times, or every observed time from
// the start snapshot's on.
std::vector<double> prediction_times(const Job& job, const Dataset& dataset);

// `dataset` holds every observed snapshot (left-out ones included).
PredictionOutcome predict_populations(Context& context,
                                      const Job& job,
                                      const Dataset& dataset,
                                      const TrainingState& trained,
                                      const RunFolder& folder);

// "predictions/t<index>_positions.npy" and its log-weight twin.
std::filesystem::path predicted_positions_file(std::size_t index);
std::filesystem::path predicted_log_weights_file(std::size_t index);
// Reads predictions/times.csv; InputError naming the file when it is missing or malformed.
std::vector<PredictedTime> read_prediction_times(const RunFolder& folder);

}  // namespace mustfm
