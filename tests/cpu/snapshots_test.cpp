// Grouping a CellTable into snapshots: time grouping, weights and population sizes, cluster
// tuples and the sorted order, and the errors a user can cause.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/snapshots.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

// One feature per cell equal to its row number, so moved rows are easy to recognise.
CellTable make_table(const std::vector<double>& times,
                     const std::vector<std::vector<std::string>>& levels = {},
                     const std::vector<double>& weights = {}) {
  CellTable table;
  table.source = "cells.csv";
  table.cell_count = times.size();
  table.dimension = 1;
  table.feature_names = {"x1"};
  table.time = times;
  for (std::size_t i = 0; i < times.size(); ++i) {
    table.features.push_back(static_cast<double>(i));
    table.line.push_back(i + 2);
  }
  table.levels = levels;
  for (std::size_t l = 0; l < levels.size(); ++l)
    table.level_names.push_back("scale" + std::to_string(l));
  table.weight = weights.empty() ? std::vector<double>(times.size(), 1.0) : weights;
  return table;
}

// Runs build_dataset expecting an InputError whose message contains every fragment.
void expect_input_error(const CellTable& table,
                        const DataSettings& settings,
                        const std::vector<std::string>& fragments) {
  try {
    build_dataset(table, settings);
    FAIL() << "no error; expected one mentioning " << fragments.front();
  } catch (const InputError& error) {
    const std::string message = error.what();
    for (const std::string& fragment : fragments)
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "missing \"" << fragment << "\" in: " << message;
  }
}

