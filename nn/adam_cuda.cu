// Adam and EMA kernels (nn/adam_cuda.h): one thread per parameter, grid-strided, each element
// updated by the shared formulas of kernels/adam.h.
#include <algorithm>
#include <cstdint>

#include "kernels/common/cuda_check.cuh"
#include "nn/adam_cuda.h"

namespace mustfm::detail {
namespace {

constexpr int kBlock = 256;
// Enough blocks to fill any current device; larger vectors are strided.
constexpr std::int64_t kMaxBlocks = 4096;

unsigned grid_for(std::int64_t count) {
  return static_cast<unsigned>(std::min(kMaxBlocks, (count + kBlock - 1) / kBlock));
}

// Contract: parameters, m, v, gradients `count` values; the first three updated in place.
// Launch: kBlock threads, any grid.
template <class Real>
__global__ void __launch_bounds__(kBlock) adam_step_kernel(Real* parameters,
                                                           Real* m,
                                                           Real* v,
                                                           const Real* gradients,
                                                           std::int64_t count,
                                                           AdamCoefficients<Real> k) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kBlock;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x; i < count;
       i += stride)
    adam_update(parameters[i], m[i], v[i], gradients[i], k);
}

// Contract: as adam_step_kernel, with the step scalars read from device memory (*k, one struct
// shared by every thread). Launch: kBlock threads, any grid.
template <class Real>
__global__ void __launch_bounds__(kBlock)
    adam_step_device_scalars_kernel(Real* parameters,
                                    Real* m,
                                    Real* v,
                                    const Real* gradients,
                                    std::int64_t count,
                                    const AdamCoefficients<Real>* k) {
  const AdamCoefficients<Real> scalars = *k;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kBlock;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x; i < count;
       i += stride)
    adam_update(parameters[i], m[i], v[i], gradients[i], scalars);
}

// Contract: average, parameters `count` values; average updated in place.
// Launch: kBlock threads, any grid.
template <class Real>
__global__ void __launch_bounds__(kBlock) ema_update_kernel(
    Real* average, const Real* parameters, std::int64_t count, Real decay, Real one_minus_decay) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kBlock;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x; i < count;
       i += stride)
    ema_update_element(average[i], parameters[i], decay, one_minus_decay);
}

}  // namespace

template <class Real>
void adam_step_cuda(const Exec& exec,
                    Real* parameters,
                    Real* m,
                    Real* v,
                    const Real* gradients,
                    std::size_t count,
                    const AdamCoefficients<Real>& k) {
  if (count == 0) return;
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  const auto n = static_cast<std::int64_t>(count);
  adam_step_kernel<Real><<<grid_for(n), kBlock, 0, stream>>>(parameters, m, v, gradients, n, k);
  MUSTFM_LAUNCH_CHECK(stream);
}

template <class Real>
void adam_step_cuda(const Exec& exec,
                    Real* parameters,
                    Real* m,
                    Real* v,
                    const Real* gradients,
                    std::size_t count,
                    const AdamCoefficients<Real>* k) {
  if (count == 0) return;
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  const auto n = static_cast<std::int64_t>(count);
  adam_step_device_scalars_kernel<Real>
      <<<grid_for(n), kBlock, 0, stream>>>(parameters, m, v, gradients, n, k);
  MUSTFM_LAUNCH_CHECK(stream);
}

template <class Real>
void ema_update_cuda(const Exec& exec,
                     Real* average,
                     const Real* parameters,
                     std::size_t count,
                     Real decay,
                     Real one_minus_decay) {
  if (count == 0) return;
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  const auto n = static_cast<std::int64_t>(count);
  ema_update_kernel<Real>
      <<<grid_for(n), kBlock, 0, stream>>>(average, parameters, n, decay, one_minus_decay);
  MUSTFM_LAUNCH_CHECK(stream);
}

#define MUSTFM_INSTANTIATE_ADAM_CUDA(Real)                                                       \
  template void adam_step_cuda<Real>(const Exec&, Real*, Real*, Real*, const Real*, std::size_t, \
                                     const AdamCoefficients<Real>&);                             \
  template void adam_step_cuda<Real>(const Exec&, Real*, Real*, Real*, const Real*, std::size_t, \
                                     const AdamCoefficients<Real>*);                             \
  template void ema_update_cuda<Real>(const Exec&, Real*, const Real*, std::size_t, Real, Real);

MUSTFM_INSTANTIATE_ADAM_CUDA(float)
MUSTFM_INSTANTIATE_ADAM_CUDA(double)

}  // namespace mustfm::detail
