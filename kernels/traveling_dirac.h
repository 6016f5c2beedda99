// The traveling Dirac: the Wasserstein-Fisher-Rao geodesic between mass m0 at x0 and mass m1 at
// x1 (DESIGN.md section 7). It turns one sampled coupling pair into a training example: the
// point x(s) the network sees, the velocity target u, the growth target q and the loss weight.
//
// Names: d = |x1 - x0|, e = (x1 - x0) / d, delta = WFR length scale, phi = d / (2 delta),
// s in [0, 1] = position along the geodesic, dt = length of the time interval.
//
// Written without dividing by d, so the formulas stay finite as d -> 0:
//   x(s)  = x0 + (theta / phi) (x1 - x0),  theta = atan2(y, c),
//           y = s sqrt(m1) sin(phi),  c = (1 - s) sqrt(m0) + s sqrt(m1) cos(phi)
//   m(s)  = c^2 + y^2 = (1 - s)^2 m0 + s^2 m1 + 2 s (1 - s) sqrt(m0 m1) cos(phi)
//   dx/ds = omega e / m(s) = sqrt(m0 m1) (sin(phi) / phi) (x1 - x0) / m(s)
//   dm/ds = 2 (A s - B),  A = m0 + m1 - 2 S,  B = m0 - S,  S = sqrt(m0 m1) cos(phi)
// which equal the design's forms (2 delta e theta = (theta / phi)(x1 - x0) and
// omega e = 2 delta sqrt(m0 m1) sin(phi) e). A and B are evaluated through
// 1 - cos(phi) = 2 sin^2(phi / 2) so that nearly equal masses at nearly equal points do not
// cancel. Every term of m(s) is non-negative, so m(s) > 0 for positive masses.
#pragma once

#include <cmath>
#include <limits>

#include "kernels/common/host_device.h"

namespace mustfm {

// The scalar part of the geodesic at one s; the vectors follow as
// x(s) = x0 + position_factor (x1 - x0) and u = velocity_factor (x1 - x0).
template <class Real>
struct DiracProfile {
  Real position_factor;  // theta / phi, in [0, 1]
  Real velocity_factor;  // sqrt(m0 m1) (sin(phi) / phi) / (m(s) dt)
  Real mass;             // m(s)
  Real growth;           // q = (d ln m / ds) / dt
  Real weight;           // loss weight m(s) / m0
};

namespace detail {

// Below this phi the first neglected Taylor terms (phi^2 / 6 relative) are under 1e-37, far
// below any precision's rounding, and sin(phi) could otherwise be flushed to zero on the device.
template <class Real>
MUSTFM_HD Real dirac_small_phi() {
  return Real(1e-18);
}

}  // namespace detail

// Fills `profile` for a pair at distance `distance` and returns true, or returns false (leaving
// `profile` untouched) when the pair cannot be used: distance >= pi delta (inadmissible, section
// 4), a non-finite distance, or a mass that is not positive and finite. Requires delta > 0,
// dt > 0 and s in [0, 1].
template <class Real>
MUSTFM_HD bool traveling_dirac_profile(
    Real distance, Real m0, Real m1, Real delta, Real s, Real dt, DiracProfile<Real>& profile) {
  using std::atan2;
  using std::cos;
  using std::sin;
  using std::sqrt;
  const Real pi = Real(3.141592653589793238462643383279502884);

  // Written as comparisons so that NaN fails them too.
  if (!(distance < pi * delta) || !(distance >= Real(0))) return false;
  const Real largest = std::numeric_limits<Real>::max();
  if (!(m0 > Real(0) && m0 <= largest && m1 > Real(0) && m1 <= largest)) return false;

  const Real phi = distance / (Real(2) * delta);
  const Real root0 = sqrt(m0);
  const Real root1 = sqrt(m1);
  const Real sin_phi = sin(phi);
  const Real cos_phi = cos(phi);
  const Real sin_half = sin(phi / Real(2));
  const Real one_minus_cos = Real(2) * sin_half * sin_half;

  const Real y = s * root1 * sin_phi;
  const Real c = (Real(1) - s) * root0 + s * root1 * cos_phi;
  const Real mass = c * c + y * y;

  // theta / phi and sin(phi) / phi, with their limits for phi -> 0.
  Real position_factor;
  Real sinc;
  if (phi < detail::dirac_small_phi<Real>()) {
    position_factor = s * root1 / c;
    sinc = Real(1);
  } else {
    position_factor = atan2(y, c) / phi;
    sinc = sin_phi / phi;
  }

  const Real root_product = root0 * root1;
  const Real root_gap = root0 - root1;
  const Real a = root_gap * root_gap + Real(2) * root_product * one_minus_cos;
  const Real b = root0 * root_gap + root_product * one_minus_cos;
  const Real mass_slope = Real(2) * (a * s - b);

  profile.position_factor = position_factor;
  profile.velocity_factor = root_product * sinc / (mass * dt);
  profile.mass = mass;
  profile.growth = mass_slope / (mass * dt);
  profile.weight = mass / m0;
  return true;
}

// One pair in `dim` dimensions: writes x(s) to `x` and the velocity target u to `u` (each `dim`
// values, contiguous) and the scalars to `profile`; returns false and writes nothing when the pair
// cannot be used (see traveling_dirac_profile). `x` and `u` must not alias x0 or x1.
template <class Real>
MUSTFM_HD bool traveling_dirac(const Real* x0,
                               const Real* x1,
                               int dim,
                               Real m0,
                               Real m1,
                               Real delta,
                               Real s,
                               Real dt,
                               Real* x,
                               Real* u,
                               DiracProfile<Real>& profile) {
  using std::sqrt;
  Real squared = Real(0);
  for (int k = 0; k < dim; ++k) {
    const Real step = x1[k] - x0[k];
    squared += step * step;
  }
  if (!traveling_dirac_profile(sqrt(squared), m0, m1, delta, s, dt, profile)) return false;

  for (int k = 0; k < dim; ++k) {
    const Real step = x1[k] - x0[k];
    x[k] = x0[k] + profile.position_factor * step;
    u[k] = profile.velocity_factor * step;
  }
  return true;
}

}  // namespace mustfm
