// Kernels of the device training clock (engine/training_clock_cuda.h). A single thread does the
// few double operations; the kernels exist so that the clock changes in stream order and inside
// a captured graph.
#include "engine/training_clock_cuda.h"
#include "kernels/common/cuda_check.cuh"

namespace mustfm::detail {
namespace {

// Contract: clock one struct in device memory, assigned. Launch: one block of one thread.
template <class Real>
__global__ void set_training_clock_kernel(TrainingClock<Real>* clock,
                                          std::int64_t steps_taken,
                                          std::int64_t velocity_adam_steps,
                                          std::int64_t growth_adam_steps,
                                          TrainingClockSettings settings) {
  TrainingClock<Real> value;
  value.steps_taken = steps_taken;
  value.adam_steps[0] = velocity_adam_steps;
  value.adam_steps[1] = growth_adam_steps;
  refresh_training_clock(value, settings);
  *clock = value;
}

// Contract: clock one struct in device memory, updated in place. Launch: one block of one thread.
template <class Real>
__global__ void advance_training_clock_kernel(TrainingClock<Real>* clock,
                                              TrainingClockSettings settings) {
  TrainingClock<Real> value = *clock;
  advance_training_clock(value, settings);
  *clock = value;
}

}  // namespace

template <class Real>
void set_training_clock_cuda(const Exec& exec,
                             TrainingClock<Real>* clock,
                             std::int64_t steps_taken,
                             std::int64_t velocity_adam_steps,
                             std::int64_t growth_adam_steps,
                             const TrainingClockSettings& settings) {
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  set_training_clock_kernel<Real>
      <<<1, 1, 0, stream>>>(clock, steps_taken, velocity_adam_steps, growth_adam_steps, settings);
  MUSTFM_LAUNCH_CHECK(stream);
}

template <class Real>
void advance_training_clock_cuda(const Exec& exec,
                                 TrainingClock<Real>* clock,
                                 const TrainingClockSettings& settings) {
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  advance_training_clock_kernel<Real><<<1, 1, 0, stream>>>(clock, settings);
  MUSTFM_LAUNCH_CHECK(stream);
}

#define MUSTFM_INSTANTIATE_TRAINING_CLOCK(Real)                                                \
  template void set_training_clock_cuda<Real>(const Exec&, TrainingClock<Real>*, std::int64_t, \
                                              std::int64_t, std::int64_t,                      \
                                              const TrainingClockSettings&);                   \
  template void advance_training_clock_cuda<Real>(const Exec&, TrainingClock<Real>*,           \
                                                  const TrainingClockSettings&);

MUSTFM_INSTANTIATE_TRAINING_CLOCK(float)
MUSTFM_INSTANTIATE_TRAINING_CLOCK(double)

}  // namespace mustfm::detail
