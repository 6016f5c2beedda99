// Majorization-minimization for the unbalanced problem without entropy, CPU backend: the
// reference implementation's multiplicative update restricted to the admissible set S,
//   gamma <- K * gamma / (sqrt(gamma 1) (x) sqrt(gamma^T 1)),  K_ij = sqrt(a_i b_j) e^{-C_ij/(2
//   rho)},
// from gamma = a b^T on S. Names as in kernels/uot_solver.h; masses here are divided by Z.
//
// One pass over the rows per iteration: it updates the plan and, in the same sweep, sums the
// new rows, the squared change, and the new columns. Column sums are accumulated per chunk of
// rows into the chunk's own array and then added chunk by chunk; the chunks depend on the
// problem only, never on the thread count, so every run gives the same bits.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/uot_cpu.h"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

// At most this many chunks, each of at least kMinChunkEntries stored entries on average, and
// their column arrays together at most kMaxPartialSums doubles.
constexpr std::int64_t kMaxChunks = 64;
constexpr std::int64_t kMinChunkEntries = 1 << 14;
constexpr std::int64_t kMaxPartialSums = std::int64_t{1} << 24;

struct RowChunks {
  std::vector<std::int32_t> begin;  // chunk k holds rows begin[k] .. begin[k+1])

  int count() const { return static_cast<int>(begin.size()) - 1; }
};

RowChunks row_chunks(const CsrMatrix& m) {
  std::int64_t chunks = std::min<std::int64_t>(kMaxChunks, m.nnz() / kMinChunkEntries);
  if (m.cols > 0) chunks = std::min<std::int64_t>(chunks, kMaxPartialSums / m.cols);
  chunks = std::clamp<std::int64_t>(chunks, 1, std::max<std::int32_t>(m.rows, 1));
  RowChunks out;
  for (std::int64_t k = 0; k <= chunks; ++k)
    out.begin.push_back(static_cast<std::int32_t>(k * m.rows / chunks));
  return out;
}

// c_j = sum over chunks, in chunk order, of the chunks' partial sums.
void add_partial_sums(const UotPrepared& p,
                      const std::vector<double>& partial,
                      int chunks,
                      std::vector<double>& c) {
  const std::size_t cols = c.size();
#pragma omp parallel for schedule(static) if (p.parallel)
  for (std::size_t j = 0; j < cols; ++j) {
    double sum = 0.0;
    for (int k = 0; k < chunks; ++k) sum += partial[static_cast<std::size_t>(k) * cols + j];
    c[j] = sum;
  }
}

}  // namespace

UotRaw mm_cpu(const UotPrepared& p, const UotOptions& options) {
  const CsrMatrix& m = *p.structure;
  const std::size_t nnz = static_cast<std::size_t>(m.nnz());
  const std::size_t cols = static_cast<std::size_t>(m.cols);
  const RowChunks chunks = row_chunks(m);
  const int chunk_count = chunks.count();
  std::vector<double> kernel(nnz);
  std::vector<double> gamma(nnz);
  std::vector<double> r(static_cast<std::size_t>(m.rows), 0.0);
  std::vector<double> c(cols, 0.0);
  std::vector<double> root_c(cols, 0.0);
  std::vector<double> partial(static_cast<std::size_t>(chunk_count) * cols, 0.0);
  std::vector<double> chunk_change(static_cast<std::size_t>(chunk_count), 0.0);

#pragma omp parallel for schedule(static) if (p.parallel)
  for (int k = 0; k < chunk_count; ++k) {
    double* column_part = partial.data() + static_cast<std::size_t>(k) * cols;
    for (int i = chunks.begin[k]; i < chunks.begin[k + 1]; ++i) {
      double sum = 0.0;
      for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
        const std::int32_t j = m.col_indices[e];
        kernel[e] = mm_kernel(p.a[i], p.b[j], m.costs[e], p.rho);
        gamma[e] = std::isinf(m.costs[e]) ? 0.0 : p.a[i] * p.b[j];
        sum += gamma[e];
        column_part[j] += gamma[e];
      }
      r[i] = sum;
    }
  }
  add_partial_sums(p, partial, chunk_count, c);

  UotRaw raw;
  raw.status = UotStatus::iteration_limit;
  while (raw.iterations < options.max_iterations) {
    for (std::size_t j = 0; j < cols; ++j) root_c[j] = std::sqrt(c[j]);

      // Each chunk updates its rows, sums them into r (row i is read and then overwritten by the
      // same thread) and into its own column array.
#pragma omp parallel for schedule(static) if (p.parallel)
    for (int k = 0; k < chunk_count; ++k) {
      double* column_part = partial.data() + static_cast<std::size_t>(k) * cols;
      std::fill(column_part, column_part + cols, 0.0);
      double change = 0.0;
      for (int i = chunks.begin[k]; i < chunks.begin[k + 1]; ++i) {
        const double root_r = std::sqrt(r[i]);
        double sum = 0.0;
        for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
          const std::int32_t j = m.col_indices[e];
          const double updated = mm_update_from_roots(gamma[e], kernel[e], root_r, root_c[j]);
          change += (updated - gamma[e]) * (updated - gamma[e]);
          gamma[e] = updated;
          sum += updated;
          column_part[j] += updated;
        }
        r[i] = sum;
      }
      chunk_change[static_cast<std::size_t>(k)] = change;
    }
    add_partial_sums(p, partial, chunk_count, c);
    double change = 0.0;
    for (double v : chunk_change) change += v;

    ++raw.iterations;
    raw.residual = std::sqrt(change);
    if (raw.residual < options.mm_tolerance) {
      raw.status = UotStatus::converged;
      break;
    }
  }
  raw.plan = std::move(gamma);
  return raw;
}

}  // namespace mustfm::detail
