// Entry point of the unbalanced transport solvers: checks the input, normalizes the masses by
// Z = (sum a + sum b) / 2, runs the chosen solver on the chosen backend and summarizes its plan
// in the caller's units (on the host for both backends, so results have one form). Names as in
// kernels/uot_solver.h; r = gamma 1 and c = gamma^T 1 are the plan's marginals.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kernels/common/error.h"
#include "kernels/uot_cpu.h"
#include "kernels/uot_cuda.h"
#include "kernels/uot_entry.h"

namespace mustfm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_arguments(const UotProblem& problem, const UotOptions& options) {
  MUSTFM_EXPECTS(problem.structure != nullptr, "UOT: the problem has no sparsity structure");
  MUSTFM_EXPECTS(problem.a.space == MemorySpace::host && problem.b.space == MemorySpace::host,
                 "UOT: the masses must be in host memory");
  const CsrMatrix& m = *problem.structure;
  validate_csr(m);
  MUSTFM_EXPECTS(m.has_costs(), "UOT: the sparsity structure carries no costs");
  MUSTFM_EXPECTS(problem.a.size == static_cast<std::size_t>(m.rows) &&
                     problem.b.size == static_cast<std::size_t>(m.cols),
                 "UOT: " + std::to_string(problem.a.size) + " source and " +
                     std::to_string(problem.b.size) + " target masses for a " +
                     std::to_string(m.rows) + " x " + std::to_string(m.cols) + " structure");
  for (std::size_t i = 0; i < problem.a.size; ++i)
    MUSTFM_EXPECTS(!(problem.a[i] < 0), "UOT: negative source mass at " + std::to_string(i));
  for (std::size_t j = 0; j < problem.b.size; ++j)
    MUSTFM_EXPECTS(!(problem.b[j] < 0), "UOT: negative target mass at " + std::to_string(j));

  const auto positive = [](double v) { return v > 0 && std::isfinite(v); };
  MUSTFM_EXPECTS(positive(problem.rho),
                 "UOT: rho must be positive, got " + std::to_string(problem.rho));
  MUSTFM_EXPECTS(positive(options.eps) && positive(options.eps_start),
                 "UOT: eps and eps_start must be positive");
  MUSTFM_EXPECTS(options.eps_decay > 0 && options.eps_decay < 1,
                 "UOT: eps_decay must lie in (0, 1), got " + std::to_string(options.eps_decay));
  MUSTFM_EXPECTS(options.max_iterations >= 1 && options.check_every >= 1,
                 "UOT: max_iterations and check_every must be at least 1");
  MUSTFM_EXPECTS(
      options.tolerance >= 0 && options.stage_tolerance >= 0 && options.mm_tolerance >= 0,
      "UOT: tolerances must not be negative");
  MUSTFM_EXPECTS(options.f_init.empty() || options.f_init.size == problem.a.size,
                 "UOT: f_init has " + std::to_string(options.f_init.size) + " values for " +
                     std::to_string(problem.a.size) + " rows");
  MUSTFM_EXPECTS(options.g_init.empty() || options.g_init.size == problem.b.size,
                 "UOT: g_init has " + std::to_string(options.g_init.size) + " values for " +
                     std::to_string(problem.b.size) + " columns");

  // C / eps must stay finite for every admissible entry, or the log-domain terms overflow.
  const double smallest_eps = std::min(options.eps, options.eps_start);
  for (std::size_t e = 0; e < m.costs.size(); ++e) {
    const double cost = m.costs[e];
    MUSTFM_EXPECTS(!std::isfinite(cost) || std::isfinite(cost / smallest_eps),
                   "UOT: cost " + std::to_string(cost) + " of entry " + std::to_string(e) +
                       " overflows when divided by eps");
  }
}

// NaN or infinite masses, NaN or -inf costs.
bool has_non_finite_input(const UotProblem& problem) {
  for (double v : problem.a)
    if (!std::isfinite(v)) return true;
  for (double v : problem.b)
    if (!std::isfinite(v)) return true;
  for (double cost : problem.structure->costs)
    if (std::isnan(cost) || cost == -kInf) return true;
  return false;
}

// -rho log(sum / mass), +inf where no mass is carried.
std::vector<double> potentials_from_marginal(const std::vector<double>& sums,
                                             View<const double> masses,
                                             double rho) {
  std::vector<double> potential(sums.size(), kInf);
  for (std::size_t k = 0; k < sums.size(); ++k)
    if (sums[k] > 0) potential[k] = -rho * std::log(sums[k] / masses[k]);
  return potential;
}

