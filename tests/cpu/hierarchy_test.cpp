// The hierarchy of a small hand-written table: clusters, parents, ranges, masses and centroids
// computed by hand below.
#include <gtest/gtest.h>

#include <vector>

#include "engine/context.h"
#include "engine/hierarchy.h"
#include "engine/snapshots.h"
#include "test_support.h"

namespace mustfm {
namespace {

struct Row {
  double time;
  const char* coarse;
  const char* fine;
  double x;
  double y;
  double weight;
};

CellTable make_table(const std::vector<Row>& rows) {
  CellTable table;
  table.source = "hand.csv";
  table.cell_count = rows.size();
  table.dimension = 2;
  table.feature_names = {"x1", "x2"};
  table.level_names = {"scale0", "scale1"};
  table.levels.resize(2);
  for (const Row& row : rows) {
    table.time.push_back(row.time);
    table.features.push_back(row.x);
    table.features.push_back(row.y);
    table.levels[0].push_back(row.coarse);
    table.levels[1].push_back(row.fine);
    table.weight.push_back(row.weight);
    table.line.push_back(table.line.size() + 2);
  }
  return table;
}

// Fine label "x" exists under both A and B: they are different clusters (tuples A/x and B/x).
// C/z only exists at time 1, A/y only at time 0.
const std::vector<Row> kRows = {
    {0, "A", "y", 1, 0, 1},   {0, "B", "x", 4, 4, 2}, {0, "A", "x", 0, 0, 1},
    {1, "A", "x", 10, 10, 1}, {0, "A", "y", 3, 0, 3}, {0, "A", "x", 2, 2, 1},
    {1, "C", "z", 7, 7, 2},   {0, "B", "x", 1, 1, 2}, {1, "B", "x", 5, 6, 0.5},
};

void expect_values(const std::vector<double>& actual,
                   const std::vector<double>& expected,
                   const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t k = 0; k < expected.size(); ++k)
    EXPECT_DOUBLE_EQ(actual[k], expected[k]) << what << " index " << k;
}

TEST(Hierarchy, FirstSnapshotByHand) {
  Context context = testing::make_quiet_context("cpu");
  Dataset dataset = build_dataset(make_table(kRows), DataSettings{});
  Hierarchy hierarchy = build_hierarchy(context, dataset);
  ASSERT_EQ(hierarchy.snapshots.size(), 2u);
  const SnapshotHierarchy& t0 = hierarchy.snapshots[0];
  ASSERT_EQ(t0.levels.size(), 3u);

  // Snapshot 0 cells in table order: 0 A/y (1,0) w1, 1 B/x (4,4) w2, 2 A/x (0,0) w1,
  // 3 A/y (3,0) w3, 4 A/x (2,2) w1, 5 B/x (1,1) w2. Sorted by fine cluster: A/x, A/y, B/x.
  EXPECT_EQ(dataset.snapshots[0].sorted_order, (std::vector<std::int64_t>{2, 4, 0, 3, 1, 5}));

  // Coarse: A = cells 2, 4, 0, 3 with mass 1+1+1+3 = 6 and centroid
  // ((0 + 2 + 1 + 9) / 6, (0 + 2 + 0 + 0) / 6) = (2, 1/3); B = (4*2 + 1*2, same) / 4 = (2.5, 2.5).
  const ClusterLevel& coarse = t0.levels[0];
  EXPECT_EQ(coarse.name, "scale0");
  EXPECT_EQ(coarse.labels, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(coarse.parent, (std::vector<std::int32_t>{-1, -1}));
  EXPECT_EQ(coarse.offsets, (std::vector<std::int64_t>{0, 4, 6}));
  EXPECT_EQ(coarse.counts, (std::vector<std::int64_t>{4, 2}));
  expect_values(coarse.mass, {6, 4}, "coarse mass");
  expect_values(coarse.centroids, {2, 1.0 / 3.0, 2.5, 2.5}, "coarse centroids");

  // Fine: A/x = (0,0),(2,2) w1 each -> mass 2, (1,1); A/y = (1,0) w1, (3,0) w3 -> mass 4,
  // (10/4, 0); B/x -> mass 4, (2.5, 2.5).
  const ClusterLevel& fine = t0.levels[1];
  EXPECT_EQ(fine.labels, (std::vector<std::string>{"A/x", "A/y", "B/x"}));
  EXPECT_EQ(fine.parent, (std::vector<std::int32_t>{0, 0, 1}));
  EXPECT_EQ(fine.offsets, (std::vector<std::int64_t>{0, 2, 4, 6}));
  expect_values(fine.mass, {2, 4, 4}, "fine mass");
  expect_values(fine.centroids, {1, 1, 2.5, 0, 2.5, 2.5}, "fine centroids");

  // Cells: in sorted order, parents are their fine clusters.
  const ClusterLevel& cells = t0.cells();
  EXPECT_TRUE(cells.is_cells);
  EXPECT_EQ(cells.parent, (std::vector<std::int32_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(cells.offsets, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6}));
  expect_values(cells.mass, {1, 1, 1, 3, 2, 2}, "cell mass");
  expect_values(cells.centroids, {0, 0, 2, 2, 1, 0, 3, 0, 4, 4, 1, 1}, "cell features");
}

TEST(Hierarchy, SecondSnapshotKeepsDatasetIdsAndLocalParents) {
  Context context = testing::make_quiet_context("cpu");
  Dataset dataset = build_dataset(make_table(kRows), DataSettings{});
  const SnapshotHierarchy t1 = build_snapshot_hierarchy(context, dataset, 1);

  // Time 1: A/x (10,10) w1, C/z (7,7) w2, B/x (5,6) w0.5. A/y has no cell, so no cluster.
  const ClusterLevel& coarse = t1.levels[0];
  EXPECT_EQ(coarse.labels, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(coarse.ids, (std::vector<std::int32_t>{0, 1, 2}));
  expect_values(coarse.mass, {1, 0.5, 2}, "coarse mass");

  // Dataset-wide fine ids: A/x 0, A/y 1, B/x 2, C/z 3; locally A/x, B/x, C/z with parents A, B, C.
  const ClusterLevel& fine = t1.levels[1];
  EXPECT_EQ(fine.labels, (std::vector<std::string>{"A/x", "B/x", "C/z"}));
  EXPECT_EQ(fine.ids, (std::vector<std::int32_t>{0, 2, 3}));
  EXPECT_EQ(fine.parent, (std::vector<std::int32_t>{0, 1, 2}));
  expect_values(fine.centroids, {10, 10, 5, 6, 7, 7}, "fine centroids");
  EXPECT_EQ(dataset.levels[1].parent, (std::vector<std::int32_t>{0, 0, 1, 2}));
}

TEST(Hierarchy, MassesAreAbsoluteAndAddUpAcrossLevels) {
  Context context = testing::make_quiet_context("cpu");
  DataSettings settings;
  settings.population_sizes = {{0.0, 1000.0}};
  Dataset dataset = build_dataset(make_table(kRows), settings);
  Hierarchy hierarchy = build_hierarchy(context, dataset);

  // Snapshot 0 weighs 10 before rescaling, so every mass is 100 times the hand values above.
  const SnapshotHierarchy& t0 = hierarchy.snapshots[0];
  expect_values(t0.levels[0].mass, {600, 400}, "rescaled coarse mass");
  for (const ClusterLevel& level : t0.levels) {
    double total = 0.0;
    for (double a : level.mass) total += a;
    EXPECT_DOUBLE_EQ(total, 1000.0) << level.name;
  }
  // Snapshot 1 is untouched: mass 3.5, not normalized to 1.
  double total1 = 0.0;
  for (double a : hierarchy.snapshots[1].levels[0].mass) total1 += a;
  EXPECT_DOUBLE_EQ(total1, 3.5);
}

TEST(Hierarchy, WithoutAnnotationLevelsOnlyCells) {
  Context context = testing::make_quiet_context("cpu");
  CellTable table = make_table(kRows);
  table.levels.clear();
  table.level_names.clear();
  Dataset dataset = build_dataset(table, DataSettings{});
  const SnapshotHierarchy t0 = build_snapshot_hierarchy(context, dataset, 0);
  ASSERT_EQ(t0.levels.size(), 1u);
  EXPECT_EQ(t0.cells().cluster_count(), 6u);
  EXPECT_EQ(t0.cells().parent, std::vector<std::int32_t>(6, -1));
  expect_values(t0.cells().mass, {1, 2, 1, 3, 1, 2}, "cells in table order");
}

}  // namespace
}  // namespace mustfm
