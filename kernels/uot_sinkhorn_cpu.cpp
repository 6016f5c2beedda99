// Log-domain Sinkhorn for the masked entropic unbalanced problem, CPU backend (OpenMP over rows
// for the f update, over the columns of the transpose for the g update). Names as in
// kernels/uot_solver.h; tau = rho / (rho + eps).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "kernels/common/error.h"
#include "kernels/lse.h"
#include "kernels/uot_cpu.h"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

void sinkhorn_column_pass(const UotPrepared& p,
                          const std::vector<double>& f,
                          double eps,
                          double tau,
                          std::vector<double>& g) {
  const CsrTranspose& t = *p.transpose;
  const std::vector<double>& costs = p.structure->costs;
  const int cols = p.structure->cols;
#pragma omp parallel for schedule(static) if (p.parallel)
  for (int j = 0; j < cols; ++j) {
    if (p.log_b[j] == -kInf) continue;
    LseState<double> state;
    for (std::int64_t k = t.col_offsets[j]; k < t.col_offsets[j + 1]; ++k) {
      const std::int32_t i = t.rows[k];
      lse_push(state, sinkhorn_lse_term(f[i], costs[t.entries[k]], p.log_a[i], eps));
    }
    g[j] = sinkhorn_potential(lse_value(state), tau, eps);
  }
}

double sinkhorn_row_pass(const UotPrepared& p,
                         const std::vector<double>& f,
                         const std::vector<double>& g,
                         double eps,
                         double tau,
                         std::vector<double>& f_new) {
  const CsrMatrix& m = *p.structure;
  double worst = 0.0;
#pragma omp parallel for schedule(static) if (p.parallel) reduction(max : worst)
  for (int i = 0; i < m.rows; ++i) {
    if (p.log_a[i] == -kInf) continue;
    LseState<double> state;
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const std::int32_t j = m.col_indices[e];
      lse_push(state, sinkhorn_lse_term(g[j], m.costs[e], p.log_b[j], eps));
    }
    f_new[i] = sinkhorn_potential(lse_value(state), tau, eps);
    worst = std::max(worst, std::fabs(f_new[i] - f[i]) / (tau * eps));
  }
  return worst;
}

std::vector<double> sinkhorn_eps_schedule(const UotOptions& options) {
  std::vector<double> stages;
  for (double e = options.eps_start; e > options.eps; e *= options.eps_decay) stages.push_back(e);
  stages.push_back(options.eps);
  return stages;
}

std::vector<double> sinkhorn_initial_potential(const std::vector<double>& log_mass,
                                               View<const double> warm) {
  std::vector<double> potential(log_mass.size(), kInf);
  for (std::size_t k = 0; k < log_mass.size(); ++k) {
    if (log_mass[k] == -kInf) continue;
    potential[k] = warm.empty() || !std::isfinite(warm[k]) ? 0.0 : warm[k];
  }
  return potential;
}

namespace {

// Iterates at one eps from (f, g) until the residual, tested every check_every iterations, falls
// below `tolerance`, or the iteration budget runs out. Returns whether the tolerance was met.
bool run_stage(const UotPrepared& p,
               const UotOptions& options,
               double eps,
               double tolerance,
               std::vector<double>& f,
               std::vector<double>& g,
               UotRaw& raw) {
  const double tau = p.rho / (p.rho + eps);
  std::vector<double> f_new = f;
  for (int local = 1;; ++local) {
    sinkhorn_column_pass(p, f, eps, tau, g);
    const double residual = sinkhorn_row_pass(p, f, g, eps, tau, f_new);
    MUSTFM_ASSERT(!std::isnan(residual), "NaN in a Sinkhorn row pass");
    ++raw.iterations;

    const bool at_limit = raw.iterations >= options.max_iterations;
    if (local % options.check_every == 0 || at_limit) {
      // On a check, (f, g) is the state the residual describes: columns exact, rows off by
      // `residual`. Stopping here returns exactly that state, so f_new is dropped.
      raw.residual = residual;
      if (residual < tolerance) return true;
      if (at_limit) return false;
    }
    std::swap(f, f_new);
  }
}

}  // namespace

UotRaw sinkhorn_cpu(const UotPrepared& p, const UotOptions& options) {
  std::vector<double> f = sinkhorn_initial_potential(p.log_a, options.f_init);
  std::vector<double> g = sinkhorn_initial_potential(p.log_b, options.g_init);
  UotRaw raw;
  raw.status = UotStatus::iteration_limit;
  raw.residual = kInf;

  const std::vector<double> stages = sinkhorn_eps_schedule(options);
  for (std::size_t s = 0; s < stages.size() && raw.iterations < options.max_iterations; ++s) {
    const bool last_stage = s + 1 == stages.size();
    const double tolerance =
        last_stage ? options.tolerance : std::max(options.tolerance, options.stage_tolerance);
    raw.eps = stages[s];
    if (!run_stage(p, options, raw.eps, tolerance, f, g, raw)) break;
    if (last_stage) raw.status = UotStatus::converged;
  }

  const CsrMatrix& m = *p.structure;
  raw.plan.assign(static_cast<std::size_t>(m.nnz()), 0.0);
#pragma omp parallel for schedule(static) if (p.parallel)
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const std::int32_t j = m.col_indices[e];
      raw.plan[e] = sinkhorn_plan(f[i], g[j], m.costs[e], p.log_a[i], p.log_b[j], raw.eps);
    }
  }
  raw.f = std::move(f);
  raw.g = std::move(g);
  return raw;
}

}  // namespace mustfm::detail
