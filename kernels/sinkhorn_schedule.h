// The iteration driver every Sinkhorn solver runs (stored costs on the CPU and on CUDA, tiles on
// both): eps-scaling stages, residual checks, over-relaxation and the translation step, written
// once over a backend's passes so all backends stop at the same iteration. Names as in
// kernels/uot_solver.h; tau = rho / (rho + eps).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/common/error.h"
#include "kernels/uot_cpu.h"
#include "kernels/uot_entry.h"

namespace mustfm::detail {

// Iterates at one eps until the residual, read every check_every iterations, falls below
// `tolerance`, or the iteration budget runs out. Iterations between checks are over-relaxed
// (kernels/uot_entry.h); a checking iteration updates g plainly, so the state a check describes
// has exact columns. Should a check find the residual larger than the previous one, the rest of
// the stage runs plain Sinkhorn, which always converges. After every iteration that does not
// stop comes the translation step, if asked. Passes provides
// pass_pair(eps, omega) (a column pass over-relaxed by omega, then a row pass into f_new with
// the per-row change), read_residual() (the change's maximum) and advance(omega, translate)
// (f_new over-relaxed by omega becomes f, then the translation step if asked).
inline constexpr int kRisingChecksBeforePlain = 3;

template <class Passes>
bool run_sinkhorn_stage(Passes& passes,
                        const UotOptions& options,
                        double rho,
                        double eps,
                        double tolerance,
                        UotRaw& raw) {
  const double tau = rho / (rho + eps);
  double omega = options.relax ? sinkhorn_relaxation(tau) : 1.0;
  double last_checked = std::numeric_limits<double>::infinity();
  int rising = 0;
  for (int local = 1;; ++local) {
    const bool at_limit = raw.iterations + 1 >= options.max_iterations;
    const bool checking = local % options.check_every == 0 || at_limit;
    passes.pass_pair(eps, checking ? 1.0 : omega);
    ++raw.iterations;

    if (checking) {
      // On a check, (f, g) is the state the residual describes: columns exact, rows off by
      // `residual`. Stopping here returns exactly that state, so f_new is dropped.
      const double residual = passes.read_residual();
      MUSTFM_ASSERT(!std::isnan(residual), "NaN in a Sinkhorn row pass");
      raw.residual = residual;
      if (options.on_check) options.on_check(raw.iterations, eps, residual);
      if (residual < tolerance) return true;
      if (at_limit) return false;
      rising = residual > last_checked ? rising + 1 : 0;
      if (rising >= kRisingChecksBeforePlain) omega = 1.0;
      last_checked = residual;
    }
    passes.advance(omega, options.translate);
  }
}

// The eps schedule (sinkhorn_eps_schedule) over run_sinkhorn_stage, each stage warm-started
// from the last; fills status, iterations, residual and
// eps of `raw`.
template <class Passes>
void run_sinkhorn_schedule(Passes& passes, const UotOptions& options, double rho, UotRaw& raw) {
  raw.status = UotStatus::iteration_limit;
  raw.residual = std::numeric_limits<double>::infinity();
  const std::vector<double> stages = sinkhorn_eps_schedule(options);
  for (std::size_t s = 0; s < stages.size() && raw.iterations < options.max_iterations; ++s) {
    const bool last_stage = s + 1 == stages.size();
    const double tolerance =
        last_stage ? options.tolerance : std::max(options.tolerance, options.stage_tolerance);
    raw.eps = stages[s];
    if (!run_sinkhorn_stage(passes, options, rho, raw.eps, tolerance, raw)) break;
    if (last_stage) raw.status = UotStatus::converged;
  }
}

}  // namespace mustfm::detail
