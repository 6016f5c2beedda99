// Masks, degenerate shapes, extreme masses and bad input for the CPU unbalanced transport solvers
// (kernels/uot_solver.h). Names: a, b masses, gamma plan, r and c its row and column sums, f and
// g potentials, rho, eps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/common/error.h"
#include "kernels/uot_solver.h"
#include "uot_test_problems.h"

namespace mustfm {
namespace {

using testing::plan_marginals;
using testing::random_problem;
using testing::TestProblem;

constexpr double kInf = std::numeric_limits<double>::infinity();
// Sums of a few dozen doubles: rounding stays far below this relative size.
constexpr double kSumRelative = 1e-13;

UotOptions options_for(bool mm) {
  UotOptions options;
  options.eps = 0.01;
  options.tolerance = 1e-9;
  options.max_iterations = 100000;
  if (mm) {
    options.solver = UotSolver::mm;
    options.mm_tolerance = 1e-13;
  }
  return options;
}

const char* solver_name(bool mm) {
  return mm ? "mm" : "sinkhorn";
}

void expect_all_finite(const UotResult& result, const std::string& what) {
  for (std::size_t e = 0; e < result.plan.size(); ++e) {
    EXPECT_TRUE(std::isfinite(result.plan[e]) && result.plan[e] >= 0)
        << what << " entry " << e << ": " << result.plan[e];
  }
  EXPECT_TRUE(std::isfinite(result.objective)) << what;
  for (std::size_t i = 0; i < result.f.size(); ++i)
    EXPECT_FALSE(std::isnan(result.f[i])) << what << " f " << i;
  for (std::size_t j = 0; j < result.g.size(); ++j)
    EXPECT_FALSE(std::isnan(result.g[j])) << what << " g " << j;
}

// A structure from an explicit dense cost table; +inf costs are kept as stored entries when
// `keep_infinite`, to check that the solvers treat them as inadmissible.
CsrMatrix dense_structure(int rows, int cols, const std::vector<double>& cost, bool keep_infinite) {
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.row_offsets.push_back(0);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      if (std::isinf(cost[i * cols + j]) && !keep_infinite) continue;
      m.col_indices.push_back(j);
      m.costs.push_back(cost[i * cols + j]);
    }
    m.row_offsets.push_back(m.nnz());
  }
  return m;  // no transpose: the solver builds one
}

TEST(UotMasks, FullyMaskedRowAndColumnCarryNothing) {
  TestProblem p = random_problem(12, 10, 3, 1.0, 1.0, 1.2);
  // Rebuild with row 4 and column 7 masked out entirely.
  std::vector<double> cost(12 * 10, kInf);
  for (int i = 0; i < 12; ++i)
    for (std::int64_t e = p.structure.row_offsets[i]; e < p.structure.row_offsets[i + 1]; ++e)
      if (i != 4 && p.structure.col_indices[e] != 7)
        cost[i * 10 + p.structure.col_indices[e]] = p.structure.costs[e];
  p.structure = dense_structure(12, 10, cost, false);

  for (const bool mm : {false, true}) {
    const UotResult result = solve_uot(Exec{}, p.view(), options_for(mm));
    EXPECT_EQ(result.status, UotStatus::converged) << solver_name(mm);
    expect_all_finite(result, solver_name(mm));
    std::vector<double> r, c;
    plan_marginals(p.structure, result.plan, r, c);
    EXPECT_EQ(r[4], 0.0) << solver_name(mm);
    EXPECT_EQ(c[7], 0.0) << solver_name(mm);
    EXPECT_EQ(result.f[4], kInf) << solver_name(mm);
    EXPECT_EQ(result.g[7], kInf) << solver_name(mm);
    EXPECT_NEAR(result.unmatched_mass, p.a[4] + p.b[7], kSumRelative) << solver_name(mm);
    EXPECT_NEAR(result.transported_mass, std::accumulate(r.begin(), r.end(), 0.0), kSumRelative);
  }
}

TEST(UotMasks, EveryPairMaskedCostsRhoTimesAllMass) {
  const std::vector<double> a = {0.5, 2.0, 1e-3};
  const std::vector<double> b = {4.0, 0.25};
  const CsrMatrix structure = dense_structure(3, 2, std::vector<double>(6, kInf), false);
  ASSERT_EQ(structure.nnz(), 0);
  const double rho = 1.7;
  const double total = 0.5 + 2.0 + 1e-3 + 4.0 + 0.25;
  for (const bool mm : {false, true}) {
    const UotResult result = solve_uot(
        Exec{}, {{a.data(), a.size()}, {b.data(), b.size()}, &structure, rho}, options_for(mm));
    EXPECT_EQ(result.status, UotStatus::converged) << solver_name(mm);
    EXPECT_NEAR(result.objective, rho * total, kSumRelative * rho * total) << solver_name(mm);
    EXPECT_EQ(result.transported_mass, 0.0) << solver_name(mm);
    EXPECT_NEAR(result.unmatched_mass, total, kSumRelative * total) << solver_name(mm);
    for (double v : result.f) EXPECT_EQ(v, kInf) << solver_name(mm);
    for (double v : result.g) EXPECT_EQ(v, kInf) << solver_name(mm);
  }
}

