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

// The translation step of the Sinkhorn solver. The dual objective
//   D(f, g) = -rho sum_i a_i (e^{-f_i / rho} - 1) - rho sum_j b_j (e^{-g_j / rho} - 1)
//             - eps sum_ij a_i b_j (e^{(f_i + g_j - C_ij) / eps} - 1)
// keeps its last term under f + lambda, g - lambda; the lambda maximizing the rest is
//   lambda = rho / 2 (log A - log B),  A = sum_i a_i e^{-f_i / rho},  B = sum_j b_j e^{-g_j / rho}.
// Plain Sinkhorn shrinks a common shift of f and -g only by tau^2 per iteration (slow when
// eps << rho); this step removes it, and is 0 at the optimum, so the solution is unchanged.
// translation_term is one term of log A (log B): -inf for lines that carry no mass.
template <class T>
MUSTFM_HD T translation_term(T potential, T log_mass, T rho) {
  if (!(log_mass > -std::numeric_limits<T>::infinity())) return log_mass;
  return log_mass - potential / rho;
}

// lambda from log A and log B; 0 when either side carries no mass.
template <class T>
MUSTFM_HD T translation_shift(T log_a_sum, T log_b_sum, T rho) {
  const T none = -std::numeric_limits<T>::infinity();
  if (!(log_a_sum > none) || !(log_b_sum > none)) return T(0);
  return rho / T(2) * (log_a_sum - log_b_sum);
}

// Over-relaxation of the Sinkhorn updates: potential <- previous + omega (update - previous).
// Near the solution one iteration acts on (f, g) like a Gauss-Seidel sweep whose Jacobi matrix
// has spectral radius tau (the coupled shift f + c, g - tau c of a cluster pair that trades mass
// with no one else), so plain iterations shrink errors only by tau^2 ~ 1 - 2 eps / rho. The
// optimal successive over-relaxation factor for that radius, 2 / (1 + sqrt(1 - tau^2)), shrinks
// them by omega - 1 per iteration instead (0.91 rather than 0.998 at eps / rho = 1e-3).
template <class T>
MUSTFM_HD T sinkhorn_relaxation(T tau) {
  return T(2) / (T(1) + std::sqrt(T(1) - tau * tau));
}

template <class T>
MUSTFM_HD T sinkhorn_relax(T previous, T update, T omega) {
  return previous + omega * (update - previous);
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
// nothing. mm_update_from_roots takes sqrt(r_i) and sqrt(c_j) already taken, so a pass can take
// each root once per row or column instead of once per entry (same arithmetic, same bits).
template <class T>
MUSTFM_HD T mm_update_from_roots(T gamma, T kernel, T root_row_sum, T root_col_sum) {
  if (!(gamma > T(0))) return T(0);
  const T updated = kernel * gamma / (root_row_sum * root_col_sum);
  return updated < std::numeric_limits<T>::min() ? T(0) : updated;
}

template <class T>
MUSTFM_HD T mm_update(T gamma, T kernel, T row_sum, T col_sum) {
  return mm_update_from_roots(gamma, kernel, std::sqrt(row_sum), std::sqrt(col_sum));
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
