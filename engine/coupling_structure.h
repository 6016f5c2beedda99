// Sparsity structures of the coupling levels (engine/coupling.h): which pairs of one level are
// admissible, with their WFR costs, as CSR with rows = source clusters. Names as in
// engine/coupling.h. Only admissible pairs are ever stored; nothing is dense.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/hierarchy.h"
#include "engine/priors.h"
#include "kernels/csr.h"

namespace mustfm::detail {

// A level without a parent plan: every pair the prior admits (null: every pair) whose
// centroids lie closer than pi delta.
CsrMatrix first_level_structure(const ClusterLevel& source,
                                const ClusterLevel& target,
                                std::size_t dimension,
                                double delta,
                                const LevelPrior* prior);

// A finer annotation level: pair (i, j) is kept when the prior admits it, its centroids lie
// closer than pi delta, and H_ij = 1, i.e. gamma(P(i), P(j)) / a(P(i)) >= eta for the parent
// level's plan `parent_plan` over `parent_structure` with source masses `parent_a`.
CsrMatrix child_level_structure(const CsrMatrix& parent_structure,
                                const std::vector<double>& parent_plan,
                                const std::vector<double>& parent_a,
                                const ClusterLevel& source,
                                const ClusterLevel& target,
                                std::size_t dimension,
                                double delta,
                                const LevelPrior* prior,
                                double eta);

// The cell level (`sparse`): cell pairs closer than pi delta inside the blocks (I, J) of the
// finest annotation level with gamma(I, J) > eta_block. Rows and columns are cell positions in
// the sorted order, so each block is a dense tile. With no parent plan (data without annotation
// levels) every pair closer than pi delta is kept.
CsrMatrix cell_level_structure(const CsrMatrix* parent_structure,
                               const std::vector<double>* parent_plan,
                               const ClusterLevel& source_cells,
                               const ClusterLevel& target_cells,
                               const ClusterLevel* target_parents,
                               std::size_t dimension,
                               double delta,
                               double eta_block);

}  // namespace mustfm::detail
