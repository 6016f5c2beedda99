// The backend plumbing of the nn layer, checked without a GPU: views in the wrong memory space
// are InputErrors naming the view, a CUDA request is refused cleanly (wrong memory in a CUDA
// build, no CUDA otherwise), and the loss's scratch form agrees with the returning form.
#include <gtest/gtest.h>

#include <vector>

#include "nn/adam.h"
#include "nn/captured_work.h"
#include "nn/loss.h"
#include "nn/mlp.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::throws_input_error;

// A view that claims device memory; the checks must refuse it before touching the pointer.
template <class T>
View<T> device_claim(std::vector<T>& values) {
  return {values.data(), values.size(), MemorySpace::device};
}

template <class T>
View<T> host(std::vector<T>& values) {
  return {values.data(), values.size(), MemorySpace::host};
}

Exec cuda_exec() {
  Exec exec;
  exec.backend = Backend::cuda;
  return exec;
}

TEST(NnBackends, CpuMlpRefusesDeviceViews) {
  const Mlp<double> mlp(MlpShape{2, {3}, 1, 0.01});
  Allocator allocator;
  MlpWorkspace<double> workspace(mlp, 4, allocator, MemorySpace::host, "test");
  std::vector<double> parameters(mlp.parameter_count()), input(8), grad_output(4),
      gradient(mlp.parameter_count());
  EXPECT_TRUE(throws_input_error(
      [&] { mlp.forward(Exec{}, device_claim(parameters), host(input), 4, workspace); },
      {"parameters", "device memory", "host memory"}));
  EXPECT_TRUE(throws_input_error(
      [&] { mlp.forward(Exec{}, host(parameters), device_claim(input), 4, workspace); },
      {"input", "device memory"}));

  mlp.forward(Exec{}, host(parameters), host(input), 4, workspace);
  EXPECT_TRUE(throws_input_error(
      [&] {
        mlp.backward(Exec{}, host(parameters), host(input), 4, workspace, host(grad_output),
                     device_claim(gradient));
      },
      {"parameter gradient", "device memory"}));
}

TEST(NnBackends, CudaRequestWithHostMemoryIsAnInputError) {
  const Mlp<float> mlp(MlpShape{2, {}, 1, 0.01});
  Allocator allocator;
  MlpWorkspace<float> workspace(mlp, 1, allocator, MemorySpace::host, "test");
  std::vector<float> parameters(mlp.parameter_count()), input(2), y(3), target(3), weight(3),
      gradient(3);
  // A CUDA build says the memory is wrong, a CPU-only build that it has no CUDA; both name the
  // operation.
  EXPECT_TRUE(throws_input_error(
      [&] { mlp.forward(cuda_exec(), host(parameters), host(input), 1, workspace); }, {"MLP"}));
  EXPECT_TRUE(throws_input_error(
      [&] {
        weighted_mse_loss(cuda_exec(), View<const float>(host(y)), host(target), host(weight), 3, 1,
                          host(gradient));
      },
      {"loss"}));

  Adam<float> adam(allocator, 3, MemorySpace::host, "test");
  EXPECT_TRUE(throws_input_error(
      [&] { adam.step(cuda_exec(), host(y), View<const float>(host(gradient)), 0.1); }, {"Adam"}));
  EXPECT_TRUE(throws_input_error(
      [&] { ema_update(cuda_exec(), host(y), View<const float>(host(target)), 0.9); }, {"EMA"}));
}

TEST(NnBackends, CpuLossRefusesDeviceViews) {
  std::vector<double> y(6), target(6), weight(3), gradient(6);
  EXPECT_TRUE(throws_input_error(
      [&] {
        weighted_mse_loss(Exec{}, View<const double>(device_claim(y)), host(target), host(weight),
                          3, 2, host(gradient));
      },
      {"output", "device memory"}));
  EXPECT_TRUE(throws_input_error(
      [&] {
        weighted_mse_loss(Exec{}, View<const double>(host(y)), host(target),
                          View<const double>(device_claim(weight)), 3, 2, host(gradient));
      },
      {"weight", "device memory"}));
}

TEST(NnBackends, CpuAdamAndEmaRefuseDeviceViews) {
  Allocator allocator;
  Adam<double> adam(allocator, 3, MemorySpace::host, "test");
  std::vector<double> parameters(3), gradient(3);
  EXPECT_TRUE(throws_input_error(
      [&] { adam.step(Exec{}, device_claim(parameters), View<const double>(host(gradient)), 0.1); },
      {"Adam parameters", "device memory"}));
  EXPECT_EQ(adam.steps(), 0);
  EXPECT_TRUE(throws_input_error(
      [&] {
        ema_update(Exec{}, host(parameters), View<const double>(device_claim(gradient)), 0.5);
      },
      {"EMA parameters", "device memory"}));
}

TEST(NnBackends, LossScratchFormMatchesTheReturningForm) {
  const std::size_t rows = 300, width = 2;  // several 128-row chunks
  std::vector<float> y(rows * width), target(rows * width), weight(rows);
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] = 0.01f * static_cast<float>(i % 17) - 0.05f;
    target[i] = 0.02f * static_cast<float>(i % 5);
  }
  for (std::size_t r = 0; r < rows; ++r) weight[r] = 0.5f + 0.001f * static_cast<float>(r);
  std::vector<float> returned_gradient(y.size()), scratch_gradient(y.size());

  const double returned = weighted_mse_loss(Exec{}, View<const float>(host(y)), host(target),
                                            host(weight), rows, width, host(returned_gradient));
  Allocator allocator;
  LossScratch scratch(allocator, MemorySpace::host, "test");
  weighted_mse_loss(Exec{}, View<const float>(host(y)), host(target), host(weight), rows, width,
                    host(scratch_gradient), scratch);

  EXPECT_GT(returned, 0.0);
  EXPECT_EQ(scratch.read(), returned);
  EXPECT_EQ(scratch.value()[0], returned);
  EXPECT_EQ(scratch_gradient, returned_gradient);
}

TEST(NnBackends, GraphCaptureNeedsTheCudaBackend) {
  bool ran = false;
  EXPECT_TRUE(throws_input_error([&] { CapturedWork work(Exec{}, [&] { ran = true; }); },
                                 {"CUDA graph capture"}));
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace mustfm
