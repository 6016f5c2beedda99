#include "engine/pair_distribution.h"

#include <algorithm>
#include <utility>

#include "kernels/common/error.h"
#include "kernels/pair_weights.h"

namespace mustfm {

namespace {

View<const double> view_of(const std::vector<double>& values) {
  return {values.data(), values.size()};
}

// The entries of `weights` moved into the distribution.
void take_entries(PairWeights weights, PairDistribution& out) {
  out.source = std::move(weights.source);
  out.target = std::move(weights.target);
  out.probability = std::move(weights.probability);
  out.cumulative = std::move(weights.cumulative);
  out.mass_ratio = std::move(weights.mass_ratio);
  out.sampled_source_mass = weights.sampled_source_mass;
  out.unsampled_source_mass = weights.unsampled_source_mass;
  out.unsampled_target_mass = weights.unsampled_target_mass;
}

// First position in [begin, end) whose running sum exceeds u, clamped to the range.
std::int64_t pick(const std::vector<double>& running,
                  std::int64_t begin,
                  std::int64_t end,
                  double u) {
  auto found = std::upper_bound(running.begin() + begin, running.begin() + end, u);
  return std::min<std::int64_t>(found - running.begin(), end - 1);
}

}  // namespace

PairDraw PairDistribution::draw(double u_pair, double u_source, double u_target) const {
  MUSTFM_ASSERT(!empty(), "draw from an empty pair distribution");
  const std::int64_t k = pick(cumulative, 0, static_cast<std::int64_t>(cumulative.size()), u_pair);
  std::int64_t source_position = source[k];
  std::int64_t target_position = target[k];
  if (lifted) {
    source_position =
        pick(source_within, source_offsets[source[k]], source_offsets[source[k] + 1], u_source);
    target_position =
        pick(target_within, target_offsets[target[k]], target_offsets[target[k] + 1], u_target);
  }
  return {source_order[source_position], target_order[target_position], mass_ratio[k]};
}

PairDistribution cell_pair_distribution(const Exec& exec,
                                        const CsrMatrix& structure,
                                        const std::vector<double>& plan,
                                        const std::vector<double>& a,
                                        const std::vector<double>& b,
                                        const Snapshot& source,
                                        const Snapshot& target) {
  PairDistribution out;
  take_entries(pair_weights(exec, structure, view_of(plan), view_of(a), view_of(b)), out);
  out.source_order = source.sorted_order;
  out.target_order = target.sorted_order;
  return out;
}

PairDistribution lifted_pair_distribution(const Exec& exec,
                                          const CsrMatrix& structure,
                                          const std::vector<double>& plan,
                                          const ClusterLevel& source_clusters,
                                          const ClusterLevel& target_clusters,
                                          const ClusterLevel& source_cells,
                                          const ClusterLevel& target_cells,
                                          const Snapshot& source,
                                          const Snapshot& target) {
  PairDistribution out;
  out.lifted = true;
  take_entries(pair_weights(exec, structure, view_of(plan), view_of(source_clusters.mass),
                            view_of(target_clusters.mass)),
               out);
  out.source_offsets = source_clusters.offsets;
  out.target_offsets = target_clusters.offsets;
  out.source_within = within_cluster_cumulative(
      exec, source_clusters.offsets, view_of(source_clusters.mass), view_of(source_cells.mass));
  out.target_within = within_cluster_cumulative(
      exec, target_clusters.offsets, view_of(target_clusters.mass), view_of(target_cells.mass));
  out.source_order = source.sorted_order;
  out.target_order = target.sorted_order;
  return out;
}

}  // namespace mustfm
