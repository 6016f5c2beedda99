// Per-entry formulas of the training-pair weights (kernels/pair_weights.h), shared by the CPU and
// CUDA backends. Names: gamma (plan value of the entry (i, j)), a_i, b_j (source and target
// masses), r_i = sum_j gamma_ij and c_j = sum_i gamma_ij (the plan's row and column sums),
// gamma0_ij = a_i gamma_ij / r_i (the starting semi-coupling), w_p (weight of the cell at sorted
// position p), a_I (mass of the cluster holding p).
#pragma once

#include "kernels/common/host_device.h"

namespace mustfm {

// gamma0_ij = a_i gamma_ij / r_i, and 0 for an entry that carries nothing. gamma > 0 implies
// r_i >= gamma > 0 for a non-negative plan, so a row without mass never reaches the division;
// the test on r_i still keeps a plan with negative entries away from 0 / 0.
template <class T>
MUSTFM_HD T pair_gamma0(T a, T gamma, T row_sum) {
  if (!(gamma > T(0)) || !(row_sum > T(0))) return T(0);
  return a * gamma / row_sum;
}

// An entry is drawn with probability proportional to gamma0, so only entries with gamma0 > 0
// enter the distribution.
template <class T>
MUSTFM_HD bool pair_sampled(T gamma0) {
  return gamma0 > T(0);
}

// m1 / m0 = gamma1_ij / gamma0_ij = r_i b_j / (a_i c_j), for a sampled entry (a_i > 0 and
// c_j >= gamma_ij > 0 there).
template <class T>
MUSTFM_HD T pair_mass_ratio(T a, T b, T row_sum, T col_sum) {
  return row_sum * b / (a * col_sum);
}

// The share w_p / a_I of a cell within its cluster; 0 in a cluster without mass.
template <class T>
MUSTFM_HD T within_cluster_share(T weight, T cluster_mass) {
  return cluster_mass > T(0) ? weight / cluster_mass : T(0);
}

}  // namespace mustfm
