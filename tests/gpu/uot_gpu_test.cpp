// The CUDA unbalanced transport solvers (kernels/uot_solver.h) against the CPU backend on
// random masked problems: WFR costs at several shapes (warp- and block-per-segment paths), rows
// and columns without admissible entries or without mass, stored +inf costs, a single entry,
// masses 1e-6 next to 1e6, an all-masked structure, a warm start and an iteration limit. Names
// as in kernels/uot_solver.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu/uot_test_problems.h"
#include "engine/context.h"
#include "kernels/csr.h"
#include "kernels/uot_solver.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::random_problem;
using testing::TestProblem;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Both backends evaluate the same per-entry formulas in double and differ only in the order of
// each row's or column's log-sum-exp or sum (sequential vs. a fixed tree over a warp or block)
// and in exp / log, which CUDA rounds within 2 ulp. The iterations contract (Sinkhorn by tau^2
// per iteration), so such differences do not grow: reversing the column order on the CPU, which
// reorders every row's accumulation, moves these cases' potentials by < 3e-15 and their plans by
// < 5e-13 relative. The tolerances below leave three orders of magnitude above that, and room
// for the iteration count to differ by one check period at the final tolerance (a shift of at
// most check_every tau eps tolerance ~ 1e-11 in the potentials).
constexpr double kPotentialTolerance = 1e-9;
// gamma = exp((f + g - C) / eps) a b, so its relative error is |df + dg| / eps: 2e-9 / 0.05.
constexpr double kSinkhornPlanRelative = 1e-7;
// MM's plan carries the accumulated ulp-level differences directly, and its potentials
// -rho log(r / a) inherit them relative to r.
constexpr double kMmPlanRelative = 1e-9;
// Entries near the smallest normal number may flush to 0 on one backend only; they carry nothing.
constexpr double kPlanAbsolute = 1e-300;
constexpr double kEps = 0.05;

struct Case {
  TestProblem problem;
  UotOptions sinkhorn;
  UotOptions mm;
  // Sinkhorn warm start, when not empty (the options' views are set from these just before a
  // solve, so a Case may move freely).
  std::vector<double> f_warm;
  std::vector<double> g_warm;

  UotOptions options(UotSolver solver) const {
    if (solver == UotSolver::mm) return mm;
    UotOptions o = sinkhorn;
    if (!f_warm.empty()) o.f_init = {f_warm.data(), f_warm.size()};
    if (!g_warm.empty()) o.g_init = {g_warm.data(), g_warm.size()};
    return o;
  }
};

UotOptions sinkhorn_options() {
  UotOptions options;
  options.eps = kEps;
  options.eps_start = 1.0;
  options.tolerance = 1e-10;
  options.max_iterations = 20000;
  options.check_every = 10;
  return options;
}

UotOptions mm_options() {
  UotOptions options;
  options.solver = UotSolver::mm;
  // Loose enough that most cases converge, at iterations that are no multiple of check_every,
  // so the device-side stopping rule must stop exactly where the CPU's does.
  options.mm_tolerance = 1e-5;
  options.max_iterations = 2000;
  options.check_every = 10;
  return options;
}

Case make_case(TestProblem problem) {
  return {std::move(problem), sinkhorn_options(), mm_options(), {}, {}};
}

// Costs uniform in [0, 2) with a tenth of the stored entries at +inf (inadmissible but stored);
// rows i % 7 == 3 and columns j % 5 == 2 hold no entries; rows i % 11 == 5 and columns
// j % 9 == 4 have zero mass; other masses uniform in [0.5, 1.5).
TestProblem masked_problem(int rows, int cols, std::uint32_t seed, double density) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  TestProblem p;
  p.name = "masked " + std::to_string(rows) + "x" + std::to_string(cols) + " seed " +
           std::to_string(seed) + " density " + std::to_string(density);
  CsrMatrix& m = p.structure;
  m.rows = rows;
  m.cols = cols;
  m.row_offsets.push_back(0);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      if (i % 7 == 3 || j % 5 == 2 || uniform(rng) >= density) continue;
      m.col_indices.push_back(j);
      m.costs.push_back(uniform(rng) < 0.1 ? kInf : 2.0 * uniform(rng));
    }
    m.row_offsets.push_back(m.nnz());
  }
  build_transpose(m);
  for (int i = 0; i < rows; ++i) p.a.push_back(i % 11 == 5 ? 0.0 : 0.5 + uniform(rng));
  for (int j = 0; j < cols; ++j) p.b.push_back(j % 9 == 4 ? 0.0 : 0.5 + uniform(rng));
  return p;
}

