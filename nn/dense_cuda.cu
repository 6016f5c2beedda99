// Kernels of the dense layers around the cuBLAS products (nn/dense_cuda.h): bias plus LeakyReLU
// forward, and the activation backward fused with the bias gradient. The activation formulas
// are kernels/activation.h, the same the CPU twins use.
#include <algorithm>
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/common/cuda_check.cuh"
#include "nn/dense_cuda.h"

namespace mustfm::detail {
namespace {

// A block covers 32 neighbouring columns (one warp reads one row's 32 contiguous values) and
// kTileRows rows at a time.
constexpr int kTileCols = 32;
constexpr int kTileRows = 8;
constexpr std::int64_t kMaxGridY = 65535;
constexpr int kSumBlock = 256;

unsigned blocks_for(std::int64_t count, std::int64_t per_block) {
  return static_cast<unsigned>((count + per_block - 1) / per_block);
}

// Contract (rows x cols, row-major): z assigned in place; bias cols values.
// Launch: block (kTileCols, kTileRows), grid (ceil(cols / kTileCols), any y <= kMaxGridY); the
// rows are strided by gridDim.y * kTileRows, so any row count is covered.
template <class Real, bool kActivated>
__global__ void __launch_bounds__(kTileCols* kTileRows) add_bias_activation_kernel(
    Real* z, const Real* bias, std::int64_t rows, std::int64_t cols, Real slope) {
  const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * kTileCols + threadIdx.x;
  if (col >= cols) return;
  const Real b = bias[col];
  const std::int64_t row_stride = static_cast<std::int64_t>(gridDim.y) * kTileRows;
  for (std::int64_t r = static_cast<std::int64_t>(blockIdx.y) * kTileRows + threadIdx.y; r < rows;
       r += row_stride) {
    Real& value = z[r * cols + col];
    if constexpr (kActivated)
      value = leaky_relu(value + b, slope);
    else
      value = value + b;
  }
}

// Contract (rows x cols, row-major): grad_output read; with kActivated, output is the layer's
// stored output and grad_input[i] = grad_output[i] * a'(z_i) is assigned (grad_input may equal
// grad_output); without, output and grad_input are unused. column_sums is chunks x cols, row c
// assigned the column sums over chunk c's rows of the gradient after the activation.
// Launch: block (kTileCols, kTileRows), grid (ceil(cols / kTileCols), chunks); chunk c holds the
// rows [c rows_per_chunk, min(rows, (c + 1) rows_per_chunk)). Each thread sums its rows in
// order and the kTileRows lanes of a column are added in lane order: the same bits every run.
template <class Real, bool kActivated>
__global__ void __launch_bounds__(kTileCols* kTileRows)
    activation_bias_backward_kernel(const Real* grad_output,
                                    const Real* output,
                                    Real* grad_input,
                                    std::int64_t rows,
                                    std::int64_t cols,
                                    std::int64_t rows_per_chunk,
                                    Real slope,
                                    Real* column_sums) {
  __shared__ Real lane_sums[kTileRows][kTileCols];
  const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * kTileCols + threadIdx.x;
  const std::int64_t begin = static_cast<std::int64_t>(blockIdx.y) * rows_per_chunk;
  const std::int64_t end = begin + rows_per_chunk < rows ? begin + rows_per_chunk : rows;

  Real sum = Real(0);
  if (col < cols) {
    for (std::int64_t r = begin + threadIdx.y; r < end; r += kTileRows) {
      const std::int64_t i = r * cols + col;
      Real g = grad_output[i];
      if constexpr (kActivated) {
        g = leaky_relu_gradient_from_output(g, output[i], slope);
        grad_input[i] = g;
      }
      sum += g;
    }
  }
  lane_sums[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();

  if (threadIdx.y == 0 && col < cols) {
    Real total = Real(0);
    for (int lane = 0; lane < kTileRows; ++lane) total += lane_sums[lane][threadIdx.x];
    column_sums[blockIdx.y * cols + col] = total;
  }
}

// Contract: partials chunks x cols (row-major); grad_bias[j] = sum over c in order of
// partials[c][j], assigned. Launch: 1D, at least cols threads.
template <class Real>
__global__ void __launch_bounds__(kSumBlock) sum_chunk_partials_kernel(const Real* partials,
                                                                       std::int64_t chunks,
                                                                       std::int64_t cols,
                                                                       Real* grad_bias) {
  const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  Real total = Real(0);
  for (std::int64_t c = 0; c < chunks; ++c) total += partials[c * cols + col];
  grad_bias[col] = total;
}

}  // namespace

template <class Real>
void add_bias_activation_cuda(const Exec& exec,
                              Real* z,
                              const Real* bias,
                              std::size_t rows,
                              std::size_t cols,
                              bool activated,
                              Real slope) {
  if (rows == 0 || cols == 0) return;
  const auto row_count = static_cast<std::int64_t>(rows);
  const auto col_count = static_cast<std::int64_t>(cols);
  const dim3 block(kTileCols, kTileRows);
  const dim3 grid(
      blocks_for(col_count, kTileCols),
      static_cast<unsigned>(std::min(kMaxGridY, (row_count + kTileRows - 1) / kTileRows)));
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  if (activated)
    add_bias_activation_kernel<Real, true>
        <<<grid, block, 0, stream>>>(z, bias, row_count, col_count, slope);
  else
    add_bias_activation_kernel<Real, false>
        <<<grid, block, 0, stream>>>(z, bias, row_count, col_count, slope);
  MUSTFM_LAUNCH_CHECK(stream);
}

template <class Real>
void activation_bias_backward_cuda(const Exec& exec,
                                   const Real* grad_output,
                                   const Real* output,
                                   Real* grad_input,
                                   std::size_t rows,
                                   std::size_t cols,
                                   Real slope,
                                   Real* grad_bias,
                                   Real* partials) {
  if (cols == 0) return;
  MUSTFM_ASSERT(rows > 0, "bias gradient of an empty batch");
  MUSTFM_ASSERT(output == nullptr || grad_input != nullptr,
                "activation backward without a destination for the input gradient");
  const std::size_t chunks = bias_gradient_chunks(rows);
  MUSTFM_ASSERT(chunks == 1 || partials != nullptr, "bias gradient partials missing");
  const auto row_count = static_cast<std::int64_t>(rows);
  const auto col_count = static_cast<std::int64_t>(cols);
  const auto chunk_count = static_cast<std::int64_t>(chunks);
  const std::int64_t rows_per_chunk = (row_count + chunk_count - 1) / chunk_count;
  // One chunk writes its column sums straight into the bias gradient.
  Real* column_sums = chunks == 1 ? grad_bias : partials;

  const dim3 block(kTileCols, kTileRows);
  const dim3 grid(blocks_for(col_count, kTileCols), static_cast<unsigned>(chunks));
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  if (output != nullptr)
    activation_bias_backward_kernel<Real, true><<<grid, block, 0, stream>>>(
        grad_output, output, grad_input, row_count, col_count, rows_per_chunk, slope, column_sums);
  else
    activation_bias_backward_kernel<Real, false><<<grid, block, 0, stream>>>(
        grad_output, nullptr, nullptr, row_count, col_count, rows_per_chunk, slope, column_sums);
  MUSTFM_LAUNCH_CHECK(stream);

  if (chunks > 1) {
    sum_chunk_partials_kernel<Real><<<blocks_for(col_count, kSumBlock), kSumBlock, 0, stream>>>(
        partials, chunk_count, col_count, grad_bias);
    MUSTFM_LAUNCH_CHECK(stream);
  }
}

#define MUSTFM_INSTANTIATE_DENSE_CUDA(Real)                                                       \
  template void add_bias_activation_cuda<Real>(const Exec&, Real*, const Real*, std::size_t,      \
                                               std::size_t, bool, Real);                          \
  template void activation_bias_backward_cuda<Real>(const Exec&, const Real*, const Real*, Real*, \
                                                    std::size_t, std::size_t, Real, Real*, Real*);

MUSTFM_INSTANTIATE_DENSE_CUDA(float)
MUSTFM_INSTANTIATE_DENSE_CUDA(double)

}  // namespace mustfm::detail
