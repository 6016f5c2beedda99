// The step-dependent scalars of a training step, written once for the host and the device: the
// cosine learning rate (nn/schedule.h) and a clock that holds the step counters with the values
// the next step reads. On CUDA the clock lives in device memory; the sampler and Adam read it
// through a pointer and one small kernel advances it at the end of each step, so a captured CUDA
// graph replays every step with that step's own values. The CPU passes the same values as
// arguments, formed by the same functions.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/adam.h"
#include "kernels/common/host_device.h"

namespace mustfm {

// std::numbers::pi, spelled out because the formula also compiles as CUDA C++17.
inline constexpr double kCosinePi = 3.14159265358979323846;

// lr(t) of CosineSchedule (nn/schedule.h): lr0 for t <= 0, lr_final for t >= total_steps.
MUSTFM_HD double cosine_learning_rate(double lr0,
                                      double lr_final,
                                      std::int64_t total_steps,
                                      std::int64_t t) {
  using std::cos;
  if (t >= total_steps) return lr_final;
  if (t <= 0) return lr0;
  const double angle = kCosinePi * static_cast<double>(t) / static_cast<double>(total_steps);
  return lr_final + 0.5 * (lr0 - lr_final) * (1.0 + cos(angle));
}

// The networks a training step updates: the velocity and the growth network.
inline constexpr int kClockNetworks = 2;

// What the clock's values are formed from; fixed for a training run.
struct TrainingClockSettings {
  double lr0 = 0.0;
  double lr_final = 0.0;
  std::int64_t total_steps = 1;
  double beta1[kClockNetworks] = {0.9, 0.9};
  double beta2[kClockNetworks] = {0.999, 0.999};
  double eps[kClockNetworks] = {1e-8, 1e-8};
};

// Counters of the steps taken and the scalars of the next step. A checkpoint may hold fewer Adam
// steps than training steps, so each network keeps its own count.
template <class Real>
struct TrainingClock {
  std::int64_t steps_taken = 0;  // the sampler's step index and the schedule's t
  std::int64_t adam_steps[kClockNetworks] = {0, 0};
  double learning_rate = 0.0;  // lr(steps_taken)
  AdamCoefficients<Real> adam[kClockNetworks] = {};
};

// Forms the next step's scalars from the counters.
template <class Real>
MUSTFM_HD void refresh_training_clock(TrainingClock<Real>& clock,
                                      const TrainingClockSettings& settings) {
  clock.learning_rate = cosine_learning_rate(settings.lr0, settings.lr_final, settings.total_steps,
                                             clock.steps_taken);
  for (int n = 0; n < kClockNetworks; ++n)
    clock.adam[n] =
        adam_coefficients<Real>(clock.learning_rate, settings.beta1[n], settings.beta2[n],
                                settings.eps[n], clock.adam_steps[n] + 1);
}

// Counts one training step (one Adam step per network) and forms the following step's scalars.
template <class Real>
MUSTFM_HD void advance_training_clock(TrainingClock<Real>& clock,
                                      const TrainingClockSettings& settings) {
  ++clock.steps_taken;
  for (int n = 0; n < kClockNetworks; ++n) ++clock.adam_steps[n];
  refresh_training_clock(clock, settings);
}

}  // namespace mustfm
