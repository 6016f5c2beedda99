// Log-domain Sinkhorn for the masked entropic unbalanced problem, CUDA backend: the twin of
// kernels/uot_sinkhorn_cpu.cpp, run by the same driver (kernels/sinkhorn_schedule.h) with the
// same warm start and per-entry formulas (kernels/uot_entry.h, kernels/lse.h), in double. Names as
// in kernels/uot_solver.h; tau = rho / (rho + eps).
//
// One kernel serves both passes: a row pass walks the CSR rows (partners: columns), a column
// pass walks the transpose (partners: rows) with costs gathered into column order. A group of
// threads (a warp, or the block for long segments) streams the log-sum-exp of one segment and
// merges the partial states in a fixed order, so repeated runs give identical bits. The
// residual is reduced on the device and read back only on a check.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "kernels/sinkhorn_schedule.h"
#include "kernels/uot_cuda.h"
#include "kernels/uot_device.cuh"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Contract (s segments, n stored entries; a row pass has segments = rows, partners = columns, a
// column pass the reverse):
//   offsets            s + 1 int64; segment k holds positions offsets[k] .. offsets[k+1])
//   partners           n int32, the partner of each position; costs n doubles, same order
//   partner_potential  per partner (g for a row pass, f for a column pass), +inf where the
//                      partner carries no mass; partner_log_mass likewise (-inf there)
//   own_log_mass       s doubles; segments at -inf are skipped and their potential untouched
//   potential          s doubles, assigned -tau eps LSE for every other segment
//   previous, change   null, or s doubles each: change assigned |potential - previous| /
//                      (tau eps), 0 for skipped segments
// Launch: kBlock threads per block, kThreads threads (a warp or the block) per segment, grid
// segment_blocks(s, kThreads). Preconditions: potential aliases none of the inputs; a segment
// that is not skipped has an admissible entry with a live partner (prepare_uot guarantees it),
// so its log-sum-exp is finite.
template <int kThreads>
__global__ void __launch_bounds__(kBlock) sinkhorn_pass_kernel(const std::int64_t* offsets,
                                                               const std::int32_t* partners,
                                                               const double* costs,
                                                               const double* partner_potential,
                                                               const double* partner_log_mass,
                                                               const double* own_log_mass,
                                                               std::int64_t segments,
                                                               double eps,
                                                               double tau,
                                                               const double* previous,
                                                               double* potential,
                                                               double* change) {
  __shared__ double scratch[2 * kBlock / kWarp];
  const std::int64_t s = group_segment<kThreads>();
  if (s >= segments) return;
  const int rank = group_rank<kThreads>();
  if (own_log_mass[s] == -kInf) {
    if (change != nullptr && rank == 0) change[s] = 0.0;
    return;
  }

  LseState<double> state;
  const std::int64_t end = offsets[s + 1];
  for (std::int64_t k = offsets[s] + rank; k < end; k += kThreads) {
    const std::int32_t partner = partners[k];
    lse_push(state, sinkhorn_lse_term(partner_potential[partner], costs[k],
                                      partner_log_mass[partner], eps));
  }
  state = group_lse<kThreads>(state, scratch);
  if (rank != 0) return;

  const double updated = sinkhorn_potential(lse_value(state), tau, eps);
  potential[s] = updated;
  if (change != nullptr) change[s] = std::fabs(updated - previous[s]) / (tau * eps);
}

// Contract (rows rows, nnz entries):
//   row_offsets, col_indices, costs   the CSR structure with costs (kernels/csr.h)
//   f, log_a                          rows doubles; g, log_b: cols doubles
//   plan                              nnz doubles, assigned gamma in CSR order (0 off S)
// Launch: kBlock threads per block, one warp per row, grid segment_blocks(rows, kWarp).
__global__ void __launch_bounds__(kBlock) sinkhorn_plan_kernel(const std::int64_t* row_offsets,
                                                               const std::int32_t* col_indices,
                                                               const double* costs,
                                                               const double* f,
                                                               const double* g,
                                                               const double* log_a,
                                                               const double* log_b,
                                                               std::int64_t rows,
                                                               double eps,
                                                               double* plan) {
  const std::int64_t i = group_segment<kWarp>();
  if (i >= rows) return;
  const std::int64_t end = row_offsets[i + 1];
  for (std::int64_t e = row_offsets[i] + group_rank<kWarp>(); e < end; e += kWarp) {
    const std::int32_t j = col_indices[e];
    plan[e] = sinkhorn_plan(f[i], g[j], costs[e], log_a[i], log_b[j], eps);
  }
}

