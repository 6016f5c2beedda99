// The Wasserstein-Fisher-Rao ground cost (DESIGN.md section 4), shared by the CPU and CUDA
// backends. For points x, y at Euclidean distance d and length scale delta > 0:
//
//   c = -log cos^2( d / (2 delta) )   if d < pi delta,   +inf (inadmissible) otherwise.
//
// With phi = d / (2 delta) the cost is phi^2 + phi^4 / 6 + O(phi^6) near 0 and blows up like
// -2 log(pi/2 - phi) at the cut-off. cos^2 is periodic, so the cut-off test comes first: a pair at
// 2 pi delta (where cos^2 is 1 again) is inadmissible, as is every pair at or beyond pi delta.
#pragma once

#include <cmath>
#include <limits>

#include "kernels/common/host_device.h"

namespace mustfm {

template <class T>
MUSTFM_HD T wfr_cutoff_distance(T delta) {
  return T(3.14159265358979323846) * delta;
}

template <class T>
MUSTFM_HD T wfr_cost_from_distance(T distance, T delta) {
  // Written as a negated comparison so that a NaN distance is inadmissible too.
  if (!(distance < wfr_cutoff_distance(delta))) return std::numeric_limits<T>::infinity();

  const T phi = distance / (T(2) * delta);
  // Below pi/4, -log(1 - sin^2) through log1p keeps the cost relatively accurate as phi -> 0,
  // where cos(phi) rounds to 1. Above pi/4, cos(phi) itself is accurate to a few ulps and
  // -2 log|cos| avoids the cancellation of 1 - sin^2 near the cut-off. The absolute value matters:
  // just below the cut-off, phi may round to the floating-point pi/2, which lies above the true
  // pi/2, where cos is a tiny negative number.
  if (phi <= T(0.78539816339744830962)) {
    const T s = std::sin(phi);
    return -std::log1p(-s * s);
  }
  return T(-2) * std::log(std::fabs(std::cos(phi)));
}

// Cost between two points of dimension `dim` given by their coordinates.
template <class T>
MUSTFM_HD T wfr_cost(const T* x, const T* y, int dim, T delta) {
  T squared = T(0);
  for (int k = 0; k < dim; ++k) {
    const T diff = x[k] - y[k];
    squared += diff * diff;
  }
  return wfr_cost_from_distance(std::sqrt(squared), delta);
}

}  // namespace mustfm
