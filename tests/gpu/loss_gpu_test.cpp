// The CUDA weighted flow-matching loss against the CPU backend on random inputs: the loss value,
// its gradient, the device-resident and the waiting forms, in place and out of place.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/loss.h"
#include "nn_gpu_support.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::host_view;
using testing::random_vector;
using testing::to_device;
using testing::to_host;

// Both backends sum the same positive double terms w (y - target)^2 in different orders. A sum
// of positive terms is within (longest chain of additions) eps of the exact value in any order;
// the CPU adds 128 rows x width terms per chunk and then the chunk totals, at most 6400 + 8
// additions here (1000 x 50), so 6408 * 1.1e-16 < 7.1e-13 relative in the worst case, and the
// device's chains are shorter. Fused multiply-adds on the device change each term by at most one
// rounding. 1e-12 relative covers both.
constexpr double kLossTolerance = 1e-12;

struct Case {
  std::size_t rows;
  std::size_t width;
  std::uint64_t seed;
};

std::string describe(const Case& c) {
  return std::to_string(c.rows) + " x " + std::to_string(c.width) + ", seed " +
         std::to_string(c.seed);
}

const std::vector<Case>& cases() {
  // 100000 x 3 has more entries than the largest grid has threads, so threads take several.
  static const std::vector<Case> all = {{1, 1, 1},     {7, 3, 2},      {300, 2, 3},
                                        {1000, 50, 4}, {100000, 3, 5}, {0, 3, 6}};
  return all;
}

template <class Real>
void check_case(Context& gpu, const Case& c) {
  const std::string case_text = describe(c) + (sizeof(Real) == 4 ? ", float" : ", double");
  const std::size_t count = c.rows * c.width;
  const std::vector<Real> y = random_vector<Real>(count, -2, 2, c.seed);
  const std::vector<Real> target = random_vector<Real>(count, -2, 2, c.seed + 100);
  const std::vector<Real> weight = random_vector<Real>(c.rows, 0.1, 3, c.seed + 200);

  std::vector<Real> cpu_gradient(count);
  const double cpu_loss =
      weighted_mse_loss(Exec{}, host_view(y), host_view(target), host_view(weight), c.rows, c.width,
                        host_view(cpu_gradient));

  Buffer<Real> d_y = to_device(gpu, y, "test: y");
  Buffer<Real> d_target = to_device(gpu, target, "test: target");
  Buffer<Real> d_weight = to_device(gpu, weight, "test: weight");
  Buffer<Real> d_gradient(gpu.allocator(), count, MemorySpace::device, "test: gradient");
  LossScratch scratch(gpu.allocator(), MemorySpace::device, "test");
  weighted_mse_loss(gpu.exec(), d_y.cview(), d_target.cview(), d_weight.cview(), c.rows, c.width,
                    d_gradient.view(), scratch);
  const double cuda_loss = scratch.read();
  const std::vector<Real> cuda_gradient = to_host(d_gradient.cview());

  EXPECT_LE(std::fabs(cuda_loss - cpu_loss), kLossTolerance * cpu_loss)
      << "loss: cuda " << cuda_loss << ", cpu " << cpu_loss << " (" << case_text << ")";
  // Each gradient entry is the same two Real products of the same operands on both backends
  // (kernels/weighted_mse.h), so the bits agree.
  for (std::size_t i = 0; i < count; ++i)
    ASSERT_EQ(cuda_gradient[i], cpu_gradient[i])
        << "gradient index " << i << " (" << case_text << ")";

  // The waiting form runs the same kernels in the same order: the same bits.
  const double waited = weighted_mse_loss(gpu.exec(), d_y.cview(), d_target.cview(),
                                          d_weight.cview(), c.rows, c.width, d_gradient.view());
  EXPECT_EQ(waited, cuda_loss) << case_text;

  // In place: the gradient overwrites y.
  weighted_mse_loss(gpu.exec(), d_y.cview(), d_target.cview(), d_weight.cview(), c.rows, c.width,
                    d_y.view(), scratch);
  EXPECT_EQ(scratch.read(), cuda_loss) << "in place (" << case_text << ")";
  const std::vector<Real> in_place = to_host(d_y.cview());
  for (std::size_t i = 0; i < count; ++i)
    ASSERT_EQ(in_place[i], cpu_gradient[i])
        << "in-place gradient index " << i << " (" << case_text << ")";
}

TEST(LossGpu, MatchesCpuInFloat) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (const Case& c : cases()) check_case<float>(gpu, c);
}

TEST(LossGpu, MatchesCpuInDouble) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (const Case& c : cases()) check_case<double>(gpu, c);
}

TEST(LossGpu, EmptyBatchGivesZero) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  LossScratch scratch(gpu.allocator(), MemorySpace::device, "test");
  // A stale value must be overwritten: run a non-empty loss first.
  Buffer<double> d_two = to_device(gpu, std::vector<double>{2.0}, "test: two");
  Buffer<double> d_zero = to_device(gpu, std::vector<double>{0.0}, "test: zero");
  Buffer<double> d_gradient(gpu.allocator(), 1, MemorySpace::device, "test: gradient");
  weighted_mse_loss(gpu.exec(), d_two.cview(), d_zero.cview(), d_two.cview(), 1, 1,
                    d_gradient.view(), scratch);
  ASSERT_EQ(scratch.read(), 8.0);  // w (y - target)^2 = 2 * 4
  const View<const double> empty{nullptr, 0, MemorySpace::device};
  const View<double> empty_gradient{nullptr, 0, MemorySpace::device};
  weighted_mse_loss(gpu.exec(), empty, empty, empty, 0, 4, empty_gradient, scratch);
  EXPECT_EQ(scratch.read(), 0.0);
}

}  // namespace
}  // namespace mustfm
