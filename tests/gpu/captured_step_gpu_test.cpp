// A training step's device work (MLP forward, loss, backward) captured as a CUDA graph and
// replayed: the capture runs nothing, and each replay computes what the same calls compute
// directly, on whatever inputs the buffers hold at replay time.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/captured_work.h"
#include "nn/loss.h"
#include "nn/mlp.h"
#include "nn_gpu_support.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::host_view;
using testing::random_vector;
using testing::to_device;
using testing::to_host;

struct StepResult {
  double loss;
  std::vector<float> gradient;
};

class CapturedStepGpu : public ::testing::Test {
 protected:
  static constexpr std::size_t kBatch = 100;

  void SetUp() override {
    MUSTFM_SKIP_WITHOUT_CUDA();
    ContextOptions options;
    options.device = "cuda";
    options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
    gpu_ = std::make_unique<Context>(options);
    mlp_ = std::make_unique<Mlp<float>>(MlpShape{3, {37, 20}, 2, 0.01});
    std::vector<float> parameters(mlp_->parameter_count());
    mlp_->initialize(host_view(parameters), 5, 0);
    Allocator& allocator = gpu_->allocator();
    parameters_ = to_device(*gpu_, parameters, "test: parameters");
    input_ = Buffer<float>(allocator, kBatch * 3, MemorySpace::device, "test: input");
    target_ = Buffer<float>(allocator, kBatch * 2, MemorySpace::device, "test: target");
    weight_ = Buffer<float>(allocator, kBatch, MemorySpace::device, "test: weight");
    grad_output_ = Buffer<float>(allocator, kBatch * 2, MemorySpace::device, "test: dL/dy");
    gradient_ = Buffer<float>(allocator, mlp_->parameter_count(), MemorySpace::device,
                              "test: parameter gradient");
    workspace_ = std::make_unique<MlpWorkspace<float>>(*mlp_, kBatch, allocator,
                                                       MemorySpace::device, "test: mlp");
    scratch_ = std::make_unique<LossScratch>(allocator, MemorySpace::device, "test");
  }

  // Writes the inputs of draw `seed` into the step's buffers.
  void load_inputs(std::uint64_t seed) {
    input_.copy_from(host_view(random_vector<float>(kBatch * 3, -2, 2, seed)));
    target_.copy_from(host_view(random_vector<float>(kBatch * 2, -1, 1, seed + 1)));
    weight_.copy_from(host_view(random_vector<float>(kBatch, 0.1, 2, seed + 2)));
  }

  // Queues forward, loss and backward; waits for nothing.
  void queue_step() {
    const Exec& exec = gpu_->exec();
    mlp_->forward(exec, parameters_.cview(), input_.cview(), kBatch, *workspace_);
    weighted_mse_loss(exec, workspace_->output(), target_.cview(), weight_.cview(), kBatch, 2,
                      grad_output_.view(), *scratch_);
    mlp_->backward(exec, parameters_.cview(), input_.cview(), kBatch, *workspace_,
                   grad_output_.cview(), gradient_.view());
  }

  StepResult read_result() {
    gpu_->synchronize();
    return {scratch_->read(), to_host(gradient_.cview())};
  }

  std::unique_ptr<Context> gpu_;
  std::unique_ptr<Mlp<float>> mlp_;
  Buffer<float> parameters_, input_, target_, weight_, grad_output_, gradient_;
  std::unique_ptr<MlpWorkspace<float>> workspace_;
  std::unique_ptr<LossScratch> scratch_;
};

void expect_same_step(const StepResult& replayed, const StepResult& direct, const char* what) {
  // The graph holds the same kernels and cuBLAS calls with the same arguments, in the same order.
  // cuBLAS may choose its kernels differently inside a capture, so the gradients get the float
  // tolerance of the MLP comparison (mlp_gpu_test.cpp) rather than bitwise equality.
  EXPECT_NEAR(replayed.loss, direct.loss, 1e-5 * direct.loss) << what;
  testing::expect_close_normwise(replayed.gradient, direct.gradient, 1e-4, what);
}

TEST_F(CapturedStepGpu, ReplayMatchesDirectCallsOnNewInputs) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  load_inputs(100);
  queue_step();
  const StepResult direct_a = read_result();
  load_inputs(200);
  queue_step();
  const StepResult direct_b = read_result();
  ASSERT_NE(direct_a.loss, direct_b.loss);

  // Capturing records the step without running it: the loss still reads draw b's.
  load_inputs(100);
  CapturedWork step(gpu_->exec(), [&] { queue_step(); });
  EXPECT_EQ(read_result().loss, direct_b.loss);

  step.replay();
  expect_same_step(read_result(), direct_a, "replay on draw a");
  load_inputs(200);
  step.replay();
  expect_same_step(read_result(), direct_b, "replay on draw b");
}

TEST_F(CapturedStepGpu, FailedCaptureLeavesTheStreamUsable) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  const View<const float> host_input{nullptr, kBatch * 3, MemorySpace::host};
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        CapturedWork bad(gpu_->exec(), [&] {
          mlp_->forward(gpu_->exec(), parameters_.cview(), host_input, kBatch, *workspace_);
        });
      },
      {"input", "host memory"}));
  load_inputs(100);
  queue_step();
  const StepResult after = read_result();
  EXPECT_GT(after.loss, 0.0);
}

}  // namespace
}  // namespace mustfm
