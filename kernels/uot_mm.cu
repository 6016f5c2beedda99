// Majorization-minimization for the unbalanced problem without entropy, CUDA backend: the twin
// of kernels/uot_mm_cpu.cpp (same start, update, stopping rule and per-entry formulas from
// kernels/uot_entry.h, in double). Names as in kernels/uot_solver.h; masses divided by Z, r and c
// the row and column sums of gamma, K the kernel of the update.
//
// The CPU tests the Frobenius change after every iteration. Here the test runs on the device
// (a one-thread kernel that counts the iteration and raises a `done` flag), and every kernel of
// later iterations returns at once when the flag is up; the host reads the flag only every
// check_every iterations. So the device stops at exactly the CPU's iteration with one host
// synchronization per check_every iterations, at the price of at most check_every - 1 empty
// iterations.
#include <cmath>
#include <limits>

#include "kernels/uot_cuda.h"
#include "kernels/uot_device.cuh"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Where the device-side stopping rule stands; the host reads it on checks.
struct MmProgress {
  int done;
  int iterations;
  double residual;
};

// Contract (rows rows, nnz entries):
//   row_offsets, col_indices, costs   the CSR structure with costs (kernels/csr.h)
//   a                                 rows doubles; b: cols doubles (masses / Z)
//   kernel, gamma                     nnz doubles each, CSR order, assigned K and gamma = a b^T
//                                     on S (0 for inadmissible entries)
//   row_sums                          rows doubles, assigned r = gamma 1
// Launch: kBlock threads per block, kThreads threads per row, grid segment_blocks(rows,
// kThreads).
template <int kThreads>
__global__ void __launch_bounds__(kBlock) mm_start_kernel(const std::int64_t* row_offsets,
                                                          const std::int32_t* col_indices,
                                                          const double* costs,
                                                          const double* a,
                                                          const double* b,
                                                          std::int64_t rows,
                                                          double rho,
                                                          double* kernel,
                                                          double* gamma,
                                                          double* row_sums) {
  __shared__ double scratch[kBlock / kWarp];
  const std::int64_t i = group_segment<kThreads>();
  if (i >= rows) return;
  const int rank = group_rank<kThreads>();
  double sum = 0.0;
  const std::int64_t end = row_offsets[i + 1];
  for (std::int64_t e = row_offsets[i] + rank; e < end; e += kThreads) {
    const std::int32_t j = col_indices[e];
    kernel[e] = mm_kernel(a[i], b[j], costs[e], rho);
    gamma[e] = costs[e] == kInf ? 0.0 : a[i] * b[j];
    sum += gamma[e];
  }
  sum = group_sum<kThreads>(sum, scratch);
  if (rank == 0) row_sums[i] = sum;
}

// Contract (cols columns, nnz entries):
//   col_offsets, t_entries   the transpose (kernels/csr.h CsrTranspose)
//   gamma                    nnz doubles, CSR order
//   col_sums                 cols doubles, assigned c = gamma^T 1
//   progress                 one MmProgress; the kernel does nothing once `done` is set
// Launch: kBlock threads per block, kThreads threads per column, grid segment_blocks(cols,
// kThreads).
template <int kThreads>
__global__ void __launch_bounds__(kBlock) mm_column_sums_kernel(const std::int64_t* col_offsets,
                                                                const std::int64_t* t_entries,
                                                                const double* gamma,
                                                                std::int64_t cols,
                                                                const MmProgress* progress,
                                                                double* col_sums) {
  __shared__ double scratch[kBlock / kWarp];
  if (progress->done) return;
  const std::int64_t j = group_segment<kThreads>();
  if (j >= cols) return;
  const int rank = group_rank<kThreads>();
  double sum = 0.0;
  const std::int64_t end = col_offsets[j + 1];
  for (std::int64_t k = col_offsets[j] + rank; k < end; k += kThreads) sum += gamma[t_entries[k]];
  sum = group_sum<kThreads>(sum, scratch);
  if (rank == 0) col_sums[j] = sum;
}

// Contract (rows rows, nnz entries):
//   row_offsets, col_indices   the CSR structure; kernel nnz doubles (K), CSR order
//   gamma                      nnz doubles, CSR order, updated in place (each entry by one
//                              thread): gamma <- K gamma / (sqrt(r_i) sqrt(c_j))
//   row_sums                   rows doubles, r of the current gamma; next_row_sums: rows
//                              doubles, assigned r of the updated gamma (distinct arrays)
//   col_sums                   cols doubles, c of the current gamma
//   change                     rows doubles, assigned sum over the row of (new - old)^2
//   progress                   one MmProgress; the kernel does nothing once `done` is set
// Launch: kBlock threads per block, kThreads threads per row, grid segment_blocks(rows,
// kThreads).
template <int kThreads>
__global__ void __launch_bounds__(kBlock) mm_row_update_kernel(const std::int64_t* row_offsets,
                                                               const std::int32_t* col_indices,
                                                               const double* kernel,
                                                               const double* row_sums,
                                                               const double* col_sums,
                                                               std::int64_t rows,
                                                               const MmProgress* progress,
                                                               double* gamma,
                                                               double* next_row_sums,
                                                               double* change) {
  __shared__ double scratch[kBlock / kWarp];
  if (progress->done) return;
  const std::int64_t i = group_segment<kThreads>();
  if (i >= rows) return;
  const int rank = group_rank<kThreads>();
  const double r = row_sums[i];
  double sum = 0.0;
  double squared_change = 0.0;
  const std::int64_t end = row_offsets[i + 1];
  for (std::int64_t e = row_offsets[i] + rank; e < end; e += kThreads) {
    const double old = gamma[e];
    const double updated = mm_update(old, kernel[e], r, col_sums[col_indices[e]]);
    squared_change += (updated - old) * (updated - old);
    gamma[e] = updated;
    sum += updated;
  }
  sum = group_sum<kThreads>(sum, scratch);
  squared_change = group_sum<kThreads>(squared_change, scratch);
  if (rank == 0) {
    next_row_sums[i] = sum;
    change[i] = squared_change;
  }
}

