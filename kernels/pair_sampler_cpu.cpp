// Host side of the fused pair sampler: argument checks, backend dispatch and the OpenMP twin of
// the CUDA kernel. The CPU path is the reference the GPU tests compare with.
#include <string>

#include "kernels/pair_sampler.h"
#include "kernels/pair_sampler_sample.h"

namespace mustfm {

namespace {

void check_space(MemorySpace space, MemorySpace expected, const char* what) {
  MUSTFM_EXPECTS(space == expected, std::string("sample_pairs: ") + what + " must be in " +
                                        (expected == MemorySpace::device ? "device" : "host") +
                                        " memory for this backend");
}

void check_arguments(const PairSamplerView& view,
                     std::int64_t count,
                     std::int64_t offset,
                     const PairBatchView& batch) {
  MUSTFM_EXPECTS(view.entries > 0, "sample_pairs: the pair distribution is empty");
  MUSTFM_EXPECTS(view.dimension >= 1, "sample_pairs: dimension must be at least 1");
  MUSTFM_EXPECTS(batch.dimension == view.dimension,
                 "sample_pairs: the batch has dimension " + std::to_string(batch.dimension) +
                     ", the distribution " + std::to_string(view.dimension));
  MUSTFM_EXPECTS(view.delta > 0.0f, "sample_pairs: delta must be positive");
  MUSTFM_EXPECTS(view.time_length > 0.0f, "sample_pairs: the interval length must be positive");
  MUSTFM_EXPECTS(count >= 0 && offset >= 0 && offset + count <= batch.rows,
                 "sample_pairs: rows " + std::to_string(offset) + " .. " +
                     std::to_string(offset + count) + " exceed a batch of " +
                     std::to_string(batch.rows) + " rows");
  MUSTFM_EXPECTS(view.cumulative && view.source && view.target && view.mass_ratio &&
                     view.source_order && view.target_order && view.source_points &&
                     view.target_points,
                 "sample_pairs: the distribution view has a null array");
  MUSTFM_EXPECTS(!view.lifted || (view.source_offsets && view.target_offsets &&
                                  view.source_within && view.target_within),
                 "sample_pairs: the lifted distribution view has a null array");
  MUSTFM_EXPECTS(batch.inputs && batch.velocity && batch.growth && batch.weights && batch.dropped,
                 "sample_pairs: the batch view has a null array");
}

}  // namespace

void sample_pairs(const Exec& exec,
                  const PairSamplerView& interval_view,
                  std::uint64_t seed,
                  std::uint32_t interval,
                  std::uint32_t step,
                  std::int64_t count,
                  std::int64_t offset,
                  const PairBatchView& batch) {
  check_arguments(interval_view, count, offset, batch);
  const MemorySpace space = exec.backend == Backend::cuda ? MemorySpace::device : MemorySpace::host;
  check_space(interval_view.space, space, "the pair distribution");
  check_space(batch.space, space, "the batch");
  if (count == 0) return;

  if (exec.backend == Backend::cpu) {
    detail::sample_pairs_cpu(interval_view, seed, interval, step, count, offset, batch);
    return;
  }
#ifdef MUSTFM_WITH_CUDA
  detail::sample_pairs_cuda(exec, interval_view, seed, interval, step, nullptr, count, offset,
                            batch);
#else
  throw InputError("sample_pairs: the CUDA backend was requested, but this build has no CUDA");
#endif
}

void sample_pairs_at_device_step(const Exec& exec,
                                 const PairSamplerView& interval_view,
                                 std::uint64_t seed,
                                 std::uint32_t interval,
                                 const std::int64_t* device_step,
                                 std::int64_t count,
                                 std::int64_t offset,
                                 const PairBatchView& batch) {
  MUSTFM_EXPECTS(exec.backend == Backend::cuda,
                 "sample_pairs_at_device_step: the step lives in device memory, so it needs the "
                 "CUDA backend");
  MUSTFM_EXPECTS(device_step != nullptr, "sample_pairs_at_device_step: the step pointer is null");
  check_arguments(interval_view, count, offset, batch);
  check_space(interval_view.space, MemorySpace::device, "the pair distribution");
  check_space(batch.space, MemorySpace::device, "the batch");
  if (count == 0) return;
#ifdef MUSTFM_WITH_CUDA
  detail::sample_pairs_cuda(exec, interval_view, seed, interval, 0, device_step, count, offset,
                            batch);
#else
  (void)seed;
  (void)interval;
  throw InputError("sample_pairs: the CUDA backend was requested, but this build has no CUDA");
#endif
}

PairSampleUniforms pair_sample_uniforms(std::uint64_t seed,
                                        std::uint32_t interval,
                                        std::uint32_t step,
                                        std::uint64_t index) {
  return detail::sample_uniforms(seed, interval, step, index, true);
}

namespace detail {

void sample_pairs_cpu(const PairSamplerView& interval_view,
                      std::uint64_t seed,
                      std::uint32_t interval,
                      std::uint32_t step,
                      std::int64_t count,
                      std::int64_t offset,
                      const PairBatchView& batch) {
  // Every sample reads its own Philox block, so the rows do not depend on the thread count.
  int dropped = 0;
#pragma omp parallel for schedule(static) reduction(+ : dropped)
  for (std::int64_t i = 0; i < count; ++i) {
    if (!sample_one_pair(interval_view, seed, interval, step, static_cast<std::uint64_t>(i),
                         offset + i, batch))
      ++dropped;
  }
  *batch.dropped += dropped;
}

}  // namespace detail

}  // namespace mustfm
