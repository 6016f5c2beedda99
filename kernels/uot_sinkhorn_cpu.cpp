// Log-domain Sinkhorn for the masked entropic unbalanced problem, CPU backend (OpenMP over rows
// for the f update, over the columns of the transpose for the g update). Names as in
// kernels/uot_solver.h; tau = rho / (rho + eps).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "kernels/common/error.h"
#include "kernels/exp_sum_cpu.h"
#include "kernels/lse.h"
#include "kernels/uot_cpu.h"
#include "kernels/uot_entry.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A line's exp-sum, shifted by an estimate of its LSE, is trusted inside this range; outside it
// (a poor estimate: first iterations, a new eps) the line is redone shifted by its largest
// term.
constexpr double kSumHigh = 1e280;

// partner_k = potential_k / eps + log mass_k, or -inf where the partner carries no mass, so an
// entry's LSE term is partner[index] - C * inv_eps.
void partner_terms(const std::vector<double>& potential,
                   const std::vector<double>& log_mass,
                   double eps,
                   std::vector<double>& partner) {
  partner.resize(potential.size());
  for (std::size_t k = 0; k < potential.size(); ++k)
    partner[k] = log_mass[k] == -kInf ? -kInf : potential[k] / eps + log_mass[k];
}

// LSE over one line (a row of the CSR or a column of the transpose) of the terms
// partner[index[k]] - cost[k] * inv_eps. `previous` is the line's potential before this pass;
// -previous / (tau eps) was its LSE then, which is the shift for the fast sum.
double line_lse(const std::int32_t* index,
                const double* cost,
                std::int64_t count,
                const std::vector<double>& partner,
                double inv_eps,
                double previous,
                double tau,
                double eps) {
  const double shift = std::isfinite(previous) ? -previous / (tau * eps) : 0.0;
  const double sum = exp_sum_gather(index, cost, partner.data(), count, inv_eps, shift);
  if (sum >= kTrustedSumLow && sum <= kSumHigh) return shift + std::log(sum);
  // A poor estimate: shift by the line's largest term instead, found by a pass without exp;
  // the sum then lies in [1, count]. A line whose partners all carry no mass has LSE -inf.
  double top = -kInf;
  for (std::int64_t k = 0; k < count; ++k) {
    const double term = partner[index[k]];
    if (term != -kInf) top = std::max(top, term - cost[k] * inv_eps);
  }
  if (top == -kInf) return -kInf;
  return top + std::log(exp_sum_gather(index, cost, partner.data(), count, inv_eps, top));
}

// Runs body(line) for every line and returns the largest value it returned. Small problems run
// the plain loop: even a one-thread OpenMP region costs more than a pass over a few hundred
// entries.
template <class Body>
double for_each_line(bool parallel, int lines, Body&& body) {
  double worst = 0.0;
  if (!parallel) {
    for (int k = 0; k < lines; ++k) worst = std::max(worst, body(k));
    return worst;
  }
#pragma omp parallel for schedule(static) reduction(max : worst)
  for (int k = 0; k < lines; ++k) worst = std::max(worst, body(k));
  return worst;
}

}  // namespace

void sinkhorn_column_pass(const UotPrepared& p,
                          const std::vector<double>& f,
                          double eps,
                          double tau,
                          std::vector<double>& g,
                          UotPassScratch& scratch) {
  const CsrTranspose& t = *p.transpose;
  MUSTFM_ASSERT(p.transposed_costs.size() == t.entries.size(),
                "the CPU Sinkhorn column pass needs the costs in column order");
  partner_terms(f, p.log_a, eps, scratch.partner);
  const double inv_eps = 1.0 / eps;
  for_each_line(p.parallel, p.structure->cols, [&](int j) {
    if (p.log_b[j] == -kInf) return 0.0;
    const std::int64_t begin = t.col_offsets[j];
    const double lse =
        line_lse(t.rows.data() + begin, p.transposed_costs.data() + begin,
                 t.col_offsets[j + 1] - begin, scratch.partner, inv_eps, g[j], tau, eps);
    g[j] = sinkhorn_potential(lse, tau, eps);
    return 0.0;
  });
}

