// Cosine learning-rate decay from lr0 to lr_final over T steps (PyTorch's CosineAnnealingLR
// with eta_min = lr_final, in its closed form):
//   lr(t) = lr_final + 0.5 (lr0 - lr_final) (1 + cos(pi t / T))   for 0 <= t <= T
//   lr(t) = lr_final                                               for t > T
// t counts the optimizer steps already taken: the first step uses lr(0) = lr0, step number T
// (the last of a T-step run) uses lr(T - 1). Past T PyTorch would rise again; we hold lr_final.
// The formula is cosine_learning_rate of kernels/training_clock.h, which the device also runs.
#pragma once

#include <cstdint>

namespace mustfm {

class CosineSchedule {
 public:
  // Throws InputError unless total_steps > 0 and both rates are finite and >= 0.
  CosineSchedule(double lr0, double lr_final, std::int64_t total_steps);

  double learning_rate(std::int64_t t) const;
  double lr0() const { return lr0_; }
  double lr_final() const { return lr_final_; }
  std::int64_t total_steps() const { return total_steps_; }

 private:
  double lr0_;
  double lr_final_;
  std::int64_t total_steps_;
};

}  // namespace mustfm
