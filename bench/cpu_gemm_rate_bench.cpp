// This machine's single-precision matrix-product rate on the CPU, the yardstick for the CPU
// training step (train_step_bench.cpp reports the step's product FLOPs over its time as
// gemm_flop_per_second):
//  * BM_Sgemm_cpu/N: one N x N x N product through gemm_cpu, the path the networks use
//    (single-threaded OpenBLAS calls split over the OpenMP threads);
//  * BM_SgemmOpenBlasThreads_cpu/N: the same product as one OpenBLAS call on OpenBLAS's own
//    threads, as many as OpenMP has;
//  * BM_TrainStepGemms_cpu/batch/d: only the matrix products of one training step of the
//    reference networks (bench/train_step_problem.h), in the step's shapes and order: the floor
//    a CPU step approaches.
// flop_per_second is the rate reached.
#include <benchmark/benchmark.h>

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/dense_cpu.h"
#include "train_step_problem.h"

namespace mustfm {
namespace {

std::vector<float> filled(std::size_t size) {
  std::vector<float> values(size);
  for (std::size_t i = 0; i < size; ++i) values[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
  return values;
}

void report_rate(benchmark::State& state, double flops_per_iteration) {
  state.counters["flop_per_second"] = benchmark::Counter(
      flops_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Sgemm_cpu(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<float> a = filled(n * n), b = filled(n * n);
  std::vector<float> c(n * n);
  for (auto _ : state) {
    gemm_cpu<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  report_rate(state, 2.0 * n * n * n);
}

void BM_SgemmOpenBlasThreads_cpu(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  const std::vector<float> a = filled(std::size_t(n) * n), b = filled(std::size_t(n) * n);
  std::vector<float> c(std::size_t(n) * n);
  // gemm_cpu keeps OpenBLAS single-threaded; this benchmark lends it every core and gives them
  // back afterwards.
  gemm_cpu<float>(false, false, 1, 1, 1, 1.0f, a.data(), 1, b.data(), 1, 0.0f, c.data(), 1);
  openblas_set_num_threads(omp_get_max_threads());
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  openblas_set_num_threads(1);
  report_rate(state, 2.0 * n * n * n);
}

void BM_TrainStepGemms_cpu(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto dimension = static_cast<std::size_t>(state.range(1));
  const std::vector<bench::GemmShape> gemms = bench::training_step_gemms(dimension, batch);
  std::size_t largest = 0;
  for (const bench::GemmShape& g : gemms)
    largest = std::max({largest, g.m * g.k, g.k * g.n, g.m * g.n});
  const std::vector<float> a = filled(largest), b = filled(largest);
  std::vector<float> c(largest);
  for (auto _ : state) {
    for (const bench::GemmShape& g : gemms) {
      const std::size_t lda = g.transpose_a ? g.m : g.k;
      const std::size_t ldb = g.transpose_b ? g.k : g.n;
      gemm_cpu<float>(g.transpose_a, g.transpose_b, g.m, g.n, g.k, 1.0f, a.data(), lda, b.data(),
                      ldb, 0.0f, c.data(), g.n);
    }
    benchmark::DoNotOptimize(c.data());
  }
  report_rate(state, bench::total_flops(gemms));
}

BENCHMARK(BM_Sgemm_cpu)->Arg(512)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmOpenBlasThreads_cpu)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainStepGemms_cpu)
    ->ArgsProduct({{1600, 2048, 4096}, {2, 50}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mustfm
