// The coupling stage on the CUDA backend against the CPU backend on the small multiscale
// benchmark: the cell level `sparse` (solved over tiles on CUDA, on stored costs on the CPU) and
// the training-pair distributions of both finest-level modes. Names as in engine/coupling.h.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cpu/coupling_fixture.h"
#include "test_support.h"

namespace mustfm {
namespace {

// Every level is solved to residual 1e-6 at eps 1e-2 on both backends, with sums in another
// order. Running the same iteration, the two stay within rounding (~1e-12 relative) of each
// other; but should a rounding difference move a residual across the tolerance at a check, one
// backend stops a check period later. Both states then lie within the tolerance's reach of the
// solution: potentials within about tolerance * rho / 2 = 5e-7, so plan values within
// 1e-6 / eps = 1e-4 relative. The bounds below leave a factor 10 above that worst case; a
// formula or indexing error moves values by far more.
constexpr double kPlanRelative = 1e-3;
constexpr double kReportRelative = 1e-3;

void expect_same_interval(const IntervalCoupling& cuda, const IntervalCoupling& cpu) {
  ASSERT_EQ(cuda.levels.size(), cpu.levels.size());
  for (std::size_t l = 0; l < cpu.levels.size(); ++l) {
    const LevelCoupling& g = cuda.levels[l];
    const LevelCoupling& c = cpu.levels[l];
    SCOPED_TRACE(c.name);
    ASSERT_EQ(g.structure.col_indices, c.structure.col_indices);
    EXPECT_EQ(g.result.status, c.result.status);
    for (std::size_t e = 0; e < c.result.plan.size(); ++e)
      EXPECT_NEAR(g.result.plan[e], c.result.plan[e], kPlanRelative * c.result.plan[e] + 1e-300)
          << "entry " << e;
    EXPECT_NEAR(g.result.objective, c.result.objective,
                kReportRelative * std::fabs(c.result.objective));
  }
  const PairDistribution& g = cuda.pairs;
  const PairDistribution& c = cpu.pairs;
  ASSERT_EQ(g.source, c.source);
  ASSERT_EQ(g.target, c.target);
  for (std::size_t k = 0; k < c.size(); ++k) {
    EXPECT_NEAR(g.probability[k], c.probability[k], kPlanRelative * c.probability[k]) << k;
    EXPECT_NEAR(g.cumulative[k], c.cumulative[k], kPlanRelative * c.cumulative[k]) << k;
    EXPECT_NEAR(g.mass_ratio[k], c.mass_ratio[k], kPlanRelative * c.mass_ratio[k]) << k;
  }
  EXPECT_EQ(g.source_within.size(), c.source_within.size());
  for (std::size_t p = 0; p < c.source_within.size(); ++p)
    EXPECT_NEAR(g.source_within[p], c.source_within[p], 1e-14) << p;
}

TEST(CouplingGpu, CudaCouplingMatchesCpuInBothFinestLevelModes) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context cpu = testing::make_quiet_context("cpu");
  Context gpu = testing::make_quiet_context("cuda");
  // Well separated clusters and delta 0.55 (the set-up of tests/cpu/coupling_test.cpp): some
  // fine-cluster blocks carry mass, others fall below eta_block, and far pairs are cut off.
  SyntheticSettings benchmark = testing::small_benchmark(6);
  benchmark.translation = 0.5;
  benchmark.noise = 0.05;
  const SyntheticData data = generate_multiscale_data(benchmark, false);
  const testing::Prepared prepared = testing::prepare(cpu, data.table);
  for (const std::string mode : {"sparse", "independent"}) {
    SCOPED_TRACE(mode);
    CouplingSettings settings = testing::fast_coupling_settings();
    settings.delta = 0.55;
    settings.finest_level = mode;
    expect_same_interval(testing::couple_first(gpu, prepared, settings),
                         testing::couple_first(cpu, prepared, settings));
  }
}

}  // namespace
}  // namespace mustfm
