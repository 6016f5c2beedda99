// Majorization-minimization for the unbalanced problem without entropy, CPU backend: the
// reference implementation's multiplicative update restricted to the admissible set S,
//   gamma <- K * gamma / (sqrt(gamma 1) (x) sqrt(gamma^T 1)),  K_ij = sqrt(a_i b_j) e^{-C_ij/(2
//   rho)},
// from gamma = a b^T on S. Names as in kernels/uot_solver.h; masses here are divided by Z.
#include <cmath>
#include <vector>

#include "kernels/uot_cpu.h"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

// c_j = sum_i gamma_ij, over the transpose so each column is summed by one thread.
void column_sums(const UotPrepared& p, const std::vector<double>& gamma, std::vector<double>& c) {
  const CsrTranspose& t = *p.transpose;
  const int cols = p.structure->cols;
#pragma omp parallel for schedule(static) if (p.parallel)
  for (int j = 0; j < cols; ++j) {
    double sum = 0.0;
    for (std::int64_t k = t.col_offsets[j]; k < t.col_offsets[j + 1]; ++k)
      sum += gamma[t.entries[k]];
    c[j] = sum;
  }
}

}  // namespace

UotRaw mm_cpu(const UotPrepared& p, const UotOptions& options) {
  const CsrMatrix& m = *p.structure;
  const std::size_t nnz = static_cast<std::size_t>(m.nnz());
  std::vector<double> kernel(nnz);
  std::vector<double> gamma(nnz);
  std::vector<double> r(static_cast<std::size_t>(m.rows), 0.0);
  std::vector<double> c(static_cast<std::size_t>(m.cols), 0.0);

#pragma omp parallel for schedule(static) if (p.parallel)
  for (int i = 0; i < m.rows; ++i) {
    double sum = 0.0;
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const std::int32_t j = m.col_indices[e];
      kernel[e] = mm_kernel(p.a[i], p.b[j], m.costs[e], p.rho);
      gamma[e] = std::isinf(m.costs[e]) ? 0.0 : p.a[i] * p.b[j];
      sum += gamma[e];
    }
    r[i] = sum;
  }

  UotRaw raw;
  raw.status = UotStatus::iteration_limit;
  while (raw.iterations < options.max_iterations) {
    column_sums(p, gamma, c);

    // One row pass updates the plan, measures the change and sums the new rows for the next
    // iteration; r is read for row i only by the thread that then overwrites it.
    double change = 0.0;
#pragma omp parallel for schedule(static) if (p.parallel) reduction(+ : change)
    for (int i = 0; i < m.rows; ++i) {
      double sum = 0.0;
      for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
        const double updated = mm_update(gamma[e], kernel[e], r[i], c[m.col_indices[e]]);
        change += (updated - gamma[e]) * (updated - gamma[e]);
        gamma[e] = updated;
        sum += updated;
      }
      r[i] = sum;
    }
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
