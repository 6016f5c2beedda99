#include "nn/loss.h"

#include <string>

#include "kernels/common/error.h"
#include "kernels/dense_cpu.h"
#include "nn/compute_space.h"
#include "nn/loss_cuda.h"

namespace mustfm {

namespace detail {
struct LossScratchAccess {
  static double* value(LossScratch& scratch) { return scratch.value_.data(); }
  static double* partials(LossScratch& scratch) { return scratch.partials_.data(); }
};
}  // namespace detail

namespace {

template <class T>
void expect_values(View<T> view, std::size_t size, MemorySpace space, const char* what) {
  MUSTFM_EXPECTS(view.space == space, std::string("loss: ") + what + " is in " +
                                          detail::memory_space_name(view.space) +
                                          " memory, but the backend computes in " +
                                          detail::memory_space_name(space) + " memory");
  MUSTFM_EXPECTS(view.size == size, std::string("loss: ") + what + " holds " +
                                        std::to_string(view.size) + " values, expected " +
                                        std::to_string(size));
}

// Checks every view against the backend and the shape; returns the backend's memory space.
template <class Real>
MemorySpace expect_loss_views(const Exec& exec,
                              View<const Real> y,
                              View<const Real> target,
                              View<const Real> weight,
                              std::size_t rows,
                              std::size_t width,
                              View<Real> grad_y) {
  const MemorySpace space = detail::nn_compute_space(exec, "weighted MSE loss");
  expect_values(y, rows * width, space, "output");
  expect_values(target, rows * width, space, "target");
  expect_values(weight, rows, space, "weight");
  expect_values(grad_y, rows * width, space, "output gradient");
  return space;
}

template <class Real>
void weighted_mse_loss_impl(const Exec& exec,
                            View<const Real> y,
                            View<const Real> target,
                            View<const Real> weight,
                            std::size_t rows,
                            std::size_t width,
                            View<Real> grad_y,
                            LossScratch& scratch) {
  const MemorySpace space = expect_loss_views(exec, y, target, weight, rows, width, grad_y);
  MUSTFM_EXPECTS(scratch.space() == space, std::string("loss: the scratch is in ") +
                                               detail::memory_space_name(scratch.space()) +
                                               " memory, but the backend computes in " +
                                               detail::memory_space_name(space) + " memory");
  double* value = detail::LossScratchAccess::value(scratch);

  if (exec.backend == Backend::cpu) {
    *value = weighted_mse_cpu(y.data, target.data, weight.data, rows, width, grad_y.data);
    return;
  }
#ifdef MUSTFM_WITH_CUDA
  detail::weighted_mse_cuda(exec, y.data, target.data, weight.data, rows, width, grad_y.data,
                            detail::LossScratchAccess::partials(scratch), value);
#endif
}

template <class Real>
double weighted_mse_loss_now(const Exec& exec,
                             View<const Real> y,
                             View<const Real> target,
                             View<const Real> weight,
                             std::size_t rows,
                             std::size_t width,
                             View<Real> grad_y) {
  expect_loss_views(exec, y, target, weight, rows, width, grad_y);
  if (exec.backend == Backend::cpu)
    return weighted_mse_cpu(y.data, target.data, weight.data, rows, width, grad_y.data);

  // A call-local allocator: the scratch lives for this call only, which waits anyway.
  Allocator allocator;
  LossScratch scratch(allocator, MemorySpace::device, "weighted MSE loss");
  weighted_mse_loss_impl(exec, y, target, weight, rows, width, grad_y, scratch);
  return scratch.read();
}

}  // namespace

LossScratch::LossScratch(Allocator& allocator, MemorySpace space, const std::string& purpose)
    : partials_(allocator,
                space == MemorySpace::device ? detail::kWeightedMseMaxBlocks : 0,
                space,
                purpose + " loss partial sums"),
      value_(allocator, 1, space, purpose + " loss value") {}

double LossScratch::read() const {
  double loss = 0.0;
  copy_bytes(&loss, MemorySpace::host, value_.data(), value_.space(), sizeof(double));
  return loss;
}

void weighted_mse_loss(const Exec& exec,
                       View<const float> y,
                       View<const float> target,
                       View<const float> weight,
                       std::size_t rows,
                       std::size_t width,
                       View<float> grad_y,
                       LossScratch& scratch) {
  weighted_mse_loss_impl(exec, y, target, weight, rows, width, grad_y, scratch);
}

void weighted_mse_loss(const Exec& exec,
                       View<const double> y,
                       View<const double> target,
                       View<const double> weight,
                       std::size_t rows,
                       std::size_t width,
                       View<double> grad_y,
                       LossScratch& scratch) {
  weighted_mse_loss_impl(exec, y, target, weight, rows, width, grad_y, scratch);
}

double weighted_mse_loss(const Exec& exec,
                         View<const float> y,
                         View<const float> target,
                         View<const float> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<float> grad_y) {
  return weighted_mse_loss_now(exec, y, target, weight, rows, width, grad_y);
}

double weighted_mse_loss(const Exec& exec,
                         View<const double> y,
                         View<const double> target,
                         View<const double> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<double> grad_y) {
  return weighted_mse_loss_now(exec, y, target, weight, rows, width, grad_y);
}

}  // namespace mustfm
