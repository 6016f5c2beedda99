// Transition priors: from prior columns and from data.prior_pairs, the errors a user can cause,
// and that a coupling never puts mass on a pair the prior forbids.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coupling_fixture.h"
#include "engine/priors.h"
#include "test_support.h"

namespace mustfm {
namespace {

// Six cells at two times, two levels: coarse A (fine x, y) and B (fine x); prior labels per
// level given per cell.
CellTable make_table(const std::vector<std::string>& prior0 = {},
                     const std::vector<std::string>& prior1 = {}) {
  CellTable table;
  table.source = "cells.csv";
  table.cell_count = 6;
  table.dimension = 1;
  table.feature_names = {"x1"};
  table.time = {0, 0, 0, 1, 1, 1};
  table.features = {0, 1, 2, 0.5, 1.5, 2.5};
  table.level_names = {"scale0", "scale1"};
  table.levels = {{"A", "A", "B", "A", "A", "B"}, {"x", "y", "x", "x", "y", "x"}};
  if (!prior0.empty()) {
    table.prior_names = {"prior0", "prior1"};
    table.priors = {prior0, prior1};
  }
  table.weight.assign(6, 1.0);
  for (std::size_t i = 0; i < 6; ++i) table.line.push_back(i + 2);
  return table;
}

// Dataset-wide id of the cluster with the given label tuple at level l.
std::int32_t id_of(const Dataset& dataset, std::size_t l, const std::vector<std::string>& tuple) {
  const auto& tuples = dataset.levels[l].tuples;
  for (std::size_t c = 0; c < tuples.size(); ++c)
    if (tuples[c] == tuple) return static_cast<std::int32_t>(c);
  ADD_FAILURE() << "no cluster";
  return -1;
}

TEST(Priors, NoPriorAdmitsEveryPair) {
  const Dataset dataset = build_dataset(make_table(), DataSettings{});
  const Priors priors = build_priors(dataset, DataSettings{});
  ASSERT_EQ(priors.levels.size(), 2u);
  EXPECT_EQ(priors.origin, "none");
  for (const LevelPrior& prior : priors.levels) {
    EXPECT_EQ(prior.kind, PriorKind::none);
    EXPECT_TRUE(prior.admits(0, 1));
  }
}

TEST(Priors, ColumnsAdmitPairsWithEqualLabels) {
  const Dataset dataset = build_dataset(
      make_table({"p", "p", "q", "p", "p", "q"}, {"u", "v", "u", "u", "v", "u"}), DataSettings{});
  const Priors priors = build_priors(dataset, DataSettings{});
  EXPECT_EQ(priors.origin, "prior columns");
  const std::int32_t a = id_of(dataset, 0, {"A"});
  const std::int32_t b = id_of(dataset, 0, {"B"});
  EXPECT_TRUE(priors.levels[0].admits(a, a));
  EXPECT_FALSE(priors.levels[0].admits(a, b));
  EXPECT_FALSE(priors.levels[0].admits(b, a));

  const std::int32_t ax = id_of(dataset, 1, {"A", "x"});
  const std::int32_t ay = id_of(dataset, 1, {"A", "y"});
  const std::int32_t bx = id_of(dataset, 1, {"B", "x"});
  EXPECT_TRUE(priors.levels[1].admits(ax, bx));  // both "u"
  EXPECT_FALSE(priors.levels[1].admits(ax, ay));
  EXPECT_TRUE(priors.levels[1].admits(ay, ay));
}

TEST(Priors, ClusterWhoseCellsDisagreeIsAnError) {
  // Cluster A/x carries "u" at time 0 and "w" at time 1.
  const Dataset dataset = build_dataset(
      make_table({"p", "p", "q", "p", "p", "q"}, {"u", "v", "u", "w", "v", "u"}), DataSettings{});
  EXPECT_TRUE(testing::throws_input_error([&] { build_priors(dataset, DataSettings{}); },
                                          {"cluster A/x", "scale1", "prior1", "\"u\"", "\"w\""}));
}

TEST(Priors, PairsAdmitOnlyTheListedPairsOfTheirLevel) {
  const Dataset dataset = build_dataset(make_table(), DataSettings{});
  DataSettings settings;
  settings.prior_pairs = {{1, "x", "y"}, {1, "y", "y"}};
  const Priors priors = build_priors(dataset, settings);
  EXPECT_EQ(priors.origin, "data.prior_pairs");
  EXPECT_EQ(priors.levels[0].kind, PriorKind::none);
  ASSERT_EQ(priors.levels[1].kind, PriorKind::pairs);

  // Labels are the level's own text: "x" is both A/x and B/x.
  const std::int32_t ax = id_of(dataset, 1, {"A", "x"});
  const std::int32_t ay = id_of(dataset, 1, {"A", "y"});
  const std::int32_t bx = id_of(dataset, 1, {"B", "x"});
  EXPECT_TRUE(priors.levels[1].admits(ax, ay));
  EXPECT_TRUE(priors.levels[1].admits(bx, ay));
  EXPECT_TRUE(priors.levels[1].admits(ay, ay));
  EXPECT_FALSE(priors.levels[1].admits(ax, bx));
  EXPECT_FALSE(priors.levels[1].admits(ay, ax));
}

TEST(Priors, PairsOverridePriorColumns) {
  const Dataset dataset = build_dataset(
      make_table({"p", "p", "q", "p", "p", "q"}, {"u", "v", "u", "u", "v", "u"}), DataSettings{});
  DataSettings settings;
  settings.prior_pairs = {{0, "A", "B"}};
  const Priors priors = build_priors(dataset, settings);
  EXPECT_EQ(priors.levels[1].kind, PriorKind::none);
  EXPECT_TRUE(priors.levels[0].admits(id_of(dataset, 0, {"A"}), id_of(dataset, 0, {"B"})));
  EXPECT_FALSE(priors.levels[0].admits(id_of(dataset, 0, {"A"}), id_of(dataset, 0, {"A"})));
}

TEST(Priors, UnknownLabelsAreListedTogether) {
  const Dataset dataset = build_dataset(make_table(), DataSettings{});
  DataSettings settings;
  // "B" exists at level 0 only; "z" and "C" nowhere.
  settings.prior_pairs = {{1, "x", "z"}, {0, "C", "A"}, {1, "B", "x"}};
  EXPECT_TRUE(testing::throws_input_error(
      [&] { build_priors(dataset, settings); },
      {"no cell", "\"z\" (level 1, scale1)", "\"C\" (level 0, scale0)", "\"B\" (level 1"}));
}

TEST(Priors, PairAtAMissingLevelIsAnError) {
  const Dataset dataset = build_dataset(make_table(), DataSettings{});
  DataSettings settings;
  settings.prior_pairs = {{2, "x", "x"}};
  EXPECT_TRUE(testing::throws_input_error([&] { build_priors(dataset, settings); },
                                          {"level 2", "2 annotation level"}));
}

TEST(Priors, CouplingPutsNoMassOnForbiddenPairs) {
  Context context = testing::make_quiet_context("cpu");
  CellTable table = generate_multiscale(testing::small_benchmark(4), false);
  // Prior columns: coarse 0 and 1 share a label, coarse 2 has its own; at the fine level, the
  // label is the fine row (f / 3), so cells may only move within their row of the 3 x 3 grid.
  table.prior_names = {"prior0", "prior1"};
  table.priors.assign(2, std::vector<std::string>(table.cell_count));
  for (std::size_t i = 0; i < table.cell_count; ++i) {
    table.priors[0][i] = table.levels[0][i] == "2" ? "late" : "early";
    table.priors[1][i] = std::to_string(std::stoi(table.levels[1][i]) / 3);
  }
  const testing::Prepared prepared = testing::prepare(context, table);
  const IntervalCoupling interval =
      testing::couple_first(context, prepared, testing::fast_coupling_settings());

  for (std::size_t l = 0; l < 2; ++l) {
    const LevelCoupling& level = interval.levels[l];
    const ClusterLevel& s = prepared.hierarchy.snapshots[0].levels[l];
    const ClusterLevel& t = prepared.hierarchy.snapshots[1].levels[l];
    const CsrMatrix& m = level.structure;
    for (std::int32_t i = 0; i < m.rows; ++i)
      for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e)
        EXPECT_TRUE(prepared.priors.levels[l].admits(s.ids[i], t.ids[m.col_indices[e]]))
            << level.name << " " << s.labels[i] << " -> " << t.labels[m.col_indices[e]];
    // The forbidden pairs were admissible by distance, so the prior did remove some.
    EXPECT_LT(m.nnz(), static_cast<std::int64_t>(s.cluster_count() * t.cluster_count()));
  }
  // Every sampled cell pair stays within the prior's classes.
  const PairDistribution& pairs = interval.pairs;
  const Snapshot& s0 = prepared.dataset.snapshots[0];
  const Snapshot& s1 = prepared.dataset.snapshots[1];
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const std::int64_t i = pairs.source_order[pairs.source[k]];
    const std::int64_t j = pairs.target_order[pairs.target[k]];
    ASSERT_EQ(s0.prior_ids[1][i], s1.prior_ids[1][j]) << "pair " << k;
    ASSERT_EQ(s0.prior_ids[0][i], s1.prior_ids[0][j]) << "pair " << k;
  }
}

}  // namespace
}  // namespace mustfm
