// The fused training-pair sampler (DESIGN.md sections 7 and 8): for every sample of a batch it
// draws one pair from an interval's pair distribution, walks the traveling Dirac to a uniform s
// and writes the network input [t, x(s)], the velocity target u, the growth target q and the loss
// weight m(s) / m0. One interface, two backends (OpenMP on the host, CUDA on the device); a plain
// C++ header.
//
// Names: k = interval index, t_k = interval start, dt = interval length, delta = WFR length
// scale, m0 = 1 and m1 = mass ratio of the drawn pair, s in [0, 1) = position on the geodesic.
//
// Random numbers. Sample i of interval k at training step `step` reads the Philox block
// random_bits(seed, stream = k, step, index = i) (kernels/common/random.h):
//   words 0, 1  the entry: u = (word0 << 21 | word1 >> 11) * 2^-53, 53 bits, in [0, 1)
//   word 2      s = (word2 >> 8) * 2^-24, 24 bits, in [0, 1) (uniform_float)
//   word 3      unused
// Lifted distributions read a second block at index i + 2^63 (sample indices stay far below):
//   words 0, 1  the source cell within the block, 53 bits as above
//   words 2, 3  the target cell within the block, 53 bits as above
// Every draw is an upper-bound binary search over running sums in double: the first position
// whose running sum exceeds u, clamped to the range's last position (PairDistribution::draw).
// The same address gives the same bits and the same doubles on both backends, hence the same
// pair, in any order and on any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

// One interval's pair distribution and the coordinates of its two snapshots, as raw pointers
// that all live in `space`. Shapes (n entries, p0 / p1 source / target sorted positions, N0 / N1
// source / target cells, d features, C0 / C1 source / target clusters):
//   cumulative      n doubles, non-decreasing running sums of the entry probabilities, last 1
//   source, target  n entries: sorted positions (cells form) or cluster indices (lifted)
//   mass_ratio      n doubles: m1 / m0 of the entry
//   source_order    p0 values: sorted position -> source cell (row of source_points); likewise
//   target_order    p1 values for the target
//   lifted only:    source_offsets C0 + 1 and target_offsets C1 + 1 cluster ranges of sorted
//                   positions; source_within p0 and target_within p1 running sums of w / a over
//                   each cluster (1 at each cluster's last position)
//   source_points   N0 x d floats, target_points N1 x d floats, row-major, snapshot order
struct PairSamplerView {
  MemorySpace space = MemorySpace::host;
  bool lifted = false;
  std::int64_t entries = 0;
  const double* cumulative = nullptr;
  const std::int32_t* source = nullptr;
  const std::int32_t* target = nullptr;
  const double* mass_ratio = nullptr;

  std::int64_t source_positions = 0;
  std::int64_t target_positions = 0;
  const std::int64_t* source_order = nullptr;
  const std::int64_t* target_order = nullptr;

  std::int64_t source_clusters = 0;
  std::int64_t target_clusters = 0;
  const std::int64_t* source_offsets = nullptr;
  const std::int64_t* target_offsets = nullptr;
  const double* source_within = nullptr;
  const double* target_within = nullptr;

  std::int64_t source_cells = 0;
  std::int64_t target_cells = 0;
  const float* source_points = nullptr;
  const float* target_points = nullptr;

  int dimension = 0;
  float delta = 1.0f;
  float time_start = 0.0f;
  float time_length = 1.0f;
};

// A concatenated training batch of `rows` rows (all intervals of one step), pointers in `space`:
//   inputs        rows x (1 + d) floats, row-major: [t, x(s)]
//   velocity      rows x d floats, row-major: u
//   growth        rows floats: q
//   weights       rows floats: m(s) / m0
//   dropped       one int, accumulated: pairs that could not be used (see sample_pairs)
//   source_cell,  rows int64 each, optional (may be null): the drawn source and target cells
//   target_cell   (snapshot order), for diagnostics and tests
struct PairBatchView {
  MemorySpace space = MemorySpace::host;
  std::int64_t rows = 0;
  int dimension = 0;
  float* inputs = nullptr;
  float* velocity = nullptr;
  float* growth = nullptr;
  float* weights = nullptr;
  int* dropped = nullptr;
  std::int64_t* source_cell = nullptr;
  std::int64_t* target_cell = nullptr;
};

// Fills rows offset .. offset + count - 1 of `batch` with samples 0 .. count - 1 of interval
// `interval` at step `step`, in float. A pair the traveling Dirac cannot use (distance at or
// beyond pi delta, or a mass ratio that is not positive and finite in float) gets weight 0, zero
// targets and input [t, x0], and adds 1 to *batch.dropped. Other rows and *dropped's previous
// value are left as they are (assign rows, accumulate the counter). Every pointer must be in the
// backend's memory space; on CUDA the call is asynchronous on exec.stream. Inconsistent shapes,
// an empty distribution, a non-positive delta or interval length, rows out of range, views in the
// wrong space, or CUDA in a build without it are InputErrors. The distribution's arrays are
// trusted (checked where they are built, engine/sampler_setup.h).
void sample_pairs(const Exec& exec,
                  const PairSamplerView& interval_view,
                  std::uint64_t seed,
                  std::uint32_t interval,
                  std::uint32_t step,
                  std::int64_t count,
                  std::int64_t offset,
                  const PairBatchView& batch);

// sample_pairs on CUDA with the step index read from device memory when the kernel runs
// (*device_step, taken modulo 2^32), so a captured CUDA graph draws each replay's own step. The
// caller keeps the step within the 32-bit range. InputError for the CPU backend or a null step.
void sample_pairs_at_device_step(const Exec& exec,
                                 const PairSamplerView& interval_view,
                                 std::uint64_t seed,
                                 std::uint32_t interval,
                                 const std::int64_t* device_step,
                                 std::int64_t count,
                                 std::int64_t offset,
                                 const PairBatchView& batch);

// The uniforms sample `index` draws (see the bit layout above), for tests and diagnostics;
// `source` and `target` are the ones a lifted distribution reads (the cells form ignores them).
struct PairSampleUniforms {
  double entry = 0.0;
  double source = 0.0;
  double target = 0.0;
  float s = 0.0f;
};
PairSampleUniforms pair_sample_uniforms(std::uint64_t seed,
                                        std::uint32_t interval,
                                        std::uint32_t step,
                                        std::uint64_t index);

namespace detail {
void sample_pairs_cpu(const PairSamplerView& interval_view,
                      std::uint64_t seed,
                      std::uint32_t interval,
                      std::uint32_t step,
                      std::int64_t count,
                      std::int64_t offset,
                      const PairBatchView& batch);
#ifdef MUSTFM_WITH_CUDA
// The step is *device_step when that is not null, else `step`.
void sample_pairs_cuda(const Exec& exec,
                       const PairSamplerView& interval_view,
                       std::uint64_t seed,
                       std::uint32_t interval,
                       std::uint32_t step,
                       const std::int64_t* device_step,
                       std::int64_t count,
                       std::int64_t offset,
                       const PairBatchView& batch);
#endif
}  // namespace detail

}  // namespace mustfm
