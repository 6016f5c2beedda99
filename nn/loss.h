// The weighted flow-matching loss of one network output (DESIGN.md section 8), fused with the
// gradient that starts the network's backward pass. With y the output and target the velocity
// or growth target (rows x width, row-major) and w one loss weight m(s) / m0 per row:
//   loss      = sum_{r,j} w_r (y_rj - target_rj)^2 / (rows width)
//   dL/dy_rj  = 2 w_r (y_rj - target_rj) / (rows width)
#pragma once

#include <cstddef>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

// Returns the loss and assigns dL/dy to grad_y (which may share memory with y).
double weighted_mse_loss(const Exec& exec,
                         View<const float> y,
                         View<const float> target,
                         View<const float> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<float> grad_y);
double weighted_mse_loss(const Exec& exec,
                         View<const double> y,
                         View<const double> target,
                         View<const double> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<double> grad_y);

}  // namespace mustfm
