// The CUDA tiled Sinkhorn solver (kernels/uot_tiles.h) against its CPU twin on random tiled
// problems: short lines (a warp per row or column) and long ones (a block), higher dimensions,
// empty clusters, pairs beyond pi delta, rows and columns that carry nothing; and two CUDA runs
// against each other, bit for bit. Names as in kernels/uot_solver.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cpu/uot_tiles_cases.h"
#include "engine/context.h"
#include "kernels/uot_tiles.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::random_tiled_case;
using testing::TiledCase;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Both backends evaluate the same per-pair formulas (kernels/uot_tiles_entry.h) in double and
// differ in the order of each line's log-sum-exp (sequential vs a fixed tree over a warp or a
// block) and in the rounding of exp, log, sin and cos (CUDA's within 2 ulp). As
// for the CSR solver (tests/gpu/uot_gpu_test.cpp), the contracting iteration keeps such
// differences at the 1e-14 level; 1e-9 leaves room for the iteration count to differ by one check
// period at the final tolerance (a shift of at most check_every tau eps tolerance ~ 5e-11).
constexpr double kPotentialTolerance = 1e-9;
// gamma = exp((f + g - C) / eps) a b: relative error |df + dg| / eps = 2e-9 / 0.05.
constexpr double kPlanRelative = 1e-7;

UotOptions options() {
  UotOptions o;
  o.eps = 0.05;
  o.eps_start = 1.0;
  o.tolerance = 1e-10;
  o.max_iterations = 20000;
  o.check_every = 10;
  return o;
}

bool near_relative(double x, double y, double relative) {
  return std::fabs(x - y) <= relative * std::max(std::fabs(x), std::fabs(y)) + 1e-300;
}

std::vector<TiledCase> cases() {
  return {random_tiled_case(3, 4, 5, 2, 41), random_tiled_case(8, 6, 40, 3, 42, 0.5),
          // Lines of several thousand pairs: block-wide groups.
          random_tiled_case(3, 3, 1500, 2, 43, 1.0), random_tiled_case(5, 7, 60, 10, 44, 0.4),
          random_tiled_case(2, 2, 0, 2, 45, 1.0)};
}

TEST(UotTilesGpu, CudaMatchesCpuOnRandomTiledProblems) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (const TiledCase& c : cases()) {
    SCOPED_TRACE(c.name);
    const UotTiledProblem problem = c.view();
    const UotResult cpu = solve_uot_tiles(Exec{}, problem, options());
    const UotResult cuda = solve_uot_tiles(gpu.exec(), problem, options());

    EXPECT_EQ(cuda.status, cpu.status);
    EXPECT_LE(std::abs(cuda.iterations - cpu.iterations), options().check_every);
    ASSERT_EQ(cuda.f.size(), cpu.f.size());
    ASSERT_EQ(cuda.g.size(), cpu.g.size());
    for (std::size_t i = 0; i < cpu.f.size(); ++i) {
      if (cpu.f[i] == kInf)
        EXPECT_EQ(cuda.f[i], kInf) << "f " << i;
      else
        EXPECT_NEAR(cuda.f[i], cpu.f[i], kPotentialTolerance) << "f " << i;
    }
    for (std::size_t j = 0; j < cpu.g.size(); ++j) {
      if (cpu.g[j] == kInf)
        EXPECT_EQ(cuda.g[j], kInf) << "g " << j;
      else
        EXPECT_NEAR(cuda.g[j], cpu.g[j], kPotentialTolerance) << "g " << j;
    }
    ASSERT_EQ(cuda.plan.size(), cpu.plan.size());
    for (std::size_t q = 0; q < cpu.plan.size(); ++q)
      EXPECT_TRUE(near_relative(cuda.plan[q], cpu.plan[q], kPlanRelative))
          << "pair " << q << ": cuda " << cuda.plan[q] << " vs cpu " << cpu.plan[q];
    EXPECT_TRUE(near_relative(cuda.objective, cpu.objective, kPlanRelative));
    EXPECT_TRUE(near_relative(cuda.transported_mass, cpu.transported_mass, kPlanRelative));
    EXPECT_DOUBLE_EQ(cuda.unmatched_mass, cpu.unmatched_mass);
  }
}

TEST(UotTilesGpu, RepeatedCudaRunsGiveIdenticalBits) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const TiledCase c = random_tiled_case(4, 4, 800, 3, 46, 0.7);
  const UotResult first = solve_uot_tiles(gpu.exec(), c.view(), options());
  const UotResult again = solve_uot_tiles(gpu.exec(), c.view(), options());
  EXPECT_EQ(again.iterations, first.iterations);
  ASSERT_EQ(again.plan.size(), first.plan.size());
  EXPECT_EQ(std::memcmp(again.plan.data(), first.plan.data(), first.plan.size() * sizeof(double)),
            0);
  EXPECT_EQ(std::memcmp(again.f.data(), first.f.data(), first.f.size() * sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(again.g.data(), first.g.data(), first.g.size() * sizeof(double)), 0);
}

}  // namespace
}  // namespace mustfm
