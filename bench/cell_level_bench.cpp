// The cell level of the coupling on each backend: a fixed number of Sinkhorn iterations over
// dense tiles with costs recomputed from the points (kernels/uot_tiles.h) against the same pairs
// with stored costs (kernels/uot_solver.h), and the training-pair weights (kernels/pair_weights.h)
// of a plan on those pairs. The problem: clusters of cells in d dimensions, each source cluster
// paired with up to three target clusters, part of each tile beyond the cut-off. Reports pairs per
// second (two visits per tile pair and iteration, admissible or not) for the solves, entries per
// second for the pair weights.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "kernels/pair_weights.h"
#include "kernels/uot_solver.h"
#include "kernels/uot_tiles.h"

namespace mustfm {
namespace {

constexpr int kIterations = 20;

struct CellLevel {
  std::vector<double> a;
  std::vector<double> b;
  std::vector<double> x;
  std::vector<double> y;
  int dim = 0;
  std::vector<UotTile> tiles;

  UotTiledProblem view() const {
    UotTiledProblem p;
    p.a = {a.data(), a.size()};
    p.b = {b.data(), b.size()};
    p.x = {x.data(), x.size()};
    p.y = {y.data(), y.size()};
    p.dim = dim;
    p.delta = 1.0;
    p.tiles = tiles;
    return p;
  }
};

// `clusters` source and target clusters of `size` cells each; cluster k's targets lie around
// its centre shifted by 0.3, and source cluster k is paired with targets k - 1, k, k + 1.
CellLevel cell_level(int clusters, int size, int dim) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.5, 1.5);
  CellLevel level;
  level.dim = dim;
  // Coordinates scaled by sqrt(2 / d) keep the distances, and so the admissible share, of 2-D.
  const double scale = std::sqrt(2.0 / dim);
  for (int k = 0; k < clusters; ++k) {
    std::vector<double> centre(dim);
    for (double& v : centre) v = 3.0 * scale * normal(rng);
    for (int n = 0; n < size; ++n) {
      for (int e = 0; e < dim; ++e) level.x.push_back(centre[e] + 0.8 * scale * normal(rng));
      for (int e = 0; e < dim; ++e)
        level.y.push_back(centre[e] + scale * (0.3 + 0.8 * normal(rng)));
      level.a.push_back(uniform(rng));
      level.b.push_back(uniform(rng));
    }
  }
  for (int k = 0; k < clusters; ++k)
    for (int l = k - 1; l <= k + 1; ++l)
      if (l >= 0 && l < clusters)
        level.tiles.push_back({k * size, (k + 1) * size, l * size, (l + 1) * size});
  return level;
}

UotOptions fixed_iterations() {
  UotOptions options;
  options.eps = 0.05;
  options.eps_start = 0.05;
  options.tolerance = 0.0;
  options.max_iterations = kIterations;
  options.check_every = kIterations;
  return options;
}

std::unique_ptr<Context> bench_context(benchmark::State& state, const std::string& device) {
  if (device == "cuda" && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return nullptr;
  }
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  return std::make_unique<Context>(options);
}

// Arguments: clusters, cells per cluster, dimension; range(3) = 1 for tiles, 0 for stored costs.
void run_solve(benchmark::State& state, const std::string& device) {
  const std::unique_ptr<Context> context = bench_context(state, device);
  if (!context) return;
  const CellLevel level =
      cell_level(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
                 static_cast<int>(state.range(2)));
  const bool tiles = state.range(3) != 0;
  const UotTiledProblem tiled = level.view();
  const TiledCsr stored = csr_from_tiles(tiled);
  const UotProblem problem{tiled.a, tiled.b, &stored.structure, 1.0};
  for (auto _ : state) {
    const UotResult result = tiles ? solve_uot_tiles(context->exec(), tiled, fixed_iterations())
                                   : solve_uot(context->exec(), problem, fixed_iterations());
    benchmark::DoNotOptimize(result.objective);
  }
  const std::int64_t pairs = tile_plan_offsets(tiled.tiles).back();
  state.counters["admissible"] = static_cast<double>(stored.structure.nnz());
  state.counters["pairs_per_s"] =
      benchmark::Counter(2.0 * kIterations * static_cast<double>(pairs) * state.iterations(),
                         benchmark::Counter::kIsRate);
}

// Arguments: clusters, cells per cluster, dimension.
void run_pair_weights(benchmark::State& state, const std::string& device) {
  const std::unique_ptr<Context> context = bench_context(state, device);
  if (!context) return;
  const CellLevel level =
      cell_level(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
                 static_cast<int>(state.range(2)));
  const UotTiledProblem tiled = level.view();
  const TiledCsr stored = csr_from_tiles(tiled);
  // The weights read only the plan's values and signs: random values with 10% zeros.
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> plan(static_cast<std::size_t>(stored.structure.nnz()));
  for (double& v : plan) v = uniform(rng) < 0.1 ? 0.0 : uniform(rng);
  for (auto _ : state) {
    const PairWeights weights = pair_weights(context->exec(), stored.structure,
                                             {plan.data(), plan.size()}, tiled.a, tiled.b);
    benchmark::DoNotOptimize(weights.cumulative.data());
  }
  state.counters["entries_per_s"] =
      benchmark::Counter(static_cast<double>(stored.structure.nnz()) * state.iterations(),
                         benchmark::Counter::kIsRate);
}

void BM_CellLevelSolve_cpu(benchmark::State& state) {
  run_solve(state, "cpu");
}
void BM_CellLevelSolve_cuda(benchmark::State& state) {
  run_solve(state, "cuda");
}
void BM_PairWeights_cpu(benchmark::State& state) {
  run_pair_weights(state, "cpu");
}
void BM_PairWeights_cuda(benchmark::State& state) {
  run_pair_weights(state, "cuda");
}

BENCHMARK(BM_CellLevelSolve_cpu)
    ->ArgNames({"clusters", "size", "d", "tiles"})
    ->Args({10, 200, 2, 0})
    ->Args({10, 200, 2, 1})
    ->Args({10, 200, 30, 0})
    ->Args({10, 200, 30, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CellLevelSolve_cuda)
    ->ArgNames({"clusters", "size", "d", "tiles"})
    ->Args({20, 200, 2, 0})
    ->Args({20, 200, 2, 1})
    ->Args({40, 500, 2, 0})
    ->Args({40, 500, 2, 1})
    ->Args({40, 500, 30, 0})
    ->Args({40, 500, 30, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PairWeights_cpu)
    ->ArgNames({"clusters", "size", "d"})
    ->Args({20, 200, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PairWeights_cuda)
    ->ArgNames({"clusters", "size", "d"})
    ->Args({20, 200, 2})
    ->Args({40, 500, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace mustfm
