// Streaming log-sum-exp, shared by the CPU and CUDA backends: LSE(x_1..x_n) = log sum exp(x_k)
// accumulated one term (or one partial state) at a time as a running maximum m and a sum s of
// exp(x_k - m), so no term overflows. Terms equal to -inf contribute nothing; an empty or
// all -inf accumulation yields -inf, never NaN, because -inf is never subtracted from itself.
// A state is empty exactly when its sum is 0 (one finite term makes it at least 1). Inputs are
// below +inf; a NaN input propagates to the result.
#pragma once

#include <cmath>
#include <limits>

#include "kernels/common/host_device.h"

namespace mustfm {

template <class T>
struct LseState {
  T max = -std::numeric_limits<T>::infinity();
  T sum = T(0);
};

template <class T>
MUSTFM_HD void lse_push(LseState<T>& state, T x) {
  if (x == -std::numeric_limits<T>::infinity()) return;
  if (x > state.max) {
    // exp(-inf) is 0 when the state is still empty, so the old sum (0) vanishes cleanly.
    state.sum = state.sum * std::exp(state.max - x) + T(1);
    state.max = x;
  } else {
    // Also the branch a NaN x takes (comparisons with NaN are false): the sum becomes NaN.
    state.sum += std::exp(x - state.max);
  }
}

// Combines two partial states, e.g. from two threads of a reduction.
template <class T>
MUSTFM_HD LseState<T> lse_merge(const LseState<T>& left, const LseState<T>& right) {
  if (right.sum == T(0)) return left;
  if (left.sum == T(0)) return right;
  LseState<T> out;
  out.max = left.max > right.max ? left.max : right.max;
  out.sum = left.sum * std::exp(left.max - out.max) + right.sum * std::exp(right.max - out.max);
  return out;
}

template <class T>
MUSTFM_HD T lse_value(const LseState<T>& state) {
  if (state.sum == T(0)) return -std::numeric_limits<T>::infinity();
  return state.max + std::log(state.sum);
}

}  // namespace mustfm
