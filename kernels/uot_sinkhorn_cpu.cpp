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
#include "kernels/sinkhorn_schedule.h"
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

void sinkhorn_translate(const std::vector<double>& log_a,
                        const std::vector<double>& log_b,
                        double rho,
                        std::vector<double>& f,
                        std::vector<double>& g) {
  LseState<double> a_sum;
  LseState<double> b_sum;
  for (std::size_t i = 0; i < f.size(); ++i) lse_push(a_sum, translation_term(f[i], log_a[i], rho));
  for (std::size_t j = 0; j < g.size(); ++j) lse_push(b_sum, translation_term(g[j], log_b[j], rho));
  const double lambda = translation_shift(lse_value(a_sum), lse_value(b_sum), rho);
  for (std::size_t i = 0; i < f.size(); ++i)
    if (log_a[i] != -kInf) f[i] += lambda;
  for (std::size_t j = 0; j < g.size(); ++j)
    if (log_b[j] != -kInf) g[j] -= lambda;
}

void sinkhorn_relax_lines(const std::vector<double>& previous,
                          const std::vector<double>& log_mass,
                          double omega,
                          std::vector<double>& potential) {
  for (std::size_t k = 0; k < potential.size(); ++k)
    if (log_mass[k] != -kInf) potential[k] = sinkhorn_relax(previous[k], potential[k], omega);
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

// The passes over host vectors in the form kernels/sinkhorn_schedule.h drives.
struct CsrPasses {
  CsrPasses(const UotPrepared& problem, std::vector<double> f_start, std::vector<double> g_start)
      : p(problem), f(std::move(f_start)), g(std::move(g_start)), f_new(f) {}

  // g from f (over-relaxed by omega unless omega is 1), then f_new and the residual.
  void pass_pair(double eps, double omega) {
    const double tau = p.rho / (p.rho + eps);
    if (omega != 1.0) g_previous = g;
    sinkhorn_column_pass(p, f, eps, tau, g, scratch);
    if (omega != 1.0) sinkhorn_relax_lines(g_previous, p.log_b, omega, g);
    residual = sinkhorn_row_pass(p, f, g, eps, tau, f_new, scratch);
  }

  double read_residual() const { return residual; }

  // f_new, over-relaxed by omega, becomes f; then the translation step if asked.
  void advance(double omega, bool translate) {
    if (omega != 1.0) sinkhorn_relax_lines(f, p.log_a, omega, f_new);
    std::swap(f, f_new);
    if (translate) sinkhorn_translate(p.log_a, p.log_b, p.rho, f, g);
  }

  const UotPrepared& p;
  std::vector<double> f;
  std::vector<double> g;
  // f_new starts as f so rows that are never updated (+inf) agree in both.
  std::vector<double> f_new;
  std::vector<double> g_previous;
  UotPassScratch scratch;
  double residual = 0.0;
};

}  // namespace

UotRaw sinkhorn_cpu(const UotPrepared& p, const UotOptions& options) {
  CsrPasses passes(p, sinkhorn_initial_potential(p.log_a, options.f_init),
                   sinkhorn_initial_potential(p.log_b, options.g_init));
  UotRaw raw;
  run_sinkhorn_schedule(passes, options, p.rho, raw);
  const std::vector<double>& f = passes.f;
  const std::vector<double>& g = passes.g;

  const CsrMatrix& m = *p.structure;
  raw.plan.assign(static_cast<std::size_t>(m.nnz()), 0.0);
#pragma omp parallel for schedule(static) if (p.parallel)
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const std::int32_t j = m.col_indices[e];
      raw.plan[e] = sinkhorn_plan(f[i], g[j], m.costs[e], p.log_a[i], p.log_b[j], raw.eps);
    }
  }
  raw.f = std::move(passes.f);
  raw.g = std::move(passes.g);
  return raw;
}

}  // namespace mustfm::detail
