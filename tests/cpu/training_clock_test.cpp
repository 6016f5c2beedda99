// The training clock (kernels/training_clock.h), whose formulas the CUDA training step runs on
// the device: advancing it step by step gives the learning rate and the Adam scalars the CPU
// step forms from its host counters, and the CPU training step's Adam update uses them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>

#include "kernels/adam.h"
#include "kernels/training_clock.h"
#include "nn/schedule.h"

namespace mustfm {
namespace {

TrainingClockSettings settings_for(const CosineSchedule& schedule) {
  TrainingClockSettings settings;
  settings.lr0 = schedule.lr0();
  settings.lr_final = schedule.lr_final();
  settings.total_steps = schedule.total_steps();
  settings.beta1[1] = 0.8;
  settings.beta2[1] = 0.99;
  settings.eps[1] = 1e-6;
  return settings;
}

void expect_same_coefficients(const AdamCoefficients<float>& a,
                              const AdamCoefficients<float>& b,
                              std::int64_t step) {
  EXPECT_EQ(a.beta1, b.beta1) << "step " << step;
  EXPECT_EQ(a.one_minus_beta1, b.one_minus_beta1) << "step " << step;
  EXPECT_EQ(a.beta2, b.beta2) << "step " << step;
  EXPECT_EQ(a.one_minus_beta2, b.one_minus_beta2) << "step " << step;
  EXPECT_EQ(a.step_size, b.step_size) << "step " << step;
  EXPECT_EQ(a.sqrt_correction2, b.sqrt_correction2) << "step " << step;
  EXPECT_EQ(a.eps, b.eps) << "step " << step;
}

TEST(TrainingClock, CosineRateMatchesTheClosedForm) {
  const double lr0 = 5e-3, lr_final = 1e-5;
  constexpr std::int64_t kTotal = 40;
  EXPECT_EQ(cosine_learning_rate(lr0, lr_final, kTotal, -3), lr0);
  EXPECT_EQ(cosine_learning_rate(lr0, lr_final, kTotal, 0), lr0);
  EXPECT_NEAR(cosine_learning_rate(lr0, lr_final, kTotal, kTotal / 2), 0.5 * (lr0 + lr_final),
              1e-18);
  const double expected =
      lr_final + 0.5 * (lr0 - lr_final) * (1.0 + std::cos(std::numbers::pi * 13.0 / 40.0));
  EXPECT_NEAR(cosine_learning_rate(lr0, lr_final, kTotal, 13), expected, 1e-18);
  // Held at lr_final from T on, where PyTorch's closed form would rise again.
  EXPECT_EQ(cosine_learning_rate(lr0, lr_final, kTotal, kTotal), lr_final);
  EXPECT_EQ(cosine_learning_rate(lr0, lr_final, kTotal, 3 * kTotal / 2), lr_final);
  EXPECT_EQ(kCosinePi, std::numbers::pi);
}

TEST(TrainingClock, AdvancingMatchesTheHostScheduleAndAdamScalars) {
  const CosineSchedule schedule(3e-3, 1e-4, 12);
  const TrainingClockSettings settings = settings_for(schedule);
  TrainingClock<float> clock;
  refresh_training_clock(clock, settings);

  // Past the schedule's end too, where the rate is held.
  for (std::int64_t t = 0; t < 15; ++t) {
    ASSERT_EQ(clock.steps_taken, t);
    EXPECT_EQ(clock.learning_rate, schedule.learning_rate(t)) << "step " << t;
    for (int n = 0; n < kClockNetworks; ++n) {
      ASSERT_EQ(clock.adam_steps[n], t);
      expect_same_coefficients(
          clock.adam[n],
          adam_coefficients<float>(schedule.learning_rate(t), settings.beta1[n], settings.beta2[n],
                                   settings.eps[n], t + 1),
          t);
    }
    advance_training_clock(clock, settings);
  }
}

TEST(TrainingClock, NetworksKeepTheirOwnAdamCounts) {
  const CosineSchedule schedule(1e-3, 1e-3, 100);
  const TrainingClockSettings settings = settings_for(schedule);
  // A checkpoint whose growth network took fewer Adam steps than training steps.
  TrainingClock<double> clock;
  clock.steps_taken = 9;
  clock.adam_steps[0] = 9;
  clock.adam_steps[1] = 4;
  refresh_training_clock(clock, settings);
  advance_training_clock(clock, settings);

  EXPECT_EQ(clock.steps_taken, 10);
  EXPECT_EQ(clock.adam_steps[0], 10);
  EXPECT_EQ(clock.adam_steps[1], 5);
  // step_size = lr / (1 - beta1^t) with t the next Adam step of each network.
  EXPECT_NEAR(clock.adam[0].step_size, 1e-3 / (1.0 - std::pow(0.9, 11.0)), 1e-18);
  EXPECT_NEAR(clock.adam[1].step_size, 1e-3 / (1.0 - std::pow(0.8, 6.0)), 1e-18);
  EXPECT_NEAR(clock.adam[1].sqrt_correction2, std::sqrt(1.0 - std::pow(0.99, 6.0)), 1e-15);
  EXPECT_EQ(clock.adam[1].eps, 1e-6);
}

}  // namespace
}  // namespace mustfm