// Contract: total one double (the summed squared change of this iteration); progress one
// MmProgress, updated unless already done: iterations + 1, residual = sqrt(total), done when
// the residual is below `tolerance`. Launch: one thread.
__global__ void mm_progress_kernel(const double* total, double tolerance, MmProgress* progress) {
  if (progress->done) return;
  progress->iterations += 1;
  progress->residual = std::sqrt(*total);
  if (progress->residual < tolerance) progress->done = 1;
}

// Launches kernel<kWarp> or kernel<kBlock> for the segments' average length; nothing for none.
template <class WarpKernel, class BlockKernel, class... Args>
void launch_per_segment(cudaStream_t stream,
                        std::int64_t segments,
                        std::int64_t entries,
                        WarpKernel warp_kernel,
                        BlockKernel block_kernel,
                        Args... args) {
  if (segments == 0) return;
  const int threads = threads_per_segment(entries, segments);
  const unsigned blocks = segment_blocks(segments, threads);
  if (threads == kWarp)
    warp_kernel<<<blocks, kBlock, 0, stream>>>(args...);
  else
    block_kernel<<<blocks, kBlock, 0, stream>>>(args...);
  MUSTFM_LAUNCH_CHECK(stream);
}

}  // namespace

UotRaw mm_cuda(const Exec& exec, const UotPrepared& p, const UotOptions& options) {
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  const UotDeviceProblem d = upload_uot_problem(p, stream);
  const std::size_t nnz = static_cast<std::size_t>(d.nnz);
  DeviceArray<double> kernel(nnz, stream);
  DeviceArray<double> gamma(nnz, stream);
  DeviceArray<double> r(static_cast<std::size_t>(d.rows), stream);
  DeviceArray<double> r_next(static_cast<std::size_t>(d.rows), stream);
  DeviceArray<double> c(static_cast<std::size_t>(d.cols), stream);
  DeviceArray<double> change(static_cast<std::size_t>(d.rows), stream);
  DeviceArray<double> total(1, stream);
  DeviceArray<MmProgress> progress(1, stream);
  DeviceReducer reducer(d.rows, stream);
  MUSTFM_CUDA_CHECK(cudaMemsetAsync(progress.data(), 0, sizeof(MmProgress), stream));

  launch_per_segment(stream, d.rows, d.nnz, mm_start_kernel<kWarp>, mm_start_kernel<kBlock>,
                     d.row_offsets.data(), d.col_indices.data(), d.costs.data(), d.a.data(),
                     d.b.data(), std::int64_t{d.rows}, p.rho, kernel.data(), gamma.data(),
                     r.data());

  MmProgress reached{0, 0, 0.0};
  for (int launched = 1; launched <= options.max_iterations; ++launched) {
    launch_per_segment(stream, d.cols, d.nnz, mm_column_sums_kernel<kWarp>,
                       mm_column_sums_kernel<kBlock>, d.col_offsets.data(), d.t_entries.data(),
                       static_cast<const double*>(gamma.data()), std::int64_t{d.cols},
                       static_cast<const MmProgress*>(progress.data()), c.data());
    launch_per_segment(stream, d.rows, d.nnz, mm_row_update_kernel<kWarp>,
                       mm_row_update_kernel<kBlock>, d.row_offsets.data(), d.col_indices.data(),
                       static_cast<const double*>(kernel.data()),
                       static_cast<const double*>(r.data()), static_cast<const double*>(c.data()),
                       std::int64_t{d.rows}, static_cast<const MmProgress*>(progress.data()),
                       gamma.data(), r_next.data(), change.data());
    // Once done, the row kernel leaves `change` alone and the progress kernel ignores the sum.
    reducer.sum(change.data(), d.rows, total.data());
    mm_progress_kernel<<<1, 1, 0, stream>>>(total.data(), options.mm_tolerance, progress.data());
    MUSTFM_LAUNCH_CHECK(stream);
    r.swap(r_next);

    if (launched % options.check_every == 0 || launched == options.max_iterations) {
      reached = progress.download()[0];
      if (reached.done) break;
    }
  }

  UotRaw raw;
  raw.status = reached.done ? UotStatus::converged : UotStatus::iteration_limit;
  raw.iterations = reached.iterations;
  raw.residual = reached.residual;
  raw.plan = gamma.download();
  return raw;
}

}  // namespace mustfm::detail
