// Internals shared by the solvers of kernels/uot_solver.h: the validated problem on normalized
// masses, the raw output of a solver before it is scaled back and summarized, and the CPU
// solvers with the host-side pieces the CUDA backend shares with them. Names as in
// kernels/uot_solver.h; Z = (sum a + sum b) / 2, tau = rho / (rho + eps).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/uot_solver.h"

namespace mustfm::detail {

// Passes over fewer entries than this run on one thread: for small problems (the coarse levels)
// starting an OpenMP team costs more than the pass itself.
constexpr std::int64_t kParallelMinEntries = 1 << 15;

struct UotPrepared {
  const CsrMatrix* structure = nullptr;
  // Null for the CUDA backend, which builds its transpose on the device.
  const CsrTranspose* transpose = nullptr;
  // The costs in the transpose's order (costs[transpose->entries[k]]), so a column pass reads
  // them contiguously; empty for the CUDA backend.
  std::vector<double> transposed_costs;
  // a / Z and b / Z.
  std::vector<double> a;
  std::vector<double> b;
  // log(a / Z) and log(b / Z), and -inf for rows and columns that cannot carry mass (zero mass,
  // or no admissible entry whose partner has positive mass).
  std::vector<double> log_a;
  std::vector<double> log_b;
  double z = 1.0;
  double rho = 1.0;
  // Whether passes run on an OpenMP team (see kParallelMinEntries).
  bool parallel = false;
};

struct UotRaw {
  UotStatus status = UotStatus::converged;
  int iterations = 0;
  double residual = 0.0;
  double eps = 0.0;
  // The plan of the normalized problem (gamma / Z), CSR order.
  std::vector<double> plan;
  // Potentials; left empty by solvers that derive them from the plan.
  std::vector<double> f;
  std::vector<double> g;
};

// Normalized masses and their logs for a checked problem with Z > 0 (kernels/uot_solver.cpp).
UotPrepared prepare_uot(const UotProblem& problem, const CsrTranspose* transpose, double z);

// eps_start, eps_start * decay, ... while above eps, then eps itself.
std::vector<double> sinkhorn_eps_schedule(const UotOptions& options);

// Potentials of rows (columns) that can carry mass start from the warm start (or 0 where it is
// absent or not finite); the others are +inf.
std::vector<double> sinkhorn_initial_potential(const std::vector<double>& log_mass,
                                               View<const double> warm);

// Per-pass working memory of the CPU passes, kept across iterations to avoid reallocating.
struct UotPassScratch {
  std::vector<double> partner;
};

// g_j <- -tau eps LSE_i((f_i - C_ij) / eps + log a_i) for every column that can carry mass.
// g holds the previous potentials on entry: they guide the fast sums (kernels/exp_sum_cpu.h).
void sinkhorn_column_pass(const UotPrepared& p,
                          const std::vector<double>& f,
                          double eps,
                          double tau,
                          std::vector<double>& g,
                          UotPassScratch& scratch);

// f_new_i <- -tau eps LSE_j((g_j - C_ij) / eps + log b_j). Returns max_i |f_new_i - f_i| /
// (tau eps), which equals max_i |log(r_i / a_i) + f_i / rho| for the potentials (f, g).
double sinkhorn_row_pass(const UotPrepared& p,
                         const std::vector<double>& f,
                         const std::vector<double>& g,
                         double eps,
                         double tau,
                         std::vector<double>& f_new,
                         UotPassScratch& scratch);

// The translation step (kernels/uot_entry.h): f += lambda, g -= lambda on lines that carry mass
// (log mass above -inf).
void sinkhorn_translate(const std::vector<double>& log_a,
                        const std::vector<double>& log_b,
                        double rho,
                        std::vector<double>& f,
                        std::vector<double>& g);

// potential <- previous + omega (potential - previous) on the lines that carry mass (the
// over-relaxation of kernels/uot_entry.h).
void sinkhorn_relax_lines(const std::vector<double>& previous,
                          const std::vector<double>& log_mass,
                          double omega,
                          std::vector<double>& potential);

UotRaw sinkhorn_cpu(const UotPrepared& problem, const UotOptions& options);
UotRaw mm_cpu(const UotPrepared& problem, const UotOptions& options);

}  // namespace mustfm::detail
