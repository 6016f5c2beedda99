#include "engine/sampler_setup.h"

#include <string>
#include <vector>

#include "kernels/common/error.h"

namespace mustfm {

namespace {

template <class T>
Buffer<T> copy_to(Allocator& allocator,
                  MemorySpace space,
                  const std::vector<T>& host,
                  const std::string& purpose) {
  Buffer<T> buffer(allocator, host.size(), space, "pair sampler: " + purpose);
  buffer.copy_from(View<const T>{host.data(), host.size(), MemorySpace::host});
  return buffer;
}

std::vector<float> float_points(const Snapshot& snapshot, std::size_t dimension, const char* side) {
  MUSTFM_EXPECTS(snapshot.features.size() == snapshot.cell_count * dimension,
                 std::string("pair sampler: the ") + side + " snapshot has " +
                     std::to_string(snapshot.features.size()) + " feature values for " +
                     std::to_string(snapshot.cell_count) + " cells of dimension " +
                     std::to_string(dimension));
  return std::vector<float>(snapshot.features.begin(), snapshot.features.end());
}

// Every value of `indices` lies in [0, bound).
template <class T>
void check_indices(const std::vector<T>& indices, std::int64_t bound, const char* what) {
  for (std::size_t k = 0; k < indices.size(); ++k)
    MUSTFM_EXPECTS(indices[k] >= 0 && static_cast<std::int64_t>(indices[k]) < bound,
                   std::string("pair sampler: ") + what + "[" + std::to_string(k) +
                       "] = " + std::to_string(indices[k]) + " is outside [0, " +
                       std::to_string(bound) + ")");
}

// Offsets of `clusters` ranges over `positions` sorted positions: 0, non-decreasing, last equal.
void check_offsets(const std::vector<std::int64_t>& offsets,
                   std::size_t positions,
                   const char* what) {
  MUSTFM_EXPECTS(
      !offsets.empty() && offsets.front() == 0 &&
          offsets.back() == static_cast<std::int64_t>(positions),
      std::string("pair sampler: ") + what + " must run from 0 to " + std::to_string(positions));
  for (std::size_t c = 0; c + 1 < offsets.size(); ++c)
    MUSTFM_EXPECTS(offsets[c] <= offsets[c + 1],
                   std::string("pair sampler: ") + what + " decrease at " + std::to_string(c));
}

void check_distribution(const PairDistribution& p, const Snapshot& source, const Snapshot& target) {
  const std::size_t n = p.size();
  MUSTFM_EXPECTS(n > 0, "pair sampler: the pair distribution is empty");
  MUSTFM_EXPECTS(p.cumulative.size() == n && p.source.size() == n && p.target.size() == n &&
                     p.mass_ratio.size() == n,
                 "pair sampler: the distribution's entry arrays differ in length");
  check_indices(p.source_order, static_cast<std::int64_t>(source.cell_count), "source_order");
  check_indices(p.target_order, static_cast<std::int64_t>(target.cell_count), "target_order");
  if (!p.lifted) {
    check_indices(p.source, static_cast<std::int64_t>(p.source_order.size()), "source");
    check_indices(p.target, static_cast<std::int64_t>(p.target_order.size()), "target");
    return;
  }
  MUSTFM_EXPECTS(p.source_within.size() == p.source_order.size() &&
                     p.target_within.size() == p.target_order.size(),
                 "pair sampler: the within-cluster sums do not cover the sorted positions");
  check_offsets(p.source_offsets, p.source_order.size(), "source_offsets");
  check_offsets(p.target_offsets, p.target_order.size(), "target_offsets");
  check_indices(p.source, static_cast<std::int64_t>(p.source_offsets.size()) - 1, "source");
  check_indices(p.target, static_cast<std::int64_t>(p.target_offsets.size()) - 1, "target");
  // A drawn block must hold at least one cell on each side.
  for (std::size_t k = 0; k < n; ++k)
    MUSTFM_EXPECTS(p.source_offsets[p.source[k]] < p.source_offsets[p.source[k] + 1] &&
                       p.target_offsets[p.target[k]] < p.target_offsets[p.target[k] + 1],
                   "pair sampler: entry " + std::to_string(k) + " is an empty block");
}

}  // namespace

PairSamplerView PairSamplerData::view() const {
  PairSamplerView v;
  v.space = space;
  v.lifted = lifted;
  v.entries = static_cast<std::int64_t>(cumulative.size());
  v.cumulative = cumulative.data();
  v.source = source.data();
  v.target = target.data();
  v.mass_ratio = mass_ratio.data();
  v.source_positions = static_cast<std::int64_t>(source_order.size());
  v.target_positions = static_cast<std::int64_t>(target_order.size());
  v.source_order = source_order.data();
  v.target_order = target_order.data();
  v.source_clusters = lifted ? static_cast<std::int64_t>(source_offsets.size()) - 1 : 0;
  v.target_clusters = lifted ? static_cast<std::int64_t>(target_offsets.size()) - 1 : 0;
  v.source_offsets = source_offsets.data();
  v.target_offsets = target_offsets.data();
  v.source_within = source_within.data();
  v.target_within = target_within.data();
  v.source_cells = dimension > 0 ? static_cast<std::int64_t>(source_points.size()) / dimension : 0;
  v.target_cells = dimension > 0 ? static_cast<std::int64_t>(target_points.size()) / dimension : 0;
  v.source_points = source_points.data();
  v.target_points = target_points.data();
  v.dimension = dimension;
  v.delta = delta;
  v.time_start = time_start;
  v.time_length = time_length;
  return v;
}

PairSamplerData make_pair_sampler_data(Allocator& allocator,
                                       MemorySpace space,
                                       const PairDistribution& distribution,
                                       const Snapshot& source,
                                       const Snapshot& target,
                                       std::size_t dimension,
                                       double delta) {
  MUSTFM_EXPECTS(dimension >= 1, "pair sampler: dimension must be at least 1");
  MUSTFM_EXPECTS(delta > 0.0, "pair sampler: delta must be positive");
  MUSTFM_EXPECTS(target.time > source.time,
                 "pair sampler: the target snapshot (t = " + std::to_string(target.time) +
                     ") must follow the source (t = " + std::to_string(source.time) + ")");
  check_distribution(distribution, source, target);

  PairSamplerData data;
  data.space = space;
  data.lifted = distribution.lifted;
  data.dimension = static_cast<int>(dimension);
  data.delta = static_cast<float>(delta);
  data.time_start = static_cast<float>(source.time);
  data.time_length = static_cast<float>(target.time - source.time);

  const PairDistribution& p = distribution;
  data.cumulative = copy_to(allocator, space, p.cumulative, "cumulative");
  data.source = copy_to(allocator, space, p.source, "source entries");
  data.target = copy_to(allocator, space, p.target, "target entries");
  data.mass_ratio = copy_to(allocator, space, p.mass_ratio, "mass ratios");
  data.source_order = copy_to(allocator, space, p.source_order, "source order");
  data.target_order = copy_to(allocator, space, p.target_order, "target order");
  if (p.lifted) {
    data.source_offsets = copy_to(allocator, space, p.source_offsets, "source offsets");
    data.target_offsets = copy_to(allocator, space, p.target_offsets, "target offsets");
    data.source_within = copy_to(allocator, space, p.source_within, "source within");
    data.target_within = copy_to(allocator, space, p.target_within, "target within");
  }
  data.source_points =
      copy_to(allocator, space, float_points(source, dimension, "source"), "source points");
  data.target_points =
      copy_to(allocator, space, float_points(target, dimension, "target"), "target points");
  return data;
}

}  // namespace mustfm
