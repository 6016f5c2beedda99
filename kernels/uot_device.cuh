// Device-side pieces shared by the CUDA unbalanced transport solvers (kernels/uot_sinkhorn.cu,
// kernels/uot_mm.cu): stream-ordered device arrays, the problem uploaded with its transpose,
// device reductions, and the cooperation of the threads that walk one row or column. Names as in
// kernels/uot_solver.h. Included by .cu files only.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/common/cuda_check.cuh"
#include "kernels/lse.h"
#include "kernels/uot_cpu.h"

namespace mustfm::detail {

// Owner of `size` elements of T in device memory, allocated and freed in stream order
// (cudaMallocAsync / cudaFreeAsync on the solver's stream): a solve allocates a few arrays per
// call, and the stream-ordered pool makes that cheap and free of device-wide synchronization.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(std::size_t size, cudaStream_t stream) : size_(size), stream_(stream) {
    if (size_ > 0)
      MUSTFM_CUDA_CHECK(
          cudaMallocAsync(reinterpret_cast<void**>(&data_), size_ * sizeof(T), stream_));
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& other) noexcept { swap(other); }
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    if (this != &other) {
      release();
      swap(other);
    }
    return *this;
  }
  ~DeviceArray() { release(); }

  T* data() const { return data_; }
  std::size_t size() const { return size_; }

  void swap(DeviceArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(stream_, other.stream_);
  }
  // Queues the copy of host values into the array; the host vector may be reused on return
  // (copies from pageable memory are staged before cudaMemcpyAsync returns).
  void upload(const std::vector<T>& host) {
    MUSTFM_ASSERT(host.size() == size_, "device upload of a vector of another size");
    if (size_ > 0)
      MUSTFM_CUDA_CHECK(
          cudaMemcpyAsync(data_, host.data(), size_ * sizeof(T), cudaMemcpyHostToDevice, stream_));
  }
  // Copies the array to the host and waits for it.
  std::vector<T> download() const {
    std::vector<T> host(size_);
    if (size_ > 0)
      MUSTFM_CUDA_CHECK(
          cudaMemcpyAsync(host.data(), data_, size_ * sizeof(T), cudaMemcpyDeviceToHost, stream_));
    MUSTFM_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return host;
  }

 private:
  void release() noexcept {
    if (data_ != nullptr) MUSTFM_CUDA_CHECK_NOTHROW(cudaFreeAsync(data_, stream_));
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  cudaStream_t stream_ = nullptr;
};

// The prepared problem on the device. Row structure as in CsrMatrix; the transpose as in
// CsrTranspose (rows increasing within a column), plus the costs gathered into column order so
// the column pass reads them contiguously instead of through the entry permutation.
struct UotDeviceProblem {
  cudaStream_t stream = nullptr;
  std::int32_t rows = 0;
  std::int32_t cols = 0;
  std::int64_t nnz = 0;
  DeviceArray<std::int64_t> row_offsets;  // rows + 1
  DeviceArray<std::int32_t> col_indices;  // nnz
  DeviceArray<double> costs;              // nnz, CSR order, +inf for inadmissible entries
  DeviceArray<std::int64_t> col_offsets;  // cols + 1
  DeviceArray<std::int64_t> t_entries;    // nnz, CSR position of each column-order entry
  DeviceArray<std::int32_t> t_rows;       // nnz, row of each column-order entry
  DeviceArray<double> t_costs;            // nnz, costs in column order
  DeviceArray<double> a;                  // rows, a / Z
  DeviceArray<double> b;                  // cols, b / Z
  DeviceArray<double> log_a;              // rows, -inf where no mass can be carried
  DeviceArray<double> log_b;              // cols, likewise
};

// Uploads the problem and builds the transpose on the device (a stable CUB radix sort of the
// entries by column). Queued on `stream`; nothing is synchronized.
UotDeviceProblem upload_uot_problem(const UotPrepared& problem, cudaStream_t stream);

// Reductions of up to `capacity` doubles into one device double, with CUB; scratch is sized
// once so the solver loop allocates nothing. 0 for an empty input.
class DeviceReducer {
 public:
  DeviceReducer(std::int64_t capacity, cudaStream_t stream);
  // The maximum; NaN if any input is NaN, so a broken pass cannot hide in the residual.
  void max(const double* values, std::int64_t count, double* result);
  void sum(const double* values, std::int64_t count, double* result);

 private:
  cudaStream_t stream_;
  std::size_t scratch_bytes_ = 0;
  DeviceArray<unsigned char> scratch_;
};

// potential <- previous + omega (potential - previous) on the count lines whose log mass is not
// -inf (the over-relaxation of kernels/uot_entry.h). Queued on `stream`.
void launch_relax(cudaStream_t stream,
                  const double* previous,
                  const double* log_mass,
                  double omega,
                  std::int64_t count,
                  double* potential);

