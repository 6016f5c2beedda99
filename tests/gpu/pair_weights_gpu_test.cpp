// The CUDA training-pair weights (kernels/pair_weights.h) against the CPU backend on random plans
// (empty rows, rows and columns without plan mass, sources and targets without mass, an all-zero
// plan, an empty structure, sizes that span one and many scan tiles and more tile totals than one
// block scans at once) and random cluster layouts; and two CUDA runs against each other, bit for
// bit. Names as in kernels/pair_weights.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/pair_weights_cases.h"
#include "engine/context.h"
#include "kernels/pair_weights.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::random_clusters;
using testing::random_plan;
using testing::RandomClusters;
using testing::RandomPlan;

// Both backends evaluate the same per-entry formulas (kernels/pair_weights_entry.h) in double;
// they differ only in the order of the sums: sequential on the CPU, fixed trees on the device.
// A sum of n positive terms has a relative error below n 2^-53 in either order, and every
// compared value is such a sum (row and column sums, sum gamma0, running sums) followed by a few
// divisions, so (2 n + 16) 2^-53 relative, with n the terms of the longest sum involved, bounds
// the difference. It is the worst case, far above the usual sqrt(n) growth, and still orders of
// magnitude below any formula or indexing error.
double relative_bound(std::size_t longest_sum) {
  return static_cast<double>(2 * longest_sum + 16) * std::ldexp(1.0, -53);
}

::testing::AssertionResult close(double gpu, double cpu, double relative) {
  if (std::fabs(gpu - cpu) <= relative * std::fabs(cpu)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "cuda " << gpu << " vs cpu " << cpu << " (relative "
                                       << std::fabs(gpu - cpu) / std::fabs(cpu) << ")";
}

template <class T>
bool same_bits(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() &&
         (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0);
}

bool same_bits(double x, double y) {
  return std::memcmp(&x, &y, sizeof x) == 0;
}

std::vector<RandomPlan> plan_cases() {
  std::vector<RandomPlan> cases;
  cases.push_back(random_plan(3, 4, 11));
  cases.push_back(random_plan(50, 40, 12, 0.3));
  // About 25 000 entries: a dozen scan tiles of 2048.
  cases.push_back(random_plan(250, 200, 13, 0.6, 0.2));
  // About 640 000 entries: more than 256 tiles, so the tile totals are scanned in several chunks.
  cases.push_back(random_plan(1000, 800, 14, 0.8, 0.05));
  // Long rows (one thread group walks thousands of entries) next to short columns.
  cases.push_back(random_plan(6, 5000, 15, 0.9));

  RandomPlan all_zero = random_plan(30, 20, 16);
  for (double& v : all_zero.plan) v = 0.0;
  all_zero.name += ", all zero";
  cases.push_back(std::move(all_zero));

  RandomPlan empty = random_plan(5, 6, 17, 0.0);
  empty.name += ", no entries";
  cases.push_back(std::move(empty));
  return cases;
}

TEST(PairWeightsGpu, CudaMatchesCpuOnRandomPlans) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (const RandomPlan& p : plan_cases()) {
    SCOPED_TRACE(p.name);
    const PairWeights cpu =
        pair_weights(Exec{}, p.structure, p.plan_view(), p.a_view(), p.b_view());
    const PairWeights cuda =
        pair_weights(gpu.exec(), p.structure, p.plan_view(), p.a_view(), p.b_view());

    // Which entries are sampled depends on signs only, so the entries agree exactly.
    ASSERT_EQ(cuda.source, cpu.source);
    ASSERT_EQ(cuda.target, cpu.target);
    ASSERT_EQ(cuda.probability.size(), cpu.probability.size());
    ASSERT_EQ(cuda.cumulative.size(), cpu.cumulative.size());
    ASSERT_EQ(cuda.mass_ratio.size(), cpu.mass_ratio.size());

    const auto longest_line =
        static_cast<std::size_t>(std::max(p.structure.rows, p.structure.cols));
    const double entry_bound = relative_bound(cpu.probability.size() + longest_line);
    for (std::size_t k = 0; k < cpu.probability.size(); ++k) {
      EXPECT_TRUE(close(cuda.probability[k], cpu.probability[k], entry_bound))
          << "probability of entry " << k;
      EXPECT_TRUE(close(cuda.cumulative[k], cpu.cumulative[k], entry_bound))
          << "cumulative of entry " << k;
      EXPECT_TRUE(close(cuda.mass_ratio[k], cpu.mass_ratio[k], relative_bound(longest_line)))
          << "ratio of entry " << k;
    }
    if (!cpu.cumulative.empty()) EXPECT_EQ(cuda.cumulative.back(), 1.0);

    const double mass_bound = relative_bound(longest_line);
    EXPECT_TRUE(close(cuda.sampled_source_mass, cpu.sampled_source_mass, mass_bound));
    EXPECT_TRUE(close(cuda.unsampled_source_mass, cpu.unsampled_source_mass, mass_bound));
    EXPECT_TRUE(close(cuda.unsampled_target_mass, cpu.unsampled_target_mass, mass_bound));
  }
}

