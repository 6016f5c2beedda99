// One sample of the fused pair sampler, written once for the host and the device: the OpenMP
// loop (pair_sampler_cpu.cpp) and the CUDA kernel (pair_sampler.cu) both call sample_one_pair,
// so the two backends run the same draws and the same traveling Dirac arithmetic. Internal: it
// needs Random123, which only the library's own sources see. The bit layout is documented in
// kernels/pair_sampler.h.
#pragma once

#include <cstdint>

#include "kernels/common/host_device.h"
#include "kernels/common/random.h"
#include "kernels/pair_sampler.h"
#include "kernels/traveling_dirac.h"

namespace mustfm::detail {

// Index offset of the second Philox block that lifted distributions read.
constexpr std::uint64_t kLiftedBlockOffset = std::uint64_t{1} << 63;

// Uniform in [0, 1) with 53 random bits: the 32 bits of `high` above the top 21 bits of `low`.
MUSTFM_HD double uniform_closed_open(std::uint32_t high, std::uint32_t low) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(high) << 21) | (low >> 11);
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

// First position p in [begin, end) with running[p] > u, or end - 1 when there is none
// (std::upper_bound, clamped). Requires begin < end.
MUSTFM_HD std::int64_t upper_position(const double* running,
                                      std::int64_t begin,
                                      std::int64_t end,
                                      double u) {
  std::int64_t low = begin;
  std::int64_t high = end;
  while (low < high) {
    const std::int64_t middle = low + (high - low) / 2;
    if (running[middle] > u)
      high = middle;
    else
      low = middle + 1;
  }
  return low < end ? low : end - 1;
}

MUSTFM_HD PairSampleUniforms sample_uniforms(std::uint64_t seed,
                                             std::uint32_t interval,
                                             std::uint32_t step,
                                             std::uint64_t index,
                                             bool lifted) {
  const RandomBits bits = random_bits(seed, interval, step, index);
  PairSampleUniforms u;
  u.entry = uniform_closed_open(bits.v[0], bits.v[1]);
  u.s = uniform_float(bits.v[2]);
  if (lifted) {
    const RandomBits cell_bits = random_bits(seed, interval, step, index + kLiftedBlockOffset);
    u.source = uniform_closed_open(cell_bits.v[0], cell_bits.v[1]);
    u.target = uniform_closed_open(cell_bits.v[2], cell_bits.v[3]);
  }
  return u;
}

// Draws sample `index` and writes batch row `row` (layouts in kernels/pair_sampler.h). Returns
// false when the pair could not be used (the row then holds [t, x0], zero targets, weight 0).
MUSTFM_HD bool sample_one_pair(const PairSamplerView& view,
                               std::uint64_t seed,
                               std::uint32_t interval,
                               std::uint32_t step,
                               std::uint64_t index,
                               std::int64_t row,
                               const PairBatchView& batch) {
  const PairSampleUniforms u = sample_uniforms(seed, interval, step, index, view.lifted);

  // The entry, then (lifted) one cell of each side of the block.
  const std::int64_t entry = upper_position(view.cumulative, 0, view.entries, u.entry);
  std::int64_t source_position = view.source[entry];
  std::int64_t target_position = view.target[entry];
  if (view.lifted) {
    source_position = upper_position(view.source_within, view.source_offsets[source_position],
                                     view.source_offsets[source_position + 1], u.source);
    target_position = upper_position(view.target_within, view.target_offsets[target_position],
                                     view.target_offsets[target_position + 1], u.target);
  }
  const std::int64_t source_cell = view.source_order[source_position];
  const std::int64_t target_cell = view.target_order[target_position];

  const int d = view.dimension;
  const float* x0 = view.source_points + source_cell * d;
  const float* x1 = view.target_points + target_cell * d;
  float* input = batch.inputs + row * (d + 1);
  float* velocity = batch.velocity + row * d;
  input[0] = view.time_start + u.s * view.time_length;

  DiracProfile<float> profile;
  const float m1 = static_cast<float>(view.mass_ratio[entry]);
  const bool usable = traveling_dirac<float>(x0, x1, d, 1.0f, m1, view.delta, u.s, view.time_length,
                                             input + 1, velocity, profile);
  if (usable) {
    batch.growth[row] = profile.growth;
    batch.weights[row] = profile.weight;
  } else {
    for (int j = 0; j < d; ++j) {
      input[1 + j] = x0[j];
      velocity[j] = 0.0f;
    }
    batch.growth[row] = 0.0f;
    batch.weights[row] = 0.0f;
  }
  if (batch.source_cell != nullptr) batch.source_cell[row] = source_cell;
  if (batch.target_cell != nullptr) batch.target_cell[row] = target_cell;
  return usable;
}

}  // namespace mustfm::detail
