// Training-pair weights on the CPU (kernels/pair_weights.h) against a direct long-double
// evaluation of DESIGN.md section 7 on random plans with empty rows, rows and columns without
// plan mass and sources and targets without mass; within-cluster running sums against the same;
// and the input checks. Names as in kernels/pair_weights.h.
#include "kernels/pair_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/pair_weights_cases.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::random_clusters;
using testing::random_plan;
using testing::RandomPlan;

struct Reference {
  std::vector<std::int32_t> source;
  std::vector<std::int32_t> target;
  std::vector<long double> probability;
  std::vector<long double> cumulative;
  std::vector<long double> ratio;
  long double sampled_source = 0;
  long double unsampled_source = 0;
  long double unsampled_target = 0;
};

// Section 7 written out in long double from the plan's (row, column, value) triples.
Reference reference_weights(const RandomPlan& p) {
  const CsrMatrix& m = p.structure;
  std::vector<long double> r(m.rows, 0.0L);
  std::vector<long double> c(m.cols, 0.0L);
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      r[i] += p.plan[e];
      c[m.col_indices[e]] += p.plan[e];
    }
  }
  Reference ref;
  for (int i = 0; i < m.rows; ++i) (r[i] > 0 ? ref.sampled_source : ref.unsampled_source) += p.a[i];
  for (int j = 0; j < m.cols; ++j)
    if (c[j] == 0) ref.unsampled_target += p.b[j];

  long double total = 0;
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const int j = m.col_indices[e];
      if (p.plan[e] == 0 || p.a[i] == 0) continue;
      const long double gamma0 = p.a[i] * (p.plan[e] / r[i]);
      ref.source.push_back(i);
      ref.target.push_back(j);
      ref.probability.push_back(gamma0);
      ref.ratio.push_back(r[i] * p.b[j] / (p.a[i] * c[j]));
      total += gamma0;
    }
  }
  long double running = 0;
  for (long double& v : ref.probability) {
    v /= total;
    running += v;
    ref.cumulative.push_back(running);
  }
  return ref;
}

// The result is double arithmetic, the reference long double. Every value is a sum of n
// positive terms (the row and column sums, sum gamma0 and the running sums: n at most twice the
// entries plus the largest row or column) followed by a few divisions, so its relative error is
// below (n + a few) 2^-53: the worst-case bound, loose for random rounding, yet orders of
// magnitude below any formula error.
double relative_bound(const RandomPlan& p) {
  const auto longest = std::max(p.structure.rows, p.structure.cols);
  return static_cast<double>(2 * p.plan.size() + longest + 16) * std::ldexp(1.0, -53);
}

void expect_close(double actual, long double expected, double relative, const std::string& what) {
  EXPECT_LE(std::fabs(actual - static_cast<double>(expected)),
            relative * std::fabs(static_cast<double>(expected)))
      << what << ": " << actual << " vs " << static_cast<double>(expected);
}

TEST(PairWeights, RandomPlansFollowSectionSeven) {
  for (const RandomPlan& p :
       {random_plan(7, 5, 1), random_plan(40, 30, 2, 0.3), random_plan(120, 90, 3, 0.8, 0.3),
        random_plan(200, 250, 4, 0.7, 0.0)}) {
    SCOPED_TRACE(p.name);
    const PairWeights w = pair_weights(Exec{}, p.structure, p.plan_view(), p.a_view(), p.b_view());
    const Reference ref = reference_weights(p);
    const double bound = relative_bound(p);
    ASSERT_EQ(w.source, ref.source);
    ASSERT_EQ(w.target, ref.target);
    ASSERT_EQ(w.probability.size(), ref.probability.size());
    ASSERT_EQ(w.cumulative.size(), ref.cumulative.size());
    ASSERT_EQ(w.mass_ratio.size(), ref.ratio.size());
    for (std::size_t k = 0; k < ref.probability.size(); ++k) {
      const std::string at = "entry " + std::to_string(k);
      expect_close(w.probability[k], ref.probability[k], bound, "probability, " + at);
      expect_close(w.cumulative[k], ref.cumulative[k], bound, "cumulative, " + at);
      expect_close(w.mass_ratio[k], ref.ratio[k], bound, "ratio, " + at);
    }
    EXPECT_EQ(w.cumulative.back(), 1.0);
    expect_close(w.sampled_source_mass, ref.sampled_source, bound, "sampled source mass");
    expect_close(w.unsampled_source_mass, ref.unsampled_source, bound, "unsampled source mass");
    expect_close(w.unsampled_target_mass, ref.unsampled_target, bound, "unsampled target mass");
  }
}

