// Per-element Adam update and parameter EMA, shared by the CPU and CUDA optimizers.
//
// Adam with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad). With g the
// gradient, m and v the first and second moments, t the 1-based step and lr its learning rate:
//   m <- beta1 m + (1 - beta1) g
//   v <- beta2 v + (1 - beta2) g^2
//   p <- p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// eps is added after the bias correction of sqrt(v), as PyTorch does. The per-step scalars are
// formed once per step in double (on the host, or on the device by kernels/training_clock.h)
// and passed in as Real.
//
// EMA: ema <- decay ema + (1 - decay) p.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common/host_device.h"

namespace mustfm {

template <class Real>
struct AdamCoefficients {
  Real beta1;
  Real one_minus_beta1;
  Real beta2;
  Real one_minus_beta2;
  Real step_size;         // lr / (1 - beta1^t)
  Real sqrt_correction2;  // sqrt(1 - beta2^t)
  Real eps;
};

// Scalars of step t >= 1 (1-based, the count after this step), computed in double.
template <class Real>
MUSTFM_HD AdamCoefficients<Real> adam_coefficients(
    double learning_rate, double beta1, double beta2, double eps, std::int64_t t) {
  using std::pow;
  using std::sqrt;
  const double correction1 = 1.0 - pow(beta1, static_cast<double>(t));
  const double correction2 = 1.0 - pow(beta2, static_cast<double>(t));
  return {static_cast<Real>(beta1),
          static_cast<Real>(1.0 - beta1),
          static_cast<Real>(beta2),
          static_cast<Real>(1.0 - beta2),
          static_cast<Real>(learning_rate / correction1),
          static_cast<Real>(sqrt(correction2)),
          static_cast<Real>(eps)};
}

template <class Real>
MUSTFM_HD void adam_update(
    Real& parameter, Real& m, Real& v, Real gradient, const AdamCoefficients<Real>& k) {
  using std::sqrt;
  m = k.beta1 * m + k.one_minus_beta1 * gradient;
  v = k.beta2 * v + k.one_minus_beta2 * gradient * gradient;
  const Real denominator = sqrt(v) / k.sqrt_correction2 + k.eps;
  parameter -= k.step_size * (m / denominator);
}

// one_minus_decay is 1 - decay formed in double, so it is exact to Real's rounding.
template <class Real>
MUSTFM_HD void ema_update_element(Real& average, Real parameter, Real decay, Real one_minus_decay) {
  average = decay * average + one_minus_decay * parameter;
}

}  // namespace mustfm
