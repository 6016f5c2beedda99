#include "kernels/dense_cpu.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/common/error.h"
#include "kernels/weighted_mse.h"

namespace mustfm {
namespace {

// Rows per partial sum in the column reductions: a fixed partition keeps the summation order,
// and so the rounding, independent of the number of threads.
constexpr std::size_t kRowsPerChunk = 128;
// Below this many elements a loop runs on one thread; spawning costs more than it saves.
constexpr std::size_t kParallelMinimum = 1 << 14;

int blas_int(std::size_t value) {
  MUSTFM_ASSERT(value <= static_cast<std::size_t>(INT_MAX),
                "matrix dimension " + std::to_string(value) + " exceeds the BLAS integer range");
  return static_cast<int>(value);
}

CBLAS_TRANSPOSE blas_op(bool transpose) {
  return transpose ? CblasTrans : CblasNoTrans;
}

void gemm_dispatch(CBLAS_TRANSPOSE ta,
                   CBLAS_TRANSPOSE tb,
                   int m,
                   int n,
                   int k,
                   float alpha,
                   const float* a,
                   int lda,
                   const float* b,
                   int ldb,
                   float beta,
                   float* c,
                   int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm_dispatch(CBLAS_TRANSPOSE ta,
                   CBLAS_TRANSPOSE tb,
                   int m,
                   int n,
                   int k,
                   double alpha,
                   const double* a,
                   int lda,
                   const double* b,
                   int ldb,
                   double beta,
                   double* c,
                   int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

std::ptrdiff_t signed_size(std::size_t value) {
  return static_cast<std::ptrdiff_t>(value);
}

}  // namespace

template <class Real>
void gemm_cpu(bool transpose_a,
              bool transpose_b,
              std::size_t m,
              std::size_t n,
              std::size_t k,
              Real alpha,
              const Real* a,
              std::size_t lda,
              const Real* b,
              std::size_t ldb,
              Real beta,
              Real* c,
              std::size_t ldc) {
  if (m == 0 || n == 0) return;
  gemm_dispatch(blas_op(transpose_a), blas_op(transpose_b), blas_int(m), blas_int(n), blas_int(k),
                alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}

template <class Real>
void add_bias_cpu(Real* z, const Real* bias, std::size_t rows, std::size_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinimum)
  for (std::ptrdiff_t r = 0; r < signed_size(rows); ++r) {
    Real* row = z + r * cols;
    for (std::size_t j = 0; j < cols; ++j) row[j] += bias[j];
  }
}

template <class Real>
void add_bias_leaky_relu_cpu(
    Real* z, const Real* bias, std::size_t rows, std::size_t cols, Real slope) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinimum)
  for (std::ptrdiff_t r = 0; r < signed_size(rows); ++r) {
    Real* row = z + r * cols;
    for (std::size_t j = 0; j < cols; ++j) row[j] = leaky_relu(row[j] + bias[j], slope);
  }
}

template <class Real>
void leaky_relu_backward_cpu(
    const Real* grad_output, const Real* output, Real* grad_input, std::size_t count, Real slope) {
#pragma omp parallel for schedule(static) if (count >= kParallelMinimum)
  for (std::ptrdiff_t i = 0; i < signed_size(count); ++i)
    grad_input[i] = grad_output[i] * leaky_relu_derivative_from_output(output[i], slope);
}

template <class Real>
void bias_gradient_cpu(const Real* grad, std::size_t rows, std::size_t cols, Real* grad_bias) {
  const std::size_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<Real> partial(chunks * cols, Real(0));

#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinimum)
  for (std::ptrdiff_t chunk = 0; chunk < signed_size(chunks); ++chunk) {
    Real* sum = partial.data() + chunk * cols;
    const std::size_t end = std::min(rows, (chunk + 1) * kRowsPerChunk);
    for (std::size_t r = chunk * kRowsPerChunk; r < end; ++r)
      for (std::size_t j = 0; j < cols; ++j) sum[j] += grad[r * cols + j];
  }

  for (std::size_t j = 0; j < cols; ++j) grad_bias[j] = Real(0);
  for (std::size_t chunk = 0; chunk < chunks; ++chunk)
    for (std::size_t j = 0; j < cols; ++j) grad_bias[j] += partial[chunk * cols + j];
}

template <class Real>
double weighted_mse_cpu(const Real* y,
                        const Real* target,
                        const Real* weight,
                        std::size_t rows,
                        std::size_t cols,
                        Real* grad) {
  if (rows == 0 || cols == 0) return 0.0;
  const WeightedMseScales<Real> scales = weighted_mse_scales<Real>(rows, cols);
  const std::size_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<double> partial(chunks, 0.0);

#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinimum)
  for (std::ptrdiff_t chunk = 0; chunk < signed_size(chunks); ++chunk) {
    const std::size_t end = std::min(rows, (chunk + 1) * kRowsPerChunk);
    double sum = 0.0;
    for (std::size_t r = chunk * kRowsPerChunk; r < end; ++r) {
      const Real w = weight[r];
      for (std::size_t j = 0; j < cols; ++j) {
        const std::size_t i = r * cols + j;
        sum += weighted_mse_element(y[i], target[i], w, scales.gradient_scale, grad[i]);
      }
    }
    partial[chunk] = sum;
  }

  double total = 0.0;
  for (double sum : partial) total += sum;
  return total * scales.inverse_count;
}

#define MUSTFM_INSTANTIATE_DENSE_CPU(Real)                                                         \
  template void gemm_cpu<Real>(bool, bool, std::size_t, std::size_t, std::size_t, Real,            \
                               const Real*, std::size_t, const Real*, std::size_t, Real, Real*,    \
                               std::size_t);                                                       \
  template void add_bias_cpu<Real>(Real*, const Real*, std::size_t, std::size_t);                  \
  template void add_bias_leaky_relu_cpu<Real>(Real*, const Real*, std::size_t, std::size_t, Real); \
  template void leaky_relu_backward_cpu<Real>(const Real*, const Real*, Real*, std::size_t, Real); \
  template void bias_gradient_cpu<Real>(const Real*, std::size_t, std::size_t, Real*);             \
  template double weighted_mse_cpu<Real>(const Real*, const Real*, const Real*, std::size_t,       \
                                         std::size_t, Real*);

MUSTFM_INSTANTIATE_DENSE_CPU(float)
MUSTFM_INSTANTIATE_DENSE_CPU(double)

}  // namespace mustfm
