// Per-pair formulas of the tiled Sinkhorn passes (kernels/uot_tiles.h), shared by the CPU and
// CUDA backends: the terms of kernels/uot_entry.h with the WFR cost (kernels/wfr_cost.h)
// recomputed from the points. Names as in kernels/uot_solver.h; x_i, y_j (source and target
// points of dimension `dim`), delta (WFR length scale).
#pragma once

#include <limits>

#include "kernels/common/host_device.h"
#include "kernels/uot_entry.h"
#include "kernels/wfr_cost.h"

namespace mustfm {

// The log-sum-exp term of pair (i, j) in a row pass (partner: column j) or a column pass
// (partner: row i). The cost, a square root, a sine or cosine and a logarithm, is skipped when
// the partner carries no mass, since the term is -inf then whatever the cost.
template <class T>
MUSTFM_HD T tile_lse_term(const T* source_point,
                          const T* target_point,
                          int dim,
                          T delta,
                          T partner_potential,
                          T partner_log_mass,
                          T eps) {
  if (!(partner_log_mass > -std::numeric_limits<T>::infinity()))
    return -std::numeric_limits<T>::infinity();
  return sinkhorn_lse_term(partner_potential, wfr_cost(source_point, target_point, dim, delta),
                           partner_log_mass, eps);
}

// gamma_ij of the pair from the points, 0 where no mass can flow.
template <class T>
MUSTFM_HD T tile_plan_value(const T* source_point,
                            const T* target_point,
                            int dim,
                            T delta,
                            T f,
                            T g,
                            T log_a,
                            T log_b,
                            T eps) {
  if (!(log_a > -std::numeric_limits<T>::infinity()) ||
      !(log_b > -std::numeric_limits<T>::infinity()))
    return T(0);
  return sinkhorn_plan(f, g, wfr_cost(source_point, target_point, dim, delta), log_a, log_b, eps);
}

}  // namespace mustfm
