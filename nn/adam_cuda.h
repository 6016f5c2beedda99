// CUDA twins of the Adam update and the parameter EMA (nn/adam.h), element by element with the
// formulas of kernels/adam.h. Pointers are device memory; calls are queued on exec.stream.
#pragma once

#ifdef MUSTFM_WITH_CUDA

#include <cstddef>

#include "kernels/adam.h"
#include "kernels/common/backend.h"

namespace mustfm::detail {

// parameters, m, v updated in place from gradients (count values each), with step scalars k.
template <class Real>
void adam_step_cuda(const Exec& exec,
                    Real* parameters,
                    Real* m,
                    Real* v,
                    const Real* gradients,
                    std::size_t count,
                    const AdamCoefficients<Real>& k);

// The same update with the step scalars read from device memory (*k) when the kernel runs.
template <class Real>
void adam_step_cuda(const Exec& exec,
                    Real* parameters,
                    Real* m,
                    Real* v,
                    const Real* gradients,
                    std::size_t count,
                    const AdamCoefficients<Real>* k);

// average <- decay average + one_minus_decay parameters (count values each).
template <class Real>
void ema_update_cuda(const Exec& exec,
                     Real* average,
                     const Real* parameters,
                     std::size_t count,
                     Real decay,
                     Real one_minus_decay);

}  // namespace mustfm::detail

#endif