TEST(PairWeights, AStructureWithoutTransposeGivesTheSameBits) {
  const RandomPlan p = random_plan(60, 50, 5);
  CsrMatrix bare = p.structure;
  bare.transpose = {};
  ASSERT_FALSE(bare.has_transpose());
  const PairWeights with = pair_weights(Exec{}, p.structure, p.plan_view(), p.a_view(), p.b_view());
  const PairWeights without = pair_weights(Exec{}, bare, p.plan_view(), p.a_view(), p.b_view());
  EXPECT_EQ(with.source, without.source);
  EXPECT_EQ(with.probability, without.probability);
  EXPECT_EQ(with.cumulative, without.cumulative);
  EXPECT_EQ(with.mass_ratio, without.mass_ratio);
  EXPECT_EQ(with.unsampled_target_mass, without.unsampled_target_mass);
}

TEST(PairWeights, AnAllZeroPlanHasNoEntries) {
  RandomPlan p = random_plan(10, 8, 6);
  for (double& v : p.plan) v = 0.0;
  const PairWeights w = pair_weights(Exec{}, p.structure, p.plan_view(), p.a_view(), p.b_view());
  EXPECT_TRUE(w.probability.empty());
  EXPECT_TRUE(w.cumulative.empty());
  EXPECT_EQ(w.sampled_source_mass, 0.0);
  double a_total = 0.0;
  for (double v : p.a) a_total += v;
  EXPECT_DOUBLE_EQ(w.unsampled_source_mass, a_total);
}

TEST(PairWeights, WithinClusterRunningSumsFollowTheWeights) {
  for (const auto& c : {random_clusters(50, 4, 7), random_clusters(3000, 200, 8)}) {
    SCOPED_TRACE(c.name);
    const std::vector<double> within =
        within_cluster_cumulative(Exec{}, c.offsets, c.mass_view(), c.weights_view());
    ASSERT_EQ(within.size(), c.weights.size());
    // Running sums over a cluster of at most 2 * 200 shares, as above.
    const double bound = 420 * std::ldexp(1.0, -53);
    for (std::size_t k = 0; k + 1 < c.offsets.size(); ++k) {
      long double running = 0;
      for (std::int64_t p = c.offsets[k]; p < c.offsets[k + 1]; ++p) {
        running += c.mass[k] > 0 ? c.weights[p] / static_cast<long double>(c.mass[k]) : 0.0L;
        // The cluster's last position is exactly 1; elsewhere the running share.
        if (p + 1 == c.offsets[k + 1])
          EXPECT_EQ(within[p], 1.0) << "cluster " << k;
        else
          expect_close(within[p], running, bound, "position " + std::to_string(p));
      }
    }
  }
}

TEST(PairWeights, MismatchedInputsAreInputErrors) {
  const RandomPlan p = random_plan(6, 4, 9);
  const std::vector<double> short_plan(p.plan.begin(), p.plan.end() - 1);
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        pair_weights(Exec{}, p.structure, {short_plan.data(), short_plan.size()}, p.a_view(),
                     p.b_view());
      },
      {std::to_string(short_plan.size()) + " plan values", std::to_string(p.plan.size())}));
  EXPECT_TRUE(testing::throws_input_error(
      [&] { pair_weights(Exec{}, p.structure, p.plan_view(), p.b_view(), p.b_view()); },
      {"4 source and 4 target masses", "6 x 4"}));

  const std::vector<double> weights = {1.0, 2.0, 3.0};
  const std::vector<double> mass = {3.0, 3.0};
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        within_cluster_cumulative(Exec{}, {0, 1, 2}, {mass.data(), 2}, {weights.data(), 3});
      },
      {"from 0 to the 3 positions"}));
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        within_cluster_cumulative(Exec{}, {0, 2, 1, 3}, {mass.data(), 2}, {weights.data(), 3});
      },
      {"decrease at cluster 1"}));
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        within_cluster_cumulative(Exec{}, {0, 3}, {mass.data(), 2}, {weights.data(), 3});
      },
      {"2 cluster masses for 1 clusters"}));
}

}  // namespace
}  // namespace mustfm
