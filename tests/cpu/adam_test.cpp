// Adam, the cosine schedule and the parameter EMA against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "kernels/adam.h"
#include "nn/adam.h"
#include "nn/schedule.h"

namespace mustfm {
namespace {

// The hand computations below are the same few double operations in another order, so they
// agree to a few ulps of O(1) numbers.
constexpr double kHandTolerance = 1e-14;

Exec cpu() {
  return Exec{};
}

TEST(Adam, TwoStepsMatchHandComputation) {
  Allocator allocator;
  Adam<double> adam(allocator, 3, MemorySpace::host, "test");
  std::vector<double> p = {1.0, -2.0, 0.5};
  const double eps = 1e-8;

  // Step 1, lr 0.1, g = (0.5, -3, 0): m = 0.1 g, v = 0.001 g^2, corrections 0.1 and 0.001.
  std::vector<double> g = {0.5, -3.0, 0.0};
  adam.step(cpu(), {p.data(), 3}, {g.data(), 3}, 0.1);
  EXPECT_EQ(adam.steps(), 1);
  EXPECT_NEAR(adam.first_moment()[0], 0.05, kHandTolerance);
  EXPECT_NEAR(adam.second_moment()[1], 0.009, kHandTolerance);
  EXPECT_NEAR(p[0], 1.0 - (0.1 / 0.1) * 0.05 / (std::sqrt(0.00025 / 0.001) + eps), kHandTolerance);
  EXPECT_NEAR(p[1], -2.0 + (0.1 / 0.1) * 0.3 / (std::sqrt(0.009 / 0.001) + eps), kHandTolerance);
  EXPECT_EQ(p[2], 0.5);  // zero gradient, zero moments: no move
  const double p0 = p[0], p1 = p[1];

  // Step 2, lr 0.05, g = (-0.25, -3, 1): corrections 1 - 0.81 = 0.19 and 1 - 0.998001.
  g = {-0.25, -3.0, 1.0};
  adam.step(cpu(), {p.data(), 3}, {g.data(), 3}, 0.05);
  const double m0 = 0.9 * 0.05 + 0.1 * -0.25, v0 = 0.999 * 0.00025 + 0.001 * 0.0625;
  const double m1 = 0.9 * -0.3 + 0.1 * -3.0, v1 = 0.999 * 0.009 + 0.001 * 9.0;
  const double m2 = 0.1, v2 = 0.001;
  const double c1 = 0.19, c2 = 0.001999;
  EXPECT_NEAR(adam.first_moment()[0], m0, kHandTolerance);
  EXPECT_NEAR(adam.second_moment()[0], v0, kHandTolerance);
  EXPECT_NEAR(p[0], p0 - (0.05 / c1) * m0 / (std::sqrt(v0 / c2) + eps), kHandTolerance);
  EXPECT_NEAR(p[1], p1 - (0.05 / c1) * m1 / (std::sqrt(v1 / c2) + eps), kHandTolerance);
  EXPECT_NEAR(p[2], 0.5 - (0.05 / c1) * m2 / (std::sqrt(v2 / c2) + eps), kHandTolerance);
}

TEST(Adam, FirstStepMovesByTheLearningRateAgainstTheGradientSign) {
  // After bias correction m / sqrt(v) = g / |g| at step 1, so |g| >> eps moves by lr exactly
  // up to eps / |g|.
  Allocator allocator;
  Adam<float> adam(allocator, 4, MemorySpace::host, "test");
  std::vector<float> p = {0.f, 1.f, -1.f, 3.f};
  const std::vector<float> g = {2.f, -1e-3f, 7e4f, -0.5f};
  const std::vector<float> before = p;
  adam.step(cpu(), {p.data(), 4}, {g.data(), 4}, 0.01);
  for (int i = 0; i < 4; ++i) {
    const float expected = before[i] - 0.01f * (g[i] > 0 ? 1.f : -1.f);
    // float rounding of O(1) values plus eps / |g| <= 1e-5 relative of lr.
    EXPECT_NEAR(p[i], expected, 1e-6f) << "entry " << i;
  }
}

TEST(Adam, ElementUpdateAddsEpsAfterTheBiasCorrection) {
  // Where it matters: a tiny gradient, for which sqrt(v) / sqrt(c2) is comparable to eps.
  double p = 0.0, m = 0.0, v = 0.0;
  const AdamCoefficients<double> k = adam_coefficients<double>(1.0, 0.9, 0.999, 1e-8, 1);
  adam_update(p, m, v, 1e-8, k);
  // m / c1 = 1e-8, sqrt(v / c2) = 1e-8, so p = -1e-8 / (1e-8 + 1e-8) = -0.5.
  EXPECT_NEAR(p, -0.5, 1e-12);
}

TEST(Adam, RejectsBadOptions) {
  Allocator allocator;
  EXPECT_THROW(Adam<float>(allocator, 1, MemorySpace::host, "t", {1.0, 0.999, 1e-8}), InputError);
  EXPECT_THROW(Adam<float>(allocator, 1, MemorySpace::host, "t", {0.9, -0.1, 1e-8}), InputError);
  EXPECT_THROW(Adam<float>(allocator, 1, MemorySpace::host, "t", {0.9, 0.999, -1.0}), InputError);
  Adam<float> adam(allocator, 2, MemorySpace::host, "t");
  std::vector<float> p(3), g(3);
  EXPECT_THROW(adam.step(cpu(), {p.data(), 3}, {g.data(), 3}, 0.1), InputError);
}

TEST(Adam, DeviceScalarsNeedTheCudaBackend) {
  Allocator allocator;
  Adam<float> adam(allocator, 2, MemorySpace::host, "t");
  std::vector<float> p(2), g(2);
  const AdamCoefficients<float> k = adam_coefficients<float>(0.1, 0.9, 0.999, 1e-8, 1);
  EXPECT_THROW(adam.step_with_device_scalars(cpu(), {p.data(), 2}, {g.data(), 2}, &k), InputError);
  EXPECT_EQ(adam.steps(), 0);
}

TEST(CosineSchedule, MatchesTheClosedForm) {
  const CosineSchedule schedule(5e-3, 1e-5, 3000);
  EXPECT_EQ(schedule.learning_rate(0), 5e-3);
  EXPECT_NEAR(schedule.learning_rate(1500), 0.5 * (5e-3 + 1e-5), 1e-18);
  EXPECT_NEAR(schedule.learning_rate(750), 1e-5 + 0.5 * (5e-3 - 1e-5) * (1 + std::sqrt(0.5)),
              1e-18);
  EXPECT_NEAR(schedule.learning_rate(2999),
              1e-5 + 0.5 * (5e-3 - 1e-5) * (1 + std::cos(std::numbers::pi * 2999 / 3000)), 1e-18);
  EXPECT_EQ(schedule.learning_rate(3000), 1e-5);
  EXPECT_EQ(schedule.learning_rate(5000), 1e-5);  // held, not rising again
  for (int t = 1; t <= 3000; ++t)
    ASSERT_LT(schedule.learning_rate(t), schedule.learning_rate(t - 1)) << "step " << t;
}

TEST(CosineSchedule, RejectsBadSettings) {
  EXPECT_THROW(CosineSchedule(1e-3, 1e-5, 0), InputError);
  EXPECT_THROW(CosineSchedule(-1e-3, 1e-5, 10), InputError);
  EXPECT_THROW(CosineSchedule(1e-3, NAN, 10), InputError);
}

TEST(Ema, MatchesHandComputation) {
  std::vector<double> average = {1.0, -1.0}, params = {3.0, 1.0};
  ema_update(cpu(), View<double>{average.data(), 2}, {params.data(), 2}, 0.9);
  EXPECT_NEAR(average[0], 0.9 * 1.0 + 0.1 * 3.0, kHandTolerance);
  EXPECT_NEAR(average[1], -0.9 + 0.1, kHandTolerance);
  ema_update(cpu(), View<double>{average.data(), 2}, {params.data(), 2}, 0.9);
  EXPECT_NEAR(average[0], 0.9 * 1.2 + 0.3, kHandTolerance);

  std::vector<float> kept = {2.f}, copied = {2.f}, p = {5.f};
  ema_update(cpu(), View<float>{kept.data(), 1}, {p.data(), 1}, 1.0);
  ema_update(cpu(), View<float>{copied.data(), 1}, {p.data(), 1}, 0.0);
  EXPECT_EQ(kept[0], 2.f);
  EXPECT_EQ(copied[0], 5.f);
  EXPECT_THROW(ema_update(cpu(), View<float>{kept.data(), 1}, {p.data(), 1}, 1.5), InputError);
}

}  // namespace
}  // namespace mustfm
