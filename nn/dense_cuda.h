// CUDA twins of the dense-layer kernels of kernels/dense_cpu.h, behind Mlp (nn/mlp.h): the
// matrix product (cuBLAS), bias plus activation forward, and the activation backward fused with
// the bias gradient. Matrices are row-major as on the CPU, `rows` = batch entries and `cols` =
// features; pointers are device memory. Every call is queued on exec.stream and returns without
// waiting for the device. A plain C++ header: the sizes below are needed by builds without CUDA.
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/common/backend.h"

namespace mustfm::detail {

// The bias gradient sums the rows in chunks of at least this many, one partial sum per chunk and
// column, then adds the partials in chunk order: a fixed order, so repeated runs give the same
// bits. At most kBiasGradientMaxChunks chunks, so the partials stay small for any batch.
constexpr std::size_t kBiasGradientRowsPerChunk = 64;
constexpr std::size_t kBiasGradientMaxChunks = 4096;

inline std::size_t bias_gradient_chunks(std::size_t rows) {
  const std::size_t chunks = (rows + kBiasGradientRowsPerChunk - 1) / kBiasGradientRowsPerChunk;
  return std::clamp<std::size_t>(chunks, 1, kBiasGradientMaxChunks);
}

// Scratch values activation_bias_backward_cuda needs for `rows` x `cols` (0 for one chunk).
inline std::size_t bias_gradient_partial_count(std::size_t rows, std::size_t cols) {
  const std::size_t chunks = bias_gradient_chunks(rows);
  return chunks > 1 ? chunks * cols : 0;
}

#ifdef MUSTFM_WITH_CUDA

// c = alpha op(a) op(b) + beta c with op(a) m x k, op(b) k x n, c m x n, all row-major with
// leading dimensions lda, ldb, ldc (the contract of gemm_cpu), through exec.cublas.
template <class Real>
void gemm_cuda(const Exec& exec,
               bool transpose_a,
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
               std::size_t ldc);

// z[r][j] = leaky_relu(z[r][j] + bias[j], slope) when `activated`, z[r][j] + bias[j] otherwise;
// in place.
template <class Real>
void add_bias_activation_cuda(const Exec& exec,
                              Real* z,
                              const Real* bias,
                              std::size_t rows,
                              std::size_t cols,
                              bool activated,
                              Real slope);

// Backward through a layer's activation and bias. With `output` the layer's stored output
// (after LeakyReLU), grad_input[i] = grad_output[i] * a'(z_i) (assigned; may be grad_output, in
// place) and grad_bias[j] = sum over rows of grad_input[r][j] (assigned). With output null the
// layer has no activation: grad_input is not written (may be null) and grad_bias gets the column
// sums of grad_output. `partials` holds bias_gradient_partial_count(rows, cols) values.
template <class Real>
void activation_bias_backward_cuda(const Exec& exec,
                                   const Real* grad_output,
                                   const Real* output,
                                   Real* grad_input,
                                   std::size_t rows,
                                   std::size_t cols,
                                   Real slope,
                                   Real* grad_bias,
                                   Real* partials);

// Binds `bytes` of device memory at `workspace` to exec.cublas as its workspace, so cuBLAS picks
// the same kernels for calls run directly and for calls captured in a CUDA graph. The memory
// must outlive every call and graph that uses it; reset_cublas_workspace returns the handle to
// cuBLAS's default workspace.
void bind_cublas_workspace(const Exec& exec, void* workspace, std::size_t bytes);
void reset_cublas_workspace(const Exec& exec);

#endif

}  // namespace mustfm::detail