std::vector<Case> parity_cases() {
  std::vector<Case> cases;
  cases.push_back(make_case(random_problem(40, 50, 1, 0.6)));
  cases.push_back(make_case(random_problem(200, 150, 2, 0.3, 2.0, 0.7)));
  // Rows of ~1,400 entries take the block-per-row path; columns stay on warps, and vice versa.
  cases.push_back(make_case(random_problem(16, 1500, 3, 0.95)));
  cases.push_back(make_case(random_problem(1500, 16, 4, 0.95)));
  cases.push_back(make_case(masked_problem(60, 45, 5, 0.5)));

  TestProblem single = masked_problem(1, 1, 6, 1.0);
  single.structure.costs = {0.7};
  single.name = "single entry";
  cases.push_back(make_case(std::move(single)));

  TestProblem extreme = random_problem(30, 25, 7, 0.7);
  extreme.a[0] = 1e-6;
  extreme.a[1] = 1e6;
  extreme.b[2] = 1e-6;
  extreme.b[3] = 1e6;
  extreme.name += ", masses 1e-6 and 1e6";
  cases.push_back(make_case(std::move(extreme)));

  TestProblem all_masked = masked_problem(5, 6, 8, 0.0);
  all_masked.name = "all masked 5x6";
  cases.push_back(make_case(std::move(all_masked)));

  // A warm start (with a non-finite entry, which counts as absent) and a single eps stage.
  Case warm = make_case(random_problem(35, 30, 9, 0.8));
  for (int i = 0; i < 35; ++i) warm.f_warm.push_back(0.01 * (i % 5));
  for (int j = 0; j < 30; ++j) warm.g_warm.push_back(-0.02 * (j % 3));
  warm.g_warm[4] = kInf;
  warm.sinkhorn.eps_start = kEps;
  warm.problem.name += ", warm start";
  cases.push_back(std::move(warm));

  // The iteration limit falls between two checks.
  Case limited = make_case(random_problem(25, 20, 10, 0.9));
  limited.sinkhorn.max_iterations = 27;
  limited.mm.max_iterations = 27;
  limited.problem.name += ", 27 iterations at most";
  cases.push_back(std::move(limited));
  return cases;
}

std::string describe(const Case& c, const UotOptions& options) {
  return c.problem.name + ", " + (options.solver == UotSolver::mm ? "mm" : "sinkhorn") + ", eps " +
         std::to_string(options.eps) + ", rho " + std::to_string(c.problem.rho);
}

void expect_potentials_match(const std::vector<double>& gpu,
                             const std::vector<double>& cpu,
                             const char* what,
                             const std::string& case_text) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what << " (" << case_text << ")";
  for (std::size_t k = 0; k < cpu.size(); ++k) {
    if (std::isinf(cpu[k]) || std::isinf(gpu[k])) {
      EXPECT_EQ(gpu[k], cpu[k]) << what << " index " << k << ": cuda " << gpu[k] << ", cpu "
                                << cpu[k] << " (" << case_text << ")";
      continue;
    }
    EXPECT_LE(std::fabs(gpu[k] - cpu[k]), kPotentialTolerance * std::max(1.0, std::fabs(cpu[k])))
        << what << " index " << k << ": cuda " << gpu[k] << ", cpu " << cpu[k] << " (" << case_text
        << ")";
  }
}

