// CUDA twin of weighted_mse_cpu (kernels/dense_cpu.h), behind weighted_mse_loss (nn/loss.h).
// A plain C++ header: the scratch size below is needed by builds without CUDA.
#pragma once

#include <cstddef>

#include "kernels/common/backend.h"

namespace mustfm::detail {

// The loss kernel runs at most this many blocks; each leaves one partial sum, which a second
// kernel adds in block order, so the loss has the same bits on every run.
constexpr std::size_t kWeightedMseMaxBlocks = 1024;

#ifdef MUSTFM_WITH_CUDA

// Assigns dL/dy to grad (rows x cols, may be y) and the loss to *loss (one device double).
// y, target, grad: rows x cols row-major; weight: rows; partials: kWeightedMseMaxBlocks doubles.
// All device memory; queued on exec.stream.
template <class Real>
void weighted_mse_cuda(const Exec& exec,
                       const Real* y,
                       const Real* target,
                       const Real* weight,
                       std::size_t rows,
                       std::size_t cols,
                       Real* grad,
                       double* partials,
                       double* loss);

#endif

}  // namespace mustfm::detail
