// The CUDA fused pair sampler against the CPU backend on random distributions of both forms:
// the same pairs, bit for bit, and the same rows within a float tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/pair_distribution.h"
#include "engine/sampler_setup.h"
#include "engine/snapshots.h"
#include "kernels/pair_sampler.h"
#include "test_support.h"

namespace mustfm {
namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

// Both backends run the same float formulas (kernels/traveling_dirac.h) on the same inputs, built
// without fast-math, so sqrt and division are correctly rounded on both. They differ in the
// device's sinf / cosf (2 ulp) and atan2f (3 ulp) against glibc's (under 1 ulp), and in nvcc
// contracting a * b + c into one fused multiply-add where the host rounds twice. Each output is a
// few dozen float operations whose errors are amplified at most ~100 times (the growth target
// subtracts terms of similar size), so 1e-4 relative to max(1, |value|), about 800 float ulp of
// a unit value, bounds the difference with a wide margin while catching any formula error.
constexpr float kTolerance = 1e-4f;
// Pairs whose distance is this close (relative) to pi delta may be admissible on one backend and
// not on the other, through the one-ulp difference of the distance; they are left out of the
// row comparison and allowed to differ in the dropped count.
constexpr double kBoundaryBand = 1e-5;

struct Case {
  bool lifted;
  std::size_t dimension;
  std::size_t source_cells;
  std::size_t target_cells;
  std::size_t entries;
  std::int64_t samples;
  std::uint64_t seed;
};

std::string describe(const Case& c) {
  return std::string(c.lifted ? "lifted" : "cells") + ", d " + std::to_string(c.dimension) +
         ", cells " + std::to_string(c.source_cells) + " -> " + std::to_string(c.target_cells) +
         ", entries " + std::to_string(c.entries) + ", samples " + std::to_string(c.samples) +
         ", seed " + std::to_string(c.seed);
}

Snapshot random_snapshot(double time, std::size_t cells, std::size_t d, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> coordinate(-1.0, 1.0);
  std::uniform_real_distribution<double> weight(0.1, 2.0);
  Snapshot s;
  s.time = time;
  s.cell_count = cells;
  s.features.resize(cells * d);
  for (double& x : s.features) x = coordinate(rng);
  s.weights.resize(cells);
  for (double& w : s.weights) w = weight(rng);
  s.sorted_order.resize(cells);
  for (std::size_t i = 0; i < cells; ++i) s.sorted_order[i] = static_cast<std::int64_t>(i);
  std::shuffle(s.sorted_order.begin(), s.sorted_order.end(), rng);
  return s;
}

// Random cluster ranges over `positions` sorted positions: `clusters` non-empty ranges.
std::vector<std::int64_t> random_offsets(std::size_t positions,
                                         std::size_t clusters,
                                         std::mt19937_64& rng) {
  std::vector<std::int64_t> cuts;
  for (std::size_t p = 1; p < positions; ++p) cuts.push_back(static_cast<std::int64_t>(p));
  std::shuffle(cuts.begin(), cuts.end(), rng);
  cuts.resize(clusters - 1);
  cuts.push_back(0);
  cuts.push_back(static_cast<std::int64_t>(positions));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

std::vector<double> within(const std::vector<std::int64_t>& offsets, const Snapshot& snapshot) {
  std::vector<double> out(snapshot.cell_count);
  for (std::size_t c = 0; c + 1 < offsets.size(); ++c) {
    double total = 0.0;
    for (std::int64_t p = offsets[c]; p < offsets[c + 1]; ++p)
      total += snapshot.weights[snapshot.sorted_order[p]];
    double running = 0.0;
    for (std::int64_t p = offsets[c]; p < offsets[c + 1]; ++p) {
      running += snapshot.weights[snapshot.sorted_order[p]] / total;
      out[p] = running;
    }
    out[offsets[c + 1] - 1] = 1.0;
  }
  return out;
}

PairDistribution random_distribution(const Case& c,
                                     const Snapshot& source,
                                     const Snapshot& target,
                                     std::mt19937_64& rng) {
  PairDistribution p;
  p.lifted = c.lifted;
  std::size_t source_range = c.source_cells;
  std::size_t target_range = c.target_cells;
  if (c.lifted) {
    source_range = std::max<std::size_t>(1, c.source_cells / 20);
    target_range = std::max<std::size_t>(1, c.target_cells / 20);
    p.source_offsets = random_offsets(c.source_cells, source_range, rng);
    p.target_offsets = random_offsets(c.target_cells, target_range, rng);
    p.source_within = within(p.source_offsets, source);
    p.target_within = within(p.target_offsets, target);
  }
  std::uniform_int_distribution<std::int32_t> pick_source(0, static_cast<int>(source_range) - 1);
  std::uniform_int_distribution<std::int32_t> pick_target(0, static_cast<int>(target_range) - 1);
  // Probabilities spread over three decades; ratios over about two.
  std::uniform_real_distribution<double> exponent(-3.0, 0.0);
  std::uniform_real_distribution<double> ratio(-2.5, 2.5);
  double total = 0.0;
  for (std::size_t k = 0; k < c.entries; ++k) {
    p.source.push_back(pick_source(rng));
    p.target.push_back(pick_target(rng));
    p.probability.push_back(std::pow(10.0, exponent(rng)));
    p.mass_ratio.push_back(std::exp(ratio(rng)));
    total += p.probability.back();
  }
  double running = 0.0;
  for (double& q : p.probability) {
    q /= total;
    running += q;
    p.cumulative.push_back(running);
  }
  p.cumulative.back() = 1.0;
  p.source_order = source.sorted_order;
  p.target_order = target.sorted_order;
  return p;
}

struct HostRows {
  std::vector<float> inputs, velocity, growth, weights;
  std::vector<std::int64_t> source_cell, target_cell;
  int dropped = 0;
};

template <class T>
std::vector<T> to_host(const Buffer<T>& device) {
  std::vector<T> host(device.size());
  copy_bytes(host.data(), MemorySpace::host, device.data(), MemorySpace::device,
             host.size() * sizeof(T));
  return host;
}

// Samples rows offset .. offset + samples - 1 of a batch twice that size, in `context`'s space,
// at step 123, or at the step *device_step holds when the kernel runs (CUDA) when it is given.
HostRows run(Context& context,
             const Case& c,
             const PairDistribution& distribution,
             const Snapshot& source,
             const Snapshot& target,
             double delta,
             const std::int64_t* device_step = nullptr) {
  const MemorySpace space = context.compute_space();
  Allocator& allocator = context.allocator();
  const PairSamplerData data =
      make_pair_sampler_data(allocator, space, distribution, source, target, c.dimension, delta);
  const std::int64_t rows = 2 * c.samples;
  const std::size_t d = c.dimension;
  Buffer<float> inputs(allocator, rows * (d + 1), space, "test: inputs");
  Buffer<float> velocity(allocator, rows * d, space, "test: velocity");
  Buffer<float> growth(allocator, rows, space, "test: growth");
  Buffer<float> weights(allocator, rows, space, "test: weights");
  Buffer<int> dropped(allocator, 1, space, "test: dropped");
  Buffer<std::int64_t> source_cell(allocator, rows, space, "test: source cells");
  Buffer<std::int64_t> target_cell(allocator, rows, space, "test: target cells");
  const int zero = 0;
  dropped.copy_from({&zero, 1, MemorySpace::host});

  const PairBatchView batch{
      space,         rows,           static_cast<int>(d), inputs.data(),      velocity.data(),
      growth.data(), weights.data(), dropped.data(),      source_cell.data(), target_cell.data()};
  if (device_step != nullptr)
    sample_pairs_at_device_step(context.exec(), data.view(), c.seed, 4, device_step, c.samples,
                                c.samples, batch);
  else
    sample_pairs(context.exec(), data.view(), c.seed, 4, 123, c.samples, c.samples, batch);
  context.synchronize();

  auto fetch = [&](const auto& buffer) {
    if (space == MemorySpace::device) return to_host(buffer);
    return std::vector(buffer.data(), buffer.data() + buffer.size());
  };
  HostRows out{fetch(inputs),  fetch(velocity),    fetch(growth),
               fetch(weights), fetch(source_cell), fetch(target_cell)};
  out.dropped = fetch(dropped)[0];
  return out;
}

bool within_tolerance(float gpu, float cpu) {
  return std::abs(gpu - cpu) <= kTolerance * std::max(1.0f, std::abs(cpu));
}

TEST(PairSamplerGpu, MatchesCpuOnRandomDistributions) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu(testing::make_quiet_context("cuda"));
  Context cpu(testing::make_quiet_context("cpu"));

  const std::vector<Case> cases = {
      {false, 2, 300, 250, 5000, 20000, 1}, {false, 7, 1000, 800, 40000, 50000, 2},
      {true, 2, 400, 300, 60, 20000, 3},    {true, 5, 2000, 1500, 2000, 50000, 4},
      {false, 30, 50, 60, 1, 1000, 5},      {true, 3, 20, 20, 1, 1000, 6},
  };
  for (const Case& c : cases) {
    const std::string case_text = describe(c);
    std::mt19937_64 rng(c.seed);
    const Snapshot source = random_snapshot(2.0, c.source_cells, c.dimension, rng);
    const Snapshot target = random_snapshot(3.5, c.target_cells, c.dimension, rng);
    const PairDistribution distribution = random_distribution(c, source, target, rng);
    // pi delta at about the typical distance between two cells, so both admissible and
    // inadmissible pairs are drawn.
    const double delta = std::sqrt(2.0 * c.dimension / 3.0) / kPi;

    const HostRows on_gpu = run(gpu, c, distribution, source, target, delta);
    const HostRows on_cpu = run(cpu, c, distribution, source, target, delta);

    const std::size_t d = c.dimension;
    int boundary = 0;
    for (std::int64_t r = c.samples; r < 2 * c.samples; ++r) {
      const std::string where = "row " + std::to_string(r) + " (" + case_text + ")";
      ASSERT_EQ(on_gpu.source_cell[r], on_cpu.source_cell[r]) << where;
      ASSERT_EQ(on_gpu.target_cell[r], on_cpu.target_cell[r]) << where;

      double squared = 0.0;
      for (std::size_t j = 0; j < d; ++j) {
        const double step = static_cast<double>(static_cast<float>(
                                target.features[on_cpu.target_cell[r] * d + j])) -
                            static_cast<float>(source.features[on_cpu.source_cell[r] * d + j]);
        squared += step * step;
      }
      if (std::abs(std::sqrt(squared) - kPi * delta) < kBoundaryBand * kPi * delta) {
        ++boundary;
        continue;
      }

      ASSERT_TRUE(within_tolerance(on_gpu.weights[r], on_cpu.weights[r]))
          << where << " weight: cuda " << on_gpu.weights[r] << ", cpu " << on_cpu.weights[r];
      ASSERT_TRUE(within_tolerance(on_gpu.growth[r], on_cpu.growth[r]))
          << where << " growth: cuda " << on_gpu.growth[r] << ", cpu " << on_cpu.growth[r];
      for (std::size_t j = 0; j <= d; ++j)
        ASSERT_TRUE(
            within_tolerance(on_gpu.inputs[r * (d + 1) + j], on_cpu.inputs[r * (d + 1) + j]))
            << where << " input " << j << ": cuda " << on_gpu.inputs[r * (d + 1) + j] << ", cpu "
            << on_cpu.inputs[r * (d + 1) + j];
      for (std::size_t j = 0; j < d; ++j)
        ASSERT_TRUE(within_tolerance(on_gpu.velocity[r * d + j], on_cpu.velocity[r * d + j]))
            << where << " velocity " << j << ": cuda " << on_gpu.velocity[r * d + j] << ", cpu "
            << on_cpu.velocity[r * d + j];
    }
    EXPECT_LE(std::abs(on_gpu.dropped - on_cpu.dropped), boundary) << case_text;
    if (c.entries > 1)
      EXPECT_GT(on_cpu.dropped, 0) << case_text << ": no inadmissible pair was exercised";
  }
}

// The training step's CUDA graph reads the step from device memory; the rows must be those of
// the same step passed as an argument, bit for bit, and only its low 32 bits may count.
TEST(PairSamplerGpu, DeviceStepDrawsTheRowsOfTheStepArgument) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu(testing::make_quiet_context("cuda"));
  const Case c{true, 3, 500, 400, 300, 5000, 7};
  std::mt19937_64 rng(c.seed);
  const Snapshot source = random_snapshot(2.0, c.source_cells, c.dimension, rng);
  const Snapshot target = random_snapshot(3.5, c.target_cells, c.dimension, rng);
  const PairDistribution distribution = random_distribution(c, source, target, rng);
  const double delta = std::sqrt(2.0 * c.dimension / 3.0) / kPi;
  const HostRows expected = run(gpu, c, distribution, source, target, delta);

