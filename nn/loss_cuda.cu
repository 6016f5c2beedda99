// The weighted flow-matching loss and its gradient on the device (nn/loss_cuda.h): one pass
// writes the gradient and one double partial sum per block, a second adds the partials. The
// per-entry formula is kernels/weighted_mse.h, the one the CPU uses. No floating-point atomics:
// every sum runs in a fixed order, so the loss is bitwise reproducible.
#include <algorithm>
#include <cstdint>

#include "kernels/common/cuda_check.cuh"
#include "kernels/weighted_mse.h"
#include "nn/loss_cuda.h"

namespace mustfm::detail {
namespace {

constexpr int kBlock = 256;

// Sum of one value per thread of a kBlock-thread block, in a fixed tree order. `scratch` holds
// kBlock doubles of shared memory; only thread 0's result is meaningful.
__device__ double block_sum(double value, double* scratch) {
  scratch[threadIdx.x] = value;
  __syncthreads();
  for (int half = kBlock / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
    __syncthreads();
  }
  return scratch[0];
}

// Contract: y, target, grad count = rows x cols values, row-major; weight rows values; grad
// assigned (may be y). partials[blockIdx.x] assigned the block's sum of the unscaled terms
// w (y - target)^2. Launch: kBlock threads, any grid size; entries strided by the grid.
template <class Real>
__global__ void __launch_bounds__(kBlock) weighted_mse_kernel(const Real* y,
                                                              const Real* target,
                                                              const Real* weight,
                                                              std::int64_t count,
                                                              std::int64_t cols,
                                                              Real gradient_scale,
                                                              Real* grad,
                                                              double* partials) {
  __shared__ double scratch[kBlock];
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kBlock;
  double sum = 0.0;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x; i < count;
       i += stride)
    sum += weighted_mse_element(y[i], target[i], weight[i / cols], gradient_scale, grad[i]);
  const double total = block_sum(sum, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// Contract: partials `blocks` doubles; *loss assigned their sum times inverse_count.
// Launch: one block of kBlock threads.
__global__ void __launch_bounds__(kBlock)
    finish_loss_kernel(const double* partials, int blocks, double inverse_count, double* loss) {
  __shared__ double scratch[kBlock];
  double sum = 0.0;
  for (int b = threadIdx.x; b < blocks; b += kBlock) sum += partials[b];
  const double total = block_sum(sum, scratch);
  if (threadIdx.x == 0) *loss = total * inverse_count;
}

}  // namespace

template <class Real>
void weighted_mse_cuda(const Exec& exec,
                       const Real* y,
                       const Real* target,
                       const Real* weight,
                       std::size_t rows,
                       std::size_t cols,
                       Real* grad,
                       double* partials,
                       double* loss) {
  const WeightedMseScales<Real> scales = weighted_mse_scales<Real>(rows, cols);
  const auto count = static_cast<std::int64_t>(rows * cols);
  // The block count depends only on the size, so the partials, and the loss, never depend on
  // timing.
  const int blocks = static_cast<int>(
      std::min<std::int64_t>(kWeightedMseMaxBlocks, (count + kBlock - 1) / kBlock));
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);

  if (blocks > 0) {
    weighted_mse_kernel<Real><<<blocks, kBlock, 0, stream>>>(y, target, weight, count,
                                                             static_cast<std::int64_t>(cols),
                                                             scales.gradient_scale, grad, partials);
    MUSTFM_LAUNCH_CHECK(stream);
  }
  // Also for an empty batch, so the loss reads 0 as on the CPU.
  finish_loss_kernel<<<1, kBlock, 0, stream>>>(partials, blocks, scales.inverse_count, loss);
  MUSTFM_LAUNCH_CHECK(stream);
}

template void weighted_mse_cuda<float>(const Exec&,
                                       const float*,
                                       const float*,
                                       const float*,
                                       std::size_t,
                                       std::size_t,
                                       float*,
                                       double*,
                                       double*);
template void weighted_mse_cuda<double>(const Exec&,
                                        const double*,
                                        const double*,
                                        const double*,
                                        std::size_t,
                                        std::size_t,
                                        double*,
                                        double*,
                                        double*);

}  // namespace mustfm::detail