// Stored entries with cost +inf, zero masses, and a row whose only partners have zero mass: none
// of them may carry mass or produce NaN, and the rest of the problem is solved as without them.
TEST(UotMasks, InfiniteCostsAndZeroMassesAreInadmissible) {
  const int rows = 4, cols = 3;
  // Row 0 reaches only column 2 (zero mass); row 3 has zero mass; entry (1,1) has cost +inf.
  const std::vector<double> cost = {kInf, kInf, 0.3,   //
                                    0.1,  kInf, 0.8,   //
                                    0.5,  0.2,  kInf,  //
                                    0.4,  0.9,  0.6};
  const std::vector<double> a = {1.0, 0.7, 1.2, 0.0};
  const std::vector<double> b = {0.9, 1.1, 0.0};
  const CsrMatrix with_inf = dense_structure(rows, cols, cost, true);
  const CsrMatrix without_inf = dense_structure(rows, cols, cost, false);
  for (const bool mm : {false, true}) {
    const UotResult r1 =
        solve_uot(Exec{}, {{a.data(), a.size()}, {b.data(), b.size()}, &with_inf}, options_for(mm));
    const UotResult r2 = solve_uot(
        Exec{}, {{a.data(), a.size()}, {b.data(), b.size()}, &without_inf}, options_for(mm));
    expect_all_finite(r1, solver_name(mm));
    std::vector<double> r, c;
    plan_marginals(with_inf, r1.plan, r, c);
    EXPECT_EQ(r[0], 0.0) << solver_name(mm);
    EXPECT_EQ(r[3], 0.0) << solver_name(mm);
    EXPECT_EQ(c[2], 0.0) << solver_name(mm);
    for (std::int64_t e = 0; e < with_inf.nnz(); ++e)
      if (std::isinf(with_inf.costs[e])) EXPECT_EQ(r1.plan[e], 0.0) << "entry " << e;
    // Row 0 (mass 1.0, no partner with mass) is unmatched; zero masses add nothing.
    EXPECT_NEAR(r1.unmatched_mass, 1.0, kSumRelative) << solver_name(mm);
    EXPECT_NEAR(r1.objective, r2.objective, 1e-12 * r2.objective) << solver_name(mm);
  }
}

// Masses 1e-6 next to 1e6 in one problem: all finite, converged, and the tiny row's optimality
// condition r_i = a_i exp(-f_i / rho) holds like every other row's (the residual is relative).
TEST(UotMasks, TinyMassesNextToHugeOnes) {
  TestProblem p = random_problem(15, 12, 21, 0.9);
  p.a[0] = 1e-6;
  p.a[1] = 1e6;
  p.b[3] = 1e-6;
  p.b[4] = 1e6;
  for (const bool mm : {false, true}) {
    const UotResult result = solve_uot(Exec{}, p.view(), options_for(mm));
    EXPECT_EQ(result.status, UotStatus::converged) << solver_name(mm);
    expect_all_finite(result, solver_name(mm));
    std::vector<double> r, c;
    plan_marginals(p.structure, result.plan, r, c);
    ASSERT_GT(r[0], 0.0) << solver_name(mm);
    ASSERT_GT(c[3], 0.0) << solver_name(mm);
    if (!mm) {
      for (const int i : {0, 1})
        EXPECT_LE(std::fabs(std::log(r[i] / p.a[i]) + result.f[i] / p.rho), 1e-9)
            << "row " << i << " r " << r[i] << " a " << p.a[i];
      for (const int j : {3, 4})
        EXPECT_NEAR(std::log(c[j] / p.b[j]), -result.g[j] / p.rho, 1e-9) << "column " << j;
    }
  }
}