// The translation step of kernels/uot_entry.h: lambda from (f, g) into lambda[0] (one device
// double), then f += lambda and g -= lambda on lines that carry mass. Queued on `stream`;
// nothing is synchronized; nothing happens when either side is empty.
void launch_translation(cudaStream_t stream,
                        double* f,
                        const double* log_a,
                        std::int64_t rows,
                        double* g,
                        const double* log_b,
                        std::int64_t cols,
                        double rho,
                        double* lambda);

// The potentials of one CUDA Sinkhorn solve and the steps around its passes, shared by the
// stored-cost and tiled solvers, in the form kernels/sinkhorn_schedule.h drives: f (current),
// f_new (the row pass's output), g, the per-row changes and their maximum. The device log
// masses must outlive this object.
class SinkhornPotentials {
 public:
  SinkhornPotentials(const std::vector<double>& log_a,
                     const std::vector<double>& log_b,
                     const double* device_log_a,
                     const double* device_log_b,
                     double rho,
                     const UotOptions& options,
                     cudaStream_t stream);

  // Around the column pass: keep g, then over-relax the new g towards it (omega 1: nothing).
  void before_column_pass(double omega);
  void after_column_pass(double omega);
  // max_i |f_new_i - f_i| / (tau eps) of the last pass pair; one host synchronization.
  double read_residual();
  // f_new, over-relaxed by omega, becomes f; then the translation step if asked.
  void advance(double omega, bool translate);

  DeviceArray<double> f;
  DeviceArray<double> f_new;
  DeviceArray<double> g;
  DeviceArray<double> change;

 private:
  cudaStream_t stream_;
  std::int64_t rows_;
  std::int64_t cols_;
  const double* log_a_;
  const double* log_b_;
  double rho_;
  DeviceArray<double> g_previous_;
  DeviceArray<double> lambda_;
  DeviceArray<double> residual_;
  DeviceReducer reducer_;
};

// Threads per block of every solver kernel.
constexpr int kBlock = 256;
constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Rows and columns (segments) are walked by a group of threads: a warp, or the whole block when
// the segments hold at least this many entries on average, since a warp over thousands of
// entries leaves too few warps to fill the device.
constexpr std::int64_t kBlockPerSegmentMinLength = 512;

inline int threads_per_segment(std::int64_t entries, std::int64_t segments) {
  return segments > 0 && entries / segments >= kBlockPerSegmentMinLength ? kBlock : kWarp;
}

// Blocks covering `segments` segments with groups of `threads` threads (segments > 0).
inline unsigned segment_blocks(std::int64_t segments, int threads) {
  const std::int64_t per_block = kBlock / threads;
  return static_cast<unsigned>((segments + per_block - 1) / per_block);
}

// The segment and the thread's rank within its group, for groups of kThreads threads.
template <int kThreads>
__device__ __forceinline__ std::int64_t group_segment() {
  return static_cast<std::int64_t>(blockIdx.x) * (kBlock / kThreads) + threadIdx.x / kThreads;
}
template <int kThreads>
__device__ __forceinline__ int group_rank() {
  return static_cast<int>(threadIdx.x % kThreads);
}

__device__ __forceinline__ LseState<double> warp_lse(LseState<double> state) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    LseState<double> other;
    other.max = __shfl_down_sync(kFullMask, state.max, offset);
    other.sum = __shfl_down_sync(kFullMask, state.sum, offset);
    state = lse_merge(state, other);
  }
  return state;
}

__device__ __forceinline__ double warp_sum(double value) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    value += __shfl_down_sync(kFullMask, value, offset);
  return value;
}

// Log-sum-exp state of a group in a fixed tree order, valid in the group's rank 0. Every thread
// of the group must call it. `scratch` is 2 * kBlock / kWarp doubles of shared memory, used only
// by block-wide groups and free again on return.
template <int kThreads>
__device__ __forceinline__ LseState<double> group_lse(LseState<double> state, double* scratch) {
  state = warp_lse(state);
  if constexpr (kThreads == kWarp) {
    return state;
  } else {
    constexpr int kWarps = kBlock / kWarp;
    const int warp = threadIdx.x / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (lane == 0) {
      scratch[warp] = state.max;
      scratch[kWarps + warp] = state.sum;
    }
    __syncthreads();
    LseState<double> total;
    if (warp == 0) {
      if (lane < kWarps) {
        total.max = scratch[lane];
        total.sum = scratch[kWarps + lane];
      }
      total = warp_lse(total);
    }
    __syncthreads();
    return total;
  }
}

// Sum over a group in a fixed tree order, valid in the group's rank 0; as group_lse.
template <int kThreads>
__device__ __forceinline__ double group_sum(double value, double* scratch) {
  value = warp_sum(value);
  if constexpr (kThreads == kWarp) {
    return value;
  } else {
    constexpr int kWarps = kBlock / kWarp;
    const int warp = threadIdx.x / kWarp;
    const int lane = threadIdx.x % kWarp;
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    double total = 0.0;
    if (warp == 0) total = warp_sum(lane < kWarps ? scratch[lane] : 0.0);
    __syncthreads();
    return total;
  }
}

}  // namespace mustfm::detail
