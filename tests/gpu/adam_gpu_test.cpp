// The CUDA Adam step and parameter EMA against the CPU backend on random inputs: ten Adam steps
// with a changing learning rate and fresh gradients, then the EMA, in float and double.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/adam.h"
#include "nn_gpu_support.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::expect_close_normwise;
using testing::host_view;
using testing::random_vector;
using testing::to_device;
using testing::to_host;

// The element formulas are shared (kernels/adam.h), but the device contracts a product and a sum
// into one fused multiply-add where the CPU rounds twice, so m, v and each update may differ in
// the last bit per step. Over ten steps that stays within a few tens of ulps of the largest
// value: 1e-5 (float, ulp 6e-8) and 1e-13 (double, ulp 1.1e-16) of the largest magnitude.
template <class Real>
constexpr double kAdamTolerance = 0.0;
template <>
constexpr double kAdamTolerance<double> = 1e-13;
template <>
constexpr double kAdamTolerance<float> = 1e-5;

// One EMA update rounds twice per element on the CPU and once or twice on the device (fused
// multiply-add): about one ulp apart per update, and two updates at most accumulate before a
// decay of 0 resets the average. 2e-6 (float) and 2e-15 (double) of the largest magnitude.
template <class Real>
constexpr double kEmaTolerance = 0.0;
template <>
constexpr double kEmaTolerance<double> = 2e-15;
template <>
constexpr double kEmaTolerance<float> = 2e-6;

constexpr int kSteps = 10;

template <class Real>
void check_adam(Context& gpu, std::size_t count, std::uint64_t seed) {
  const std::string case_text = std::to_string(count) + " parameters, seed " +
                                std::to_string(seed) + (sizeof(Real) == 4 ? ", float" : ", double");
  const AdamOptions options{0.9, 0.999, 1e-8};
  std::vector<Real> cpu_parameters = random_vector<Real>(count, -1, 1, seed);
  Buffer<Real> d_parameters = to_device(gpu, cpu_parameters, "test: parameters");
  Allocator host_allocator;
  Adam<Real> cpu_adam(host_allocator, count, MemorySpace::host, "test", options);
  Adam<Real> cuda_adam(gpu.allocator(), count, MemorySpace::device, "test", options);

  for (int step = 0; step < kSteps; ++step) {
    const double learning_rate = 0.01 * (kSteps - step) / kSteps;
    const std::vector<Real> gradient = random_vector<Real>(count, -1, 1, seed + 1 + step);
    Buffer<Real> d_gradient = to_device(gpu, gradient, "test: gradient");
    cpu_adam.step(Exec{}, host_view(cpu_parameters), host_view(gradient), learning_rate);
    cuda_adam.step(gpu.exec(), d_parameters.view(), d_gradient.cview(), learning_rate);
  }
  gpu.synchronize();
  EXPECT_EQ(cuda_adam.steps(), kSteps);

  const auto host_copy = [](View<const Real> view) {
    return std::vector<Real>(view.begin(), view.end());
  };
  expect_close_normwise(to_host(d_parameters.cview()), cpu_parameters, kAdamTolerance<Real>,
                        "parameters (" + case_text + ")");
  expect_close_normwise(to_host(cuda_adam.first_moment()), host_copy(cpu_adam.first_moment()),
                        kAdamTolerance<Real>, "first moment (" + case_text + ")");
  expect_close_normwise(to_host(cuda_adam.second_moment()), host_copy(cpu_adam.second_moment()),
                        kAdamTolerance<Real>, "second moment (" + case_text + ")");
}

template <class Real>
void check_ema(Context& gpu, std::size_t count, std::uint64_t seed) {
  const std::string case_text = std::to_string(count) + " parameters, seed " +
                                std::to_string(seed) + (sizeof(Real) == 4 ? ", float" : ", double");
  std::vector<Real> cpu_average = random_vector<Real>(count, -1, 1, seed);
  Buffer<Real> d_average = to_device(gpu, cpu_average, "test: average");
  // Four updates with different decays, including the edge values 0 and 1.
  for (double decay : {0.995, 0.5, 0.0, 1.0}) {
    const std::vector<Real> parameters = random_vector<Real>(count, -1, 1, seed + 7);
    Buffer<Real> d_parameters = to_device(gpu, parameters, "test: parameters");
    ema_update(Exec{}, host_view(cpu_average), host_view(parameters), decay);
    ema_update(gpu.exec(), d_average.view(), d_parameters.cview(), decay);
    gpu.synchronize();
    expect_close_normwise(to_host(d_average.cview()), cpu_average, kEmaTolerance<Real>,
                          "EMA, decay " + std::to_string(decay) + " (" + case_text + ")");
  }
}

// 1 parameter, one partial block (1000), and more than the largest grid covers at once (1.1e6).
const std::vector<std::size_t> kCounts = {1, 1000, 1100003};

TEST(AdamGpu, TenStepsMatchCpuInFloat) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (std::size_t count : kCounts) check_adam<float>(gpu, count, 31);
}

TEST(AdamGpu, TenStepsMatchCpuInDouble) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (std::size_t count : kCounts) check_adam<double>(gpu, count, 32);
}

TEST(EmaGpu, MatchesCpuInFloatAndDouble) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (std::size_t count : kCounts) {
    check_ema<float>(gpu, count, 41);
    check_ema<double>(gpu, count, 42);
  }
}

TEST(AdamGpu, HostMomentsAreRefusedOnTheCudaBackend) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  Allocator host_allocator;
  Adam<float> adam(host_allocator, 3, MemorySpace::host, "test");
  Buffer<float> parameters(gpu.allocator(), 3, MemorySpace::device, "test: parameters");
  Buffer<float> gradient(gpu.allocator(), 3, MemorySpace::device, "test: gradient");
  EXPECT_TRUE(testing::throws_input_error(
      [&] { adam.step(gpu.exec(), parameters.view(), gradient.cview(), 0.1); },
      {"Adam moments", "host memory"}));
}

}  // namespace
}  // namespace mustfm
