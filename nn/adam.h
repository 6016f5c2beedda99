// The Adam optimizer (PyTorch semantics; formulas in kernels/adam.h) over one contiguous
// parameter vector, and the parameter EMA used for prediction. The learning rate is passed per
// step, normally from a CosineSchedule.
//
// Every view, and the Adam moments, live in the memory of exec's backend (host for the CPU,
// device for CUDA). On CUDA, step() and ema_update() queue one kernel on exec.stream and return
// without waiting. step()'s scalars (learning rate, bias corrections of the host-side step
// count) are kernel arguments, so a CUDA graph would replay the captured step's values; inside a
// graph use step_with_device_scalars(), which reads them from device memory at run time
// (kernels/training_clock.h keeps them there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/adam.h"
#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

struct AdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

template <class Real>
class Adam {
 public:
  // Moments for `count` parameters, zeroed, in `space`. Throws InputError for betas outside
  // [0, 1) or eps < 0.
  Adam(Allocator& allocator,
       std::size_t count,
       MemorySpace space,
       const std::string& purpose,
       AdamOptions options = {});

  // One update of `parameters` with `gradients` at `learning_rate`; then steps() grows by one.
  void step(const Exec& exec,
            View<Real> parameters,
            View<const Real> gradients,
            double learning_rate);

  // CUDA only: one update with the scalars *device_coefficients (device memory) holds when the
  // kernel runs. steps() does not change: whoever advances the scalars counts the steps
  // (count_steps). InputError for the CPU backend or a null pointer.
  void step_with_device_scalars(const Exec& exec,
                                View<Real> parameters,
                                View<const Real> gradients,
                                const AdamCoefficients<Real>* device_coefficients);
  // Adds `count` steps queued through step_with_device_scalars to steps().
  void count_steps(std::int64_t count) { steps_ += count; }

  // Sets the moments (copied from any memory space; sizes must match) and the step count, as
  // saved in a checkpoint. Throws InputError for other sizes or a negative count.
  void restore(View<const Real> first, View<const Real> second, std::int64_t steps);

  std::int64_t steps() const { return steps_; }
  const AdamOptions& options() const { return options_; }
  // The moments m and v, for checkpoints and tests.
  View<const Real> first_moment() const { return first_.cview(); }
  View<const Real> second_moment() const { return second_.cview(); }

 private:
  AdamOptions options_;
  std::int64_t steps_ = 0;
  Buffer<Real> first_;
  Buffer<Real> second_;
};

// average <- decay average + (1 - decay) parameters, element by element.
void ema_update(const Exec& exec, View<float> average, View<const float> parameters, double decay);
void ema_update(const Exec& exec,
                View<double> average,
                View<const double> parameters,
                double decay);

}  // namespace mustfm
