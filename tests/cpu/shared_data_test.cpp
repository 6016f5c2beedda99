// The shared benchmark datasets (../shared/data, described in its README.md) load with the
// expected shapes, per-time-point cell counts and annotation structure.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "io/table_reader.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::shared_data_file;

CellTable load(const std::string& relative) {
  return read_cell_table_csv(shared_data_file(relative), TableColumns{});
}

std::map<double, std::size_t> cells_per_time(const CellTable& cells) {
  std::map<double, std::size_t> counts;
  for (double time : cells.time) ++counts[time];
  return counts;
}

// Distinct labels of `level` among the cells at `time`.
std::set<std::string> labels_at(const CellTable& cells, std::size_t level, double time) {
  std::set<std::string> labels;
  for (std::size_t i = 0; i < cells.cell_count; ++i) {
    if (cells.time[i] == time) labels.insert(cells.levels[level][i]);
  }
  return labels;
}

void expect_consistent_sizes(const CellTable& cells) {
  EXPECT_EQ(cells.time.size(), cells.cell_count);
  EXPECT_EQ(cells.features.size(), cells.cell_count * cells.dimension);
  EXPECT_EQ(cells.weight, std::vector<double>(cells.cell_count, 1.0));
  EXPECT_EQ(cells.line.size(), cells.cell_count);
  EXPECT_EQ(cells.line.back(), cells.cell_count + 1);
  for (const auto& level : cells.levels) EXPECT_EQ(level.size(), cells.cell_count);
  EXPECT_TRUE(cells.priors.empty());
}

