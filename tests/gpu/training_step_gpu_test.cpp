// The training step on the CUDA backend against the CPU backend: the same batch, losses and
// gradients within float tolerance, and a run resumed from a checkpoint continues bit for bit
// on the device as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cpu/training_problem.h"
#include "engine/checkpoint.h"
#include "engine/context.h"
#include "engine/training_step.h"
#include "gpu/training_gpu_support.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::expect_gradients_match;
using testing::shifted_grid_data;
using testing::to_host;
using testing::training_job;
constexpr double kRelative = testing::kTrainingCudaRelative;

TEST(TrainingStepGpu, LossAndGradientsMatchTheCpu) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const Job job = training_job({32, 32}, {32}, 40, 20);
  Allocator cpu_allocator;
  TrainingStep<float> cpu(Exec{}, cpu_allocator, job, shifted_grid_data(cpu_allocator, 2, 5, 3));
  TrainingStep<float> cuda(gpu.exec(), gpu.allocator(), job,
                           shifted_grid_data(gpu.allocator(), 2, 5, 3, MemorySpace::device));

  // Two steps first, so the comparison also covers Adam and the EMA on the device.
  for (int i = 0; i < 2; ++i) {
    cpu.step();
    cuda.step();
  }
  const TrainingLoss a = cpu.evaluate();
  const TrainingLoss b = cuda.evaluate();
  EXPECT_NEAR(b.velocity, a.velocity, kRelative * a.velocity);
  EXPECT_NEAR(b.growth, a.growth, kRelative * a.growth);

  expect_gradients_match(cpu, cuda, "(d 3, 2 intervals x 40 rows)");
}

TEST(TrainingStepGpu, ResumedTrainingIsBitIdenticalOnTheDevice) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "gpu.ckpt";
  const Job job = training_job({16, 16}, {16}, 32, 6);
  const auto make = [&] {
    return std::make_unique<TrainingStep<float>>(
        gpu.exec(), gpu.allocator(), job,
        shifted_grid_data(gpu.allocator(), 2, 4, 2, MemorySpace::device));
  };

  auto straight = make();
  for (int i = 0; i < 6; ++i) straight->step();
  {
    auto first = make();
    for (int i = 0; i < 2; ++i) first->step();
    save_checkpoint(path, *first, job);
  }
  auto resumed = make();
  load_checkpoint(path, *resumed);
  for (int i = 2; i < 6; ++i) resumed->step();

  const TrainingState a = straight->state();
  const TrainingState b = resumed->state();
  const std::pair<const NetworkState*, const NetworkState*> networks[] = {
      {&a.velocity, &b.velocity}, {&a.growth, &b.growth}};
  for (const auto& [x, y] : networks) {
    for (const auto& [u, v] :
         {std::pair{&x->parameters, &y->parameters}, std::pair{&x->average, &y->average},
          std::pair{&x->adam_first, &y->adam_first}, std::pair{&x->adam_second, &y->adam_second}}) {
      ASSERT_EQ(u->size(), v->size());
      EXPECT_EQ(std::memcmp(u->data(), v->data(), u->size() * sizeof(double)), 0);
    }
  }
}

}  // namespace
}  // namespace mustfm
