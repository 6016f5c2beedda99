#include "engine/prediction_stage.h"

#include <fmt/format.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "engine/dopri5.h"
#include "engine/network_evaluator.h"
#include "engine/progress.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

// Both networks on [t, x] for n particles of dimension d: velocity n x d, growth n. On the CPU
// each thread runs both networks on its own block of particles with single-threaded products:
// one fork and join per evaluation instead of several per layer, which is most of the cost at
// a few hundred particles.
class VectorField {
 public:
  // Workspaces are sized for `particles` rows, the size of most calls; larger calls run in
  // chunks.
  VectorField(Context& context,
              const TrainingState& trained,
              std::size_t dimension,
              std::size_t particles)
      : dimension_(dimension) {
    const bool on_host = context.compute_space() == MemorySpace::host;
    const std::size_t lanes =
        on_host ? static_cast<std::size_t>(std::max(1, omp_get_max_threads())) : 1;
    const std::size_t chunk =
        std::clamp<std::size_t>((particles + lanes - 1) / lanes, 1, kMaxChunkRows);
    for (std::size_t lane = 0; lane < lanes; ++lane) {
      velocity_.push_back(
          std::make_unique<NetworkEvaluator>(context, trained.velocity, "velocity", chunk));
      growth_.push_back(
          std::make_unique<NetworkEvaluator>(context, trained.growth, "growth", chunk));
    }
    const NetworkEvaluator& v = *velocity_.front();
    const NetworkEvaluator& g = *growth_.front();
    MUSTFM_EXPECTS(v.inputs() == dimension + 1 && v.outputs() == dimension &&
                       g.inputs() == dimension + 1 && g.outputs() == 1,
                   fmt::format("the checkpoint's networks take {} and {} inputs and give {} and "
                               "{} outputs; data of dimension {} needs {} inputs, {} and 1 outputs",
                               v.inputs(), g.inputs(), v.outputs(), g.outputs(), dimension,
                               dimension + 1, dimension));
  }

  // position(i, j): coordinate j of particle i. Fills velocity (n x d) and growth (n).
  template <class Positions>
  void evaluate(double t, std::size_t n, Positions position, float* velocity, float* growth) {
    const std::size_t width = dimension_ + 1;
    inputs_.resize(n * width);
    const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < count; ++i) {
      float* row = inputs_.data() + i * width;
      row[0] = static_cast<float>(t);
      for (std::size_t j = 0; j < dimension_; ++j)
        row[1 + j] = static_cast<float>(position(static_cast<std::size_t>(i), j));
    }
    const std::size_t lanes = velocity_.size();
    if (lanes == 1) {
      velocity_.front()->evaluate(inputs_.data(), n, velocity);
      growth_.front()->evaluate(inputs_.data(), n, growth);
      return;
    }
    std::exception_ptr failure;
#pragma omp parallel num_threads(static_cast <int>(lanes))
    {
      const auto lane = static_cast<std::size_t>(omp_get_thread_num());
      const auto threads = static_cast<std::size_t>(omp_get_num_threads());
      const std::size_t block = (n + threads - 1) / threads;
      const std::size_t begin = std::min(n, lane * block);
      const std::size_t rows = std::min(n, begin + block) - begin;
      try {
        if (rows > 0) {
          velocity_[lane]->evaluate(inputs_.data() + begin * width, rows,
                                    velocity + begin * dimension_);
          growth_[lane]->evaluate(inputs_.data() + begin * width, rows, growth + begin);
        }
      } catch (...) {
#pragma omp critical(mustfm_vector_field_failure)
        failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  }

 private:
  // Rows of one network pass: bounds the workspace (about 5 KB per row for the reference
  // networks) for a million particles.
  static constexpr std::size_t kMaxChunkRows = 1 << 16;

  std::vector<std::unique_ptr<NetworkEvaluator>> velocity_;
  std::vector<std::unique_ptr<NetworkEvaluator>> growth_;
  std::size_t dimension_;
  std::vector<float> inputs_;
};

// One time the integration stops at: a requested time, a trajectory grid time, or both.
struct OutputTime {
  double time = 0.0;
  bool requested = false;
  std::size_t requested_index = 0;
  bool trajectory = false;
};

std::vector<OutputTime> output_times(const std::vector<double>& requested,
                                     double start,
                                     const PredictionSettings& settings) {
  std::vector<OutputTime> outputs;
  for (std::size_t k = 0; k < requested.size(); ++k)
    outputs.push_back({requested[k], true, k, false});
  const double end = requested.back();
  const int points = settings.trajectory_points;
  if (settings.trajectory_particles > 0 && points >= 1) {
    for (int p = 0; p < points; ++p) {
      const double time =
          points == 1 ? start : (p == points - 1 ? end : start + (end - start) * p / (points - 1));
      outputs.push_back({time, false, 0, true});
    }
  }
  std::stable_sort(outputs.begin(), outputs.end(),
                   [](const OutputTime& a, const OutputTime& b) { return a.time < b.time; });
  // Equal times merge, so the integrator stops at each once.
  std::vector<OutputTime> merged;
  for (const OutputTime& output : outputs) {
    if (!merged.empty() && merged.back().time == output.time) {
      if (output.requested) {
        merged.back().requested = true;
        merged.back().requested_index = output.requested_index;
      }
      merged.back().trajectory = merged.back().trajectory || output.trajectory;
    } else {
      merged.push_back(output);
    }
  }
  return merged;
}

std::vector<std::size_t> trajectory_cells(std::size_t cells, int particles) {
  std::vector<std::size_t> chosen;
  const std::size_t count = std::min<std::size_t>(cells, std::max(particles, 0));
  for (std::size_t k = 0; k < count; ++k) chosen.push_back(k * cells / count);
  return chosen;
}

void write_times_csv(const RunFolder& folder, const std::vector<PredictedTime>& times) {
  AtomicFileWriter writer(folder.file(kPredictionTimesFile));
  writer.stream() << "index,time,particles,mass\n";
  for (const PredictedTime& t : times)
    writer.stream() << fmt::format("{},{:.17g},{},{:.17g}\n", t.index, t.time, t.particles, t.mass);
  writer.commit();
}

void write_fields(Context& context,
                  const Dataset& dataset,
                  VectorField& field,
                  const RunFolder& folder) {
  const std::size_t d = dataset.dimension;
  for (std::size_t k = 0; k < dataset.snapshots.size(); ++k) {
    const Snapshot& snapshot = dataset.snapshots[k];
    const std::size_t n = snapshot.cell_count;
    std::vector<float> velocity(n * d);
    std::vector<float> growth(n);
    field.evaluate(
        snapshot.time, n,
        [&](std::size_t i, std::size_t j) { return snapshot.features[i * d + j]; }, velocity.data(),
        growth.data());
    write_npy(folder.file(fmt::format("fields/snapshot_{}_velocity.npy", k)), velocity.data(),
              {n, d});
    write_npy(folder.file(fmt::format("fields/snapshot_{}_growth.npy", k)), growth.data(), {n});
  }
  context.log().debug("wrote the velocity and growth at {} observed snapshots",
                      dataset.snapshots.size());
}

}  // namespace

