// Per-entry formulas of the unbalanced transport solvers (kernels/uot_solver.h), shared by the
// CPU and CUDA backends. Names: f, g (row and column potentials), C (cost of the entry), a, b
// (row and column masses, here already divided by the global constant Z), eps, rho, tau =
// rho / (rho + eps), gamma (plan value of the entry).
//
// Rows and columns that cannot carry mass have potential +inf and log mass -inf; inadmissible
// entries have C = +inf. Every formula tests for these first, so such values never meet in
// arithmetic (no inf - inf, no 0 * inf).
#pragma once

#include <cmath>
#include <limits>

#include "kernels/common/host_device.h"

namespace mustfm {

template <class T>
MUSTFM_HD bool uot_admissible(T cost, T partner_log_mass) {
  return cost < std::numeric_limits<T>::infinity() &&
         partner_log_mass > -std::numeric_limits<T>::infinity();
}

// The term of the row (column) log-sum-exp: (g_j - C_ij) / eps + log b_j for the f update, and
// the same with f_i and log a_i for the g update; -inf for entries that carry no mass.
template <class T>
MUSTFM_HD T sinkhorn_lse_term(T partner_potential, T cost, T partner_log_mass, T eps) {
  if (!uot_admissible(cost, partner_log_mass)) return -std::numeric_limits<T>::infinity();
  return (partner_potential - cost) / eps + partner_log_mass;
}

// f_i = -tau eps LSE_j(...), from the log-sum-exp of the row's terms (finite for a row that can
// carry mass).
template <class T>
MUSTFM_HD T sinkhorn_potential(T lse, T tau, T eps) {
  return -tau * eps * lse;
}

// gamma_ij = exp((f_i + g_j - C_ij) / eps + log a_i + log b_j), 0 where no mass can flow.
template <class T>
MUSTFM_HD T sinkhorn_plan(T f, T g, T cost, T log_a, T log_b, T eps) {
  if (!uot_admissible(cost, log_a) || !(log_b > -std::numeric_limits<T>::infinity())) return T(0);
  return std::exp((f + g - cost) / eps + log_a + log_b);
}

// K_ij = sqrt(a_i b_j) exp(-C_ij / (2 rho)), 0 for inadmissible entries.
template <class T>
MUSTFM_HD T mm_kernel(T a, T b, T cost, T rho) {
  if (!(cost < std::numeric_limits<T>::infinity())) return T(0);
  return std::sqrt(a * b) * std::exp(-cost / (T(2) * rho));
}

// gamma_ij <- K_ij gamma_ij / (sqrt(r_i) sqrt(c_j)) with r, c the row and column sums of gamma.
// An entry at 0 stays 0, which also guards r_i = 0 or c_j = 0 (then the entry is 0). The square
// roots are taken separately so that r_i c_j cannot underflow. Entries off the optimal support
// decay geometrically; once below the smallest normal number they are set to 0, because
// subnormal arithmetic is slow on CPUs and such an entry (relative to masses of order 1) carries
// nothing.
template <class T>
MUSTFM_HD T mm_update(T gamma, T kernel, T row_sum, T col_sum) {
  if (!(gamma > T(0))) return T(0);
  const T updated = kernel * gamma / (std::sqrt(row_sum) * std::sqrt(col_sum));
  return updated < std::numeric_limits<T>::min() ? T(0) : updated;
}

// One term of the generalized KL(p | q) = p log(p / q) - p + q for p, q >= 0, with 0 log 0 = 0.
// Written as q h(p / q), h(x) = x log x - x + 1, with log1p near x = 1 so that p ~ q keeps its
// accuracy (x - 1 is exact there); plain log below 1/2, where x - 1 would round away a tiny x.
template <class T>
MUSTFM_HD T kl_term(T p, T q) {
  if (p == T(0)) return q;
  if (q == T(0)) return std::numeric_limits<T>::infinity();
  const T x = p / q;
  const T log_x = x < T(0.5) ? std::log(x) : std::log1p(x - T(1));
  return q * (x * log_x - (x - T(1)));
}

}  // namespace mustfm