  for (const std::int64_t step : {std::int64_t{123}, (std::int64_t{1} << 32) + 123}) {
    Buffer<std::int64_t> device_step(gpu.allocator(), 1, MemorySpace::device, "test: step");
    device_step.copy_from({&step, 1, MemorySpace::host});
    const HostRows actual = run(gpu, c, distribution, source, target, delta, device_step.data());
    const std::string where = "device step " + std::to_string(step) + " (" + describe(c) + ")";
    EXPECT_EQ(actual.inputs, expected.inputs) << where;
    EXPECT_EQ(actual.velocity, expected.velocity) << where;
    EXPECT_EQ(actual.growth, expected.growth) << where;
    EXPECT_EQ(actual.weights, expected.weights) << where;
    EXPECT_EQ(actual.source_cell, expected.source_cell) << where;
    EXPECT_EQ(actual.dropped, expected.dropped) << where;
  }

  // Another step draws other rows, so the comparison above can fail.
  const std::int64_t other = 124;
  Buffer<std::int64_t> device_step(gpu.allocator(), 1, MemorySpace::device, "test: step");
  device_step.copy_from({&other, 1, MemorySpace::host});
  EXPECT_NE(run(gpu, c, distribution, source, target, delta, device_step.data()).source_cell,
            expected.source_cell);
}

}  // namespace
}  // namespace mustfm
