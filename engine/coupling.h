// The coarse-to-fine coupling stage (DESIGN.md section 6). For every pair of consecutive
// snapshots it solves the masked unbalanced transport problem (kernels/uot_solver.h) level by
// level: the coarsest annotation level between cluster centroids restricted by the prior, each
// finer level restricted by the prior and the hierarchical mask of the level above, and the
// cells (`sparse`) inside the admissible blocks of the finest annotation level, or no cell solve
// at all (`independent`, the finest annotation plan is lifted to cells when sampling).
//
// Names: a, b (source and target cluster masses, absolute), gamma (a plan), P (parent), eta (the
// hierarchical-mask threshold), eta_block (the cell-level block threshold), delta (WFR length
// scale: pairs at distance >= pi delta are inadmissible). Every solve goes through the context's
// backend.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/hierarchy.h"
#include "engine/pair_distribution.h"
#include "engine/priors.h"
#include "engine/snapshots.h"
#include "io/job.h"
#include "kernels/csr.h"
#include "kernels/uot_solver.h"

namespace mustfm {

// The solved problem of one level of one interval.
struct LevelCoupling {
  // The annotation column ("scale1"), "cells", or "snapshot" for the single cluster that stands
  // in for a snapshot without annotation levels under `independent`.
  std::string name;
  bool is_cells = false;
  // Rows = source clusters of the level, columns = target clusters (at the cell level: cell
  // positions in the snapshots' sorted order); costs stored; the admissible pairs only.
  CsrMatrix structure;
  std::vector<double> a;
  std::vector<double> b;
  // Cluster labels ("2/7") of rows and columns; empty at the cell level.
  std::vector<std::string> source_labels;
  std::vector<std::string> target_labels;
  UotResult result;
  double structure_seconds = 0.0;
  double solve_seconds = 0.0;
};

struct IntervalCoupling {
  // Source snapshot index; the target is source + 1.
  std::size_t source = 0;
  double source_time = 0.0;
  double target_time = 0.0;
  // Solved levels, coarsest first: the annotation levels (or the "snapshot" stand-in), then
  // "cells" in `sparse` mode.
  std::vector<LevelCoupling> levels;
  PairDistribution pairs;
};

struct CouplingResult {
  std::vector<IntervalCoupling> intervals;
};

// The solver options of the job's coupling settings.
UotOptions uot_options(const CouplingSettings& settings);

// One interval: snapshot `source` to snapshot `source + 1`. Logs one line per solve; a solve
// that stops at the iteration limit is a warning, not an error.
IntervalCoupling couple_interval(Context& context,
                                 const Dataset& dataset,
                                 const Hierarchy& hierarchy,
                                 const Priors& priors,
                                 const CouplingSettings& settings,
                                 std::size_t source);

CouplingResult couple_snapshots(Context& context,
                                const Dataset& dataset,
                                const Hierarchy& hierarchy,
                                const Priors& priors,
                                const CouplingSettings& settings);

}  // namespace mustfm
