// The device side of the training clock (kernels/training_clock.h): one-thread kernels that set
// it from host counters and advance it by one step, queued on exec.stream. Only the training
// step's CUDA path calls these; a plain C++ header.
#pragma once

#ifdef MUSTFM_WITH_CUDA

#include <cstdint>

#include "kernels/common/backend.h"
#include "kernels/training_clock.h"

namespace mustfm::detail {

// *clock <- the counters given, with their scalars formed on the device (so a restored clock
// holds the very bits an advanced one would).
template <class Real>
void set_training_clock_cuda(const Exec& exec,
                             TrainingClock<Real>* clock,
                             std::int64_t steps_taken,
                             std::int64_t velocity_adam_steps,
                             std::int64_t growth_adam_steps,
                             const TrainingClockSettings& settings);

// advance_training_clock(*clock, settings) on the device.
template <class Real>
void advance_training_clock_cuda(const Exec& exec,
                                 TrainingClock<Real>* clock,
                                 const TrainingClockSettings& settings);

}  // namespace mustfm::detail

#endif
