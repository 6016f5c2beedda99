// Small fixed training problems for the training-step and checkpoint tests: a grid of source
// cells, each paired with one target cell moved by a fixed shift, so the flow-matching targets
// are smooth functions of (t, x) that a small network can fit. Interval k runs from t = 2k to
// t = 2k + 1 + k (lengths 1, 2, ...), with its own shift and mass ratio, so the batch rows of
// different intervals are told apart by their time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/pair_distribution.h"
#include "engine/sampler_setup.h"
#include "engine/snapshots.h"
#include "io/job.h"
#include "kernels/common/memory.h"

namespace mustfm::testing {

inline constexpr double kProblemDelta = 2.0;

inline double interval_start(std::size_t k) {
  return 2.0 * static_cast<double>(k);
}
inline double interval_length(std::size_t k) {
  return 1.0 + static_cast<double>(k);
}

struct TrainingInterval {
  Snapshot source;
  Snapshot target;
  PairDistribution distribution;
};

// `side` x `side` source cells on [-1, 1]^dimension's first two axes (other axes 0.25), target
// cell i = source cell i + shift, one entry per cell pair with equal probability.
inline TrainingInterval shifted_grid_interval(std::size_t k,
                                              std::size_t side,
                                              std::size_t dimension) {
  const std::size_t cells = side * side;
  const double shift[2] = {1.0 - 0.3 * static_cast<double>(k), 0.5 + 0.2 * static_cast<double>(k)};
  const double mass_ratio = k % 2 == 0 ? 1.5 : 0.7;

  TrainingInterval v;
  for (Snapshot* s : {&v.source, &v.target}) {
    s->time = s == &v.source ? interval_start(k) : interval_start(k) + interval_length(k);
    s->cell_count = cells;
    s->weights.assign(cells, 1.0);
    s->sorted_order.resize(cells);
    for (std::size_t i = 0; i < cells; ++i) s->sorted_order[i] = static_cast<std::int64_t>(i);
  }
  for (std::size_t i = 0; i < cells; ++i) {
    for (std::size_t j = 0; j < dimension; ++j) {
      double x = 0.25;
      if (j < 2) {
        const std::size_t grid = j == 0 ? i % side : i / side;
        x = side > 1 ? -1.0 + 2.0 * static_cast<double>(grid) / static_cast<double>(side - 1) : 0.0;
      }
      v.source.features.push_back(x);
      v.target.features.push_back(x + (j < 2 ? shift[j] : 0.0));
    }
  }

  PairDistribution& p = v.distribution;
  double running = 0.0;
  for (std::size_t i = 0; i < cells; ++i) {
    p.source.push_back(static_cast<std::int32_t>(i));
    p.target.push_back(static_cast<std::int32_t>(i));
    p.probability.push_back(1.0 / static_cast<double>(cells));
    p.mass_ratio.push_back(mass_ratio);
    running += p.probability.back();
    p.cumulative.push_back(running);
  }
  p.cumulative.back() = 1.0;
  p.source_order = v.source.sorted_order;
  p.target_order = v.target.sorted_order;
  return v;
}

// Sampler data for `intervals` intervals of the problem, in `space`.
inline std::vector<PairSamplerData> shifted_grid_data(Allocator& allocator,
                                                      std::size_t intervals,
                                                      std::size_t side,
                                                      std::size_t dimension,
                                                      MemorySpace space = MemorySpace::host) {
  std::vector<PairSamplerData> data;
  for (std::size_t k = 0; k < intervals; ++k) {
    const TrainingInterval v = shifted_grid_interval(k, side, dimension);
    data.push_back(make_pair_sampler_data(allocator, space, v.distribution, v.source, v.target,
                                          dimension, kProblemDelta));
  }
  return data;
}

// A job for the problem: the given hidden widths, batch size and step count, everything else at
// its default.
inline Job training_job(std::vector<int> velocity_hidden,
                        std::vector<int> growth_hidden,
                        int batch_size,
                        int steps) {
  Job job;
  job.seed = 20241;
  job.data.path = "builtin:multiscale";
  job.model.velocity_hidden = std::move(velocity_hidden);
  job.model.growth_hidden = std::move(growth_hidden);
  job.training.batch_size = batch_size;
  job.training.steps = steps;
  return job;
}

}  // namespace mustfm::testing
