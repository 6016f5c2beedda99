// Internals shared by the CPU solvers of kernels/uot_solver.h: the validated problem on
// normalized masses, and the raw output of a solver before it is scaled back and summarized.
// Names as in kernels/uot_solver.h; Z = (sum a + sum b) / 2.
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
  const CsrTranspose* transpose = nullptr;
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

UotRaw sinkhorn_cpu(const UotPrepared& problem, const UotOptions& options);
UotRaw mm_cpu(const UotPrepared& problem, const UotOptions& options);

}  // namespace mustfm::detail
