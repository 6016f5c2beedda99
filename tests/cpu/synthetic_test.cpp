// The built-in multiscale benchmark: sizes, the exact translation, labels, cluster geometry, the
// growth edits and the ground truth, and that it flows through build_dataset like a file.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/context.h"
#include "engine/hierarchy.h"
#include "engine/snapshots.h"
#include "engine/synthetic.h"
#include "kernels/common/error.h"

#include "test_support.h"

namespace mustfm {
namespace {

SyntheticSettings small_settings(int cells_per_cluster) {
  SyntheticSettings settings;
  settings.cells_per_cluster = cells_per_cluster;
  return settings;
}

using ClusterKey = std::pair<std::string, std::string>;

ClusterKey cluster_of(const CellTable& table, std::size_t row) {
  return {table.levels[0][row], table.levels[1][row]};
}

TEST(Synthetic, DefaultSizeHas27000CellsPerSnapshot) {
  const SyntheticData data = generate_multiscale_data(SyntheticSettings{}, false);
  const CellTable& table = data.table;
  EXPECT_EQ(table.source, "builtin:multiscale");
  EXPECT_EQ(table.cell_count, 54000u);
  EXPECT_EQ(data.snapshot0_cells, 27000u);
  EXPECT_EQ(table.dimension, 2u);
  EXPECT_EQ(table.features.size(), 2 * 54000u);
  EXPECT_EQ(table.level_names, (std::vector<std::string>{"scale0", "scale1"}));
  EXPECT_EQ(data.true_partner.size(), 27000u);

  Dataset dataset = build_dataset(table, DataSettings{});
  ASSERT_EQ(dataset.snapshots.size(), 2u);
  EXPECT_EQ(dataset.snapshots[0].time, 0.0);
  EXPECT_EQ(dataset.snapshots[1].time, 1.0);
  EXPECT_EQ(dataset.snapshots[0].cell_count, 27000u);
  EXPECT_EQ(dataset.snapshots[1].cell_count, 27000u);
  EXPECT_EQ(dataset.levels[0].size(), 3u);
  EXPECT_EQ(dataset.levels[1].size(), 27u);
}

TEST(Synthetic, SecondSnapshotIsTheTranslatedFirst) {
  SyntheticSettings settings = small_settings(20);
  settings.time_step = 0.5;
  const SyntheticData data = generate_multiscale_data(settings, false);
  const CellTable& table = data.table;
  const std::size_t n0 = data.snapshot0_cells;
  ASSERT_EQ(n0, 27u * 20u);
  ASSERT_EQ(table.cell_count, 2 * n0);

  // Coordinates are O(10), so adding and subtracting 4 rounds by at most a few 1e-15.
  const double rounding = 1e-12;
  for (std::size_t i = 0; i < n0; ++i) {
    const std::size_t j = n0 + i;
    EXPECT_EQ(table.time[i], 0.0);
    EXPECT_EQ(table.time[j], 0.5);
    ASSERT_NEAR(table.features[2 * j] - table.features[2 * i], settings.translation, rounding)
        << "cell " << i;
    ASSERT_NEAR(table.features[2 * j + 1] - table.features[2 * i + 1], 0.0, rounding)
        << "cell " << i;
    ASSERT_EQ(cluster_of(table, j), cluster_of(table, i)) << "cell " << i;
    ASSERT_EQ(data.true_partner[i], static_cast<std::int64_t>(i));
  }
}

TEST(Synthetic, LabelsFollowTheDesignedLayout) {
  const SyntheticData data = generate_multiscale_data(small_settings(3), false);
  const CellTable& table = data.table;
  // Written cluster by cluster: rows 3c..3c+2 of snapshot 0 belong to cluster c (row-major).
  for (std::size_t i = 0; i < data.snapshot0_cells; ++i) {
    const std::size_t cluster = i / 3;
    EXPECT_EQ(table.levels[0][i], std::to_string(cluster / 9)) << "row " << i;
    EXPECT_EQ(table.levels[1][i], std::to_string(cluster % 9)) << "row " << i;
  }
  const SyntheticSettings defaults;
  EXPECT_EQ(multiscale_centre(defaults, 0, 0), (std::array<double, 2>{-1.5, 4.5}));
  EXPECT_EQ(multiscale_centre(defaults, 1, 4), (std::array<double, 2>{0.0, 0.0}));
  EXPECT_EQ(multiscale_centre(defaults, 2, 5), (std::array<double, 2>{0.0, -4.5}));
  EXPECT_EQ(multiscale_centre(defaults, 2, 7), (std::array<double, 2>{1.5, -6.0}));
}

TEST(Synthetic, ClusterMeansAndSpreadMatchTheDesign) {
  const SyntheticSettings settings = small_settings(400);
  const SyntheticData data = generate_multiscale_data(settings, false);
  const CellTable& table = data.table;

  std::map<ClusterKey, std::vector<std::size_t>> rows;
  for (std::size_t i = 0; i < data.snapshot0_cells; ++i) rows[cluster_of(table, i)].push_back(i);
  ASSERT_EQ(rows.size(), 27u);

  // A mean of 400 draws of std 0.2 is within 5 standard errors (0.05) of the centre except with
  // probability ~6e-7 per coordinate; the seed is fixed, so this cannot flake.
  const double mean_tolerance = 5.0 * settings.noise / std::sqrt(400.0);
  for (int coarse = 0; coarse < 3; ++coarse)
    for (int fine = 0; fine < 9; ++fine) {
      const auto& members = rows[ClusterKey(std::to_string(coarse), std::to_string(fine))];
      ASSERT_EQ(members.size(), 400u);
      const auto centre = multiscale_centre(settings, coarse, fine);
      for (int axis = 0; axis < 2; ++axis) {
        double sum = 0.0, squares = 0.0;
        for (std::size_t i : members) sum += table.features[2 * i + axis];
        const double mean = sum / members.size();
        for (std::size_t i : members) {
          const double deviation = table.features[2 * i + axis] - mean;
          squares += deviation * deviation;
        }
        const double spread = std::sqrt(squares / (members.size() - 1));
        EXPECT_NEAR(mean, centre[axis], mean_tolerance)
            << "cluster " << coarse << "/" << fine << " axis " << axis;
        // The sample std of 400 normals is within 15% of the truth (~4 standard errors).
        EXPECT_NEAR(spread, settings.noise, 0.15 * settings.noise)
            << "cluster " << coarse << "/" << fine << " axis " << axis;
      }
    }
}

TEST(Synthetic, SeedControlsTheDraws) {
  SyntheticSettings settings = small_settings(5);
  const CellTable a = generate_multiscale(settings, false);
  const CellTable b = generate_multiscale(settings, false);
  EXPECT_EQ(a.features, b.features);
  settings.seed += 1;
  const CellTable c = generate_multiscale(settings, false);
  EXPECT_NE(a.features, c.features);
}

TEST(Synthetic, GrowthVariantDoublesAndHalvesTwoClusters) {
  const SyntheticSettings settings = small_settings(10);
  const SyntheticData data = generate_multiscale_data(settings, true);
  const CellTable& table = data.table;
  EXPECT_EQ(table.source, "builtin:multiscale-growth");
  ASSERT_EQ(data.snapshot0_cells, 270u);
  // Snapshot 1: 270 + 10 new cells in cluster 0/0 - 5 removed from cluster 2/8.
  ASSERT_EQ(table.cell_count - data.snapshot0_cells, 275u);
  ASSERT_EQ(data.true_partner.size(), 275u);

  std::map<ClusterKey, std::vector<std::size_t>> rows1;
  for (std::size_t j = 0; j < data.true_partner.size(); ++j)
    rows1[cluster_of(table, data.snapshot0_cells + j)].push_back(j);
  EXPECT_EQ(rows1[ClusterKey("0", "0")].size(), 20u);
  EXPECT_EQ(rows1[ClusterKey("2", "8")].size(), 5u);
  EXPECT_EQ(rows1[ClusterKey("1", "4")].size(), 10u);

  // Cluster 0/0: the ten translated originals, then ten newborns near the translated centre.
  auto centre = multiscale_centre(settings, 0, 0);
  centre[0] += settings.translation;
  const auto& grown = rows1[ClusterKey("0", "0")];
  for (std::size_t k = 0; k < 20; ++k) {
    const std::size_t j = grown[k];
    const std::size_t row = data.snapshot0_cells + j;
    if (k < 10) {
      ASSERT_EQ(data.true_partner[j], static_cast<std::int64_t>(k));
      EXPECT_NEAR(table.features[2 * row] - table.features[2 * k], settings.translation, 1e-12);
    } else {
      ASSERT_EQ(data.true_partner[j], -1) << "newborn " << k;
      // Six noise deviations from the centre would be a broken draw, not bad luck.
      EXPECT_LT(
          std::hypot(table.features[2 * row] - centre[0], table.features[2 * row + 1] - centre[1]),
          6 * settings.noise);
    }
  }

  // Cluster 2/8: the first five of its original ten cells (rows 260..264) survive.
  const auto& shrunk = rows1[ClusterKey("2", "8")];
  for (std::size_t k = 0; k < 5; ++k)
    EXPECT_EQ(data.true_partner[shrunk[k]], static_cast<std::int64_t>(260 + k));

  // Every other cell keeps a partner with the same labels.
  std::size_t newborns = 0;
  for (std::size_t j = 0; j < data.true_partner.size(); ++j) {
    if (data.true_partner[j] < 0) {
      ++newborns;
      continue;
    }
    const auto partner = static_cast<std::size_t>(data.true_partner[j]);
    EXPECT_EQ(cluster_of(table, data.snapshot0_cells + j), cluster_of(table, partner));
  }
  EXPECT_EQ(newborns, 10u);
}

TEST(Synthetic, GrowthShowsInTheHierarchyMasses) {
  Context context = testing::make_quiet_context("cpu");
  Dataset dataset = build_dataset(generate_multiscale(small_settings(8), true), DataSettings{});
  Hierarchy hierarchy = build_hierarchy(context, dataset);

  const ClusterLevel& coarse1 = hierarchy.snapshots[1].levels[0];
  const ClusterLevel& fine1 = hierarchy.snapshots[1].levels[1];
  EXPECT_EQ(coarse1.labels, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(coarse1.mass, (std::vector<double>{80, 72, 68}));
  ASSERT_EQ(fine1.cluster_count(), 27u);
  EXPECT_EQ(fine1.labels.front(), "0/0");
  EXPECT_EQ(fine1.mass.front(), 16.0);
  EXPECT_EQ(fine1.labels.back(), "2/8");
  EXPECT_EQ(fine1.mass.back(), 4.0);
  EXPECT_DOUBLE_EQ(dataset.snapshots[0].total_mass(), 216.0);
}

TEST(Synthetic, RejectsBadSettings) {
  SyntheticSettings settings;
  settings.cells_per_cluster = 0;
  try {
    generate_multiscale(settings, false);
    FAIL() << "cells_per_cluster 0 accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("data.synthetic.cells_per_cluster"), std::string::npos)
        << error.what();
  }
  settings = SyntheticSettings{};
  settings.noise = -0.1;
  EXPECT_THROW(generate_multiscale(settings, false), InputError);
  settings = SyntheticSettings{};
  settings.time_step = 0.0;
  EXPECT_THROW(generate_multiscale(settings, true), InputError);
}

}  // namespace
}  // namespace mustfm
