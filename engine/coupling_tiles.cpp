#include "engine/coupling_tiles.h"

#include <utility>

#include "kernels/common/error.h"

namespace mustfm::detail {

std::optional<CellTiles> cell_level_tiles(const Exec& exec,
                                          const CouplingSettings& settings,
                                          const CsrMatrix* parent_structure,
                                          const std::vector<double>* parent_plan,
                                          const ClusterLevel* source_parents,
                                          const ClusterLevel* target_parents,
                                          const ClusterLevel& source_cells,
                                          const ClusterLevel& target_cells,
                                          std::size_t dimension) {
  if (exec.backend != Backend::cuda || settings.solver != "sinkhorn") return std::nullopt;

  CellTiles out;
  out.source_points = {source_cells.centroids.data(), source_cells.centroids.size()};
  out.target_points = {target_cells.centroids.data(), target_cells.centroids.size()};
  out.dimension = static_cast<int>(dimension);
  out.delta = settings.delta;
  if (parent_structure == nullptr) {
    out.tiles.push_back({0, static_cast<std::int32_t>(source_cells.cluster_count()), 0,
                         static_cast<std::int32_t>(target_cells.cluster_count())});
    return out;
  }
  MUSTFM_ASSERT(parent_plan != nullptr && source_parents != nullptr && target_parents != nullptr,
                "cell tiles without parents");
  const CsrMatrix& m = *parent_structure;
  for (std::int32_t row = 0; row < m.rows; ++row) {
    for (std::int64_t e = m.row_offsets[row]; e < m.row_offsets[row + 1]; ++e) {
      // The block rule of cell_level_structure.
      if (!((*parent_plan)[e] > settings.eta_block)) continue;
      const std::int32_t col = m.col_indices[e];
      out.tiles.push_back({static_cast<std::int32_t>(source_parents->offsets[row]),
                           static_cast<std::int32_t>(source_parents->offsets[row + 1]),
                           static_cast<std::int32_t>(target_parents->offsets[col]),
                           static_cast<std::int32_t>(target_parents->offsets[col + 1])});
    }
  }
  return out;
}

UotResult solve_on_cell_tiles(const Exec& exec,
                              const UotProblem& problem,
                              const CellTiles& tiles,
                              const UotOptions& options) {
  UotTiledProblem tiled;
  tiled.a = problem.a;
  tiled.b = problem.b;
  tiled.x = tiles.source_points;
  tiled.y = tiles.target_points;
  tiled.dim = tiles.dimension;
  tiled.delta = tiles.delta;
  tiled.tiles = tiles.tiles;
  tiled.rho = problem.rho;
  const std::vector<std::int64_t> positions = tile_positions(tiled, *problem.structure);

  UotResult result = solve_uot_tiles(exec, tiled, options);
  std::vector<double> plan(positions.size());
  for (std::size_t e = 0; e < positions.size(); ++e) plan[e] = result.plan[positions[e]];
  result.plan = std::move(plan);
  return result;
}

}  // namespace mustfm::detail
