// The potentials of the CUDA Sinkhorn loops with their over-relaxation and translation steps
// (kernels/uot_entry.h), shared by the stored-cost solver (kernels/uot_sinkhorn.cu) and the
// tiled one (kernels/uot_tiles.cu).
#include <algorithm>
#include <limits>

#include "kernels/uot_device.cuh"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

unsigned elementwise_blocks(std::int64_t count) {
  return static_cast<unsigned>((count + kBlock - 1) / kBlock);
}

// potential[k] <- previous[k] + omega (potential[k] - previous[k]) where log_mass[k] > -inf.
// Launch: any grid of kBlock-thread blocks covering count.
__global__ void __launch_bounds__(kBlock) relax_kernel(const double* previous,
                                                       const double* log_mass,
                                                       double omega,
                                                       std::int64_t count,
                                                       double* potential) {
  const std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x;
  if (k >= count || log_mass[k] == -kInf) return;
  potential[k] = sinkhorn_relax(previous[k], potential[k], omega);
}

// log A and log B of the translation step (kernels/uot_entry.h) in a fixed order, and lambda
// from them into lambda[0]. Launch: one block of kBlock threads.
__global__ void __launch_bounds__(kBlock) translation_kernel(const double* f,
                                                             const double* log_a,
                                                             std::int64_t rows,
                                                             const double* g,
                                                             const double* log_b,
                                                             std::int64_t cols,
                                                             double rho,
                                                             double* lambda) {
  __shared__ double scratch[2 * kBlock / kWarp];
  LseState<double> a_state;
  for (std::int64_t i = threadIdx.x; i < rows; i += kBlock)
    lse_push(a_state, translation_term(f[i], log_a[i], rho));
  a_state = group_lse<kBlock>(a_state, scratch);
  LseState<double> b_state;
  for (std::int64_t j = threadIdx.x; j < cols; j += kBlock)
    lse_push(b_state, translation_term(g[j], log_b[j], rho));
  b_state = group_lse<kBlock>(b_state, scratch);
  if (threadIdx.x == 0) lambda[0] = translation_shift(lse_value(a_state), lse_value(b_state), rho);
}

// f += lambda[0] on rows, g -= lambda[0] on columns that carry mass. Launch: kBlock-thread
// blocks covering max(rows, cols).
__global__ void __launch_bounds__(kBlock) translate_kernel(const double* lambda,
                                                           const double* log_a,
                                                           std::int64_t rows,
                                                           const double* log_b,
                                                           std::int64_t cols,
                                                           double* f,
                                                           double* g) {
  const std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * kBlock + threadIdx.x;
  const double shift = lambda[0];
  if (k < rows && log_a[k] != -kInf) f[k] += shift;
  if (k < cols && log_b[k] != -kInf) g[k] -= shift;
}

}  // namespace

void launch_relax(cudaStream_t stream,
                  const double* previous,
                  const double* log_mass,
                  double omega,
                  std::int64_t count,
                  double* potential) {
  if (count == 0) return;
  relax_kernel<<<elementwise_blocks(count), kBlock, 0, stream>>>(previous, log_mass, omega, count,
                                                                 potential);
  MUSTFM_LAUNCH_CHECK(stream);
}

void launch_translation(cudaStream_t stream,
                        double* f,
                        const double* log_a,
                        std::int64_t rows,
                        double* g,
                        const double* log_b,
                        std::int64_t cols,
                        double rho,
                        double* lambda) {
  if (rows == 0 || cols == 0) return;
  translation_kernel<<<1, kBlock, 0, stream>>>(f, log_a, rows, g, log_b, cols, rho, lambda);
  MUSTFM_LAUNCH_CHECK(stream);
  translate_kernel<<<elementwise_blocks(std::max(rows, cols)), kBlock, 0, stream>>>(
      lambda, log_a, rows, log_b, cols, f, g);
  MUSTFM_LAUNCH_CHECK(stream);
}

SinkhornPotentials::SinkhornPotentials(const std::vector<double>& log_a,
                                       const std::vector<double>& log_b,
                                       const double* device_log_a,
                                       const double* device_log_b,
                                       double rho,
                                       const UotOptions& options,
                                       cudaStream_t stream)
    : f(log_a.size(), stream),
      f_new(log_a.size(), stream),
      g(log_b.size(), stream),
      change(log_a.size(), stream),
      stream_(stream),
      rows_(static_cast<std::int64_t>(log_a.size())),
      cols_(static_cast<std::int64_t>(log_b.size())),
      log_a_(device_log_a),
      log_b_(device_log_b),
      rho_(rho),
      g_previous_(log_b.size(), stream),
      lambda_(1, stream),
      residual_(1, stream),
      reducer_(rows_, stream) {
  const std::vector<double> f_start = sinkhorn_initial_potential(log_a, options.f_init);
  const std::vector<double> g_start = sinkhorn_initial_potential(log_b, options.g_init);
  f.upload(f_start);
  // f_new starts as f so rows that are never updated (+inf) agree in both.
  f_new.upload(f_start);
  g.upload(g_start);
  // The host sources die on return; wait until the stream has read them.
  MUSTFM_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void SinkhornPotentials::before_column_pass(double omega) {
  if (omega == 1.0 || cols_ == 0) return;
  MUSTFM_CUDA_CHECK(cudaMemcpyAsync(g_previous_.data(), g.data(),
                                    static_cast<std::size_t>(cols_) * sizeof(double),
                                    cudaMemcpyDeviceToDevice, stream_));
}

void SinkhornPotentials::after_column_pass(double omega) {
  if (omega == 1.0) return;
  launch_relax(stream_, g_previous_.data(), log_b_, omega, cols_, g.data());
}

double SinkhornPotentials::read_residual() {
  reducer_.max(change.data(), rows_, residual_.data());
  return residual_.download()[0];
}

void SinkhornPotentials::advance(double omega, bool translate) {
  if (omega != 1.0) launch_relax(stream_, f.data(), log_a_, omega, rows_, f_new.data());
  f.swap(f_new);
  if (translate)
    launch_translation(stream_, f.data(), log_a_, rows_, g.data(), log_b_, cols_, rho_,
                       lambda_.data());
}

}  // namespace mustfm::detail
