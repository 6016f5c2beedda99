// Training-pair weights, CPU backend (kernels/pair_weights.h): OpenMP over rows, columns and
// clusters for the per-entry work. The sums whose order shapes the result (sum gamma0, the
// running sums, the masses) run on one thread in entry order, so the result does not depend on
// the thread count. Names as in kernels/pair_weights.h.
#include <cstdint>
#include <vector>

#include "kernels/pair_weights_backends.h"
#include "kernels/pair_weights_entry.h"

namespace mustfm::detail {
namespace {

// Below this many entries (or positions) the passes run on one thread, where starting an OpenMP
// team would cost more than the pass.
constexpr std::int64_t kParallelMinEntries = 1 << 15;

}  // namespace

PairWeights pair_weights_cpu(const CsrMatrix& m,
                             const CsrTranspose& t,
                             View<const double> plan,
                             View<const double> a,
                             View<const double> b) {
  const bool parallel = m.nnz() >= kParallelMinEntries;
  std::vector<double> r(static_cast<std::size_t>(m.rows), 0.0);
  std::vector<double> c(static_cast<std::size_t>(m.cols), 0.0);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int32_t i = 0; i < m.rows; ++i) {
    double sum = 0.0;
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) sum += plan[e];
    r[i] = sum;
  }
  // Rows increase within a column of the transpose, so each column is summed in row order.
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int32_t j = 0; j < m.cols; ++j) {
    double sum = 0.0;
    for (std::int64_t k = t.col_offsets[j]; k < t.col_offsets[j + 1]; ++k)
      sum += plan[t.entries[k]];
    c[j] = sum;
  }

  PairWeights out;
  for (std::int32_t i = 0; i < m.rows; ++i) {
    if (r[i] > 0)
      out.sampled_source_mass += a[i];
    else
      out.unsampled_source_mass += a[i];
  }
  for (std::int32_t j = 0; j < m.cols; ++j)
    if (!(c[j] > 0)) out.unsampled_target_mass += b[j];

  // Two passes over the rows (count the sampled entries, then write them at their row's offset),
  // so rows are filled in parallel and the entries stay in CSR order.
  std::vector<std::int64_t> first(static_cast<std::size_t>(m.rows) + 1, 0);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int32_t i = 0; i < m.rows; ++i) {
    std::int64_t count = 0;
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e)
      count += pair_sampled(pair_gamma0(a[i], plan[e], r[i])) ? 1 : 0;
    first[i + 1] = count;
  }
  for (std::int32_t i = 0; i < m.rows; ++i) first[i + 1] += first[i];

  const auto kept = static_cast<std::size_t>(first[m.rows]);
  out.source.resize(kept);
  out.target.resize(kept);
  out.probability.resize(kept);
  out.mass_ratio.resize(kept);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int32_t i = 0; i < m.rows; ++i) {
    std::int64_t slot = first[i];
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const double gamma0 = pair_gamma0(a[i], plan[e], r[i]);
      if (!pair_sampled(gamma0)) continue;
      const std::int32_t j = m.col_indices[e];
      out.source[slot] = i;
      out.target[slot] = j;
      out.probability[slot] = gamma0;
      out.mass_ratio[slot] = pair_mass_ratio(a[i], b[j], r[i], c[j]);
      ++slot;
    }
  }

  double total = 0.0;
  for (double gamma0 : out.probability) total += gamma0;
  out.cumulative.resize(kept);
  double running = 0.0;
  for (std::size_t k = 0; k < kept; ++k) {
    out.probability[k] /= total;
    running += out.probability[k];
    out.cumulative[k] = running;
  }
  return out;
}

std::vector<double> within_cluster_cumulative_cpu(const std::vector<std::int64_t>& offsets,
                                                  View<const double> cluster_mass,
                                                  View<const double> weights) {
  std::vector<double> within(weights.size, 0.0);
  const auto clusters = static_cast<std::int64_t>(cluster_mass.size);
  const bool parallel = static_cast<std::int64_t>(weights.size) >= kParallelMinEntries;
#pragma omp parallel for schedule(dynamic, 64) if (parallel)
  for (std::int64_t k = 0; k < clusters; ++k) {
    double running = 0.0;
    for (std::int64_t p = offsets[k]; p < offsets[k + 1]; ++p) {
      running += within_cluster_share(weights[p], cluster_mass[k]);
      within[p] = running;
    }
  }
  return within;
}

}  // namespace mustfm::detail
