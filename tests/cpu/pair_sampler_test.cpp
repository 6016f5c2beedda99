// The CPU fused pair sampler on small hand-made distributions: the drawn pairs follow the
// distribution (chi-square), every row equals a direct computation with PairDistribution::draw
// and traveling_dirac, unusable pairs are weighted 0 and counted, and the batch depends only on
// (seed, interval, step), not on the thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/pair_distribution.h"
#include "engine/sampler_setup.h"
#include "engine/snapshots.h"
#include "kernels/pair_sampler.h"
#include "kernels/traveling_dirac.h"
#include "test_support.h"

namespace mustfm {
namespace {

constexpr std::size_t kDim = 2;
constexpr double kPi = 3.141592653589793238462643383279502884;

Snapshot make_snapshot(double time,
                       const std::vector<double>& features,
                       const std::vector<double>& weights,
                       const std::vector<std::int64_t>& sorted_order) {
  Snapshot s;
  s.time = time;
  s.cell_count = weights.size();
  s.features = features;
  s.weights = weights;
  s.sorted_order = sorted_order;
  return s;
}

void fill_cumulative(PairDistribution& p) {
  double running = 0.0;
  for (double q : p.probability) {
    running += q;
    p.cumulative.push_back(running);
  }
  p.cumulative.back() = 1.0;
}

// Running sums of w / a within each cluster, positions in sorted order (as the coupling stage
// builds them).
std::vector<double> within(const std::vector<std::int64_t>& offsets,
                           const std::vector<double>& sorted_weights) {
  std::vector<double> out(sorted_weights.size());
  for (std::size_t c = 0; c + 1 < offsets.size(); ++c) {
    double total = 0.0;
    for (std::int64_t p = offsets[c]; p < offsets[c + 1]; ++p) total += sorted_weights[p];
    double running = 0.0;
    for (std::int64_t p = offsets[c]; p < offsets[c + 1]; ++p) {
      running += sorted_weights[p] / total;
      out[p] = running;
    }
    out[offsets[c + 1] - 1] = 1.0;
  }
  return out;
}

// One interval: two snapshots and a distribution between them.
struct Interval {
  Snapshot source;
  Snapshot target;
  PairDistribution distribution;
  double delta = 10.0;
};

// Cells form: 4 source and 3 target cells, 6 entries, sorted orders that are not the identity.
Interval cells_interval() {
  Interval v;
  v.source =
      make_snapshot(0.5, {0.1, 0.2, -0.4, 0.3, 0.9, -0.5, 0.0, 0.7}, {1, 1, 1, 1}, {1, 3, 0, 2});
  v.target = make_snapshot(1.5, {1.0, 0.1, -0.2, 1.1, 0.6, 0.6}, {1, 1, 1}, {2, 0, 1});
  PairDistribution& p = v.distribution;
  p.source = {0, 0, 1, 2, 3, 3};
  p.target = {0, 2, 1, 0, 2, 1};
  p.probability = {0.05, 0.1, 0.15, 0.2, 0.25, 0.25};
  p.mass_ratio = {1.0, 0.5, 2.0, 1.5, 0.8, 1.2};
  fill_cumulative(p);
  p.source_order = v.source.sorted_order;
  p.target_order = v.target.sorted_order;
  return v;
}

// Lifted form: source clusters of 2 and 3 cells, target clusters of 1 and 3 cells, 3 blocks.
Interval lifted_interval() {
  Interval v;
  v.source = make_snapshot(1.0, {0.0, 0.0, 0.3, 0.1, -0.2, 0.4, 0.5, 0.5, 0.1, -0.6},
                           {3, 2, 1, 4, 2}, {2, 0, 4, 1, 3});
  v.target =
      make_snapshot(3.0, {0.8, 0.2, 0.2, 0.9, -0.3, -0.3, 1.2, 0.0}, {1, 2, 2, 1}, {1, 0, 3, 2});
  PairDistribution& p = v.distribution;
  p.lifted = true;
  p.source = {0, 0, 1};
  p.target = {0, 1, 1};
  p.probability = {0.3, 0.3, 0.4};
  p.mass_ratio = {0.7, 1.3, 2.5};
  fill_cumulative(p);
  p.source_offsets = {0, 2, 5};
  p.target_offsets = {0, 1, 4};
  std::vector<double> source_sorted, target_sorted;
  for (std::int64_t cell : v.source.sorted_order) source_sorted.push_back(v.source.weights[cell]);
  for (std::int64_t cell : v.target.sorted_order) target_sorted.push_back(v.target.weights[cell]);
  p.source_within = within(p.source_offsets, source_sorted);
  p.target_within = within(p.target_offsets, target_sorted);
  p.source_order = v.source.sorted_order;
  p.target_order = v.target.sorted_order;
  return v;
}

// Expected probability of each (source cell, target cell) pair.
std::map<std::pair<std::int64_t, std::int64_t>, double> pair_probabilities(const Interval& v) {
  const PairDistribution& p = v.distribution;
  std::map<std::pair<std::int64_t, std::int64_t>, double> out;
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (!p.lifted) {
      out[{p.source_order[p.source[k]], p.target_order[p.target[k]]}] += p.probability[k];
      continue;
    }
    for (std::int64_t i = p.source_offsets[p.source[k]]; i < p.source_offsets[p.source[k] + 1]; ++i)
      for (std::int64_t j = p.target_offsets[p.target[k]]; j < p.target_offsets[p.target[k] + 1];
           ++j) {
        const double wi =
            p.source_within[i] - (i > p.source_offsets[p.source[k]] ? p.source_within[i - 1] : 0.0);
        const double wj =
            p.target_within[j] - (j > p.target_offsets[p.target[k]] ? p.target_within[j - 1] : 0.0);
        out[{p.source_order[i], p.target_order[j]}] += p.probability[k] * wi * wj;
      }
  }
  return out;
}

struct HostBatch {
  std::int64_t rows = 0;
  std::vector<float> inputs, velocity, growth, weights;
  std::vector<std::int64_t> source_cell, target_cell;
  int dropped = 0;