TEST(UotMasks, SingleCellOnEitherSide) {
  for (const bool single_row : {true, false}) {
    const TestProblem p =
        single_row ? random_problem(1, 9, 31, 1.0, 0.8, 1.1) : random_problem(9, 1, 32, 1.0);
    ASSERT_GT(p.structure.nnz(), 0);
    const UotResult mm = solve_uot(Exec{}, p.view(), options_for(true));
    const UotResult sinkhorn = solve_uot(Exec{}, p.view(), options_for(false));
    for (const bool is_mm : {false, true}) {
      const UotResult& result = is_mm ? mm : sinkhorn;
      EXPECT_EQ(result.status, UotStatus::converged) << solver_name(is_mm) << " " << p.name;
      expect_all_finite(result, p.name);
      EXPECT_GT(result.transported_mass, 0.0) << p.name;
    }
    // The entropic bias at eps = 0.01 is bounded as in UotSolver.SinkhornAtSmallEpsMatchesMm-
    // Objective; kMmSlack covers mm's distance to the optimum at its tolerance.
    constexpr double kMmSlack = 1e-8;
    const double gap = sinkhorn.objective - mm.objective;
    EXPECT_GE(gap, -kMmSlack * mm.objective) << p.name;
    EXPECT_LE(gap, testing::entropic_bias_bound(p, mm.plan, 0.01) + kMmSlack * mm.objective)
        << p.name;
  }
}

TEST(UotMasks, NonFiniteInputIsReportedNotThrown) {
  const TestProblem base = random_problem(6, 5, 41);
  for (const bool mm : {false, true}) {
    TestProblem p = base;
    p.a[2] = std::numeric_limits<double>::quiet_NaN();
    UotResult result = solve_uot(Exec{}, p.view(), options_for(mm));
    EXPECT_EQ(result.status, UotStatus::non_finite_input) << solver_name(mm) << " NaN mass";
    for (double v : result.plan) EXPECT_EQ(v, 0.0);

    p = base;
    p.b[1] = kInf;
    result = solve_uot(Exec{}, p.view(), options_for(mm));
    EXPECT_EQ(result.status, UotStatus::non_finite_input) << solver_name(mm) << " inf mass";

    for (const double bad : {std::numeric_limits<double>::quiet_NaN(), -kInf}) {
      p = base;
      p.structure.costs[3] = bad;
      result = solve_uot(Exec{}, p.view(), options_for(mm));
      EXPECT_EQ(result.status, UotStatus::non_finite_input) << solver_name(mm) << " cost " << bad;
    }
  }
}

TEST(UotMasks, CallerMistakesThrowInputError) {
  const TestProblem base = random_problem(6, 5, 43);
  const auto expect_input_error = [](const TestProblem& p, const UotOptions& options,
                                     const std::string& what, Exec exec = Exec{}) {
    EXPECT_THROW(solve_uot(exec, p.view(), options), InputError) << what;
  };
  UotOptions options;
  TestProblem p = base;
  p.a[0] = -1.0;
  expect_input_error(p, options, "negative mass");
  p = base;
  p.rho = 0.0;
  expect_input_error(p, options, "rho = 0");
  p = base;
  p.a.pop_back();
  expect_input_error(p, options, "shape");
  p = base;
  p.structure.costs.clear();
  expect_input_error(p, options, "no costs");
  p = base;
  p.structure.col_indices[0] = 99;
  expect_input_error(p, options, "column out of range");

  UotOptions bad = options;
  bad.eps = 0.0;
  expect_input_error(base, bad, "eps = 0");
  bad = options;
  bad.eps_decay = 1.0;
  expect_input_error(base, bad, "decay = 1");
  bad = options;
  bad.max_iterations = 0;
  expect_input_error(base, bad, "no iterations");
  bad = options;
  std::vector<double> short_f(2, 0.0);
  bad.f_init = {short_f.data(), short_f.size()};
  expect_input_error(base, bad, "warm start size");

  // A build without the CUDA backend refuses it as the caller's mistake (with it, the GPU suite
  // tests the backend).
  if (cuda_compiled()) return;
  Exec cuda;
  cuda.backend = Backend::cuda;
  try {
    solve_uot(cuda, base.view(), options);
    ADD_FAILURE() << "the CUDA backend was accepted by a build without CUDA";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("this build has no CUDA"), std::string::npos)
        << error.what();
  }
}

TEST(UotMasks, AllMassesZeroGiveAnEmptyPlan) {
  TestProblem p = random_problem(4, 4, 47);
  std::fill(p.a.begin(), p.a.end(), 0.0);
  std::fill(p.b.begin(), p.b.end(), 0.0);
  for (const bool mm : {false, true}) {
    const UotResult result = solve_uot(Exec{}, p.view(), options_for(mm));
    EXPECT_EQ(result.status, UotStatus::converged);
    EXPECT_EQ(result.objective, 0.0) << solver_name(mm);
    for (double v : result.plan) EXPECT_EQ(v, 0.0) << solver_name(mm);
  }
}

}  // namespace
}  // namespace mustfm