std::size_t start_snapshot(const Job& job, const Dataset& dataset) {
  if (std::isnan(job.prediction.start_time)) return 0;
  for (std::size_t k = 0; k < dataset.snapshots.size(); ++k)
    if (dataset.snapshots[k].time == job.prediction.start_time) return k;
  throw InputError(
      fmt::format("prediction.start_time: {} is not a snapshot time", job.prediction.start_time));
}

std::vector<double> prediction_times(const Job& job, const Dataset& dataset) {
  const std::size_t start = start_snapshot(job, dataset);
  const double start_time = dataset.snapshots[start].time;
  std::vector<double> times;
  if (job.prediction.times.empty()) {
    for (std::size_t k = start; k < dataset.snapshots.size(); ++k)
      times.push_back(dataset.snapshots[k].time);
  } else {
    for (double time : job.prediction.times) {
      if (!(time >= start_time))
        throw InputError(
            fmt::format("prediction.times: {} lies before the start snapshot's time "
                        "{}; prediction runs forward from the start",
                        time, start_time));
      times.push_back(time);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
  }
  return times;
}

std::filesystem::path predicted_positions_file(std::size_t index) {
  return fmt::format("predictions/t{}_positions.npy", index);
}

std::filesystem::path predicted_log_weights_file(std::size_t index) {
  return fmt::format("predictions/t{}_log_weights.npy", index);
}

PredictionOutcome predict_populations(Context& context,
                                      const Job& job,
                                      const Dataset& dataset,
                                      const TrainingState& trained,
                                      const RunFolder& folder) {
  Logger& log = context.log();
  const std::size_t d = dataset.dimension;
  const Snapshot& start = dataset.snapshots[start_snapshot(job, dataset)];
  const std::vector<double> requested = prediction_times(job, dataset);
  const std::vector<OutputTime> outputs = output_times(requested, start.time, job.prediction);
  const double last_observed = dataset.snapshots.back().time;
  if (!requested.empty() && requested.back() > last_observed)
    log.warn(
        "prediction.times: {} lies beyond the last snapshot ({}); the networks never saw "
        "those times in training, so treat the prediction there as an extrapolation",
        requested.back(), last_observed);
  const std::size_t n = start.cell_count;
  VectorField field(context, trained, d, n);

  // State: n x d positions, then n log-weights.
  std::vector<double> y0(n * (d + 1));
  std::copy(start.features.begin(), start.features.end(), y0.begin());
  const double total = start.total_mass();
  MUSTFM_EXPECTS(total > 0, fmt::format("the start snapshot (t {}) has no mass", start.time));
  // A cell of zero weight starts at ln w = -745, where exp underflows to zero, so the state the
  // integrator measures its error on stays finite.
  for (std::size_t i = 0; i < n; ++i)
    y0[n * d + i] = start.weights[i] > 0 ? std::log(start.weights[i] / total) : -745.0;

  std::vector<float> velocity(n * d);
  std::vector<float> growth(n);
  const double t_end = outputs.back().time;
  // Progress in thousandths of the time span.
  Progress progress(log, "prediction", 1000);
  progress.hide_rate();
  auto rhs = [&](double t, std::span<const double> y, std::span<double> dydt) {
    if (context.stop_requested())
      throw Interrupted(
          fmt::format("prediction interrupted at t {:.6g}; rerun the command to "
                      "predict again",
                      t));
    field.evaluate(
        t, n, [&](std::size_t i, std::size_t j) { return y[i * d + j]; }, velocity.data(),
        growth.data());
    const auto rows = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < d; ++j) dydt[i * d + j] = velocity[i * d + j];
      dydt[n * d + i] = growth[i];
    }
    if (t_end > start.time)
      progress.update(static_cast<std::int64_t>(1000 * (t - start.time) / (t_end - start.time)),
                      fmt::format("t {:.4g} of {:.4g} to {:.4g}", t, start.time, t_end));
  };

  const std::vector<std::size_t> tracked = trajectory_cells(n, job.prediction.trajectory_particles);
  // Few rows (particles x grid points): kept in memory and written once at the end.
  std::string trajectories = "particle,cell,time";
  for (std::size_t j = 0; j < d; ++j) trajectories += ",x" + std::to_string(j + 1);
  trajectories += ",log_weight\n";

  PredictionOutcome outcome;
  std::vector<float> narrow(n * d);
  auto on_output = [&](std::size_t index, double t, std::span<const double> y) {
    const OutputTime& output = outputs[index];
    if (output.trajectory) {
      for (std::size_t p = 0; p < tracked.size(); ++p) {
        const std::size_t i = tracked[p];
        trajectories += fmt::format("{},{},{:.9g}", p, i, t);
        for (std::size_t j = 0; j < d; ++j) trajectories += fmt::format(",{:.9g}", y[i * d + j]);
        trajectories += fmt::format(",{:.9g}\n", y[n * d + i]);
      }
    }
    if (!output.requested) return;
    for (std::size_t k = 0; k < n * d; ++k) narrow[k] = static_cast<float>(y[k]);
    write_npy(folder.file(predicted_positions_file(output.requested_index).string()), narrow.data(),
              {n, d});
    write_npy(folder.file(predicted_log_weights_file(output.requested_index).string()),
              y.data() + n * d, {n});
    double mass = 0.0;
    for (std::size_t i = 0; i < n; ++i) mass += std::exp(y[n * d + i]);
    outcome.times.push_back({output.requested_index, t, n, mass});
    log.info("predicted t {}: {} particles, mass {:.6g} (relative to t {})", t, n, mass,
             start.time);
  };

  std::vector<double> stops;
  for (const OutputTime& output : outputs) stops.push_back(output.time);
  Dopri5Options options;
  options.rtol = job.prediction.rtol;
  options.atol = job.prediction.atol;
  const Dopri5Stats stats = integrate_dopri5(rhs, start.time, y0, stops, on_output, options);
  progress.finish(fmt::format("{} steps accepted, {} rejected", stats.accepted, stats.rejected));
  folder.write_text("predictions/trajectories.csv", trajectories);
  write_fields(context, dataset, field, folder);
  write_times_csv(folder, outcome.times);
  outcome.accepted_steps = stats.accepted;
  outcome.rejected_steps = stats.rejected;
  outcome.evaluations = stats.evaluations;
  return outcome;
}

std::vector<PredictedTime> read_prediction_times(const RunFolder& folder) {
  const std::filesystem::path path = folder.root() / kPredictionTimesFile;
  std::ifstream in(path);
  if (!in)
    throw InputError(fmt::format("'{}' is missing: run the predict stage first", path.string()));
  std::string line;
  std::getline(in, line);
  std::vector<PredictedTime> times;
  std::size_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    PredictedTime t;
    char c1 = 0, c2 = 0, c3 = 0;
    std::istringstream fields(line);
    if (!(fields >> t.index >> c1 >> t.time >> c2 >> t.particles >> c3 >> t.mass) || c1 != ',' ||
        c2 != ',' || c3 != ',')
      throw InputError(fmt::format("'{}', row {}: expected index,time,particles,mass, got '{}'",
                                   path.string(), row, line));
    times.push_back(t);
  }
  return times;
}

}  // namespace mustfm
