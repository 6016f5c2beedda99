// The masked unbalanced transport problem of kernels/uot_solver.h when its admissible set is a
// union of dense tiles of point pairs, with costs recomputed from the points instead of stored:
// the cell level `sparse` of DESIGN.md section 6, where the cells of a cluster are contiguous and
// every admissible parent block is a tile (source cell range x target cell range).
//
// Names as in kernels/uot_solver.h; x, y (source and target points, dimension d, row-major),
// delta (WFR length scale, kernels/wfr_cost.h). Pair (i, j) is admissible when a tile holds it
// and |x_i - y_j| < pi delta. Solved by log-domain Sinkhorn with the options, eps schedule,
// stopping rule and formulas of solve_uot, so a tiled problem and the CSR of the same admissible
// pairs with stored costs (csr_from_tiles) give the same potentials, plan and report to rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"
#include "kernels/csr.h"
#include "kernels/uot_solver.h"

namespace mustfm {

// Source rows row_begin .. row_end) x target columns col_begin .. col_end).
struct UotTile {
  std::int32_t row_begin = 0;
  std::int32_t row_end = 0;
  std::int32_t col_begin = 0;
  std::int32_t col_end = 0;

  std::int64_t rows() const { return row_end - row_begin; }
  std::int64_t cols() const { return col_end - col_begin; }
  std::int64_t area() const { return rows() * cols(); }
};

struct UotTiledProblem {
  View<const double> a;
  View<const double> b;
  // size(a) x dim and size(b) x dim coordinates, row-major.
  View<const double> x;
  View<const double> y;
  int dim = 0;
  double delta = 1.0;
  // Tiles in any order; no two may share a pair. Empty tiles are allowed and hold nothing.
  std::vector<UotTile> tiles;
  double rho = 1.0;
};

// The plan of a tiled solve (UotResult::plan) is stored tile by tile, in the order of
// problem.tiles, each tile row-major: pair (i, j) of tile t is value
// tile_plan_offsets(tiles)[t] + (i - row_begin) * cols + (j - col_begin). Inadmissible pairs
// hold 0. The offsets have one more value than there are tiles; the last is the plan's size.
std::vector<std::int64_t> tile_plan_offsets(const std::vector<UotTile>& tiles);

// Throws InputError for inconsistent shapes, tiles out of range or overlapping, non-finite
// coordinates, a non-positive delta, the mm solver (tiled problems are solved by Sinkhorn only),
// or the option errors of solve_uot. Non-finite masses give status non_finite_input and an
// all-zero plan. The problem and the result live in host memory on both backends.
UotResult solve_uot_tiles(const Exec& exec,
                          const UotTiledProblem& problem,
                          const UotOptions& options);

// The admissible pairs of a tiled problem as CSR with stored costs (transpose built), and for
// each CSR entry its position in the tiled plan layout above.
struct TiledCsr {
  CsrMatrix structure;
  std::vector<std::int64_t> tile_position;
};

// Same checks as solve_uot_tiles for the tiles, points and delta.
TiledCsr csr_from_tiles(const UotTiledProblem& problem);

// For each entry of `structure` (rows = size(a), columns = size(b)), its position in the tiled
// plan layout of `problem`, so a tiled plan can be read in CSR order. Throws InputError when the
// shapes differ or an entry lies in no tile; points and costs are not read.
std::vector<std::int64_t> tile_positions(const UotTiledProblem& problem,
                                         const CsrMatrix& structure);

}  // namespace mustfm
