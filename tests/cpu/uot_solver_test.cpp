// Behaviour of the CPU unbalanced transport solvers (kernels/uot_solver.h) on problems with known
// answers: closed forms, agreement of the two solvers, homogeneity, permutation equivariance, and
// an honest residual. Names: a, b masses (totals A, B), Z = (A + B) / 2, gamma plan, r and c its
// row and column sums, f and g potentials, rho, eps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/uot_entry.h"
#include "kernels/uot_solver.h"
#include "uot_test_problems.h"

namespace mustfm {
namespace {

using testing::plan_marginals;
using testing::random_problem;
using testing::TestProblem;

// Closed forms are evaluated in a handful of double operations, and the solvers are run to a
// residual of kTightTolerance: both leave errors near 1e-13, so 1e-10 relative is safe and still
// far below any modelling error the tests look for.
constexpr double kTightTolerance = 1e-12;
constexpr double kClosedFormRelative = 1e-10;

UotOptions sinkhorn_options(double eps, double tolerance = kTightTolerance) {
  UotOptions options;
  options.eps = eps;
  options.tolerance = tolerance;
  options.max_iterations = 200000;
  return options;
}

UotOptions mm_options(double tolerance = 1e-15, int iterations = 200000) {
  UotOptions options;
  options.solver = UotSolver::mm;
  options.mm_tolerance = tolerance;
  options.max_iterations = iterations;
  return options;
}

double sum(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
}

// All pairs at zero cost (duplicate points). The sinkhorn plan is k a b^T / Z with
// k = (A' B')^(-rho / (2 rho + eps)), A' = A / Z, B' = B / Z (stationarity of the rank-one
// family, which contains the optimum by symmetry); eps -> 0 gives mm's a b^T / sqrt(A B).
TEST(UotSolver, DuplicatePointsHaveClosedFormPlans) {
  const std::vector<double> a = {0.2, 1.1, 0.7, 0.05, 2.0};
  const std::vector<double> b = {0.3, 0.9, 1.6, 0.4};
  std::vector<double> point = {0.5, -1.0};
  std::vector<double> x, y;
  for (std::size_t i = 0; i < a.size(); ++i) x.insert(x.end(), point.begin(), point.end());
  for (std::size_t j = 0; j < b.size(); ++j) y.insert(y.end(), point.begin(), point.end());
  const CsrMatrix structure = csr_from_points({x.data(), x.size()}, {y.data(), y.size()}, 2, 1.0);
  const double rho = 1.5;
  const double eps = 0.2;
  const UotProblem problem{{a.data(), a.size()}, {b.data(), b.size()}, &structure, rho};
  const double total_a = sum(a), total_b = sum(b), z = 0.5 * (total_a + total_b);
  const double k = std::pow(total_a / z * total_b / z, -rho / (2 * rho + eps)) / z;

  for (const bool mm : {false, true}) {
    const UotResult result = solve_uot(Exec{}, problem, mm ? mm_options() : sinkhorn_options(eps));
    ASSERT_EQ(result.status, UotStatus::converged) << (mm ? "mm" : "sinkhorn");
    const double scale = mm ? 1.0 / std::sqrt(total_a * total_b) : k;
    for (int i = 0; i < structure.rows; ++i) {
      for (std::int64_t e = structure.row_offsets[i]; e < structure.row_offsets[i + 1]; ++e) {
        const double expected = scale * a[i] * b[structure.col_indices[e]];
        EXPECT_NEAR(result.plan[e], expected, kClosedFormRelative * expected)
            << (mm ? "mm" : "sinkhorn") << " entry " << e << " row " << i;
      }
    }
    // gamma = s a b^T has r = s B a and c = s A b.
    const double expected_objective = rho * (total_a * (kl_term(scale * total_b, 1.0)) +
                                             total_b * (kl_term(scale * total_a, 1.0)));
    EXPECT_NEAR(result.objective, expected_objective, kClosedFormRelative * expected_objective);
  }
  // Unregularized optimum: rho (sqrt A - sqrt B)^2.
  const UotResult mm = solve_uot(Exec{}, problem, mm_options());
  const double optimum = rho * std::pow(std::sqrt(total_a) - std::sqrt(total_b), 2);
  EXPECT_NEAR(mm.objective, optimum, kClosedFormRelative * optimum);
}

// One source and one target at cost C: mm gives sqrt(A B) e^{-C / (2 rho)}; the entropic problem
// on normalized masses gives gamma' = (A' B')^((rho + eps) / (2 rho + eps)) e^{-C / (2 rho + eps)}.
TEST(UotSolver, SinglePairHasClosedFormPlans) {
  const std::vector<double> a = {3.0};
  const std::vector<double> b = {0.5};
  const double x[2] = {0.0, 0.0}, y[2] = {0.9, 0.4};
  const CsrMatrix structure = csr_from_points({x, 2}, {y, 2}, 2, 0.8);
  ASSERT_EQ(structure.nnz(), 1);
  const double cost = structure.costs[0];
  const double rho = 0.7, eps = 0.05, z = 1.75;
  const UotProblem problem{{a.data(), 1}, {b.data(), 1}, &structure, rho};

  const UotResult mm = solve_uot(Exec{}, problem, mm_options());
  const double mm_expected = std::sqrt(a[0] * b[0]) * std::exp(-cost / (2 * rho));
  EXPECT_NEAR(mm.plan[0], mm_expected, kClosedFormRelative * mm_expected);

  const UotResult sinkhorn = solve_uot(Exec{}, problem, sinkhorn_options(eps));
  const double sinkhorn_expected = z *
                                   std::pow(a[0] / z * b[0] / z, (rho + eps) / (2 * rho + eps)) *
                                   std::exp(-cost / (2 * rho + eps));
  EXPECT_NEAR(sinkhorn.plan[0], sinkhorn_expected, kClosedFormRelative * sinkhorn_expected);
}

// Entropic bias: F(gamma_eps) - F* lies in [0, entropic_bias_bound] (uot_test_problems.h). mm's
// converged plan stands in for the optimum, and kMmSlack covers its own distance to it (its
// objective settles to ~1e-9 relative long before its plan meets the Frobenius tolerance). The
// bound is ~2e-2 of F here; the bias itself is far smaller, and we state agreement to
// kStatedRelative = 1e-3 at eps = 1e-3 (observed: below 1e-4).
TEST(UotSolver, SinkhornAtSmallEpsMatchesMmObjective) {
  constexpr double kEps = 1e-3;
  constexpr double kMmSlack = 1e-6;
  constexpr double kStatedRelative = 1e-3;
  for (const std::uint32_t seed : {1u, 2u}) {
    const TestProblem p = random_problem(30, 25, seed, 0.6, 1.0, 1.4);
    const UotResult mm = solve_uot(Exec{}, p.view(), mm_options(1e-12, 30000));
    const UotResult sinkhorn = solve_uot(Exec{}, p.view(), sinkhorn_options(kEps, 1e-6));
    ASSERT_EQ(sinkhorn.status, UotStatus::converged) << p.name;

    const double bound = testing::entropic_bias_bound(p, mm.plan, kEps);
    const double gap = sinkhorn.objective - mm.objective;
    const double slack = kMmSlack * mm.objective;
    std::printf(
        "[ %s ] mm %s after %d, objective %.10g; sinkhorn %d iterations, gap %.3g, "
        "bound %.3g\n",
        p.name.c_str(), uot_status_name(mm.status), mm.iterations, mm.objective,
        sinkhorn.iterations, gap, bound);
    EXPECT_GE(gap, -slack) << p.name;
    EXPECT_LE(gap, bound + slack) << p.name;
    EXPECT_LE(std::fabs(gap), kStatedRelative * mm.objective) << p.name;
  }
}

// The problem is solved on a / Z, b / Z, so scaling the masses by s scales the plan by s and
// leaves the potentials alone; only the rounding of a / Z differs between the runs. mm drives
// entries off the optimal support towards 0 (down to subnormals), where relative comparisons mean
// nothing: entries are compared to kRelative of themselves plus kFloor of the total mass.
TEST(UotSolver, ScalingMassesScalesThePlan) {
  constexpr double kRelative = 1e-9;
  constexpr double kFloor = 1e-14;
  const TestProblem base = random_problem(25, 20, 7, 0.7, 1.0, 0.6);
  for (const bool mm : {false, true}) {
    const UotOptions options = mm ? mm_options(1e-14) : sinkhorn_options(0.05);
    const UotResult reference = solve_uot(Exec{}, base.view(), options);
    for (const double s : {1e-4, 3.0, 1e5}) {
      TestProblem scaled = base;
      for (double& v : scaled.a) v *= s;
      for (double& v : scaled.b) v *= s;
      const UotResult result = solve_uot(Exec{}, scaled.view(), options);
      const char* solver = mm ? "mm" : "sinkhorn";
      for (std::size_t e = 0; e < result.plan.size(); ++e) {
        EXPECT_NEAR(result.plan[e], s * reference.plan[e],
                    kRelative * s * reference.plan[e] + kFloor * s * base.total_mass())
            << solver << " scale " << s << " entry " << e;
      }
      EXPECT_NEAR(result.objective, s * reference.objective, kRelative * s * reference.objective)
          << solver << " scale " << s;
      for (std::size_t i = 0; i < result.f.size(); ++i)
        EXPECT_NEAR(result.f[i], reference.f[i], 1e-9) << solver << " scale " << s << " f " << i;
    }
  }
}

// Relabelling sources and targets relabels the plan. The problem has over 2^15 entries, so the
// passes run on an OpenMP team (kParallelMinEntries). Sums are taken in another order after the
// shuffle, so the two solves agree to rounding (mm, a fixed 200 iterations on both) or to their
// convergence tolerance (sinkhorn), not bitwise.
TEST(UotSolver, ShufflingRowsAndColumnsPermutesThePlan) {
  constexpr double kRelative = 1e-8;
  const int rows = 200, cols = 180;
  const double delta = 1.5;
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(2 * rows), y(2 * cols), a(rows), b(cols);
  for (double& v : x) v = normal(rng);
  for (double& v : y) v = normal(rng);
  for (double& v : a) v = std::exp(normal(rng));
  for (double& v : b) v = std::exp(normal(rng));
  std::vector<int> row_perm(rows), col_perm(cols);
  std::iota(row_perm.begin(), row_perm.end(), 0);
  std::iota(col_perm.begin(), col_perm.end(), 0);
  std::shuffle(row_perm.begin(), row_perm.end(), rng);
  std::shuffle(col_perm.begin(), col_perm.end(), rng);

  // Shuffled row k is original row row_perm[k].
  std::vector<double> xs(2 * rows), ys(2 * cols), as(rows), bs(cols);
  for (int k = 0; k < rows; ++k) {
    std::copy_n(&x[2 * row_perm[k]], 2, &xs[2 * k]);
    as[k] = a[row_perm[k]];
  }
  for (int k = 0; k < cols; ++k) {
    std::copy_n(&y[2 * col_perm[k]], 2, &ys[2 * k]);
    bs[k] = b[col_perm[k]];
  }
  const CsrMatrix original = csr_from_points({x.data(), x.size()}, {y.data(), y.size()}, 2, delta);
  const CsrMatrix shuffled =
      csr_from_points({xs.data(), xs.size()}, {ys.data(), ys.size()}, 2, delta);
  ASSERT_GE(original.nnz(), 1 << 15);

  for (const bool mm : {false, true}) {
    const UotOptions options = mm ? mm_options(0.0, 200) : sinkhorn_options(0.05, 1e-11);
    const UotResult r0 =
        solve_uot(Exec{}, {{a.data(), a.size()}, {b.data(), b.size()}, &original}, options);
    const UotResult r1 =
        solve_uot(Exec{}, {{as.data(), as.size()}, {bs.data(), bs.size()}, &shuffled}, options);
    // Dense lookup of the original plan.
    std::vector<double> dense(static_cast<std::size_t>(rows) * cols, 0.0);
    for (int i = 0; i < rows; ++i)
      for (std::int64_t e = original.row_offsets[i]; e < original.row_offsets[i + 1]; ++e)
        dense[i * cols + original.col_indices[e]] = r0.plan[e];
    double worst = 0;
    for (int k = 0; k < rows; ++k) {
      for (std::int64_t e = shuffled.row_offsets[k]; e < shuffled.row_offsets[k + 1]; ++e) {
        const double expected = dense[row_perm[k] * cols + col_perm[shuffled.col_indices[e]]];
        worst = std::max(worst, std::fabs(r1.plan[e] - expected) / expected);
        ASSERT_NEAR(r1.plan[e], expected, kRelative * expected)
            << (mm ? "mm" : "sinkhorn") << " shuffled entry (" << k << ","
            << shuffled.col_indices[e] << ")";
      }
    }
    EXPECT_NEAR(r1.objective, r0.objective, kRelative * r0.objective);
    std::printf("[ %s ] %d iterations, worst relative difference %.3g\n", mm ? "mm" : "sinkhorn",
                r0.iterations, worst);
  }
}

// The reported residual is the largest |log(r_i / a_i) + f_i / rho| of the returned plan and
// potentials, and the column conditions hold to rounding; checked here from the plan itself.
TEST(UotSolver, ResidualDescribesTheReturnedPlan) {
  constexpr double kRounding = 1e-12;
  const TestProblem p = random_problem(30, 35, 11, 0.5, 2.0, 0.7);
  for (const double tolerance : {1e-3, 1e-8}) {
    UotOptions options = sinkhorn_options(0.02, tolerance);
    const UotResult result = solve_uot(Exec{}, p.view(), options);
    ASSERT_EQ(result.status, UotStatus::converged);
    EXPECT_LT(result.residual, tolerance);
    std::vector<double> r, c;
    plan_marginals(p.structure, result.plan, r, c);
    double rows_worst = 0;
    for (std::size_t i = 0; i < r.size(); ++i)
      if (r[i] > 0)
        rows_worst = std::max(rows_worst, std::fabs(std::log(r[i] / p.a[i]) + result.f[i] / p.rho));
    EXPECT_NEAR(rows_worst, result.residual, kRounding) << "tolerance " << tolerance;
    for (std::size_t j = 0; j < c.size(); ++j) {
      if (c[j] == 0) continue;
      EXPECT_NEAR(std::log(c[j] / p.b[j]), -result.g[j] / p.rho, kRounding)
          << "tolerance " << tolerance << " column " << j;
    }
  }
}

// The fixed point does not depend on the path: one stage at eps, eps-scaling from 1, and a warm
// start from converged potentials all give one plan; the warm start needs one check period.
TEST(UotSolver, EpsScalingAndWarmStartReachTheSameSolution) {
  constexpr double kRelative = 1e-8;
  const TestProblem p = random_problem(20, 25, 13, 0.8, 1.0, 1.0);
  UotOptions single = sinkhorn_options(0.01);
  single.eps_start = single.eps;
  const UotResult annealed = solve_uot(Exec{}, p.view(), sinkhorn_options(0.01));
  const UotResult direct = solve_uot(Exec{}, p.view(), single);
  single.f_init = {annealed.f.data(), annealed.f.size()};
  single.g_init = {annealed.g.data(), annealed.g.size()};
  const UotResult warm = solve_uot(Exec{}, p.view(), single);
  ASSERT_EQ(direct.status, UotStatus::converged);
  EXPECT_EQ(annealed.eps, 0.01);
  ASSERT_EQ(warm.status, UotStatus::converged);
  EXPECT_LE(warm.iterations, single.check_every);
  std::printf("[ eps 0.01 ] annealed %d iterations, single stage %d, warm %d\n",
              annealed.iterations, direct.iterations, warm.iterations);
  for (std::size_t e = 0; e < annealed.plan.size(); ++e) {
    EXPECT_NEAR(direct.plan[e], annealed.plan[e], kRelative * annealed.plan[e]) << "entry " << e;
    EXPECT_NEAR(warm.plan[e], annealed.plan[e], kRelative * annealed.plan[e]) << "entry " << e;
  }
}

// Over-relaxation and the translation step change the path, not the solution: each variant, run
// to a tight residual, gives the plain iteration's plan, and the accelerated default needs far
// fewer iterations on a problem with eps << rho (near-diagonal, the slow case of plain
// Sinkhorn).
TEST(UotSolver, AccelerationsReachThePlainIterationsSolutionInFewerIterations) {
  constexpr double kRelative = 1e-7;
  const TestProblem p = random_problem(30, 30, 21, 0.9, 1.0, 1.3, 2.0, 1.0);
  UotResult results[4];
  for (int variant = 0; variant < 4; ++variant) {
    UotOptions options = sinkhorn_options(1e-3, 1e-11);
    options.relax = (variant & 1) != 0;
    options.translate = (variant & 2) != 0;
    results[variant] = solve_uot(Exec{}, p.view(), options);
    ASSERT_EQ(results[variant].status, UotStatus::converged) << "variant " << variant;
  }
  const UotResult& plain = results[0];
  const UotResult& accelerated = results[3];
  std::printf("[ eps 1e-3 ] iterations: plain %d, relaxed %d, translated %d, both %d\n",
              results[0].iterations, results[1].iterations, results[2].iterations,
              results[3].iterations);
  EXPECT_LT(accelerated.iterations * 4, plain.iterations);
  for (int variant = 1; variant < 4; ++variant) {
    for (std::size_t e = 0; e < plain.plan.size(); ++e)
      ASSERT_NEAR(results[variant].plan[e], plain.plan[e], kRelative * plain.plan[e] + 1e-15)
          << "variant " << variant << " entry " << e;
    EXPECT_NEAR(results[variant].objective, plain.objective, 1e-9 * plain.objective);
  }
}

TEST(UotSolver, IterationLimitIsReported) {
  const TestProblem p = random_problem(10, 12, 17);
  UotOptions options = sinkhorn_options(1e-3, 0.0);
  options.max_iterations = 7;
  options.check_every = 5;
  const UotResult result = solve_uot(Exec{}, p.view(), options);
  EXPECT_EQ(result.status, UotStatus::iteration_limit);
  EXPECT_EQ(result.iterations, 7);
  EXPECT_GT(result.eps, options.eps) << "stopped before the last eps stage";
  EXPECT_GT(result.residual, 0.0);
  EXPECT_TRUE(std::isfinite(result.residual));
  EXPECT_TRUE(std::isfinite(result.objective));

  const UotResult mm = solve_uot(Exec{}, p.view(), mm_options(0.0, 4));
  EXPECT_EQ(mm.status, UotStatus::iteration_limit);
  EXPECT_EQ(mm.iterations, 4);
}

}  // namespace
}  // namespace mustfm
