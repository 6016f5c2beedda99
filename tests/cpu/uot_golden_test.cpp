// Compares the CPU unbalanced transport solvers with POT, through golden values written by
// tools/golden/make_uot_golden.py (which says how each convention is given to POT). Names as in
// kernels/uot_solver.h.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "kernels/csr.h"
#include "kernels/uot_solver.h"
#include "kernels/wfr_cost.h"
#include "test_support.h"

namespace mustfm {
namespace {

using nlohmann::json;

// Costs: the script evaluates -2 log|cos(phi)| in numpy, whose absolute error is a few ulps of
// 1 (cos(phi) rounds near 1 for short pairs), so short pairs agree to ~1e-15 absolute and long
// ones to a few ulps relative.
constexpr double kCostAbsolute = 1e-14;
constexpr double kCostRelative = 1e-13;
// MM: both sides run the same iteration count from the same start; they differ only by rounding
// and POT's additive 1e-16 on the row and column sums (relative ~1e-15 at these normalized
// masses), which a few hundred contracting iterations keep near 1e-13 (observed 7e-14).
constexpr double kMmPlanRelative = 1e-11;
// Sinkhorn: POT's plan meets the KKT conditions to kkt_residual (~1e-15, recorded and checked)
// and ours is solved to a log-relative row violation r = kSinkhornTolerance. Each half update is
// a tau-contraction in the sup norm, so the potentials sit within tau eps r / (1 - tau^2) ~ rho r
// / 2 of the fixed point, and log gamma within rho r / eps: 2 * 2e-13 / 0.05 = 8e-12 for the
// hardest case (eps = 0.05, rho = 2). Observed: 2e-13.
constexpr double kSinkhornTolerance = 2e-13;
constexpr double kSinkhornPlanRelative = 1e-10;
// Plan entries are compared to a relative tolerance plus this fraction of the total source mass,
// so that entries near 0 (mm drives entries off the optimal support towards 0) are not held to
// a relative error of values at the rounding level of the large ones.
constexpr double kPlanAbsoluteFraction = 1e-14;

json load_golden() {
  const auto path = testing::source_dir() / "tests" / "golden" / "uot_golden.json";
  std::ifstream stream(path);
  EXPECT_TRUE(stream.good()) << "cannot open " << path;
  return json::parse(stream);
}

double cost_value(const json& value) {
  return value.is_null() ? std::numeric_limits<double>::infinity() : value.get<double>();
}

class UotGolden : public ::testing::TestWithParam<int> {};

TEST(UotGoldenFile, NamesItsGeneratorAndPotVersion) {
  const json golden = load_golden();
  EXPECT_EQ(golden.at("generator"), "tools/golden/make_uot_golden.py");
  EXPECT_FALSE(golden.at("pot_version").get<std::string>().empty());
  EXPECT_EQ(golden.at("cases").size(), 5u);
}

TEST_P(UotGolden, MatchesPot) {
  const json golden = load_golden();
  const json& c = golden.at("cases").at(GetParam());
  const std::string name = c.at("name");
  const int rows = c.at("rows");
  const int cols = c.at("cols");
  const int dim = c.at("dim");
  const double delta = c.at("delta");
  const auto x = c.at("x").get<std::vector<double>>();
  const auto y = c.at("y").get<std::vector<double>>();
  const auto a = c.at("a").get<std::vector<double>>();
  const auto b = c.at("b").get<std::vector<double>>();
  const auto mask = c.at("mask").get<std::vector<std::uint8_t>>();
  const json& costs = c.at("cost");
  const auto plan = c.at("plan").get<std::vector<double>>();

  // Our cost function against the script's.
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      const double expected = cost_value(costs.at(i * cols + j));
      const double ours = wfr_cost(&x[i * dim], &y[j * dim], dim, delta);
      if (std::isinf(expected)) {
        EXPECT_TRUE(std::isinf(ours)) << name << " pair (" << i << "," << j << "): " << ours;
      } else {
        EXPECT_NEAR(ours, expected, kCostAbsolute + kCostRelative * expected)
            << name << " pair (" << i << "," << j << ")";
      }
    }
  }

  const CsrMatrix structure = csr_from_mask(
      rows, cols, {mask.data(), mask.size()},
      [&](std::int32_t i, std::int32_t j) { return cost_value(costs.at(i * cols + j)); });
  const UotProblem problem{{a.data(), a.size()}, {b.data(), b.size()}, &structure, c.at("rho")};
  UotOptions options;
  const bool mm = c.at("kind") == "mm";
  double plan_relative = kSinkhornPlanRelative;
  if (mm) {
    options.solver = UotSolver::mm;
    options.mm_tolerance = 0.0;
    options.max_iterations = c.at("iterations");
    plan_relative = kMmPlanRelative;
  } else {
    options.eps = c.at("eps");
    options.tolerance = kSinkhornTolerance;
    options.max_iterations = 100000;
    ASSERT_LT(c.at("kkt_residual").get<double>(), 1e-12) << name;
  }
  const UotResult result = solve_uot(Exec{}, problem, options);
  if (mm) {
    EXPECT_EQ(result.status, UotStatus::iteration_limit) << name;
    EXPECT_EQ(result.iterations, options.max_iterations) << name;
  } else {
    ASSERT_EQ(result.status, UotStatus::converged)
        << name << ": residual " << result.residual << " after " << result.iterations;
  }

  // Every stored entry against POT's dense plan, and POT's plan is zero off the structure.
  double total = 0;
  for (double v : a) total += v;
  const double absolute = kPlanAbsoluteFraction * total;
  std::vector<char> stored(static_cast<std::size_t>(rows) * cols, 0);
  double worst = 0;
  for (int i = 0; i < rows; ++i) {
    for (std::int64_t e = structure.row_offsets[i]; e < structure.row_offsets[i + 1]; ++e) {
      const int j = structure.col_indices[e];
      stored[i * cols + j] = 1;
      const double expected = plan[i * cols + j];
      const double error = std::fabs(result.plan[e] - expected);
      worst = std::max(worst, error / (absolute + std::fabs(expected)));
      EXPECT_LE(error, absolute + plan_relative * expected)
          << name << " entry (" << i << "," << j << "): ours " << result.plan[e] << ", POT "
          << expected;
    }
  }
  for (int k = 0; k < rows * cols; ++k)
    if (!stored[k]) EXPECT_EQ(plan[k], 0.0) << name << " POT mass off S at " << k;

  const double objective = c.at("objective");
  EXPECT_NEAR(result.objective, objective, plan_relative * std::fabs(objective)) << name;
  const double transported = c.at("transported_mass");
  EXPECT_NEAR(result.transported_mass, transported, plan_relative * transported) << name;
  const double unmatched = c.at("unmatched_mass");
  EXPECT_NEAR(result.unmatched_mass, unmatched, 1e-14 * total) << name;
  std::printf("[ %s ] worst relative plan error %.3g, %d iterations\n", name.c_str(), worst,
              result.iterations);
}

INSTANTIATE_TEST_SUITE_P(Pot, UotGolden, ::testing::Range(0, 5));

}  // namespace
}  // namespace mustfm
