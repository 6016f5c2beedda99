// Upload of a prepared unbalanced transport problem, its transpose built on the device, and the
// CUB reductions of the solvers (kernels/uot_device.cuh). Names as in kernels/uot_solver.h.
//
// The transpose is a stable CUB radix sort of (column, CSR position) pairs rather than cuSPARSE's
// csr2csc: CUB takes 64-bit entry counts and integer payloads, where csr2csc needs 32-bit
// offsets and a floating-point value array to carry the positions; and a stable sort keeps the
// rows of each column increasing, the order of the CPU transpose.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_reduce.cuh>

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/uot_device.cuh"

namespace mustfm::detail {
namespace {

// Contract: values n int64, assigned values[k] = k. Launch: 1-d grid-stride, any geometry.
__global__ void iota_kernel(std::int64_t* values, std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n;
       k += stride)
    values[k] = k;
}

// Contract (cols columns, nnz entries):
//   sorted_cols  nnz int32, the columns of the entries in non-decreasing order
//   col_offsets  cols + 1 int64, assigned: col_offsets[j] = number of entries of column < j
// Launch: 1-d grid-stride over cols + 1 threads, any geometry. Binary search per column.
__global__ void column_offsets_kernel(const std::int32_t* sorted_cols,
                                      std::int64_t nnz,
                                      std::int32_t cols,
                                      std::int64_t* col_offsets) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j <= cols;
       j += stride) {
    // First position whose column is >= j.
    std::int64_t low = 0;
    std::int64_t high = nnz;
    while (low < high) {
      const std::int64_t mid = low + (high - low) / 2;
      if (sorted_cols[mid] < j)
        low = mid + 1;
      else
        high = mid;
    }
    col_offsets[j] = low;
  }
}

// Contract (rows rows, nnz entries):
//   row_offsets  rows + 1 int64, CSR offsets (0 first, nnz last, non-decreasing)
//   t_entries    nnz int64, CSR positions in column order; costs nnz doubles, CSR order
//   t_rows       nnz int32, assigned: the row holding entry t_entries[k]
//   t_costs      nnz doubles, assigned: costs[t_entries[k]]
// Launch: 1-d grid-stride over nnz, any geometry. Preconditions: rows >= 1 when nnz >= 1.
__global__ void gather_transpose_kernel(const std::int64_t* row_offsets,
                                        std::int32_t rows,
                                        const std::int64_t* t_entries,
                                        const double* costs,
                                        std::int64_t nnz,
                                        std::int32_t* t_rows,
                                        double* t_costs) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < nnz;
       k += stride) {
    const std::int64_t e = t_entries[k];
    // The row is the last i with row_offsets[i] <= e, which skips empty rows before it.
    std::int32_t low = 0;
    std::int32_t high = rows;
    while (high - low > 1) {
      const std::int32_t mid = low + (high - low) / 2;
      if (row_offsets[mid] <= e)
        low = mid;
      else
        high = mid;
    }
    t_rows[k] = low;
    t_costs[k] = costs[e];
  }
}

// Contract: result one double, assigned 0. Launch: one thread.
__global__ void zero_scalar_kernel(double* result) {
  *result = 0.0;
}

// Maximum that propagates NaN from either side, in any association order.
struct NanMax {
  __device__ double operator()(double x, double y) const {
    if (x != x) return x;
    if (y != y) return y;
    return x < y ? y : x;
  }
};

struct Plus {
  __device__ double operator()(double x, double y) const { return x + y; }
};

// Grid of a grid-stride loop over n items: enough blocks to fill the device, no more.
unsigned stride_blocks(std::int64_t n) {
  return static_cast<unsigned>(std::min<std::int64_t>((n + kBlock - 1) / kBlock, 4096));
}

}  // namespace