TEST(Snapshots, UnsortedTimesAreGroupedAscending) {
  Dataset dataset = build_dataset(make_table({2, 0, 1, 0, 2.5, 2}), DataSettings{});
  ASSERT_EQ(dataset.snapshots.size(), 4u);
  std::vector<double> times;
  for (const Snapshot& s : dataset.snapshots) times.push_back(s.time);
  EXPECT_EQ(times, (std::vector<double>{0, 1, 2, 2.5}));

  // Cells keep table order inside a snapshot.
  const Snapshot& t2 = dataset.snapshots[2];
  EXPECT_EQ(t2.cell_count, 2u);
  EXPECT_EQ(t2.table_rows, (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(t2.features, (std::vector<double>{0, 5}));
  EXPECT_EQ(dataset.snapshots[0].table_rows, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(dataset.dimension, 1u);
  EXPECT_EQ(dataset.source, "cells.csv");
}

TEST(Snapshots, DuplicateTimesFormOneSnapshot) {
  Dataset dataset = build_dataset(make_table({0.5, 1.25, 0.5, 0.5, 1.25}), DataSettings{});
  ASSERT_EQ(dataset.snapshots.size(), 2u);
  EXPECT_EQ(dataset.snapshots[0].cell_count, 3u);
  EXPECT_EQ(dataset.snapshots[1].cell_count, 2u);
  EXPECT_EQ(dataset.snapshots[1].table_rows, (std::vector<std::int64_t>{1, 4}));
}

TEST(Snapshots, MassIsTheWeightAndIsNeverNormalized) {
  CellTable table = make_table({0, 0, 1, 1, 1}, {}, {2, 0.5, 1, 1, 4});
  Dataset dataset = build_dataset(table, DataSettings{});
  EXPECT_DOUBLE_EQ(dataset.snapshots[0].total_mass(), 2.5);
  EXPECT_DOUBLE_EQ(dataset.snapshots[1].total_mass(), 6.0);

  // A table without a weight column gives every cell mass 1: snapshot mass = cell count.
  table.weight.clear();
  dataset = build_dataset(table, DataSettings{});
  EXPECT_DOUBLE_EQ(dataset.snapshots[0].total_mass(), 2.0);
  EXPECT_DOUBLE_EQ(dataset.snapshots[1].total_mass(), 3.0);
}

TEST(Snapshots, PopulationSizesRescaleListedSnapshots) {
  CellTable table = make_table({0, 0, 1, 1}, {}, {1, 1, 1, 3});
  DataSettings settings;
  settings.population_sizes = {{1.0, 10.0}};
  Dataset dataset = build_dataset(table, settings);
  EXPECT_EQ(dataset.snapshots[0].weights, (std::vector<double>{1, 1}));
  EXPECT_DOUBLE_EQ(dataset.snapshots[1].weights[0], 2.5);
  EXPECT_DOUBLE_EQ(dataset.snapshots[1].weights[1], 7.5);
  EXPECT_DOUBLE_EQ(dataset.snapshots[1].total_mass(), 10.0);
}

TEST(Snapshots, PopulationSizeForAbsentTimeNamesTimes) {
  DataSettings settings;
  settings.population_sizes = {{0.0, 5.0}, {3.0, 7.0}};
  expect_input_error(make_table({0, 1, 2.5}), settings,
                     {"time 3", "a snapshot with no cells", "0, 1, 2.5", "cells.csv"});
}

TEST(Snapshots, BadPopulationSizesAreErrors) {
  DataSettings twice;
  twice.population_sizes = {{1.0, 5.0}, {1.0, 6.0}};
  expect_input_error(make_table({0, 1}), twice, {"time 1 twice"});

  DataSettings negative;
  negative.population_sizes = {{1.0, -2.0}};
  expect_input_error(make_table({0, 1}), negative, {"time 1", "positive", "-2"});

  DataSettings weightless;
  weightless.population_sizes = {{1.0, 2.0}};
  expect_input_error(make_table({0, 1}, {}, {1, 0}), weightless, {"sum to 0"});
}

TEST(Snapshots, FewerThanTwoSnapshotsIsAnError) {
  expect_input_error(make_table({4, 4, 4}), DataSettings{},
                     {"cells.csv", "1 distinct time", "(4)", "at least 2 snapshots"});
  expect_input_error(make_table({}), DataSettings{}, {"0 distinct times"});
}

TEST(Snapshots, BadCellValuesNameTheLine) {
  expect_input_error(make_table({0, 1, 1}, {}, {1, -1, 1}), DataSettings{},
                     {"cells.csv line 3", "weight -1"});
  expect_input_error(make_table({0, std::nan(""), 1}), DataSettings{},
                     {"cells.csv line 3", "not a finite number"});
}

TEST(Snapshots, ClusterTuplesNestAndShareIdsAcrossSnapshots) {
  // Fine label "1" under coarse "a" and under coarse "b" are different clusters.
  CellTable table = make_table({0, 0, 0, 1, 1, 1},
                               {{"b", "a", "b", "a", "a", "b"}, {"1", "10", "1", "9", "10", "2"}});
  Dataset dataset = build_dataset(table, DataSettings{});
  ASSERT_EQ(dataset.levels.size(), 2u);
  EXPECT_EQ(dataset.levels[0].name, "scale0");
  EXPECT_EQ(dataset.levels[0].tuples, (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
  // Numeric labels sort as numbers: a/9 before a/10.
  EXPECT_EQ(dataset.levels[1].tuples, (std::vector<std::vector<std::string>>{
                                          {"a", "9"}, {"a", "10"}, {"b", "1"}, {"b", "2"}}));
  EXPECT_EQ(dataset.levels[1].parent, (std::vector<std::int32_t>{0, 0, 1, 1}));
  EXPECT_EQ(dataset.levels[1].label(1), "a/10");

  // The same tuple has the same id at both times.
  EXPECT_EQ(dataset.snapshots[0].cluster_ids[1], (std::vector<std::int32_t>{2, 1, 2}));
  EXPECT_EQ(dataset.snapshots[1].cluster_ids[1], (std::vector<std::int32_t>{0, 1, 3}));
  EXPECT_EQ(dataset.snapshots[0].cluster_ids[0], (std::vector<std::int32_t>{1, 0, 1}));
}

TEST(Snapshots, SortedOrderMakesFinestClustersContiguousAndIsStable) {
  CellTable table = make_table({0, 0, 0, 0, 0, 0, 1}, {{"2", "1", "2", "1", "2", "1", "1"},
                                                       {"x", "y", "x", "x", "y", "y", "x"}});
  Dataset dataset = build_dataset(table, DataSettings{});
  // Fine clusters 1/x (cell 3), 1/y (cells 1, 5), 2/x (cells 0, 2), 2/y (cell 4).
  EXPECT_EQ(dataset.snapshots[0].sorted_order, (std::vector<std::int64_t>{3, 1, 5, 0, 2, 4}));
  EXPECT_EQ(dataset.snapshots[1].sorted_order, (std::vector<std::int64_t>{0}));
}

TEST(Snapshots, WithoutLevelsSortedOrderIsIdentity) {
  Dataset dataset = build_dataset(make_table({1, 0, 1, 1}), DataSettings{});
  EXPECT_TRUE(dataset.levels.empty());
  EXPECT_EQ(dataset.snapshots[1].sorted_order, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_TRUE(dataset.snapshots[1].cluster_ids.empty());
}

TEST(Snapshots, LabelOrder) {
  EXPECT_TRUE(detail::label_less("2", "10"));
  EXPECT_FALSE(detail::label_less("10", "2"));
  EXPECT_TRUE(detail::label_less("-1", "0.5"));
  EXPECT_TRUE(detail::label_less("10", "a"));
  EXPECT_TRUE(detail::label_less("T cell", "T helper"));
  // Equal values, different spellings: still a strict order between distinct labels.
  EXPECT_NE(detail::label_less("1", "1.0"), detail::label_less("1.0", "1"));
  EXPECT_FALSE(detail::label_less("7", "7"));
}

}  // namespace
}  // namespace mustfm
