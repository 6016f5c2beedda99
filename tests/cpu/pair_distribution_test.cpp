// Training-pair distributions from a hand-made plan: probabilities proportional to the starting
// semi-coupling gamma0, mass ratios r_i b_j / (a_i c_j), unsampled rows and columns, draws, and
// lifting with within-cluster weights.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/pair_distribution.h"
#include "kernels/csr.h"

namespace mustfm {
namespace {

// Three sources, three targets. Row 2 has no entry (r = 0); column 1 carries nothing (c = 0).
//   row 0: (0, 0) = 1, (0, 2) = 3
//   row 1: (1, 0) = 2, (1, 1) = 0
CsrMatrix hand_structure() {
  CsrMatrix m;
  m.rows = 3;
  m.cols = 3;
  m.row_offsets = {0, 2, 4, 4};
  m.col_indices = {0, 2, 0, 1};
  m.costs = {0.1, 0.2, 0.3, 0.4};
  build_transpose(m);
  return m;
}

const std::vector<double> kPlan = {1.0, 3.0, 2.0, 0.0};
const std::vector<double> kA = {5.0, 4.0, 7.0};
const std::vector<double> kB = {6.0, 2.0, 9.0};

// A snapshot whose sorted order is the given permutation.
Snapshot snapshot_with_order(std::vector<std::int64_t> order, std::vector<double> weights = {}) {
  Snapshot snapshot;
  snapshot.cell_count = order.size();
  snapshot.sorted_order = std::move(order);
  snapshot.weights = weights.empty() ? std::vector<double>(snapshot.cell_count, 1.0) : weights;
  return snapshot;
}

TEST(PairDistribution, ProbabilitiesFollowGamma0AndRatiosFollowTheMarginals) {
  const Snapshot source = snapshot_with_order({2, 0, 1});
  const Snapshot target = snapshot_with_order({1, 2, 0});
  const PairDistribution pairs =
      cell_pair_distribution(Exec{}, hand_structure(), kPlan, kA, kB, source, target);

  // r = (4, 2, 0), c = (3, 0, 3). gamma0 = a gamma / r: (0,0) 5/4, (0,2) 15/4, (1,0) 4; total
  // a_0 + a_1 = 9. The zero entry (1, 1) is dropped.
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_FALSE(pairs.lifted);
  const std::vector<double> expected_p = {1.25 / 9, 3.75 / 9, 4.0 / 9};
  // ratio = r_i b_j / (a_i c_j).
  const std::vector<double> expected_ratio = {4.0 * 6 / (5 * 3), 4.0 * 9 / (5 * 3),
                                              2.0 * 6 / (4 * 3)};
  double sum = 0.0;
  for (std::size_t k = 0; k < 3; ++k) {
    // A handful of divisions and additions: 1e-15 covers their rounding.
    EXPECT_NEAR(pairs.probability[k], expected_p[k], 1e-15) << k;
    EXPECT_NEAR(pairs.mass_ratio[k], expected_ratio[k], 1e-15) << k;
    sum += pairs.probability[k];
  }
  EXPECT_NEAR(sum, 1.0, 1e-15);
  EXPECT_EQ(pairs.cumulative.back(), 1.0);
  EXPECT_DOUBLE_EQ(pairs.sampled_source_mass, 9.0);
  EXPECT_DOUBLE_EQ(pairs.unsampled_source_mass, 7.0);
  EXPECT_DOUBLE_EQ(pairs.unsampled_target_mass, 2.0);

  // Draws invert the running sums and return cells in snapshot order. Source positions 0, 1
  // hold cells 2, 0; target positions 0, 2 hold cells 1, 0.
  struct Expected {
    double u;
    std::int64_t source_cell;
    std::int64_t target_cell;
    std::size_t entry;
  };
  for (const Expected& e :
       {Expected{0.0, 2, 1, 0}, Expected{pairs.cumulative[0], 2, 0, 1}, Expected{0.5, 2, 0, 1},
        Expected{pairs.cumulative[1], 0, 1, 2}, Expected{0.999999, 0, 1, 2}}) {
    const PairDraw draw = pairs.draw(e.u, 0.5, 0.5);
    EXPECT_EQ(draw.source_cell, e.source_cell) << "u " << e.u;
    EXPECT_EQ(draw.target_cell, e.target_cell) << "u " << e.u;
    EXPECT_EQ(draw.mass_ratio, pairs.mass_ratio[e.entry]) << "u " << e.u;
  }
}

TEST(PairDistribution, LiftedDrawsPickCellsByWeightInsideTheBlock) {
  // Two source clusters (positions 0-1 and 2-4) and one target cluster (positions 0-2).
  ClusterLevel source_clusters;
  source_clusters.offsets = {0, 2, 5};
  source_clusters.counts = {2, 3};
  source_clusters.mass = {3.0, 6.0};
  ClusterLevel target_clusters;
  target_clusters.offsets = {0, 3};
  target_clusters.counts = {3};
  target_clusters.mass = {4.0};
  ClusterLevel source_cells;
  source_cells.mass = {1.0, 2.0, 1.0, 2.0, 3.0};
  source_cells.counts.assign(5, 1);
  ClusterLevel target_cells;
  target_cells.mass = {2.0, 1.0, 1.0};
  target_cells.counts.assign(3, 1);

  CsrMatrix m;
  m.rows = 2;
  m.cols = 1;
  m.row_offsets = {0, 1, 2};
  m.col_indices = {0, 0};
  m.costs = {0.0, 0.0};
  build_transpose(m);
  // r = (2, 1), c = 3: gamma0 = (3, 6), probabilities (1/3, 2/3); ratios r b / (a c).
  const std::vector<double> plan = {2.0, 1.0};
  const Snapshot source = snapshot_with_order({4, 3, 2, 1, 0});
  const Snapshot target = snapshot_with_order({0, 1, 2});
  const PairDistribution pairs =
      lifted_pair_distribution(Exec{}, m, plan, source_clusters, target_clusters, source_cells,
                               target_cells, source, target);

  ASSERT_TRUE(pairs.lifted);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_NEAR(pairs.probability[0], 1.0 / 3, 1e-15);
  EXPECT_NEAR(pairs.probability[1], 2.0 / 3, 1e-15);
  EXPECT_NEAR(pairs.mass_ratio[0], 2.0 * 4 / (3 * 3), 1e-15);
  EXPECT_NEAR(pairs.mass_ratio[1], 1.0 * 4 / (6 * 3), 1e-15);

  // Within source cluster 1 (positions 2, 3, 4; weights 1, 2, 3 of 6) the running sums are
  // 1/6, 1/2, 1; within the target (weights 2, 1, 1 of 4) 1/2, 3/4, 1.
  EXPECT_NEAR(pairs.source_within[2], 1.0 / 6, 1e-15);
  EXPECT_NEAR(pairs.source_within[3], 0.5, 1e-15);
  EXPECT_EQ(pairs.source_within[4], 1.0);
  // Block 1 (u_pair >= 1/3); u_source 0.4 falls in position 3 (cell 1), u_target 0.6 in
  // position 1 (cell 1); every pair of the block shares its ratio.
  const PairDraw draw = pairs.draw(0.5, 0.4, 0.6);
  EXPECT_EQ(draw.source_cell, 1);
  EXPECT_EQ(draw.target_cell, 1);
  EXPECT_EQ(draw.mass_ratio, pairs.mass_ratio[1]);
  // Block 0 with u_source 0.2: position 0 (weight 1 of 3), cell 4.
  EXPECT_EQ(pairs.draw(0.1, 0.2, 0.0).source_cell, 4);
  EXPECT_EQ(pairs.draw(0.1, 0.4, 0.0).source_cell, 3);
}

}  // namespace
}  // namespace mustfm
