#include "kernels/dense_cpu.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
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

// Elements per thread block of the element-wise loops.
constexpr std::size_t kElementsPerBlock = 4096;
// Products below this many flops run as one BLAS call on the calling thread.
constexpr double kParallelGemmFlops = 4e6;
// Thread blocks of a product start at multiples of this many rows or columns, so every block
// but the last fills whole register tiles of the BLAS kernels.
constexpr std::size_t kGemmBlockMultiple = 16;

// OpenBLAS runs single-threaded and gemm_cpu splits each product over the engine's OpenMP
// threads. Two thread pools on the same cores (OpenBLAS's own and OpenMP's, each spinning for a
// while after its work) make every product and every fused kernel wait for the other pool.
void use_single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
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
  use_single_threaded_blas();
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (threads <= 1 || flops < kParallelGemmFlops) {
    gemm_dispatch(blas_op(transpose_a), blas_op(transpose_b), blas_int(m), blas_int(n), blas_int(k),
                  alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
    return;
  }
  // Each thread computes a block of C's rows (or, for short wide products, of its columns) with
  // the whole inner dimension, so no partial sums need combining.
  const bool split_rows = m >= n || m >= kGemmBlockMultiple * static_cast<std::size_t>(threads);
  const std::size_t extent = split_rows ? m : n;
  std::size_t block = (extent + threads - 1) / threads;
  block = (block + kGemmBlockMultiple - 1) / kGemmBlockMultiple * kGemmBlockMultiple;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int t = 0; t < threads; ++t) {
    const std::size_t begin = std::min(extent, static_cast<std::size_t>(t) * block);
    const std::size_t end = std::min(extent, begin + block);
    if (begin == end) continue;
    if (split_rows) {
      // Rows of op(A): rows of A, or columns of A when it is transposed.
      const Real* a_block = transpose_a ? a + begin : a + begin * lda;
      gemm_dispatch(blas_op(transpose_a), blas_op(transpose_b), blas_int(end - begin), blas_int(n),
                    blas_int(k), alpha, a_block, blas_int(lda), b, blas_int(ldb), beta,
                    c + begin * ldc, blas_int(ldc));
    } else {
      // Columns of op(B): columns of B, or rows of B when it is transposed.
      const Real* b_block = transpose_b ? b + begin * ldb : b + begin;
      gemm_dispatch(blas_op(transpose_a), blas_op(transpose_b), blas_int(m), blas_int(end - begin),
                    blas_int(k), alpha, a, blas_int(lda), b_block, blas_int(ldb), beta, c + begin,
                    blas_int(ldc));
    }
  }
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
#pragma omp simd
    for (std::size_t j = 0; j < cols; ++j) row[j] = leaky_relu(row[j] + bias[j], slope);
  }
}

template <class Real>
void leaky_relu_backward_cpu(
    const Real* grad_output, const Real* output, Real* grad_input, std::size_t count, Real slope) {
  const std::size_t blocks = (count + kElementsPerBlock - 1) / kElementsPerBlock;
#pragma omp parallel for schedule(static) if (count >= kParallelMinimum)
  for (std::ptrdiff_t block = 0; block < signed_size(blocks); ++block) {
    const std::size_t end = std::min(count, (block + 1) * kElementsPerBlock);
#pragma omp simd
    for (std::size_t i = block * kElementsPerBlock; i < end; ++i)
      grad_input[i] = leaky_relu_gradient_from_output(grad_output[i], output[i], slope);
  }
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
