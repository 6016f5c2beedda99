#include "engine/pair_distribution.h"

#include <algorithm>

#include "kernels/common/error.h"

namespace mustfm {

namespace {

struct Marginals {
  std::vector<double> r;
  std::vector<double> c;
};

Marginals marginals_of(const CsrMatrix& m, const std::vector<double>& plan) {
  Marginals sums{std::vector<double>(m.rows, 0.0), std::vector<double>(m.cols, 0.0)};
  for (std::int32_t i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      sums.r[i] += plan[e];
      sums.c[m.col_indices[e]] += plan[e];
    }
  }
  return sums;
}

// One entry per plan value with gamma0 > 0, probabilities normalized, and the unsampled masses.
void fill_entries(const CsrMatrix& m,
                  const std::vector<double>& plan,
                  const std::vector<double>& a,
                  const std::vector<double>& b,
                  PairDistribution& out) {
  MUSTFM_ASSERT(plan.size() == static_cast<std::size_t>(m.nnz()), "plan and structure disagree");
  const Marginals sums = marginals_of(m, plan);
  for (std::int32_t i = 0; i < m.rows; ++i) {
    if (sums.r[i] > 0)
      out.sampled_source_mass += a[i];
    else
      out.unsampled_source_mass += a[i];
  }
  for (std::int32_t j = 0; j < m.cols; ++j)
    if (!(sums.c[j] > 0)) out.unsampled_target_mass += b[j];

  double total = 0.0;
  for (std::int32_t i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const std::int32_t j = m.col_indices[e];
      const double gamma0 = a[i] * plan[e] / sums.r[i];
      if (!(plan[e] > 0) || !(gamma0 > 0)) continue;
      out.source.push_back(i);
      out.target.push_back(j);
      out.probability.push_back(gamma0);
      out.mass_ratio.push_back(sums.r[i] * b[j] / (a[i] * sums.c[j]));
      total += gamma0;
    }
  }

  out.cumulative.resize(out.probability.size());
  double running = 0.0;
  for (std::size_t k = 0; k < out.probability.size(); ++k) {
    out.probability[k] /= total;
    running += out.probability[k];
    out.cumulative[k] = running;
  }
  // Rounding must not leave the last running sum below a uniform draw close to 1.
  if (!out.cumulative.empty()) out.cumulative.back() = 1.0;
}

// Per sorted position, the running sum of w / a over its cluster.
std::vector<double> within_cluster_cumulative(const ClusterLevel& clusters,
                                              const ClusterLevel& cells) {
  std::vector<double> within(cells.mass.size(), 0.0);
  for (std::size_t c = 0; c < clusters.cluster_count(); ++c) {
    const std::int64_t begin = clusters.offsets[c];
    const std::int64_t end = clusters.offsets[c + 1];
    double running = 0.0;
    for (std::int64_t p = begin; p < end; ++p) {
      running += clusters.mass[c] > 0 ? cells.mass[p] / clusters.mass[c] : 0.0;
      within[p] = running;
    }
    if (end > begin) within[end - 1] = 1.0;
  }
  return within;
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

PairDistribution cell_pair_distribution(const CsrMatrix& structure,
                                        const std::vector<double>& plan,
                                        const std::vector<double>& a,
                                        const std::vector<double>& b,
                                        const Snapshot& source,
                                        const Snapshot& target) {
  PairDistribution out;
  fill_entries(structure, plan, a, b, out);
  out.source_order = source.sorted_order;
  out.target_order = target.sorted_order;
  return out;
}

PairDistribution lifted_pair_distribution(const CsrMatrix& structure,
                                          const std::vector<double>& plan,
                                          const ClusterLevel& source_clusters,
                                          const ClusterLevel& target_clusters,
                                          const ClusterLevel& source_cells,
                                          const ClusterLevel& target_cells,
                                          const Snapshot& source,
                                          const Snapshot& target) {
  PairDistribution out;
  out.lifted = true;
  fill_entries(structure, plan, source_clusters.mass, target_clusters.mass, out);
  out.source_offsets = source_clusters.offsets;
  out.target_offsets = target_clusters.offsets;
  out.source_within = within_cluster_cumulative(source_clusters, source_cells);
  out.target_within = within_cluster_cumulative(target_clusters, target_cells);
  out.source_order = source.sorted_order;
  out.target_order = target.sorted_order;
  return out;
}

}  // namespace mustfm