// Scales the plan back by Z and fills the summary fields from it.
void summarize(const UotProblem& problem,
               const detail::UotPrepared& p,
               detail::UotRaw raw,
               UotResult& result) {
  const CsrMatrix& m = *problem.structure;
  result.status = raw.status;
  result.iterations = raw.iterations;
  result.residual = raw.residual;
  result.eps = raw.eps;
  result.plan = std::move(raw.plan);
  std::vector<double> r(static_cast<std::size_t>(m.rows), 0.0);
  std::vector<double> c(static_cast<std::size_t>(m.cols), 0.0);
  double transport_cost = 0.0;
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      double& gamma = result.plan[e];
      gamma *= p.z;
      if (gamma == 0) continue;
      r[i] += gamma;
      c[m.col_indices[e]] += gamma;
      transport_cost += gamma * m.costs[e];
    }
  }

  double marginal_penalty = 0.0;
  result.transported_mass = 0.0;
  result.unmatched_mass = 0.0;
  for (int i = 0; i < m.rows; ++i) {
    marginal_penalty += kl_term(r[i], problem.a[i]);
    result.transported_mass += r[i];
    if (p.log_a[i] == -kInf) result.unmatched_mass += problem.a[i];
  }
  for (int j = 0; j < m.cols; ++j) {
    marginal_penalty += kl_term(c[j], problem.b[j]);
    if (p.log_b[j] == -kInf) result.unmatched_mass += problem.b[j];
  }
  result.objective = transport_cost + problem.rho * marginal_penalty;

  const bool has_potentials = !raw.f.empty();
  result.f = has_potentials ? std::move(raw.f) : potentials_from_marginal(r, problem.a, p.rho);
  result.g = has_potentials ? std::move(raw.g) : potentials_from_marginal(c, problem.b, p.rho);
}

}  // namespace

namespace detail {

UotPrepared prepare_uot(const UotProblem& problem, const CsrTranspose* transpose, double z) {
  const CsrMatrix& m = *problem.structure;
  UotPrepared p;
  p.structure = &m;
  p.transpose = transpose;
  p.z = z;
  p.rho = problem.rho;
  p.parallel = m.nnz() >= kParallelMinEntries;
  p.a.assign(problem.a.begin(), problem.a.end());
  p.b.assign(problem.b.begin(), problem.b.end());
  for (double& v : p.a) v /= z;
  for (double& v : p.b) v /= z;

  std::vector<char> row_live(p.a.size(), 0);
  std::vector<char> col_live(p.b.size(), 0);
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      const std::int32_t j = m.col_indices[e];
      if (p.a[i] > 0 && p.b[j] > 0 && m.costs[e] < kInf) row_live[i] = col_live[j] = 1;
    }
  }
  p.log_a.assign(p.a.size(), -kInf);
  p.log_b.assign(p.b.size(), -kInf);
  for (std::size_t i = 0; i < p.a.size(); ++i)
    if (row_live[i]) p.log_a[i] = std::log(p.a[i]);
  for (std::size_t j = 0; j < p.b.size(); ++j)
    if (col_live[j]) p.log_b[j] = std::log(p.b[j]);
  if (transpose != nullptr) {
    p.transposed_costs.resize(transpose->entries.size());
    for (std::size_t k = 0; k < transpose->entries.size(); ++k)
      p.transposed_costs[k] = m.costs[static_cast<std::size_t>(transpose->entries[k])];
  }
  return p;
}

}  // namespace detail

const char* uot_status_name(UotStatus status) {
  switch (status) {
    case UotStatus::converged:
      return "converged";
    case UotStatus::iteration_limit:
      return "iteration_limit";
    case UotStatus::non_finite_input:
      return "non_finite_input";
  }
  return "unknown";
}

UotResult solve_uot(const Exec& exec, const UotProblem& problem, const UotOptions& options) {
#ifndef MUSTFM_WITH_CUDA
  MUSTFM_EXPECTS(exec.backend == Backend::cpu,
                 "UOT: the CUDA backend was requested, but this build has no CUDA");
#endif
  check_arguments(problem, options);
  const CsrMatrix& m = *problem.structure;

  UotResult result;
  result.plan.assign(static_cast<std::size_t>(m.nnz()), 0.0);
  double z = 0.0;
  for (double v : problem.a) z += v;
  for (double v : problem.b) z += v;
  z *= 0.5;
  if (has_non_finite_input(problem) || !std::isfinite(z)) {
    result.status = UotStatus::non_finite_input;
    result.objective = result.residual = kNaN;
    result.f.assign(problem.a.size, kNaN);
    result.g.assign(problem.b.size, kNaN);
    return result;
  }
  // Masses all zero: nothing can move and the objective is 0.
  if (z == 0) {
    result.f.assign(problem.a.size, kInf);
    result.g.assign(problem.b.size, kInf);
    return result;
  }

  const bool mm = options.solver == UotSolver::mm;
#ifdef MUSTFM_WITH_CUDA
  if (exec.backend == Backend::cuda) {
    // The device builds its own transpose; the host one is neither needed nor built.
    const detail::UotPrepared prepared = detail::prepare_uot(problem, nullptr, z);
    detail::UotRaw raw = mm ? detail::mm_cuda(exec, prepared, options)
                            : detail::sinkhorn_cuda(exec, prepared, options);
    summarize(problem, prepared, std::move(raw), result);
    return result;
  }
#endif

  CsrTranspose built;
  if (!m.has_transpose()) built = transpose_of(m);
  const CsrTranspose& transpose = m.has_transpose() ? m.transpose : built;
  const detail::UotPrepared prepared = detail::prepare_uot(problem, &transpose, z);
  detail::UotRaw raw =
      mm ? detail::mm_cpu(prepared, options) : detail::sinkhorn_cpu(prepared, options);
  summarize(problem, prepared, std::move(raw), result);
  return result;
}

}  // namespace mustfm
