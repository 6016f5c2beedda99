// The training step replayed from one captured CUDA graph: the same bits as the step queued
// directly (same kernels, same device clock, same cuBLAS workspace), the CPU's losses and
// gradients within the tolerance of training_step_gpu_test.cpp, and checkpoints saved from and
// loaded into a captured step resume bit for bit.
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

void expect_identical_states(const TrainingState& a, const TrainingState& b, const char* what) {
  EXPECT_EQ(a.steps_taken, b.steps_taken) << what;
  const std::pair<const NetworkState*, const NetworkState*> networks[] = {
      {&a.velocity, &b.velocity}, {&a.growth, &b.growth}};
  for (const auto& [x, y] : networks) {
    EXPECT_EQ(x->adam_steps, y->adam_steps) << what;
    const std::pair<const std::vector<double>*, const char*> arrays[][2] = {
        {{&x->parameters, "parameters"}, {&y->parameters, ""}},
        {{&x->average, "moving average"}, {&y->average, ""}},
        {{&x->adam_first, "Adam m"}, {&y->adam_first, ""}},
        {{&x->adam_second, "Adam v"}, {&y->adam_second, ""}}};
    for (const auto& pair : arrays) {
      const std::vector<double>& u = *pair[0].first;
      const std::vector<double>& v = *pair[1].first;
      ASSERT_EQ(u.size(), v.size()) << what;
      EXPECT_EQ(std::memcmp(u.data(), v.data(), u.size() * sizeof(double)), 0)
          << what << ": " << pair[0].second << " differ";
    }
  }
}

TEST(TrainingGraphGpu, ReplayGivesTheBitsOfDirectSteps) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const Job job = training_job({32, 32}, {32}, 40, 20);
  const auto make = [&] {
    return std::make_unique<TrainingStep<float>>(
        gpu.exec(), gpu.allocator(), job,
        shifted_grid_data(gpu.allocator(), 2, 5, 3, MemorySpace::device));
  };
  auto direct = make();
  auto replayed = make();
  replayed->capture_graph();
  ASSERT_TRUE(replayed->graph_captured());
  // Capturing runs nothing.
  expect_identical_states(direct->state(), replayed->state(), "after the capture");

  for (int i = 0; i < 6; ++i) {
    const TrainingLoss a = direct->step();
    TrainingLoss b;
    if (i % 2 == 0) {
      b = replayed->step();
      EXPECT_EQ(b.learning_rate, a.learning_rate) << "step " << i;
    } else {
      replayed->advance();
      b = replayed->last_loss();
    }
    EXPECT_EQ(b.velocity, a.velocity) << "step " << i;
    EXPECT_EQ(b.growth, a.growth) << "step " << i;
  }
  expect_identical_states(direct->state(), replayed->state(), "after 6 steps");
  EXPECT_EQ(direct->dropped_pairs(), replayed->dropped_pairs());
  EXPECT_EQ(to_host(direct->batch_inputs()), to_host(replayed->batch_inputs()));
}

TEST(TrainingGraphGpu, ReplayedStepsMatchTheCpu) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const Job job = training_job({32, 32}, {32}, 40, 20);
  Allocator cpu_allocator;
  TrainingStep<float> cpu(Exec{}, cpu_allocator, job, shifted_grid_data(cpu_allocator, 2, 5, 3));
  TrainingStep<float> cuda(gpu.exec(), gpu.allocator(), job,
                           shifted_grid_data(gpu.allocator(), 2, 5, 3, MemorySpace::device));
  cuda.capture_graph();

  // Three replays: a replay that reused the captured step number or learning rate would draw
  // another batch or move the parameters differently from the CPU by the next evaluate().
  for (int i = 0; i < 3; ++i) {
    const TrainingLoss a = cpu.step();
    const TrainingLoss b = cuda.step();
    EXPECT_NEAR(b.total(), a.total(), kRelative * a.total()) << "step " << i;
  }
  const TrainingLoss a = cpu.evaluate();
  const TrainingLoss b = cuda.evaluate();
  EXPECT_NEAR(b.velocity, a.velocity, kRelative * a.velocity);
  EXPECT_NEAR(b.growth, a.growth, kRelative * a.growth);

  expect_gradients_match(cpu, cuda, "after 3 replayed steps (d 3, 2 x 40 rows)");
}

TEST(TrainingGraphGpu, CheckpointsResumeBitForBitInGraphMode) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "graph.ckpt";
  const Job job = training_job({16, 16}, {16}, 32, 6);
  const auto make = [&] {
    auto step = std::make_unique<TrainingStep<float>>(
        gpu.exec(), gpu.allocator(), job,
        shifted_grid_data(gpu.allocator(), 2, 4, 2, MemorySpace::device));
    step->capture_graph();
    return step;
  };

  auto straight = make();
  for (int i = 0; i < 6; ++i) straight->advance();
  {
    auto first = make();
    for (int i = 0; i < 2; ++i) first->advance();
    save_checkpoint(path, *first, job);
  }
  // Loaded after the capture: the graph must pick up the restored clock.
  auto resumed = make();
  resumed->advance();
  load_checkpoint(path, *resumed);
  EXPECT_EQ(resumed->steps_taken(), 2);
  for (int i = 2; i < 6; ++i) resumed->advance();
  expect_identical_states(straight->state(), resumed->state(), "resumed in graph mode");
}

}  // namespace
}  // namespace mustfm
