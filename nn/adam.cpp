#include "nn/adam.h"

#include <string>
#include <vector>

#include "kernels/adam.h"
#include "kernels/common/error.h"
#include "nn/adam_cuda.h"
#include "nn/compute_space.h"

namespace mustfm {
namespace {

// Below this many parameters a loop runs on one thread; spawning costs more than it saves.
constexpr std::size_t kParallelMinimum = 1 << 14;

std::ptrdiff_t signed_size(std::size_t value) {
  return static_cast<std::ptrdiff_t>(value);
}

template <class T>
void expect_values(View<T> view, std::size_t size, MemorySpace space, const char* what) {
  MUSTFM_EXPECTS(view.space == space, std::string(what) + " is in " +
                                          detail::memory_space_name(view.space) +
                                          " memory, but the backend computes in " +
                                          detail::memory_space_name(space) + " memory");
  MUSTFM_EXPECTS(view.size == size, std::string(what) + " holds " + std::to_string(view.size) +
                                        " values, expected " + std::to_string(size));
}

template <class Real>
void fill_zero(Buffer<Real>& buffer) {
  std::vector<Real> zeros(buffer.size(), Real(0));
  copy_bytes(buffer.data(), buffer.space(), zeros.data(), MemorySpace::host,
             buffer.size() * sizeof(Real));
}

template <class Real>
void ema_update_impl(const Exec& exec,
                     View<Real> average,
                     View<const Real> parameters,
                     double decay) {
  const MemorySpace space = detail::nn_compute_space(exec, "parameter EMA");
  MUSTFM_EXPECTS(decay >= 0.0 && decay <= 1.0,
                 "EMA decay must lie in [0, 1], got " + std::to_string(decay));
  expect_values(average, parameters.size, space, "EMA average");
  expect_values(parameters, parameters.size, space, "EMA parameters");
  const Real keep = static_cast<Real>(decay);
  const Real take = static_cast<Real>(1.0 - decay);

  if (exec.backend != Backend::cpu) {
#ifdef MUSTFM_WITH_CUDA
    detail::ema_update_cuda(exec, average.data, parameters.data, parameters.size, keep, take);
#endif
    return;
  }

#pragma omp parallel for schedule(static) if (parameters.size >= kParallelMinimum)
  for (std::ptrdiff_t i = 0; i < signed_size(parameters.size); ++i)
    ema_update_element(average[i], parameters[i], keep, take);
}

}  // namespace

template <class Real>
Adam<Real>::Adam(Allocator& allocator,
                 std::size_t count,
                 MemorySpace space,
                 const std::string& purpose,
                 AdamOptions options)
    : options_(options),
      first_(allocator, count, space, purpose + " adam m"),
      second_(allocator, count, space, purpose + " adam v") {
  MUSTFM_EXPECTS(
      options.beta1 >= 0.0 && options.beta1 < 1.0 && options.beta2 >= 0.0 && options.beta2 < 1.0,
      "Adam betas must lie in [0, 1), got " + std::to_string(options.beta1) + " and " +
          std::to_string(options.beta2));
  MUSTFM_EXPECTS(options.eps >= 0.0, "Adam eps must be >= 0, got " + std::to_string(options.eps));
  fill_zero(first_);
  fill_zero(second_);
}

template <class Real>
void Adam<Real>::step(const Exec& exec,
                      View<Real> parameters,
                      View<const Real> gradients,
                      double learning_rate) {
  const MemorySpace space = detail::nn_compute_space(exec, "Adam");
  MUSTFM_EXPECTS(first_.space() == space, std::string("Adam moments are in ") +
                                              detail::memory_space_name(first_.space()) +
                                              " memory, but the backend computes in " +
                                              detail::memory_space_name(space) + " memory");
  expect_values(parameters, first_.size(), space, "Adam parameters");
  expect_values(gradients, first_.size(), space, "Adam gradients");
  const AdamCoefficients<Real> k = adam_coefficients<Real>(
      learning_rate, options_.beta1, options_.beta2, options_.eps, steps_ + 1);
  Real* m = first_.data();
  Real* v = second_.data();

  if (exec.backend != Backend::cpu) {
#ifdef MUSTFM_WITH_CUDA
    detail::adam_step_cuda(exec, parameters.data, m, v, gradients.data, parameters.size, k);
#endif
    ++steps_;
    return;
  }

  Real* p = parameters.data;
  const Real* g = gradients.data;
#pragma omp parallel for simd schedule(static) if (parameters.size >= kParallelMinimum)
  for (std::ptrdiff_t i = 0; i < signed_size(parameters.size); ++i)
    adam_update(p[i], m[i], v[i], g[i], k);
  ++steps_;
}

template <class Real>
void Adam<Real>::step_with_device_scalars(const Exec& exec,
                                          View<Real> parameters,
                                          View<const Real> gradients,
                                          const AdamCoefficients<Real>* device_coefficients) {
  detail::nn_compute_space(exec, "Adam");
  MUSTFM_EXPECTS(exec.backend == Backend::cuda,
                 "Adam with device-resident scalars needs the CUDA backend");
  MUSTFM_EXPECTS(device_coefficients != nullptr, "Adam: the device scalars pointer is null");
  MUSTFM_EXPECTS(first_.space() == MemorySpace::device,
                 std::string("Adam moments are in ") + detail::memory_space_name(first_.space()) +
                     " memory, but the backend computes in device memory");
  expect_values(parameters, first_.size(), MemorySpace::device, "Adam parameters");
  expect_values(gradients, first_.size(), MemorySpace::device, "Adam gradients");
#ifdef MUSTFM_WITH_CUDA
  detail::adam_step_cuda(exec, parameters.data, first_.data(), second_.data(), gradients.data,
                         parameters.size, device_coefficients);
#endif
}

template <class Real>
void Adam<Real>::restore(View<const Real> first, View<const Real> second, std::int64_t steps) {
  MUSTFM_EXPECTS(first.size == first_.size() && second.size == second_.size(),
                 "Adam restore: moments of " + std::to_string(first.size) + " and " +
                     std::to_string(second.size) + " values for " + std::to_string(first_.size()) +
                     " parameters");
  MUSTFM_EXPECTS(steps >= 0, "Adam restore: negative step count " + std::to_string(steps));
  first_.copy_from(first);
  second_.copy_from(second);
  steps_ = steps;
}

template class Adam<float>;
template class Adam<double>;

void ema_update(const Exec& exec, View<float> average, View<const float> parameters, double decay) {
  ema_update_impl(exec, average, parameters, decay);
}

void ema_update(const Exec& exec,
                View<double> average,
                View<const double> parameters,
                double decay) {
  ema_update_impl(exec, average, parameters, decay);
}

}  // namespace mustfm