void expect_results_match(const UotResult& gpu,
                          const UotResult& cpu,
                          const UotOptions& options,
                          const std::string& case_text) {
  const double relative = options.solver == UotSolver::mm ? kMmPlanRelative : kSinkhornPlanRelative;
  EXPECT_EQ(uot_status_name(gpu.status), std::string(uot_status_name(cpu.status))) << case_text;
  EXPECT_LE(std::abs(gpu.iterations - cpu.iterations), options.check_every)
      << "iterations: cuda " << gpu.iterations << ", cpu " << cpu.iterations << " (" << case_text
      << ")";
  if (gpu.iterations == cpu.iterations) EXPECT_EQ(gpu.eps, cpu.eps) << case_text;
  EXPECT_FALSE(std::isnan(gpu.residual)) << case_text;

  ASSERT_EQ(gpu.plan.size(), cpu.plan.size()) << case_text;
  int reported = 0;
  for (std::size_t e = 0; e < cpu.plan.size() && reported < 10; ++e) {
    const double bound = relative * std::fabs(cpu.plan[e]) + kPlanAbsolute;
    if (!(std::fabs(gpu.plan[e] - cpu.plan[e]) <= bound)) {
      ADD_FAILURE() << "plan entry " << e << ": cuda " << gpu.plan[e] << ", cpu " << cpu.plan[e]
                    << " (" << case_text << ")";
      ++reported;
    }
  }
  expect_potentials_match(gpu.f, cpu.f, "f", case_text);
  expect_potentials_match(gpu.g, cpu.g, "g", case_text);

  // Sums of plan entries (with non-negative weights for the transport cost) inherit the plan's
  // relative tolerance; the unmatched mass comes from the same host code on the same masks.
  const auto close = [&](double x, double y) {
    return std::fabs(x - y) <= relative * std::fabs(y) + kPlanAbsolute;
  };
  EXPECT_TRUE(close(gpu.objective, cpu.objective))
      << "objective: cuda " << gpu.objective << ", cpu " << cpu.objective << " (" << case_text
      << ")";
  EXPECT_TRUE(close(gpu.transported_mass, cpu.transported_mass))
      << "transported mass: cuda " << gpu.transported_mass << ", cpu " << cpu.transported_mass
      << " (" << case_text << ")";
  EXPECT_EQ(gpu.unmatched_mass, cpu.unmatched_mass) << case_text;
}

void run_parity(UotSolver solver) {
  Context gpu = testing::make_quiet_context("cuda");
  for (const Case& c : parity_cases()) {
    const UotOptions options = c.options(solver);
    const std::string case_text = describe(c, options);
    SCOPED_TRACE(case_text);
    const UotResult on_cpu = solve_uot(Exec{}, c.problem.view(), options);
    const UotResult on_gpu = solve_uot(gpu.exec(), c.problem.view(), options);
    expect_results_match(on_gpu, on_cpu, options, case_text);
  }
}

TEST(UotGpu, SinkhornMatchesCpu) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  run_parity(UotSolver::sinkhorn);
}

TEST(UotGpu, MmMatchesCpu) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  run_parity(UotSolver::mm);
}

// The short case for compute-sanitizer: both solvers on one small masked problem with empty
// rows and columns, through every kernel (warp paths only).
TEST(UotGpu, ShortMaskedCase) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  Case c = make_case(masked_problem(12, 9, 11, 0.6));
  c.sinkhorn.max_iterations = 200;
  c.mm.max_iterations = 50;
  for (const UotSolver solver : {UotSolver::sinkhorn, UotSolver::mm}) {
    const UotOptions options = c.options(solver);
    const std::string case_text = describe(c, options);
    const UotResult on_cpu = solve_uot(Exec{}, c.problem.view(), options);
    const UotResult on_gpu = solve_uot(gpu.exec(), c.problem.view(), options);
    expect_results_match(on_gpu, on_cpu, options, case_text);
  }
}

// Repeated solves on the device give identical bits: every reduction has a fixed order.
TEST(UotGpu, RepeatedSolvesAreBitwiseIdentical) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const TestProblem p = random_problem(16, 1500, 12, 0.95);
  for (const UotOptions& options : {sinkhorn_options(), mm_options()}) {
    const UotResult first = solve_uot(gpu.exec(), p.view(), options);
    const UotResult second = solve_uot(gpu.exec(), p.view(), options);
    EXPECT_EQ(first.iterations, second.iterations) << p.name;
    EXPECT_EQ(first.plan, second.plan) << p.name;
    EXPECT_EQ(first.f, second.f) << p.name;
    EXPECT_EQ(first.g, second.g) << p.name;
  }
}

}  // namespace
}  // namespace mustfm
