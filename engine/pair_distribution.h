// Training pairs from a coupling (DESIGN.md section 7). Names: gamma (the plan), a, b (source and
// target masses), r = gamma 1 and c = gamma^T 1 (its row and column sums), gamma0 = a gamma / r
// and gamma1 = b gamma / c (the semi-couplings), m1 / m0 = gamma1 / gamma0 = r_i b_j / (a_i c_j)
// (the mass a pair ends with when it starts with 1), w (cell weights).
//
// A pair is drawn with probability proportional to gamma0. Two forms:
//  * cells (finest level `sparse`): one entry per stored cell pair with gamma0 > 0;
//  * lifted (finest level `independent`): one entry per block (I, J) of the finest annotation
//    level with gamma0_IJ > 0; a draw picks the block, then a source cell i in I with probability
//    w_i / a_I and a target cell j in J with probability w_j / b_J, and every pair of the block
//    shares the block's ratio. The lifted plan gamma_ij = gamma_IJ (w_i / a_I) (w_j / b_J) is
//    never materialized.
// Rows with r = 0 and columns with c = 0 are never drawn; their masses are reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/hierarchy.h"
#include "engine/snapshots.h"
#include "kernels/common/backend.h"
#include "kernels/csr.h"

namespace mustfm {

// Cell indices are in snapshot order: row i of Snapshot::features and Snapshot::weights.
struct PairDraw {
  std::int64_t source_cell = 0;
  std::int64_t target_cell = 0;
  // m1 / m0.
  double mass_ratio = 1.0;
};

struct PairDistribution {
  bool lifted = false;
  // Entries: positions in the snapshots' sorted order (cells), or cluster indices of the finest
  // annotation level (lifted).
  std::vector<std::int32_t> source;
  std::vector<std::int32_t> target;
  // Normalized probabilities (sum 1) and their running sums (last entry 1).
  std::vector<double> probability;
  std::vector<double> cumulative;
  std::vector<double> mass_ratio;

  // Lifted only: cluster ranges of the sorted order (ClusterLevel::offsets) and, per sorted
  // position, the running sum of w / a over the position's cluster (1 at each cluster's end).
  std::vector<std::int64_t> source_offsets;
  std::vector<std::int64_t> target_offsets;
  std::vector<double> source_within;
  std::vector<double> target_within;

  // Sorted position -> snapshot cell index (Snapshot::sorted_order).
  std::vector<std::int64_t> source_order;
  std::vector<std::int64_t> target_order;

  // sum gamma0 = sum of a over rows with r > 0; masses of rows with r = 0 and columns with c = 0.
  double sampled_source_mass = 0.0;
  double unsampled_source_mass = 0.0;
  double unsampled_target_mass = 0.0;

  std::size_t size() const { return probability.size(); }
  bool empty() const { return probability.empty(); }
  // Inverse-CDF draw from three uniforms in [0, 1): the entry, then (lifted) the source and the
  // target cell within the block. Must not be called on an empty distribution.
  PairDraw draw(double u_pair, double u_source, double u_target) const;
};

// Both builders compute on exec's backend (kernels/pair_weights.h); inputs and the result are in
// host memory either way.

// From a cell-level plan: `plan` over `structure` (rows = source cells, columns = target cells,
// both in sorted order) with masses a, b in sorted order.
PairDistribution cell_pair_distribution(const Exec& exec,
                                        const CsrMatrix& structure,
                                        const std::vector<double>& plan,
                                        const std::vector<double>& a,
                                        const std::vector<double>& b,
                                        const Snapshot& source,
                                        const Snapshot& target);

// Lifts a plan between clusters (rows = source_clusters, columns = target_clusters) to cells;
// source_cells and target_cells are the snapshots' cell levels (weights in sorted order).
PairDistribution lifted_pair_distribution(const Exec& exec,
                                          const CsrMatrix& structure,
                                          const std::vector<double>& plan,
                                          const ClusterLevel& source_clusters,
                                          const ClusterLevel& target_clusters,
                                          const ClusterLevel& source_cells,
                                          const ClusterLevel& target_cells,
                                          const Snapshot& source,
                                          const Snapshot& target);

}  // namespace mustfm