UotDeviceProblem upload_uot_problem(const UotPrepared& p, cudaStream_t stream) {
  const CsrMatrix& m = *p.structure;
  UotDeviceProblem d;
  d.stream = stream;
  d.rows = m.rows;
  d.cols = m.cols;
  d.nnz = m.nnz();
  const std::size_t nnz = static_cast<std::size_t>(d.nnz);
  d.row_offsets = DeviceArray<std::int64_t>(m.row_offsets.size(), stream);
  d.col_indices = DeviceArray<std::int32_t>(nnz, stream);
  d.costs = DeviceArray<double>(nnz, stream);
  d.a = DeviceArray<double>(p.a.size(), stream);
  d.b = DeviceArray<double>(p.b.size(), stream);
  d.log_a = DeviceArray<double>(p.log_a.size(), stream);
  d.log_b = DeviceArray<double>(p.log_b.size(), stream);
  d.row_offsets.upload(m.row_offsets);
  d.col_indices.upload(m.col_indices);
  d.costs.upload(m.costs);
  d.a.upload(p.a);
  d.b.upload(p.b);
  d.log_a.upload(p.log_a);
  d.log_b.upload(p.log_b);

  d.col_offsets = DeviceArray<std::int64_t>(static_cast<std::size_t>(m.cols) + 1, stream);
  d.t_entries = DeviceArray<std::int64_t>(nnz, stream);
  d.t_rows = DeviceArray<std::int32_t>(nnz, stream);
  d.t_costs = DeviceArray<double>(nnz, stream);
  DeviceArray<std::int32_t> sorted_cols(nnz, stream);
  if (d.nnz > 0) {
    DeviceArray<std::int64_t> positions(nnz, stream);
    iota_kernel<<<stride_blocks(d.nnz), kBlock, 0, stream>>>(positions.data(), d.nnz);
    MUSTFM_LAUNCH_CHECK(stream);

    // Only the bits that distinguish columns 0 .. cols - 1 take part in the sort.
    int end_bit = 1;
    while (end_bit < 31 && (std::int64_t{1} << end_bit) < m.cols) ++end_bit;
    std::size_t scratch_bytes = 0;
    MUSTFM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        nullptr, scratch_bytes, d.col_indices.data(), sorted_cols.data(), positions.data(),
        d.t_entries.data(), d.nnz, 0, end_bit, stream));
    DeviceArray<unsigned char> scratch(scratch_bytes, stream);
    MUSTFM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        scratch.data(), scratch_bytes, d.col_indices.data(), sorted_cols.data(), positions.data(),
        d.t_entries.data(), d.nnz, 0, end_bit, stream));

    gather_transpose_kernel<<<stride_blocks(d.nnz), kBlock, 0, stream>>>(
        d.row_offsets.data(), d.rows, d.t_entries.data(), d.costs.data(), d.nnz, d.t_rows.data(),
        d.t_costs.data());
    MUSTFM_LAUNCH_CHECK(stream);
  }
  column_offsets_kernel<<<stride_blocks(std::int64_t{m.cols} + 1), kBlock, 0, stream>>>(
      sorted_cols.data(), d.nnz, d.cols, d.col_offsets.data());
  MUSTFM_LAUNCH_CHECK(stream);
  return d;
}

DeviceReducer::DeviceReducer(std::int64_t capacity, cudaStream_t stream) : stream_(stream) {
  if (capacity == 0) return;
  std::size_t max_bytes = 0;
  std::size_t sum_bytes = 0;
  MUSTFM_CUDA_CHECK(
      cub::DeviceReduce::Reduce(nullptr, max_bytes, static_cast<const double*>(nullptr),
                                static_cast<double*>(nullptr), capacity, NanMax{}, 0.0, stream));
  MUSTFM_CUDA_CHECK(
      cub::DeviceReduce::Reduce(nullptr, sum_bytes, static_cast<const double*>(nullptr),
                                static_cast<double*>(nullptr), capacity, Plus{}, 0.0, stream));
  scratch_bytes_ = std::max(max_bytes, sum_bytes);
  scratch_ = DeviceArray<unsigned char>(scratch_bytes_, stream);
}

void DeviceReducer::max(const double* values, std::int64_t count, double* result) {
  if (count == 0) {
    zero_scalar_kernel<<<1, 1, 0, stream_>>>(result);
    MUSTFM_LAUNCH_CHECK(stream_);
    return;
  }
  // CUB's scratch size grows with the count, so the one sized for the capacity serves any
  // smaller count; the query is on the host and cheap.
  std::size_t bytes = 0;
  MUSTFM_CUDA_CHECK(
      cub::DeviceReduce::Reduce(nullptr, bytes, values, result, count, NanMax{}, 0.0, stream_));
  MUSTFM_ASSERT(bytes <= scratch_bytes_, "CUB max reduction needs more scratch than sized");
  MUSTFM_CUDA_CHECK(cub::DeviceReduce::Reduce(scratch_.data(), bytes, values, result, count,
                                              NanMax{}, 0.0, stream_));
}

void DeviceReducer::sum(const double* values, std::int64_t count, double* result) {
  if (count == 0) {
    zero_scalar_kernel<<<1, 1, 0, stream_>>>(result);
    MUSTFM_LAUNCH_CHECK(stream_);
    return;
  }
  std::size_t bytes = 0;
  MUSTFM_CUDA_CHECK(
      cub::DeviceReduce::Reduce(nullptr, bytes, values, result, count, Plus{}, 0.0, stream_));
  MUSTFM_ASSERT(bytes <= scratch_bytes_, "CUB sum reduction needs more scratch than sized");
  MUSTFM_CUDA_CHECK(cub::DeviceReduce::Reduce(scratch_.data(), bytes, values, result, count, Plus{},
                                              0.0, stream_));
}

}  // namespace mustfm::detail
