// Training-pair weights of a transport plan (DESIGN.md section 7): the arithmetic behind the
// pair distributions of engine/pair_distribution.h, on the CPU (OpenMP) or on a CUDA device.
// Names as in kernels/pair_weights_entry.h: gamma (the plan over a CSR structure), a, b (row and
// column masses), r, c (the plan's row and column sums), gamma0 = a gamma / r, w (cell weights).
//
// Both backends give the same entries in the same order and agree on every value to rounding
// (sums are taken in another order on the device); each backend is bitwise deterministic run to
// run, since no sum depends on thread timing (no floating-point atomics, no look-back scans).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"
#include "kernels/csr.h"

namespace mustfm {

struct PairWeights {
  // One entry per stored plan value with gamma0 > 0, in CSR order: its row and column.
  std::vector<std::int32_t> source;
  std::vector<std::int32_t> target;
  // gamma0 / sum gamma0, and the running sums of these (the last one exactly 1).
  std::vector<double> probability;
  std::vector<double> cumulative;
  // r_i b_j / (a_i c_j).
  std::vector<double> mass_ratio;
  // Sum of a over rows with r > 0 (= sum gamma0); a over rows with r = 0; b over columns with
  // c = 0.
  double sampled_source_mass = 0.0;
  double unsampled_source_mass = 0.0;
  double unsampled_target_mass = 0.0;
};

// The weights of `plan` (one non-negative value per entry of `structure`, CSR order) with masses
// a (one per row) and b (one per column), all in host memory; the result is on the host for
// both backends. Costs are not read; the structure's transpose is used when present and built
// otherwise. Throws InputError for sizes that do not match the structure, a malformed structure,
// or the CUDA backend in a build without it.
PairWeights pair_weights(const Exec& exec,
                         const CsrMatrix& structure,
                         View<const double> plan,
                         View<const double> a,
                         View<const double> b);

// Positions 0 .. n) in clusters: cluster k holds positions offsets[k] .. offsets[k+1]). Returns,
// per position p, the running sum of w_p / a_k over p's cluster up to p, with the last position
// of every non-empty cluster set to exactly 1 (0 shares throughout in a cluster without mass).
// Throws InputError unless offsets run from 0 to n = weights.size without decreasing and
// cluster_mass has one value per cluster.
std::vector<double> within_cluster_cumulative(const Exec& exec,
                                              const std::vector<std::int64_t>& offsets,
                                              View<const double> cluster_mass,
                                              View<const double> weights);

}  // namespace mustfm
