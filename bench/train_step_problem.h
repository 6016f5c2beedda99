// The problem of the training-step benchmarks (train_step_bench.cpp, gemm_floor_bench.cpp): one
// interval of 20,000 random cell pairs over 2,000 x 2,000 cells in [-1, 1]^d, the reference
// networks of the job defaults, and the list of matrix products one training step runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/context.h"
#include "engine/pair_distribution.h"
#include "engine/sampler_setup.h"
#include "engine/snapshots.h"
#include "io/job.h"
#include "nn/mlp.h"

namespace mustfm::bench {

inline constexpr std::size_t kCells = 2000;
inline constexpr std::size_t kEntries = 20000;
// Coordinates lie in [-1, 1]^d, so pairs are at most 2 sqrt(50) ~ 14 apart, well below
// pi delta: no pair is dropped at either dimension.
inline constexpr double kDelta = 10.0;

inline Snapshot bench_snapshot(double time, std::size_t dimension, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> coordinate(-1.0, 1.0);
  Snapshot s;
  s.time = time;
  s.cell_count = kCells;
  s.features.resize(kCells * dimension);
  for (double& x : s.features) x = coordinate(rng);
  s.weights.assign(kCells, 1.0);
  s.sorted_order.resize(kCells);
  for (std::size_t i = 0; i < kCells; ++i) s.sorted_order[i] = static_cast<std::int64_t>(i);
  return s;
}

inline PairDistribution bench_distribution(std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int32_t> cell(0, static_cast<std::int32_t>(kCells) - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  PairDistribution p;
  double running = 0.0;
  for (std::size_t k = 0; k < kEntries; ++k) {
    p.source.push_back(cell(rng));
    p.target.push_back(cell(rng));
    p.probability.push_back(1.0 / kEntries);
    p.mass_ratio.push_back(0.5 + unit(rng));
    running += p.probability.back();
    p.cumulative.push_back(running);
  }
  p.cumulative.back() = 1.0;
  return p;
}

inline std::vector<PairSamplerData> bench_intervals(Context& context, std::size_t dimension) {
  std::mt19937_64 rng(11);
  const Snapshot source = bench_snapshot(0.0, dimension, rng);
  const Snapshot target = bench_snapshot(1.0, dimension, rng);
  PairDistribution distribution = bench_distribution(rng);
  distribution.source_order = source.sorted_order;
  distribution.target_order = target.sorted_order;
  std::vector<PairSamplerData> intervals;
  intervals.push_back(make_pair_sampler_data(context.allocator(), context.compute_space(),
                                             distribution, source, target, dimension, kDelta));
  return intervals;
}

// c = op(a) op(b) with op(a) m x k, op(b) k x n, row-major (the contract of gemm_cpu).
struct GemmShape {
  bool transpose_a = false;
  bool transpose_b = false;
  std::size_t m = 0;
  std::size_t n = 0;
  std::size_t k = 0;
  double flops() const { return 2.0 * static_cast<double>(m) * n * k; }
};

// The products of Mlp::forward and Mlp::backward (nn/mlp.cpp) on `batch` rows, in their order:
// per layer z = input W^T; backward per layer dW = g^T input and, except for the first layer,
// dL/d(input) = g W.
inline std::vector<GemmShape> network_gemms(const MlpShape& shape, std::size_t batch) {
  std::vector<std::size_t> widths{shape.inputs};
  widths.insert(widths.end(), shape.hidden.begin(), shape.hidden.end());
  widths.push_back(shape.outputs);
  std::vector<GemmShape> gemms;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    gemms.push_back({false, true, batch, widths[l + 1], widths[l]});
  for (std::size_t l = widths.size() - 1; l-- > 0;) {
    gemms.push_back({true, false, widths[l + 1], widths[l], batch});
    if (l > 0) gemms.push_back({false, false, batch, widths[l], widths[l + 1]});
  }
  return gemms;
}

// Both reference networks of a step on `batch` rows of dimension d: velocity first, as the step
// runs them (forwards of both, then backwards of both, in TrainingStep; the order does not change
// the products).
inline std::vector<GemmShape> training_step_gemms(std::size_t dimension, std::size_t batch) {
  const Job job;
  MlpShape velocity{1 + dimension, {}, dimension, job.model.leaky_relu_slope};
  for (int width : job.model.velocity_hidden)
    velocity.hidden.push_back(static_cast<std::size_t>(width));
  MlpShape growth{1 + dimension, {}, 1, job.model.leaky_relu_slope};
  for (int width : job.model.growth_hidden)
    growth.hidden.push_back(static_cast<std::size_t>(width));
  std::vector<GemmShape> gemms = network_gemms(velocity, batch);
  const std::vector<GemmShape> more = network_gemms(growth, batch);
  gemms.insert(gemms.end(), more.begin(), more.end());
  return gemms;
}

inline double total_flops(const std::vector<GemmShape>& gemms) {
  double flops = 0.0;
  for (const GemmShape& g : gemms) flops += g.flops();
  return flops;
}

}  // namespace mustfm::bench