  explicit HostBatch(std::int64_t row_count)
      : rows(row_count),
        inputs(row_count * (kDim + 1)),
        velocity(row_count * kDim),
        growth(row_count),
        weights(row_count),
        source_cell(row_count),
        target_cell(row_count) {}

  PairBatchView view() {
    return {MemorySpace::host,      rows,
            static_cast<int>(kDim), inputs.data(),
            velocity.data(),        growth.data(),
            weights.data(),         &dropped,
            source_cell.data(),     target_cell.data()};
  }
};

HostBatch sample(const Interval& v,
                 std::int64_t count,
                 std::uint64_t seed,
                 std::uint32_t interval,
                 std::uint32_t step) {
  Allocator allocator;
  const PairSamplerData data = make_pair_sampler_data(allocator, MemorySpace::host, v.distribution,
                                                      v.source, v.target, kDim, v.delta);
  HostBatch batch(count);
  sample_pairs(Exec{}, data.view(), seed, interval, step, count, 0, batch.view());
  return batch;
}

// Upper 1e-6 point of chi-square with `df` degrees of freedom by the Wilson-Hilferty cube
// approximation: (X / df)^(1/3) is close to normal with mean 1 - 2 / (9 df) and variance
// 2 / (9 df); 4.753424 is the standard normal's upper 1e-6 quantile. For df 5 this gives 35.9
// (exact 35.89). A correct sampler fails the test with probability about 1e-6 per seed; the
// seeds are fixed, so the outcome is deterministic.
double chi_square_critical(int df) {
  const double z = 4.753424;
  const double v = 2.0 / (9.0 * df);
  const double root = 1.0 - v + z * std::sqrt(v);
  return df * root * root * root;
}

void expect_frequencies_match(const Interval& v, const std::string& case_text) {
  const std::int64_t n = 200000;
  const HostBatch batch = sample(v, n, 2024, 3, 17);
  const auto expected = pair_probabilities(v);

  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> observed;
  for (std::int64_t r = 0; r < n; ++r) {
    const std::pair<std::int64_t, std::int64_t> key{batch.source_cell[r], batch.target_cell[r]};
    ASSERT_TRUE(expected.count(key) == 1) << case_text << ": row " << r << " drew (" << key.first
                                          << ", " << key.second << "), a pair of probability 0";
    ++observed[key];
  }

  // Every category expects at least 5 draws, the usual condition for the chi-square law.
  double statistic = 0.0;
  for (const auto& [key, probability] : expected) {
    const double e = probability * static_cast<double>(n);
    ASSERT_GE(e, 5.0) << case_text;
    const double difference = static_cast<double>(observed[key]) - e;
    statistic += difference * difference / e;
  }
  const int df = static_cast<int>(expected.size()) - 1;
  EXPECT_LT(statistic, chi_square_critical(df))
      << case_text << ": chi-square " << statistic << " with " << df << " degrees of freedom";
}

TEST(PairSampler, CellsFrequenciesMatchDistribution) {
  expect_frequencies_match(cells_interval(), "cells form");
}

TEST(PairSampler, LiftedFrequenciesMatchDistribution) {
  expect_frequencies_match(lifted_interval(), "lifted form");
}

// Two intervals concatenated in one batch; each row recomputed from the documented uniforms with
// PairDistribution::draw and traveling_dirac<float>. Same code and compiler, so bitwise equal.
TEST(PairSampler, RowsEqualDirectComputation) {
  const std::vector<Interval> intervals = {cells_interval(), lifted_interval()};
  const std::int64_t per_interval = 500;
  const std::uint64_t seed = 99;
  const std::uint32_t step = 7;

  Allocator allocator;
  HostBatch batch(per_interval * 2);
  batch.dropped = 3;
  for (std::uint32_t k = 0; k < intervals.size(); ++k) {
    const Interval& v = intervals[k];
    const PairSamplerData data = make_pair_sampler_data(
        allocator, MemorySpace::host, v.distribution, v.source, v.target, kDim, v.delta);
    sample_pairs(Exec{}, data.view(), seed, k, step, per_interval, k * per_interval, batch.view());
  }
  EXPECT_EQ(batch.dropped, 3) << "no pair is beyond pi delta, the counter keeps its value";

  for (std::uint32_t k = 0; k < intervals.size(); ++k) {
    const Interval& v = intervals[k];
    for (std::int64_t i = 0; i < per_interval; ++i) {
      const std::int64_t r = k * per_interval + i;
      const std::string where = "interval " + std::to_string(k) + " sample " + std::to_string(i);
      const PairSampleUniforms u = pair_sample_uniforms(seed, k, step, i);
      const PairDraw draw = v.distribution.draw(u.entry, u.source, u.target);
      ASSERT_EQ(batch.source_cell[r], draw.source_cell) << where;
      ASSERT_EQ(batch.target_cell[r], draw.target_cell) << where;

      float x0[kDim], x1[kDim], x[kDim], vel[kDim];
      for (std::size_t j = 0; j < kDim; ++j) {
        x0[j] = static_cast<float>(v.source.features[draw.source_cell * kDim + j]);
        x1[j] = static_cast<float>(v.target.features[draw.target_cell * kDim + j]);
      }
      const float t0 = static_cast<float>(v.source.time);
      const float dt = static_cast<float>(v.target.time - v.source.time);
      DiracProfile<float> profile;
      ASSERT_TRUE(traveling_dirac<float>(x0, x1, kDim, 1.0f, static_cast<float>(draw.mass_ratio),
                                         static_cast<float>(v.delta), u.s, dt, x, vel, profile))
          << where;
      EXPECT_EQ(batch.inputs[r * (kDim + 1)], t0 + u.s * dt) << where;
      for (std::size_t j = 0; j < kDim; ++j) {
        EXPECT_EQ(batch.inputs[r * (kDim + 1) + 1 + j], x[j]) << where << " coordinate " << j;
        EXPECT_EQ(batch.velocity[r * kDim + j], vel[j]) << where << " coordinate " << j;
      }
      EXPECT_EQ(batch.growth[r], profile.growth) << where;
      EXPECT_EQ(batch.weights[r], profile.weight) << where;
    }
  }
}

// With delta such that pi delta lies between the cells' distances, the far pairs get weight 0,
// zero targets and input [t, x0], and exactly they are counted.
TEST(PairSampler, InadmissiblePairsWeightedZeroAndCounted) {
  Interval v = cells_interval();
  v.delta = 0.3;  // pi delta = 0.94
  const std::int64_t n = 2000;
  HostBatch batch(n);
  batch.dropped = 10;
  Allocator allocator;
  const PairSamplerData data = make_pair_sampler_data(allocator, MemorySpace::host, v.distribution,
                                                      v.source, v.target, kDim, v.delta);
  sample_pairs(Exec{}, data.view(), 5, 0, 1, n, 0, batch.view());

  int far = 0;
  for (std::int64_t r = 0; r < n; ++r) {
    const double* a = &v.source.features[batch.source_cell[r] * kDim];
    const double* b = &v.target.features[batch.target_cell[r] * kDim];
    const double distance = std::hypot(b[0] - a[0], b[1] - a[1]);
    // No distance lies within float rounding of pi delta in this case.
    ASSERT_GT(std::abs(distance - kPi * v.delta), 1e-3);
    if (distance < kPi * v.delta) {
      EXPECT_GT(batch.weights[r], 0.0f) << "row " << r;
      continue;
    }
    ++far;
    const float s = pair_sample_uniforms(5, 0, 1, r).s;
    EXPECT_EQ(batch.weights[r], 0.0f) << "row " << r;
    EXPECT_EQ(batch.growth[r], 0.0f) << "row " << r;
    EXPECT_EQ(batch.inputs[r * (kDim + 1)], 0.5f + s * 1.0f) << "row " << r;
    for (std::size_t j = 0; j < kDim; ++j) {
      EXPECT_EQ(batch.inputs[r * (kDim + 1) + 1 + j], static_cast<float>(a[j])) << "row " << r;
      EXPECT_EQ(batch.velocity[r * kDim + j], 0.0f) << "row " << r;
    }
  }
  EXPECT_GT(far, 0);
  EXPECT_LT(far, n);
  EXPECT_EQ(batch.dropped, 10 + far);
}

bool same_batch(const HostBatch& a, const HostBatch& b) {
  return a.inputs == b.inputs && a.velocity == b.velocity && a.growth == b.growth &&
         a.weights == b.weights && a.source_cell == b.source_cell &&
         a.target_cell == b.target_cell && a.dropped == b.dropped;
}

TEST(PairSampler, BatchDependsOnlyOnSeedIntervalAndStep) {
  for (const Interval& v : {cells_interval(), lifted_interval()}) {
    const std::string form = v.distribution.lifted ? "lifted" : "cells";
    const HostBatch first = sample(v, 1000, 11, 2, 40);
    EXPECT_TRUE(same_batch(first, sample(v, 1000, 11, 2, 40))) << form;
    EXPECT_FALSE(same_batch(first, sample(v, 1000, 11, 2, 41))) << form << ": next step";
    EXPECT_FALSE(same_batch(first, sample(v, 1000, 11, 3, 40))) << form << ": other interval";
    EXPECT_FALSE(same_batch(first, sample(v, 1000, 12, 2, 40))) << form << ": other seed";
  }
}

TEST(PairSampler, ThreadCountDoesNotChangeRows) {
  const int threads = omp_get_max_threads();
  for (const Interval& v : {cells_interval(), lifted_interval()}) {
    omp_set_num_threads(1);
    const HostBatch one = sample(v, 5000, 8, 0, 3);
    omp_set_num_threads(4);
    const HostBatch four = sample(v, 5000, 8, 0, 3);
    omp_set_num_threads(threads);
    EXPECT_TRUE(same_batch(one, four)) << (v.distribution.lifted ? "lifted" : "cells");
  }
}

TEST(PairSampler, RejectsInconsistentArguments) {
  const Interval v = cells_interval();
  Allocator allocator;
  const PairSamplerData data = make_pair_sampler_data(allocator, MemorySpace::host, v.distribution,
                                                      v.source, v.target, kDim, v.delta);
  HostBatch batch(10);
  EXPECT_TRUE(testing::throws_input_error(
      [&] { sample_pairs(Exec{}, data.view(), 1, 0, 0, 8, 4, batch.view()); },
      {"rows 4 .. 12", "10 rows"}));
  PairBatchView on_device = batch.view();
  on_device.space = MemorySpace::device;
  EXPECT_TRUE(testing::throws_input_error(
      [&] { sample_pairs(Exec{}, data.view(), 1, 0, 0, 8, 0, on_device); },
      {"batch", "host memory"}));
  PairDistribution broken = v.distribution;
  broken.target[2] = 3;
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        make_pair_sampler_data(allocator, MemorySpace::host, broken, v.source, v.target, kDim,
                               v.delta);
      },
      {"target[2] = 3"}));
  const std::int64_t step = 0;
  EXPECT_TRUE(testing::throws_input_error(
      [&] { sample_pairs_at_device_step(Exec{}, data.view(), 1, 0, &step, 8, 0, batch.view()); },
      {"CUDA backend"}));
}

}  // namespace
}  // namespace mustfm
