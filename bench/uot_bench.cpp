// One Sinkhorn pass pair (the column pass, then the row pass: one solver iteration) on each
// backend, on dense-masked n x n problems of 1e6 and 9e6 stored entries with random costs (every
// term of every line matters: the worst case for the CPU loop), and on the CPU on a
// coupling-like problem: clustered cells in 2-D against their translated images, WFR costs,
// eps 1e-3, potentials from 200 solver iterations at that eps (most terms are then negligible, as
// in a real cell-level solve). Reports stored entries processed per second (two per entry and pass
// pair) and bytes per second of the per-entry arrays each pass streams: a 4-byte index and an
// 8-byte cost per entry and pass; the gathered potentials and masses are left out of the count.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/context.h"
#include "kernels/csr.h"
#include "kernels/uot_cpu.h"
#include "kernels/uot_cuda.h"
#include "kernels/uot_solver.h"

namespace mustfm {
namespace {

constexpr double kEps = 0.05;
constexpr double kStreamedBytesPerEntryPass = 4 + 8;

struct BenchProblem {
  std::vector<double> a;
  std::vector<double> b;
  CsrMatrix structure;
};

// n x n, every pair stored, costs uniform in [0, 2), masses uniform in [0.5, 1.5).
BenchProblem dense_problem(int n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  BenchProblem p;
  CsrMatrix& m = p.structure;
  m.rows = m.cols = n;
  m.row_offsets.reserve(static_cast<std::size_t>(n) + 1);
  m.col_indices.reserve(static_cast<std::size_t>(n) * n);
  m.costs.reserve(static_cast<std::size_t>(n) * n);
  m.row_offsets.push_back(0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      m.col_indices.push_back(j);
      m.costs.push_back(2.0 * uniform(rng));
    }
    m.row_offsets.push_back(m.nnz());
  }
  build_transpose(m);
  for (int k = 0; k < n; ++k) p.a.push_back(0.5 + uniform(rng));
  for (int k = 0; k < n; ++k) p.b.push_back(0.5 + uniform(rng));
  return p;
}

detail::UotPrepared prepare(const BenchProblem& p) {
  const UotProblem problem{{p.a.data(), p.a.size()}, {p.b.data(), p.b.size()}, &p.structure, 1.0};
  double z = 0.0;
  for (double v : p.a) z += v;
  for (double v : p.b) z += v;
  return detail::prepare_uot(problem, &p.structure.transpose, 0.5 * z);
}

void report(benchmark::State& state, std::int64_t nnz) {
  const double entries = 2.0 * static_cast<double>(nnz) * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(entries));
  state.SetBytesProcessed(static_cast<std::int64_t>(entries * kStreamedBytesPerEntryPass));
}

void BM_SinkhornPassPair_cpu(benchmark::State& state) {
  const BenchProblem problem = dense_problem(static_cast<int>(state.range(0)));
  const detail::UotPrepared p = prepare(problem);
  const double tau = p.rho / (p.rho + kEps);
  UotOptions options;
  std::vector<double> f = detail::sinkhorn_initial_potential(p.log_a, options.f_init);
  std::vector<double> g = detail::sinkhorn_initial_potential(p.log_b, options.g_init);
  std::vector<double> f_new = f;
  detail::UotPassScratch scratch;
  for (auto _ : state) {
    detail::sinkhorn_column_pass(p, f, kEps, tau, g, scratch);
    benchmark::DoNotOptimize(detail::sinkhorn_row_pass(p, f, g, kEps, tau, f_new, scratch));
    std::swap(f, f_new);
  }
  report(state, problem.structure.nnz());
}

// 9 clusters on a 3 x 3 grid 1.5 apart, `per_cluster` cells each with normal noise 0.2, against
// the same cells moved by (0.5, 0) in another order; WFR costs at delta 1, pairs below pi delta.
BenchProblem clustered_problem(int per_cluster) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 0.2);
  const int n = 9 * per_cluster;
  std::vector<double> x(2 * static_cast<std::size_t>(n));
  for (int c = 0; c < 9; ++c) {
    for (int k = 0; k < per_cluster; ++k) {
      const std::size_t cell = static_cast<std::size_t>(c * per_cluster + k);
      x[2 * cell] = 1.5 * (c % 3) + noise(rng);
      x[2 * cell + 1] = 1.5 * (c / 3) + noise(rng);
    }
  }
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) order[static_cast<std::size_t>(k)] = k;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> y(x.size());
  for (int k = 0; k < n; ++k) {
    const std::size_t from = static_cast<std::size_t>(order[static_cast<std::size_t>(k)]);
    y[2 * static_cast<std::size_t>(k)] = x[2 * from] + 0.5;
    y[2 * static_cast<std::size_t>(k) + 1] = x[2 * from + 1];
  }
  BenchProblem p;
  p.structure = csr_from_points({x.data(), x.size()}, {y.data(), y.size()}, 2, 1.0);
  p.a.assign(static_cast<std::size_t>(n), 1.0);
  p.b.assign(static_cast<std::size_t>(n), 1.0);
  return p;
}

void BM_SinkhornPassPair_cpu_clustered(benchmark::State& state) {
  const BenchProblem problem = clustered_problem(static_cast<int>(state.range(0)));
  const detail::UotPrepared p = prepare(problem);
  UotOptions options;
  options.eps = 1e-3;
  options.eps_start = options.eps;
  options.max_iterations = 200;
  detail::UotRaw raw = detail::sinkhorn_cpu(p, options);
  const double tau = p.rho / (p.rho + raw.eps);
  std::vector<double> f_new = raw.f;
  detail::UotPassScratch scratch;
  for (auto _ : state) {
    detail::sinkhorn_column_pass(p, raw.f, raw.eps, tau, raw.g, scratch);
    benchmark::DoNotOptimize(
        detail::sinkhorn_row_pass(p, raw.f, raw.g, raw.eps, tau, f_new, scratch));
    std::swap(raw.f, f_new);
  }
  report(state, problem.structure.nnz());
  state.counters["stored_entries"] = static_cast<double>(problem.structure.nnz());
  state.counters["eps"] = raw.eps;
}

void BM_SinkhornPassPair_cuda(benchmark::State& state) {
#ifdef MUSTFM_WITH_CUDA
  if (cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions context_options;
  context_options.device = "cuda";
  context_options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(context_options);
  const BenchProblem problem = dense_problem(static_cast<int>(state.range(0)));
  const detail::UotPrepared p = prepare(problem);
  detail::SinkhornCudaPasses passes(context.exec(), p, UotOptions{});
  // Warm-up: the first launches load the kernels.
  passes.pass_pair(kEps);
  passes.synchronize();
  for (auto _ : state) {
    passes.pass_pair(kEps);
    passes.synchronize();
  }
  report(state, problem.structure.nnz());
#else
  state.SkipWithError("this build has no CUDA backend");
#endif
}

BENCHMARK(BM_SinkhornPassPair_cpu)
    ->Arg(1000)
    ->Arg(3000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SinkhornPassPair_cpu_clustered)
    ->Arg(300)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SinkhornPassPair_cuda)
    ->Arg(1000)
    ->Arg(3000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mustfm
