// The tiled cell level of the coupling (engine/coupling_tiles.h) on the CPU: its tiles are the
// blocks the cell structure admits, and solving the cell level over them gives the plan the
// stored-cost solve of the coupling stage gives, in the same CSR order. Names as in
// engine/coupling.h.
#include "engine/coupling_tiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "coupling_fixture.h"
#include "test_support.h"

namespace mustfm {
namespace {

// Both solves run the same iteration on the same costs and differ only in the order of the
// log-sum-exp sums (see tests/cpu/uot_tiles_test.cpp), so they normally agree to rounding. Should
// rounding move a residual across the coupling's tolerance (1e-6) at a check, one stops a check
// period later; both states lie within about tolerance * rho / 2 = 5e-7 of the solution in the
// potentials, so within 1e-6 / eps = 1e-4 relative in the plan. The bounds leave a factor 10.
constexpr double kPotentialTolerance = 1e-5;
constexpr double kPlanRelative = 1e-3;

TEST(CouplingTiles, OnlyTheCudaSinkhornPathUsesTiles) {
  const ClusterLevel cells;
  const CouplingSettings sinkhorn;
  CouplingSettings mm;
  mm.solver = "mm";
  Exec cuda;
  cuda.backend = Backend::cuda;
  EXPECT_FALSE(detail::cell_level_tiles(Exec{}, sinkhorn, nullptr, nullptr, nullptr, nullptr, cells,
                                        cells, 2)
                   .has_value());
  EXPECT_FALSE(
      detail::cell_level_tiles(cuda, mm, nullptr, nullptr, nullptr, nullptr, cells, cells, 2)
          .has_value());
  EXPECT_TRUE(
      detail::cell_level_tiles(cuda, sinkhorn, nullptr, nullptr, nullptr, nullptr, cells, cells, 2)
          .has_value());
}

TEST(CouplingTiles, TiledCellLevelEqualsTheStoredCostSolve) {
  Context context = testing::make_quiet_context("cpu");
  // Well separated clusters and delta 0.55 (the set-up of tests/cpu/coupling_test.cpp): some
  // fine-cluster blocks carry mass, others fall below eta_block, and far pairs are cut off.
  SyntheticSettings benchmark = testing::small_benchmark(6);
  benchmark.translation = 0.5;
  benchmark.noise = 0.05;
  const SyntheticData data = generate_multiscale_data(benchmark, false);
  CouplingSettings settings = testing::fast_coupling_settings();
  settings.delta = 0.55;
  const testing::Prepared prepared = testing::prepare(context, data.table);
  const IntervalCoupling interval = testing::couple_first(context, prepared, settings);
  ASSERT_GE(interval.levels.size(), 2u);

  const LevelCoupling& parent = interval.levels[interval.levels.size() - 2];
  const LevelCoupling& cells = interval.levels.back();
  const SnapshotHierarchy& from = prepared.hierarchy.snapshots[0];
  const SnapshotHierarchy& to = prepared.hierarchy.snapshots[1];
  const std::size_t finest = from.levels.size() - 2;

  // The tile rule is read only on the backend; ask for the CUDA path's tiles, solve on the CPU.
  Exec cuda;
  cuda.backend = Backend::cuda;
  const std::optional<detail::CellTiles> tiles = detail::cell_level_tiles(
      cuda, settings, &parent.structure, &parent.result.plan, &from.levels[finest],
      &to.levels[finest], from.cells(), to.cells(), prepared.hierarchy.dimension);
  ASSERT_TRUE(tiles.has_value());
  std::size_t blocks = 0;
  for (double gamma : parent.result.plan) blocks += gamma > settings.eta_block ? 1 : 0;
  EXPECT_EQ(tiles->tiles.size(), blocks);
  EXPECT_LT(blocks, parent.result.plan.size()) << "some blocks should fall below eta_block";

  UotProblem problem;
  problem.a = {cells.a.data(), cells.a.size()};
  problem.b = {cells.b.data(), cells.b.size()};
  problem.structure = &cells.structure;
  problem.rho = settings.rho;
  const UotResult tiled =
      detail::solve_on_cell_tiles(Exec{}, problem, *tiles, uot_options(settings));
  const UotResult& stored = cells.result;

  EXPECT_EQ(tiled.status, stored.status);
  ASSERT_EQ(tiled.plan.size(), stored.plan.size());
  for (std::size_t e = 0; e < stored.plan.size(); ++e)
    EXPECT_NEAR(tiled.plan[e], stored.plan[e], kPlanRelative * stored.plan[e] + 1e-300)
        << "entry " << e;
  ASSERT_EQ(tiled.f.size(), stored.f.size());
  for (std::size_t i = 0; i < stored.f.size(); ++i)
    if (std::isfinite(stored.f[i])) EXPECT_NEAR(tiled.f[i], stored.f[i], kPotentialTolerance);
  EXPECT_NEAR(tiled.objective, stored.objective, kPlanRelative * std::fabs(stored.objective));
  EXPECT_NEAR(tiled.transported_mass, stored.transported_mass,
              kPlanRelative * stored.transported_mass);
}

}  // namespace
}  // namespace mustfm