TEST(SharedData, GeneSimulation2dWithOneLevel) {
  MUSTFM_REQUIRE_SHARED_DATA("gene_2d/simulation_gene_data_2d.csv");
  const CellTable cells = load("gene_2d/simulation_gene_data_2d.csv");
  expect_consistent_sizes(cells);
  EXPECT_EQ(cells.cell_count, 3031u);
  EXPECT_EQ(cells.dimension, 2u);
  EXPECT_EQ(cells.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(cells.level_names, (std::vector<std::string>{"scale0"}));
  EXPECT_EQ(
      cells_per_time(cells),
      (std::map<double, std::size_t>{{0.0, 400}, {1.0, 442}, {2.0, 530}, {3.0, 690}, {4.0, 969}}));
  for (double time : {0.0, 1.0, 2.0, 3.0, 4.0}) {
    const std::size_t clusters = labels_at(cells, 0, time).size();
    EXPECT_TRUE(clusters == 2 || clusters == 3) << "t=" << time << ": " << clusters;
  }
  // First data row: 0.0,3,2.0496714153011237,0.1861735698828815
  EXPECT_EQ(cells.levels[0][0], "3");
  EXPECT_EQ(cells.features[0], 2.0496714153011237);
  EXPECT_EQ(cells.features[1], 0.1861735698828815);
}

TEST(SharedData, GeneSimulationWithoutScaleHasNoLevelsAndTheSameCells) {
  MUSTFM_REQUIRE_SHARED_DATA("gene_2d/simulation_gene_data.csv");
  MUSTFM_REQUIRE_SHARED_DATA("gene_2d/simulation_gene_data_2d.csv");
  const CellTable cells = load("gene_2d/simulation_gene_data.csv");
  expect_consistent_sizes(cells);
  EXPECT_EQ(cells.cell_count, 3031u);
  EXPECT_EQ(cells.dimension, 2u);
  EXPECT_TRUE(cells.levels.empty());
  EXPECT_TRUE(cells.level_names.empty());

  // The two files hold the same rows, printed with slightly different digits.
  const CellTable with_scale = load("gene_2d/simulation_gene_data_2d.csv");
  EXPECT_EQ(cells.time, with_scale.time);
  ASSERT_EQ(cells.features.size(), with_scale.features.size());
  for (std::size_t i = 0; i < cells.features.size(); ++i) {
    ASSERT_NEAR(cells.features[i], with_scale.features[i], 1e-12) << "value " << i;
  }
}

TEST(SharedData, MouseHematopoiesis2d) {
  MUSTFM_REQUIRE_SHARED_DATA("mouse_hematopoiesis_2d/Weinreb_2d.csv");
  const CellTable cells = load("mouse_hematopoiesis_2d/Weinreb_2d.csv");
  expect_consistent_sizes(cells);
  EXPECT_EQ(cells.cell_count, 10998u);
  EXPECT_EQ(cells.dimension, 2u);
  EXPECT_EQ(cells_per_time(cells),
            (std::map<double, std::size_t>{{0.0, 1429}, {1.0, 3781}, {2.0, 5788}}));
  ASSERT_EQ(cells.levels.size(), 1u);
  const std::set<std::string> all_labels(cells.levels[0].begin(), cells.levels[0].end());
  EXPECT_EQ(all_labels.size(), 11u);
  EXPECT_EQ(labels_at(cells, 0, 0.0).size(), 9u);
}

// Columns are ordered scale0, scale1, samples, x1, x2; scale1's 9 clusters nest in scale0's 3.
void check_multiscale(const CellTable& cells, std::size_t t0_cells, std::size_t t1_cells) {
  expect_consistent_sizes(cells);
  EXPECT_EQ(cells.cell_count, t0_cells + t1_cells);
  EXPECT_EQ(cells.dimension, 2u);
  EXPECT_EQ(cells.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(cells.level_names, (std::vector<std::string>{"scale0", "scale1"}));
  EXPECT_EQ(cells_per_time(cells),
            (std::map<double, std::size_t>{{0.0, t0_cells}, {1.0, t1_cells}}));
  ASSERT_EQ(cells.levels.size(), 2u);

  std::map<std::string, std::set<std::string>> parents_of_fine;
  for (std::size_t i = 0; i < cells.cell_count; ++i) {
    parents_of_fine[cells.levels[1][i]].insert(cells.levels[0][i]);
  }
  EXPECT_EQ(parents_of_fine.size(), 9u);
  for (const auto& [fine, parents] : parents_of_fine) {
    EXPECT_EQ(parents.size(), 1u) << "scale1 label " << fine << " sits in several scale0 labels";
  }
  const std::set<std::string> coarse(cells.levels[0].begin(), cells.levels[0].end());
  EXPECT_EQ(coarse.size(), 3u);
}

TEST(SharedData, MultiscaleSimulation2d) {
  MUSTFM_REQUIRE_SHARED_DATA("multiscale_simulation_2d/multiscale_simulation_data.csv");
  const CellTable cells = load("multiscale_simulation_2d/multiscale_simulation_data.csv");
  check_multiscale(cells, 900, 1860);
  // First data row: 0,0,0,-0.186698151,22.42175699
  EXPECT_EQ(cells.time[0], 0.0);
  EXPECT_EQ(cells.features[0], -0.186698151);
  EXPECT_EQ(cells.features[1], 22.42175699);
}

TEST(SharedData, LargeMultiscaleSimulation2d) {
  MUSTFM_REQUIRE_SHARED_DATA("multiscale_simulation_2d/large_multiscale_simulation_data.csv");
  check_multiscale(load("multiscale_simulation_2d/large_multiscale_simulation_data.csv"), 9000,
                   18600);
}

TEST(SharedData, Gaussian10d) {
  MUSTFM_REQUIRE_SHARED_DATA("gaussian_proxy/gaussian_10d.csv");
  const CellTable cells = load("gaussian_proxy/gaussian_10d.csv");
  expect_consistent_sizes(cells);
  EXPECT_EQ(cells.cell_count, 1900u);
  EXPECT_EQ(cells.dimension, 10u);
  EXPECT_EQ(cells.feature_names.back(), "x10");
  EXPECT_EQ(cells_per_time(cells), (std::map<double, std::size_t>{{0.0, 500}, {1.0, 1400}}));
}

TEST(SharedData, Gaussian100dLoadsQuickly) {
  MUSTFM_REQUIRE_SHARED_DATA("gaussian_proxy/gaussian_100d.csv");
  const auto start = std::chrono::steady_clock::now();
  const CellTable cells = load("gaussian_proxy/gaussian_100d.csv");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("load_seconds", std::to_string(seconds));

  expect_consistent_sizes(cells);
  EXPECT_EQ(cells.cell_count, 1900u);
  EXPECT_EQ(cells.dimension, 100u);
  EXPECT_EQ(cells.feature_names.back(), "x100");
  EXPECT_EQ(cells_per_time(cells), (std::map<double, std::size_t>{{0.0, 500}, {1.0, 1400}}));
#ifdef NDEBUG
  // About 4 MB of text; an optimized build parses it in tens of milliseconds, so a second leaves
  // room for a busy machine while still catching a parser that copies per field.
  EXPECT_LT(seconds, 1.0);
#endif
}

}  // namespace
}  // namespace mustfm
