// Adaptive Dormand-Prince 5(4) integration of one large ODE system y' = f(t, y) with dense output
// (DESIGN.md section 8, "Prediction"): y holds every particle's position and log-weight, so a
// single step size serves them all, as in the reference implementation (torchdiffeq's dopri5).
//
// Conventions, those of torchdiffeq so that prediction behaves like the reference:
//  * error norm: RMS over all components of err_i / (atol + rtol max(|y_old_i|, |y_new_i|)), with
//    err the difference between the 5th-order solution and Shampine's (1986) embedded 4th-order
//    one; a step is accepted when the norm is at most 1;
//  * step-size factor: safety norm^(-1/5) clamped to [min_factor, max_factor], and to at least 1
//    after an accepted step (an accepted step never shrinks the next one);
//  * FSAL: the last stage of an accepted step is the first stage of the next;
//  * dense output: the 4th-order interpolant of Shampine (1986) as given by Hairer, Norsett and
//    Wanner, "Solving Ordinary Differential Equations I", section II.6 (the same quartic that
//    torchdiffeq fits through y_old, y_mid, y_new, f_old and f_new);
//  * starting step: Hairer's heuristic (HNW I, section II.4), as torchdiffeq's.
// One difference: torchdiffeq may step past the last requested time; here the step that would
// pass it is shortened to end on it, so f is never evaluated beyond the requested range.
//
// Memory: 10 arrays of y.size() doubles (y0 moved in as the state, the new state, a stage state
// and 7 stages), allocated once per call. Vector operations run OpenMP-parallel over components;
// the error norm sums fixed blocks in a fixed order, so results do not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace mustfm {

struct Dopri5Options {
  // Both must be positive and finite.
  double rtol = 1e-7;
  double atol = 1e-9;
  // Magnitude of the first step attempted; 0: chosen by Hairer's starting-step heuristic (one
  // extra evaluation of f). The sign is taken from the direction of integration.
  double first_step = 0.0;
  // Accepted plus rejected steps allowed before RuntimeFailure.
  std::int64_t max_steps = 1000000;
  // Step-size controller: safety in (0, 1], min_factor in (0, 1], max_factor >= 1.
  double safety = 0.9, min_factor = 0.2, max_factor = 10.0;
};

struct Dopri5Stats {
  std::int64_t accepted = 0, rejected = 0, evaluations = 0;
};

// f(t, y, dydt): y and dydt hold y.size() doubles. dydt is never the storage of y.
using OdeRightHandSide =
    std::function<void(double t, std::span<const double> y, std::span<double> dydt)>;

// Called once per output time, in order, with the state at exactly that time (by the method's
// 4th-order dense output when a step passes over it; the first output may equal t0). The span is
// valid only during the call.
using OdeOutput = std::function<void(std::size_t index, double t, std::span<const double> y)>;

// Integrates from (t0, y0) through `times` (monotone, all on one side of t0; forward or backward
// integration both supported; equal consecutive times allowed) in one continuous run. Returns the
// statistics; `evaluations` counts every call of f, the starting-step heuristic's included.
// An empty `output` integrates without reporting; empty `times` or y0 evaluate nothing.
// InputError: f empty; t0, a time or a component of y0 not finite; times not monotone or on both
// sides of t0; an option out of its range (each named with its value).
// RuntimeFailure (naming the time reached): f not finite at (t0, y0), the step size
// underflowing (as when f stops being finite ahead of the solution), or max_steps exceeded.
Dopri5Stats integrate_dopri5(const OdeRightHandSide& f,
                             double t0,
                             std::vector<double> y0,
                             std::span<const double> times,
                             const OdeOutput& output,
                             const Dopri5Options& options = {});

}  // namespace mustfm
