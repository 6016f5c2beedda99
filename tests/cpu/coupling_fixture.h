// Shared set-up of the coupling tests: the built-in multiscale benchmark at a small size taken
// through the same path a job takes (snapshots, hierarchy, priors, coupling).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/context.h"
#include "engine/coupling.h"
#include "engine/hierarchy.h"
#include "engine/priors.h"
#include "engine/snapshots.h"
#include "engine/synthetic.h"

namespace mustfm::testing {

// Sinkhorn at eps 1e-2 converges in about 800 iterations instead of about 5000 at 1e-3, which
// keeps every test well under a second; the properties tested here do not depend on eps.
inline CouplingSettings fast_coupling_settings() {
  CouplingSettings settings;
  settings.delta = 5.0;
  settings.eps = 1e-2;
  settings.max_iterations = 20000;
  return settings;
}

inline SyntheticSettings small_benchmark(int cells_per_cluster) {
  SyntheticSettings settings;
  settings.cells_per_cluster = cells_per_cluster;
  return settings;
}

struct Prepared {
  Dataset dataset;
  Hierarchy hierarchy;
  Priors priors;
};

inline Prepared prepare(Context& context, const CellTable& table, const DataSettings& data = {}) {
  Prepared prepared;
  prepared.dataset = build_dataset(table, data);
  prepared.hierarchy = build_hierarchy(context, prepared.dataset);
  prepared.priors = build_priors(prepared.dataset, data);
  return prepared;
}

inline IntervalCoupling couple_first(Context& context,
                                     const Prepared& prepared,
                                     const CouplingSettings& settings) {
  return couple_interval(context, prepared.dataset, prepared.hierarchy, prepared.priors, settings,
                         0);
}

// The table without its annotation levels (and priors): the cells are coupled directly.
inline CellTable without_levels(CellTable table) {
  table.levels.clear();
  table.level_names.clear();
  table.priors.clear();
  table.prior_names.clear();
  return table;
}

// Row sums r and column sums c of a level's plan.
struct PlanSums {
  std::vector<double> r;
  std::vector<double> c;
};

inline PlanSums plan_sums(const LevelCoupling& level) {
  const CsrMatrix& m = level.structure;
  PlanSums sums{std::vector<double>(m.rows, 0.0), std::vector<double>(m.cols, 0.0)};
  for (std::int32_t i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      sums.r[i] += level.result.plan[e];
      sums.c[m.col_indices[e]] += level.result.plan[e];
    }
  }
  return sums;
}

}  // namespace mustfm::testing
