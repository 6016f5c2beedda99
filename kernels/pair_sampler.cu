// CUDA backend of the fused pair sampler (kernels/pair_sampler.h): one thread per sample, each
// running the same sample_one_pair as the OpenMP twin on its own Philox block.
#include <climits>

#include "kernels/common/cuda_check.cuh"
#include "kernels/pair_sampler.h"
#include "kernels/pair_sampler_sample.h"

namespace mustfm::detail {

namespace {

constexpr int kBlock = 256;

// Contract (B = count samples, d features; layouts in kernels/pair_sampler.h):
//   view     one interval's distribution and snapshot coordinates, all in device memory
//   step     the Philox step: *device_step (low 32 bits) when device_step is not null, else
//            step_value
//   batch    rows offset .. offset + B - 1 of inputs (x (1 + d)), velocity (x d), growth and
//            weights are assigned, as are source_cell / target_cell when not null;
//            *batch.dropped is accumulated (one atomicAdd per unusable pair)
// Launch: ceil(B / kBlock) blocks of kBlock threads, one thread per sample, no shared memory.
// Preconditions (checked by sample_pairs on the host): B >= 1, entries >= 1, d >= 1,
// offset + B <= rows; the distribution's arrays are consistent.
__global__ void __launch_bounds__(kBlock) sample_pairs_kernel(PairSamplerView view,
                                                              std::uint64_t seed,
                                                              std::uint32_t interval,
                                                              std::uint32_t step_value,
                                                              const std::int64_t* device_step,
                                                              std::int64_t count,
                                                              std::int64_t offset,
                                                              PairBatchView batch) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x;
  if (i >= count) return;
  const std::uint32_t step =
      device_step != nullptr ? static_cast<std::uint32_t>(*device_step) : step_value;
  if (!sample_one_pair(view, seed, interval, step, static_cast<std::uint64_t>(i), offset + i,
                       batch))
    atomicAdd(batch.dropped, 1);
}

}  // namespace

void sample_pairs_cuda(const Exec& exec,
                       const PairSamplerView& interval_view,
                       std::uint64_t seed,
                       std::uint32_t interval,
                       std::uint32_t step,
                       const std::int64_t* device_step,
                       std::int64_t count,
                       std::int64_t offset,
                       const PairBatchView& batch) {
  const std::int64_t blocks = (count + kBlock - 1) / kBlock;
  MUSTFM_EXPECTS(blocks <= INT_MAX,
                 "sample_pairs: " + std::to_string(count) + " samples exceed one grid");

  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  sample_pairs_kernel<<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(
      interval_view, seed, interval, step, device_step, count, offset, batch);
  MUSTFM_LAUNCH_CHECK(stream);
}

}  // namespace mustfm::detail
