// The masked unbalanced optimal entropy-transport problem (DESIGN.md section 5). Names: a (row
// masses, sources), b (column masses, targets), C (costs), S (admissible pairs = the stored CSR
// entries with finite cost), gamma (the plan on S), rho (marginal penalty), eps (entropic
// regularization), f and g (row and column potentials). The problem is
//
//   min_{gamma >= 0 on S}  sum gamma C + rho KL(gamma 1 | a) + rho KL(gamma^T 1 | b),
//   KL(p | q) = sum p log(p / q) - p + q   (generalized Kullback-Leibler).
//
// Two solvers of it:
//  * sinkhorn: adds eps KL(gamma | a (x) b) and solves the entropic problem in the log domain with
//    eps-scaling; gamma_ij = exp((f_i + g_j - C_ij) / eps) a_i b_j.
//  * mm: the reference implementation's majorization-minimization update, without entropy.
//
// Both solve on masses divided by Z = (sum a + sum b) / 2 and scale the plan back by Z. The
// unregularized problem is 1-homogeneous, so this changes nothing for mm; the entropic term is
// not, so Z is part of the definition of the sinkhorn problem: it is the entropic problem of the
// normalized masses (for two unit masses Z = 1, the textbook problem). With it, scaling a and b
// by s scales the plan by s exactly, for both solvers.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"
#include "kernels/csr.h"

namespace mustfm {

enum class UotSolver { sinkhorn, mm };

enum class UotStatus { converged, iteration_limit, non_finite_input };

const char* uot_status_name(UotStatus status);

struct UotProblem {
  View<const double> a;
  View<const double> b;
  // Rows = sources (size of a), columns = targets (size of b), costs stored. Entries whose cost
  // is +inf are inadmissible (carry no mass). The transpose is built on the fly when absent.
  const CsrMatrix* structure = nullptr;
  double rho = 1.0;
};

struct UotOptions {
  UotSolver solver = UotSolver::sinkhorn;
  // Target regularization; eps-scaling runs eps_start, eps_start * eps_decay, ... down to eps.
  // With eps_start <= eps there is a single stage at eps.
  double eps = 1e-3;
  double eps_start = 1.0;
  double eps_decay = 0.5;
  // sinkhorn converges when the residual (see UotResult) falls below `tolerance` at eps; the
  // intermediate eps stages stop at max(tolerance, stage_tolerance), since their solutions are
  // only starting points.
  double tolerance = 1e-6;
  double stage_tolerance = 1e-3;
  // Iterations over all stages together (one iteration = one column and one row pass).
  int max_iterations = 1000;
  // sinkhorn: after every iteration that does not stop, shift f up and g down by the constant
  // that maximizes the dual objective (kernels/uot_entry.h). Same solution, far fewer
  // iterations when eps << rho; off reproduces the plain iteration.
  bool translate = true;
  // sinkhorn: over-relax the iterations between checks (kernels/uot_entry.h); off reproduces
  // the plain iteration.
  bool relax = true;
  // The residual is tested every `check_every` iterations (a host synchronization on the GPU).
  int check_every = 10;
  // mm converges when the Frobenius norm of the change of the normalized plan (gamma / Z) in
  // one iteration falls below mm_tolerance.
  double mm_tolerance = 1e-9;
  // sinkhorn: called on the host at every residual check with the iterations so far, the
  // current eps and the residual, so a caller can show progress on long solves. May be empty.
  std::function<void(int iterations, double eps, double residual)> on_check;
  // Optional sinkhorn warm start (sizes of a and b, or empty for zeros); entries of rows or
  // columns that cannot carry mass are ignored.
  View<const double> f_init;
  View<const double> g_init;
};

struct UotResult {
  UotStatus status = UotStatus::converged;
  int iterations = 0;
  // sinkhorn: max over rows of |log(r_i / a_i) + f_i / rho| (r = gamma 1) for the returned
  // potentials, whose columns satisfy their optimality conditions exactly: the largest relative
  // violation of the entropic optimality conditions, log scale. mm: the last Frobenius change.
  double residual = 0.0;
  // sinkhorn: the eps of the returned plan, options.eps unless the iteration limit stopped an
  // earlier eps stage. mm: 0.
  double eps = 0.0;
  // sum gamma C + rho KL(gamma 1 | a) + rho KL(gamma^T 1 | b), without any entropy term.
  double objective = 0.0;
  double transported_mass = 0.0;
  // Mass of rows and columns (both sides summed) that cannot carry mass: no admissible entry
  // whose partner has positive mass.
  double unmatched_mass = 0.0;
  // gamma, one value per CSR entry in CSR order.
  std::vector<double> plan;
  // Potentials, on the scale of the costs and unchanged by Z. At the optimum
  // f_i = -rho log(r_i / a_i) and g_j = -rho log(c_j / b_j); mm reports exactly these from its
  // plan. +inf for rows and columns that carry no mass.
  std::vector<double> f;
  std::vector<double> g;
};

// Throws InputError for inconsistent shapes, negative masses, non-positive rho / eps / decay,
// or the CUDA backend in a build without it. Non-finite masses or costs (NaN, -inf) give
// status non_finite_input and an all-zero plan; non-convergence gives iteration_limit.
// The problem lives in host memory on both backends, and so does the result. On CUDA the
// problem is uploaded, solved on exec.stream and copied back before the call returns; checks,
// eps schedule, stopping rule and summary are the CPU's, so both backends return the same
// iterations and agree to rounding.
UotResult solve_uot(const Exec& exec, const UotProblem& problem, const UotOptions& options);

}  // namespace mustfm
