#include "engine/coupling_structure.h"

#include <cstdint>
#include <limits>

#include "kernels/common/error.h"
#include "kernels/wfr_cost.h"

namespace mustfm::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// About 36 bytes per stored pair (column, cost, transpose entry and row, plan) before the
// solver's own arrays: 2^29 pairs are some 20 GB, beyond which a run is better told than killed.
constexpr std::int64_t kMaxStoredPairs = std::int64_t{1} << 29;

// Below this many candidate pairs a structure is built on one thread.
constexpr std::int64_t kParallelMinCandidates = 1 << 16;

// CSR from a per-row candidate generator: for_each(row, emit) calls emit(col, cost) with
// increasing columns; candidates of infinite cost are dropped. Two passes (count, then fill), so
// rows are built in parallel without locks.
template <class ForEach>
CsrMatrix build_rows(std::int32_t rows, std::int32_t cols, bool parallel, const ForEach& for_each) {
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.row_offsets.assign(static_cast<std::size_t>(rows) + 1, 0);

#pragma omp parallel for schedule(dynamic, 16) if (parallel)
  for (std::int32_t r = 0; r < rows; ++r) {
    std::int64_t count = 0;
    for_each(r, [&](std::int32_t, double cost) { count += cost < kInf ? 1 : 0; });
    m.row_offsets[r + 1] = count;
  }
  for (std::int32_t r = 0; r < rows; ++r) m.row_offsets[r + 1] += m.row_offsets[r];
  MUSTFM_EXPECTS(m.row_offsets[rows] <= kMaxStoredPairs,
                 "coupling: " + std::to_string(m.row_offsets[rows]) + " admissible pairs between " +
                     std::to_string(rows) + " sources and " + std::to_string(cols) +
                     " targets, more than the " + std::to_string(kMaxStoredPairs) +
                     " stored at most; use coupling.finest_level \"independent\", a smaller "
                     "coupling.delta or a larger coupling.eta_block");

  m.col_indices.resize(static_cast<std::size_t>(m.row_offsets[rows]));
  m.costs.resize(m.col_indices.size());
#pragma omp parallel for schedule(dynamic, 16) if (parallel)
  for (std::int32_t r = 0; r < rows; ++r) {
    std::int64_t slot = m.row_offsets[r];
    for_each(r, [&](std::int32_t col, double cost) {
      if (!(cost < kInf)) return;
      m.col_indices[slot] = col;
      m.costs[slot] = cost;
      ++slot;
    });
  }
  build_transpose(m);
  return m;
}

double centroid_cost(const ClusterLevel& source,
                     const ClusterLevel& target,
                     std::size_t i,
                     std::size_t j,
                     std::size_t d,
                     double delta) {
  return wfr_cost(source.centroids.data() + i * d, target.centroids.data() + j * d,
                  static_cast<int>(d), delta);
}

// child_offsets[J] .. child_offsets[J + 1]: the clusters of `level` whose parent is J; children
// of one parent are contiguous because clusters are ordered by their label tuples.
std::vector<std::int64_t> child_offsets(const ClusterLevel& level, std::int32_t parents) {
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(parents) + 1, 0);
  for (std::size_t c = 0; c < level.cluster_count(); ++c) {
    MUSTFM_ASSERT(c == 0 || level.parent[c] >= level.parent[c - 1],
                  "children of a parent are not contiguous");
    ++offsets[level.parent[c] + 1];
  }
  for (std::int32_t p = 0; p < parents; ++p) offsets[p + 1] += offsets[p];
  return offsets;
}

}  // namespace

CsrMatrix first_level_structure(const ClusterLevel& source,
                                const ClusterLevel& target,
                                std::size_t dimension,
                                double delta,
                                const LevelPrior* prior) {
  const auto rows = static_cast<std::int32_t>(source.cluster_count());
  const auto cols = static_cast<std::int32_t>(target.cluster_count());
  const bool parallel = std::int64_t{rows} * cols >= kParallelMinCandidates;
  return build_rows(rows, cols, parallel, [&](std::int32_t i, auto&& emit) {
    for (std::int32_t j = 0; j < cols; ++j) {
      if (prior != nullptr && !prior->admits(source.ids[i], target.ids[j])) continue;
      emit(j, centroid_cost(source, target, i, j, dimension, delta));
    }
  });
}

CsrMatrix child_level_structure(const CsrMatrix& parent_structure,
                                const std::vector<double>& parent_plan,
                                const std::vector<double>& parent_a,
                                const ClusterLevel& source,
                                const ClusterLevel& target,
                                std::size_t dimension,
                                double delta,
                                const LevelPrior* prior,
                                double eta) {
  const auto rows = static_cast<std::int32_t>(source.cluster_count());
  const auto cols = static_cast<std::int32_t>(target.cluster_count());
  const std::vector<std::int64_t> children = child_offsets(target, parent_structure.cols);
  const bool parallel = parent_structure.nnz() * 16 >= kParallelMinCandidates;
  return build_rows(rows, cols, parallel, [&](std::int32_t i, auto&& emit) {
    const std::int32_t parent = source.parent[i];
    const double parent_mass = parent_a[parent];
    if (!(parent_mass > 0)) return;
    for (std::int64_t e = parent_structure.row_offsets[parent];
         e < parent_structure.row_offsets[parent + 1]; ++e) {
      // H_ij: the parents' plan entry relative to the source parent's mass.
      if (!(parent_plan[e] / parent_mass >= eta)) continue;
      const std::int32_t parent_target = parent_structure.col_indices[e];
      for (std::int64_t j = children[parent_target]; j < children[parent_target + 1]; ++j) {
        if (prior != nullptr && !prior->admits(source.ids[i], target.ids[j])) continue;
        emit(static_cast<std::int32_t>(j), centroid_cost(source, target, i, j, dimension, delta));
      }
    }
  });
}

CsrMatrix cell_level_structure(const CsrMatrix* parent_structure,
                               const std::vector<double>* parent_plan,
                               const ClusterLevel& source_cells,
                               const ClusterLevel& target_cells,
                               const ClusterLevel* target_parents,
                               std::size_t dimension,
                               double delta,
                               double eta_block) {
  const auto rows = static_cast<std::int32_t>(source_cells.cluster_count());
  const auto cols = static_cast<std::int32_t>(target_cells.cluster_count());
  const bool parallel = std::int64_t{rows} * 64 >= kParallelMinCandidates;
  const auto tile = [&](std::int32_t p, std::int64_t begin, std::int64_t end, auto&& emit) {
    for (std::int64_t q = begin; q < end; ++q)
      emit(static_cast<std::int32_t>(q),
           centroid_cost(source_cells, target_cells, p, q, dimension, delta));
  };

  if (parent_structure == nullptr) {
    return build_rows(rows, cols, parallel,
                      [&](std::int32_t p, auto&& emit) { tile(p, 0, cols, emit); });
  }
  MUSTFM_ASSERT(parent_plan != nullptr && target_parents != nullptr, "cell level without parents");
  return build_rows(rows, cols, parallel, [&](std::int32_t p, auto&& emit) {
    const std::int32_t parent = source_cells.parent[p];
    for (std::int64_t e = parent_structure->row_offsets[parent];
         e < parent_structure->row_offsets[parent + 1]; ++e) {
      if (!((*parent_plan)[e] > eta_block)) continue;
      const std::int32_t block = parent_structure->col_indices[e];
      tile(p, target_parents->offsets[block], target_parents->offsets[block + 1], emit);
    }
  });
}

}  // namespace mustfm::detail
