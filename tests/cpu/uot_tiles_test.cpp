// The tiled solver (kernels/uot_tiles.h) on the CPU against the CSR solver (kernels/uot_solver.h)
// on the same admissible pairs with stored costs (csr_from_tiles): potentials, plan and report
// on random tiled problems with empty clusters, pairs beyond pi delta, a row without mass and
// rows and columns without admissible partner; the CSR built from tiles; and the input checks.
// Names as in kernels/uot_solver.h.
#include "kernels/uot_tiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "cpu/uot_tiles_cases.h"
#include "kernels/wfr_cost.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::random_tiled_case;
using testing::TiledCase;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Both solvers run the same iteration (eps schedule, over-relaxation, translation, stopping
// rule) on the same costs (wfr_cost of the same points) and differ only in how a line's
// log-sum-exp is accumulated (the CSR passes shift and vectorize their exp sums), a few ulp per
// pass. The iteration contracts, so such differences do not grow; should they move a residual
// across the tolerance at a check, the iteration counts differ by one check period, which
// shifts the potentials by at most check_every tau eps tolerance ~ 5e-11. 1e-9 leaves a wide
// margin above both.
constexpr double kPotentialTolerance = 1e-9;
// gamma = exp((f + g - C) / eps) a b, so its relative error is |df + dg| / eps: 2e-9 / 0.05.
constexpr double kPlanRelative = 1e-7;
// The objective, masses and residual are sums of such plan values.
constexpr double kReportRelative = 1e-7;

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

void expect_same_potentials(const std::vector<double>& tiled,
                            const std::vector<double>& csr,
                            const std::string& what) {
  ASSERT_EQ(tiled.size(), csr.size()) << what;
  for (std::size_t k = 0; k < csr.size(); ++k) {
    if (csr[k] == kInf) {
      EXPECT_EQ(tiled[k], kInf) << what << " " << k;
      continue;
    }
    EXPECT_NEAR(tiled[k], csr[k], kPotentialTolerance) << what << " " << k;
  }
}

std::vector<TiledCase> cases() {
  return {random_tiled_case(3, 4, 5, 2, 1), random_tiled_case(6, 5, 12, 3, 2, 0.4),
          random_tiled_case(10, 12, 20, 2, 3, 0.3), random_tiled_case(4, 4, 30, 5, 4, 0.8),
          random_tiled_case(2, 3, 1, 2, 5, 1.0)};
}

TEST(UotTiles, TiledSolveEqualsTheCsrSolveWithStoredCosts) {
  for (const TiledCase& c : cases()) {
    SCOPED_TRACE(c.name);
    const UotTiledProblem tiled = c.view();
    const TiledCsr csr = csr_from_tiles(tiled);
    UotProblem stored;
    stored.a = tiled.a;
    stored.b = tiled.b;
    stored.structure = &csr.structure;
    stored.rho = tiled.rho;

    const UotResult from_tiles = solve_uot_tiles(Exec{}, tiled, options());
    const UotResult from_csr = solve_uot(Exec{}, stored, options());

    EXPECT_EQ(from_tiles.status, from_csr.status);
    EXPECT_LE(std::abs(from_tiles.iterations - from_csr.iterations), options().check_every);
    EXPECT_EQ(from_tiles.eps, from_csr.eps);
    expect_same_potentials(from_tiles.f, from_csr.f, "f");
    expect_same_potentials(from_tiles.g, from_csr.g, "g");

    // Every CSR entry's value sits at its tile position; every other tile value is 0.
    ASSERT_EQ(from_tiles.plan.size(),
              static_cast<std::size_t>(tile_plan_offsets(tiled.tiles).back()));
    std::vector<char> stored_here(from_tiles.plan.size(), 0);
    for (std::size_t e = 0; e < from_csr.plan.size(); ++e) {
      const std::int64_t position = csr.tile_position[e];
      stored_here[position] = 1;
      EXPECT_TRUE(near_relative(from_tiles.plan[position], from_csr.plan[e], kPlanRelative))
          << "entry " << e << ": tiles " << from_tiles.plan[position] << " vs csr "
          << from_csr.plan[e];
    }
    for (std::size_t q = 0; q < from_tiles.plan.size(); ++q)
      if (!stored_here[q]) EXPECT_EQ(from_tiles.plan[q], 0.0) << "inadmissible pair " << q;

    EXPECT_TRUE(near_relative(from_tiles.objective, from_csr.objective, kReportRelative))
        << from_tiles.objective << " vs " << from_csr.objective;
    EXPECT_TRUE(
        near_relative(from_tiles.transported_mass, from_csr.transported_mass, kReportRelative));
    EXPECT_DOUBLE_EQ(from_tiles.unmatched_mass, from_csr.unmatched_mass);
    EXPECT_LT(from_tiles.residual, options().tolerance);
  }
}

TEST(UotTiles, CsrFromTilesKeepsThePairsBelowTheCutOff) {
  const TiledCase c = random_tiled_case(5, 5, 6, 2, 6, 0.6);
  const UotTiledProblem tiled = c.view();
  const TiledCsr csr = csr_from_tiles(tiled);
  const std::vector<std::int64_t> offsets = tile_plan_offsets(tiled.tiles);

  // Expected: for every tile pair below pi delta, one entry with the pair's WFR cost.
  std::int64_t admissible = 0;
  for (std::size_t t = 0; t < tiled.tiles.size(); ++t) {
    const UotTile& tile = tiled.tiles[t];
    for (std::int32_t i = tile.row_begin; i < tile.row_end; ++i) {
      for (std::int32_t j = tile.col_begin; j < tile.col_end; ++j) {
        const double cost = wfr_cost(&c.x[i * c.dim], &c.y[j * c.dim], c.dim, c.delta);
        if (!(cost < kInf)) continue;
        ++admissible;
        const CsrMatrix& m = csr.structure;
        const auto first = m.col_indices.begin() + m.row_offsets[i];
        const auto last = m.col_indices.begin() + m.row_offsets[i + 1];
        const auto found = std::lower_bound(first, last, j);
        ASSERT_TRUE(found != last && *found == j) << "pair " << i << ", " << j << " missing";
        const std::size_t e = found - m.col_indices.begin();
        EXPECT_EQ(m.costs[e], cost);
        EXPECT_EQ(csr.tile_position[e],
                  offsets[t] + (i - tile.row_begin) * tile.cols() + (j - tile.col_begin));
      }
    }
  }
  EXPECT_EQ(csr.structure.nnz(), admissible);
  EXPECT_GT(admissible, 0);
  EXPECT_LT(admissible, offsets.back()) << "the case should hold pairs beyond pi delta";
  EXPECT_NO_THROW(validate_csr(csr.structure));
}

TEST(UotTiles, BadTilesAndOptionsAreInputErrors) {
  // Three sources and four targets in the plane.
  TiledCase c;
  c.a = {1.0, 1.0, 1.0};
  c.b = {1.0, 1.0, 1.0, 1.0};
  c.x = {0.0, 0.0, 0.1, 0.0, 0.2, 0.0};
  c.y = {0.0, 0.1, 0.1, 0.1, 0.2, 0.1, 0.3, 0.1};
  c.tiles = {{0, 2, 0, 2}, {1, 3, 1, 4}};
  EXPECT_TRUE(testing::throws_input_error([&] { solve_uot_tiles(Exec{}, c.view(), options()); },
                                          {"tiles 0", "and 1", "overlap"}));
  c.tiles = {{0, 1, 0, 5}};
  EXPECT_TRUE(testing::throws_input_error([&] { solve_uot_tiles(Exec{}, c.view(), options()); },
                                          {"tile 0", "outside the 3 x 4 problem"}));
  c.tiles = {{0, 3, 0, 4}};
  EXPECT_NO_THROW(solve_uot_tiles(Exec{}, c.view(), options()));
  UotOptions mm = options();
  mm.solver = UotSolver::mm;
  EXPECT_TRUE(testing::throws_input_error([&] { solve_uot_tiles(Exec{}, c.view(), mm); },
                                          {"only the sinkhorn solver"}));
  UotTiledProblem short_points = c.view();
  short_points.x.size -= 1;
  EXPECT_TRUE(testing::throws_input_error([&] { solve_uot_tiles(Exec{}, short_points, options()); },
                                          {"5 source and 8 target coordinates"}));
  c.x[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(testing::throws_input_error([&] { solve_uot_tiles(Exec{}, c.view(), options()); },
                                          {"source coordinate 0"}));
}

}  // namespace
}  // namespace mustfm
