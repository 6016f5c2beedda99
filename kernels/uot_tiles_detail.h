// Internals of the tiled solver (kernels/uot_tiles.h): the checked problem on normalized masses
// with the tiles listed per row and per column, and the backends' Sinkhorn solves (driven by
// kernels/sinkhorn_schedule.h). Names as in kernels/uot_solver.h; Z = (sum a + sum b) / 2.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/common/error.h"
#include "kernels/uot_cpu.h"
#include "kernels/uot_tiles.h"

namespace mustfm::detail {

struct TilesPrepared {
  const UotTiledProblem* problem = nullptr;
  std::int32_t rows = 0;
  std::int32_t cols = 0;
  // a / Z, b / Z, their logs, and -inf for rows and columns that cannot carry mass (zero mass,
  // or no admissible pair whose partner has positive mass), as in prepare_uot.
  std::vector<double> a;
  std::vector<double> b;
  std::vector<double> log_a;
  std::vector<double> log_b;
  double z = 1.0;
  double rho = 1.0;
  // The non-empty tiles covering row i, by increasing col_begin:
  // row_tiles[row_tile_offsets[i] .. row_tile_offsets[i + 1]). Likewise per column, by
  // increasing row_begin. Walking them in this order visits a row's pairs by increasing column
  // and a column's pairs by increasing row: the order of the CSR and its transpose.
  std::vector<std::int64_t> row_tile_offsets;
  std::vector<std::int32_t> row_tiles;
  std::vector<std::int64_t> col_tile_offsets;
  std::vector<std::int32_t> col_tiles;
  // tile_plan_offsets(problem->tiles).
  std::vector<std::int64_t> plan_offsets;
  // Pairs in all tiles, each visited once by a row pass and once by a column pass.
  std::int64_t pairs = 0;
  // Whether the CPU passes run on an OpenMP team.
  bool parallel = false;

  const double* source_point(std::int64_t i) const { return problem->x.data + i * problem->dim; }
  const double* target_point(std::int64_t j) const { return problem->y.data + j * problem->dim; }
};

// The tile lists and plan offsets of a problem whose tiles lie in range; throws InputError when
// two tiles overlap. Masses are left empty (kernels/uot_tiles.cpp).
TilesPrepared tile_layout(const UotTiledProblem& problem);

// Fills the normalized masses and their logs of a layout, for Z > 0.
void normalize_tile_masses(TilesPrepared& layout, double z);

// The normalized plan (gamma / Z) in the tiled layout, with the potentials.
UotRaw sinkhorn_tiles_cpu(const TilesPrepared& problem, const UotOptions& options);

#ifdef MUSTFM_WITH_CUDA
// Uploads the problem, solves on exec.stream and returns once the result is on the host.
UotRaw sinkhorn_tiles_cuda(const Exec& exec,
                           const TilesPrepared& problem,
                           const UotOptions& options);
#endif

}  // namespace mustfm::detail