// Launches the pass kernel with the group size suited to the segments' average length.
void sinkhorn_pass(cudaStream_t stream,
                   const std::int64_t* offsets,
                   const std::int32_t* partners,
                   const double* costs,
                   const double* partner_potential,
                   const double* partner_log_mass,
                   const double* own_log_mass,
                   std::int64_t segments,
                   std::int64_t entries,
                   double eps,
                   double tau,
                   const double* previous,
                   double* potential,
                   double* change) {
  if (segments == 0) return;
  const int threads = threads_per_segment(entries, segments);
  const unsigned blocks = segment_blocks(segments, threads);
  if (threads == kWarp)
    sinkhorn_pass_kernel<kWarp><<<blocks, kBlock, 0, stream>>>(
        offsets, partners, costs, partner_potential, partner_log_mass, own_log_mass, segments, eps,
        tau, previous, potential, change);
  else
    sinkhorn_pass_kernel<kBlock><<<blocks, kBlock, 0, stream>>>(
        offsets, partners, costs, partner_potential, partner_log_mass, own_log_mass, segments, eps,
        tau, previous, potential, change);
  MUSTFM_LAUNCH_CHECK(stream);
}

}  // namespace

// The device state of one solve: the uploaded problem, the potentials f (current), f_new (the
// row pass's output) and g, the per-row changes and the residual they reduce to.
struct SinkhornCudaPasses::State {
  State(const Exec& exec, const UotPrepared& problem, const UotOptions& options)
      : prepared(problem),
        stream(static_cast<cudaStream_t>(exec.stream)),
        device(upload_uot_problem(problem, stream)),
        potentials(problem.log_a,
                   problem.log_b,
                   device.log_a.data(),
                   device.log_b.data(),
                   problem.rho,
                   options,
                   stream) {}

  // g from f (over-relaxed by omega unless omega is 1), then f_new and the per-row change from
  // (f, g).
  void pass_pair(double eps, double omega) {
    const double tau = prepared.rho / (prepared.rho + eps);
    SinkhornPotentials& p = potentials;
    p.before_column_pass(omega);
    sinkhorn_pass(stream, device.col_offsets.data(), device.t_rows.data(), device.t_costs.data(),
                  p.f.data(), device.log_a.data(), device.log_b.data(), device.cols, device.nnz,
                  eps, tau, nullptr, p.g.data(), nullptr);
    p.after_column_pass(omega);
    sinkhorn_pass(stream, device.row_offsets.data(), device.col_indices.data(), device.costs.data(),
                  p.g.data(), device.log_b.data(), device.log_a.data(), device.rows, device.nnz,
                  eps, tau, p.f.data(), p.f_new.data(), p.change.data());
  }

  double read_residual() { return potentials.read_residual(); }
  void advance(double omega, bool translate) { potentials.advance(omega, translate); }

  const UotPrepared& prepared;
  cudaStream_t stream;
  UotDeviceProblem device;
  SinkhornPotentials potentials;
};

SinkhornCudaPasses::SinkhornCudaPasses(const Exec& exec,
                                       const UotPrepared& problem,
                                       const UotOptions& options)
    : state_(std::make_unique<State>(exec, problem, options)) {}

SinkhornCudaPasses::~SinkhornCudaPasses() = default;

void SinkhornCudaPasses::pass_pair(double eps) {
  state_->pass_pair(eps, 1.0);
  state_->advance(1.0, false);
}

void SinkhornCudaPasses::synchronize() {
  MUSTFM_CUDA_CHECK(cudaStreamSynchronize(state_->stream));
}

UotRaw sinkhorn_cuda(const Exec& exec, const UotPrepared& p, const UotOptions& options) {
  SinkhornCudaPasses passes(exec, p, options);
  SinkhornCudaPasses::State& state = *passes.state_;
  UotRaw raw;
  run_sinkhorn_schedule(state, options, p.rho, raw);

  const UotDeviceProblem& d = state.device;
  DeviceArray<double> plan(static_cast<std::size_t>(d.nnz), state.stream);
  if (d.rows > 0) {
    sinkhorn_plan_kernel<<<segment_blocks(d.rows, kWarp), kBlock, 0, state.stream>>>(
        d.row_offsets.data(), d.col_indices.data(), d.costs.data(), state.potentials.f.data(),
        state.potentials.g.data(), d.log_a.data(), d.log_b.data(), d.rows, raw.eps, plan.data());
    MUSTFM_LAUNCH_CHECK(state.stream);
  }
  raw.plan = plan.download();
  raw.f = state.potentials.f.download();
  raw.g = state.potentials.g.download();
  return raw;
}

}  // namespace mustfm::detail