double sinkhorn_row_pass(const UotPrepared& p,
                         const std::vector<double>& f,
                         const std::vector<double>& g,
                         double eps,
                         double tau,
                         std::vector<double>& f_new,
                         UotPassScratch& scratch) {
  const CsrMatrix& m = *p.structure;
  partner_terms(g, p.log_b, eps, scratch.partner);
  const double inv_eps = 1.0 / eps;
  return for_each_line(p.parallel, m.rows, [&](int i) {
    if (p.log_a[i] == -kInf) return 0.0;
    const std::int64_t begin = m.row_offsets[i];
    const double lse =
        line_lse(m.col_indices.data() + begin, m.costs.data() + begin, m.row_offsets[i + 1] - begin,
                 scratch.partner, inv_eps, f[i], tau, eps);
    f_new[i] = sinkhorn_potential(lse, tau, eps);
    return std::fabs(f_new[i] - f[i]) / (tau * eps);
  });
}

void sinkhorn_translate(const UotPrepared& p, std::vector<double>& f, std::vector<double>& g) {
  LseState<double> a_sum;
  LseState<double> b_sum;
  for (std::size_t i = 0; i < f.size(); ++i)
    lse_push(a_sum, translation_term(f[i], p.log_a[i], p.rho));
  for (std::size_t j = 0; j < g.size(); ++j)
    lse_push(b_sum, translation_term(g[j], p.log_b[j], p.rho));
  const double lambda = translation_shift(lse_value(a_sum), lse_value(b_sum), p.rho);
  for (std::size_t i = 0; i < f.size(); ++i)
    if (p.log_a[i] != -kInf) f[i] += lambda;
  for (std::size_t j = 0; j < g.size(); ++j)
    if (p.log_b[j] != -kInf) g[j] -= lambda;
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

// potential <- previous + omega (potential - previous) on the lines that carry mass.
void relax(const std::vector<double>& previous,
           const std::vector<double>& log_mass,
           double omega,
           std::vector<double>& potential) {
  for (std::size_t k = 0; k < potential.size(); ++k)
    if (log_mass[k] != -kInf) potential[k] = sinkhorn_relax(previous[k], potential[k], omega);
}

// Iterates at one eps from (f, g) until the residual, tested every check_every iterations, falls
// below `tolerance`, or the iteration budget runs out. Returns whether the tolerance was met.
//
// Iterations between checks are over-relaxed (kernels/uot_entry.h); a checking iteration updates
// g plainly, so the state a check describes has exact columns. Should a check find the residual
// larger than the previous one, the rest of the stage runs plain Sinkhorn, which always
// converges.
bool run_stage(const UotPrepared& p,
               const UotOptions& options,
               double eps,
               double tolerance,
               std::vector<double>& f,
               std::vector<double>& g,
               UotRaw& raw) {
  const double tau = p.rho / (p.rho + eps);
  double omega = options.relax ? sinkhorn_relaxation(tau) : 1.0;
  double last_checked = kInf;
  std::vector<double> f_new = f;
  std::vector<double> g_previous;
  UotPassScratch scratch;
  for (int local = 1;; ++local) {
    const bool at_limit = raw.iterations + 1 >= options.max_iterations;
    const bool checking = local % options.check_every == 0 || at_limit;
    const bool relaxing = !checking && omega != 1.0;
    if (relaxing) g_previous = g;
    sinkhorn_column_pass(p, f, eps, tau, g, scratch);
    if (relaxing) relax(g_previous, p.log_b, omega, g);
    const double residual = sinkhorn_row_pass(p, f, g, eps, tau, f_new, scratch);
    MUSTFM_ASSERT(!std::isnan(residual), "NaN in a Sinkhorn row pass");
    ++raw.iterations;

    if (checking) {
      // On a check, (f, g) is the state the residual describes: columns exact, rows off by
      // `residual`. Stopping here returns exactly that state, so f_new is dropped.
      raw.residual = residual;
      if (residual < tolerance) return true;
      if (at_limit) return false;
      if (residual > last_checked) omega = 1.0;
      last_checked = residual;
    }
    if (omega != 1.0) relax(f, p.log_a, omega, f_new);
    std::swap(f, f_new);
    if (options.translate) sinkhorn_translate(p, f, g);
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
