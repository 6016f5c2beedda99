// The cell level `sparse` of the coupling (engine/coupling.h) solved over dense tiles with costs
// recomputed from the cell coordinates (kernels/uot_tiles.h) instead of read from the stored
// CSR: used on the CUDA backend with the sinkhorn solver, where reading the costs is the passes'
// main memory traffic. The CSR structure is still built (the outputs and the pair distribution
// read it); the tiled plan is returned in its order. Names as in engine/coupling.h.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "engine/hierarchy.h"
#include "io/job.h"
#include "kernels/common/backend.h"
#include "kernels/csr.h"
#include "kernels/uot_solver.h"
#include "kernels/uot_tiles.h"

namespace mustfm::detail {

// The tiles of a cell level and the cell coordinates their costs come from.
struct CellTiles {
  std::vector<UotTile> tiles;
  View<const double> source_points;
  View<const double> target_points;
  int dimension = 0;
  double delta = 1.0;
};

// The tiles the cell level is solved over, or nothing when it is solved on the stored CSR (the
// CPU backend, or the mm solver). Tiles are the blocks (I, J) of the finest annotation level
// with gamma(I, J) > eta_block, the blocks cell_level_structure admits, as cell ranges of the
// sorted order; with no parent plan (data without annotation levels) one tile covers all pairs.
std::optional<CellTiles> cell_level_tiles(const Exec& exec,
                                          const CouplingSettings& settings,
                                          const CsrMatrix* parent_structure,
                                          const std::vector<double>* parent_plan,
                                          const ClusterLevel* source_parents,
                                          const ClusterLevel* target_parents,
                                          const ClusterLevel& source_cells,
                                          const ClusterLevel& target_cells,
                                          std::size_t dimension);

// Solves `problem`, whose structure holds exactly the admissible pairs of the tiles (as
// cell_level_structure builds it), over the tiles; the plan comes back in the CSR order of
// problem.structure.
UotResult solve_on_cell_tiles(const Exec& exec,
                              const UotProblem& problem,
                              const CellTiles& tiles,
                              const UotOptions& options);

}  // namespace mustfm::detail
