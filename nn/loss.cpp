#include "nn/loss.h"

#include <string>

#include "kernels/common/error.h"
#include "kernels/dense_cpu.h"

namespace mustfm {
namespace {

template <class T>
void expect_host_values(View<T> view, std::size_t size, const char* what) {
  MUSTFM_EXPECTS(view.space == MemorySpace::host,
                 std::string("loss on the CPU backend: ") + what + " is not in host memory");
  MUSTFM_EXPECTS(view.size == size, std::string("loss: ") + what + " holds " +
                                        std::to_string(view.size) + " values, expected " +
                                        std::to_string(size));
}

template <class Real>
double weighted_mse_loss_impl(const Exec& exec,
                              View<const Real> y,
                              View<const Real> target,
                              View<const Real> weight,
                              std::size_t rows,
                              std::size_t width,
                              View<Real> grad_y) {
  if (exec.backend != Backend::cpu)
    throw RuntimeFailure("the loss has no CUDA implementation yet; use the CPU backend");
  expect_host_values(y, rows * width, "output");
  expect_host_values(target, rows * width, "target");
  expect_host_values(weight, rows, "weight");
  expect_host_values(grad_y, rows * width, "output gradient");
  return weighted_mse_cpu(y.data, target.data, weight.data, rows, width, grad_y.data);
}

}  // namespace

double weighted_mse_loss(const Exec& exec,
                         View<const float> y,
                         View<const float> target,
                         View<const float> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<float> grad_y) {
  return weighted_mse_loss_impl(exec, y, target, weight, rows, width, grad_y);
}

double weighted_mse_loss(const Exec& exec,
                         View<const double> y,
                         View<const double> target,
                         View<const double> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<double> grad_y) {
  return weighted_mse_loss_impl(exec, y, target, weight, rows, width, grad_y);
}

}  // namespace mustfm
