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
#include "test_support.h"

namespace mustfm {
namespace {

using testing::shifted_grid_data;
using testing::training_job;

// Both backends draw the same pairs (the sampler's GPU test checks this bit for bit) and run the
// same float formulas; they differ in the device's sin / cos / atan2 (a few ulp, sampler rows
// within 1e-4 relative) and in the summation order of cuBLAS against OpenBLAS and of the loss
// reduction. A gradient entry is a sum over 2 x 40 rows of products of O(1) factors, so its
// rounding difference is ~1e-6 of the largest entry; the inputs' 1e-4 differences pass through
// Lipschitz-1 layers. 1e-3 of the largest entry (and 1e-3 relative on the loss) leaves margin
// while any wiring error (a missing term, a wrong batch row) shows as O(1).
constexpr double kRelative = 1e-3;

std::vector<float> to_host(View<const float> view) {
  std::vector<float> host(view.size);
  copy_bytes(host.data(), MemorySpace::host, view.data, view.space, view.size * sizeof(float));
  return host;
}

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

  const TrainedNetwork<float>* pairs[][2] = {{&cpu.velocity(), &cuda.velocity()},
                                             {&cpu.growth(), &cuda.growth()}};
  for (const auto& pair : pairs) {
    const std::vector<float> expected = to_host(pair[0]->gradients.cview());
    const std::vector<float> actual = to_host(pair[1]->gradients.cview());
    ASSERT_EQ(expected.size(), actual.size());
    float largest = 0.0f;
    for (float g : expected) largest = std::max(largest, std::abs(g));
    ASSERT_GT(largest, 0.0f);
    for (std::size_t i = 0; i < expected.size(); ++i)
      ASSERT_NEAR(actual[i], expected[i], kRelative * largest)
          << pair[0]->name << " gradient " << i << " (d 3, 2 intervals x 40 rows)";
  }
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
