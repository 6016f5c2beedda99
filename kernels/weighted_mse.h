// The weighted flow-matching loss (nn/loss.h), element by element, shared by the CPU and CUDA
// backends so both round the gradient identically. With n = rows * cols entries:
//   loss      = (1 / n) sum_i w_i (y_i - target_i)^2        (w_i: the weight of entry i's row)
//   dL/dy_i   = (2 / n) w_i (y_i - target_i)
// The squared terms are returned in double for the caller to sum; the gradient stays in Real.
#pragma once

#include <cstddef>

#include "kernels/common/host_device.h"

namespace mustfm {

// 1 / n for the loss and 2 / n for the gradient, formed once in double. n = 0 gives zeros.
template <class Real>
struct WeightedMseScales {
  double inverse_count;
  Real gradient_scale;
};

template <class Real>
inline WeightedMseScales<Real> weighted_mse_scales(std::size_t rows, std::size_t cols) {
  const double count = static_cast<double>(rows) * static_cast<double>(cols);
  const double inverse_count = count > 0.0 ? 1.0 / count : 0.0;
  return {inverse_count, static_cast<Real>(2.0 * inverse_count)};
}

// Assigns dL/dy of one entry to `gradient` and returns its term w (y - target)^2, unscaled.
template <class Real>
MUSTFM_HD double weighted_mse_element(
    Real y, Real target, Real weight, Real gradient_scale, Real& gradient) {
  const Real residual = y - target;
  gradient = gradient_scale * weight * residual;
  return static_cast<double>(weight) * static_cast<double>(residual) * residual;
}

}  // namespace mustfm