TEST(PairWeightsGpu, RepeatedCudaRunsGiveIdenticalBits) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const RandomPlan p = random_plan(1000, 800, 21, 0.8, 0.05);
  const PairWeights first =
      pair_weights(gpu.exec(), p.structure, p.plan_view(), p.a_view(), p.b_view());
  for (int run = 0; run < 3; ++run) {
    const PairWeights again =
        pair_weights(gpu.exec(), p.structure, p.plan_view(), p.a_view(), p.b_view());
    EXPECT_TRUE(same_bits(again.probability, first.probability)) << "run " << run;
    EXPECT_TRUE(same_bits(again.cumulative, first.cumulative)) << "run " << run;
    EXPECT_TRUE(same_bits(again.mass_ratio, first.mass_ratio)) << "run " << run;
    EXPECT_TRUE(same_bits(again.sampled_source_mass, first.sampled_source_mass)) << "run " << run;
    EXPECT_TRUE(same_bits(again.unsampled_target_mass, first.unsampled_target_mass))
        << "run " << run;
  }

  const RandomClusters c = random_clusters(700000, 5000, 22);
  const std::vector<double> within =
      within_cluster_cumulative(gpu.exec(), c.offsets, c.mass_view(), c.weights_view());
  for (int run = 0; run < 3; ++run)
    EXPECT_TRUE(same_bits(
        within_cluster_cumulative(gpu.exec(), c.offsets, c.mass_view(), c.weights_view()), within))
        << "run " << run;
}

TEST(PairWeightsGpu, WithinClusterSumsMatchCpu) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  // Clusters of a few positions, clusters spanning many scan tiles, and the empty layout.
  for (const RandomClusters& c : {random_clusters(60, 3, 31), random_clusters(100000, 40, 32),
                                  random_clusters(700000, 20000, 33), random_clusters(0, 1, 34)}) {
    SCOPED_TRACE(c.name);
    const std::vector<double> cpu =
        within_cluster_cumulative(Exec{}, c.offsets, c.mass_view(), c.weights_view());
    const std::vector<double> cuda =
        within_cluster_cumulative(gpu.exec(), c.offsets, c.mass_view(), c.weights_view());
    ASSERT_EQ(cuda.size(), cpu.size());
    std::int64_t largest = 0;
    for (std::size_t k = 0; k + 1 < c.offsets.size(); ++k)
      largest = std::max(largest, c.offsets[k + 1] - c.offsets[k]);
    const double bound = relative_bound(static_cast<std::size_t>(largest));
    for (std::size_t p = 0; p < cpu.size(); ++p)
      ASSERT_TRUE(close(cuda[p], cpu[p], bound)) << "position " << p;
  }
}

}  // namespace
}  // namespace mustfm
