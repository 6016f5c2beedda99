// The glue from a coupling stage's PairDistribution (engine/pair_distribution.h) to the fused
// sampler (kernels/pair_sampler.h): copies one interval's distribution and the coordinates of its
// two snapshots (converted to float) into arrays of one memory space, and hands out the kernel's
// view of them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/pair_distribution.h"
#include "engine/snapshots.h"
#include "kernels/common/memory.h"
#include "kernels/pair_sampler.h"

namespace mustfm {

// Owns the arrays behind one interval's PairSamplerView.
struct PairSamplerData {
  MemorySpace space = MemorySpace::host;
  bool lifted = false;
  int dimension = 0;
  float delta = 1.0f;
  float time_start = 0.0f;
  float time_length = 1.0f;

  Buffer<double> cumulative;
  Buffer<std::int32_t> source;
  Buffer<std::int32_t> target;
  Buffer<double> mass_ratio;
  Buffer<std::int64_t> source_order;
  Buffer<std::int64_t> target_order;
  // Lifted only (empty otherwise).
  Buffer<std::int64_t> source_offsets;
  Buffer<std::int64_t> target_offsets;
  Buffer<double> source_within;
  Buffer<double> target_within;
  // cells x dimension floats, row-major, snapshot order.
  Buffer<float> source_points;
  Buffer<float> target_points;

  PairSamplerView view() const;
};

// Copies `distribution` between snapshots `source` (time t_k) and `target` (time t_k+1) into
// `space`; the interval starts at source.time and lasts target.time - source.time. Throws
// InputError for an empty distribution, a non-positive delta or interval, features that do not
// hold cell_count x dimension values, or entries, positions and cells that point outside the
// arrays they index.
PairSamplerData make_pair_sampler_data(Allocator& allocator,
                                       MemorySpace space,
                                       const PairDistribution& distribution,
                                       const Snapshot& source,
                                       const Snapshot& target,
                                       std::size_t dimension,
                                       double delta);

}  // namespace mustfm
