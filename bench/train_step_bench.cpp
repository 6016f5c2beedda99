// One full training step (engine/training_step.h) on the reference architecture (velocity net
// 5 x 256, growth net 3 x 256, LeakyReLU, float): sampling, both forward passes, the fused loss,
// both backward passes, two Adam steps and the EMA. One interval of 20,000 random cell pairs over
// 2,000 x 2,000 cells; batch sizes 256 to 65,536, input dimension 2 and 50.
// items_per_second counts training samples; steps_per_second counts optimizer steps.
// bench/torch_train_step.py times the same step in PyTorch.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/pair_distribution.h"
#include "engine/sampler_setup.h"
#include "engine/snapshots.h"
#include "engine/training_step.h"

namespace mustfm {
namespace {

constexpr std::size_t kCells = 2000;
constexpr std::size_t kEntries = 20000;
// Coordinates lie in [-1, 1]^d, so pairs are at most 2 sqrt(50) ~ 14 apart, well below
// pi delta: no pair is dropped at either dimension.
constexpr double kDelta = 10.0;

Snapshot bench_snapshot(double time, std::size_t dimension, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> coordinate(-1.0, 1.0);
  Snapshot s;
  s.time = time;
  s.cell_count = kCells;
  s.features.resize(kCells * dimension);
  for (double& x : s.features) x = coordinate(rng);
  s.weights.assign(kCells, 1.0);
  s.sorted_order.resize(kCells);
  for (std::size_t i = 0; i < kCells; ++i) s.sorted_order[i] = static_cast<std::int64_t>(i);
  return s;
}

PairDistribution bench_distribution(std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int32_t> cell(0, static_cast<std::int32_t>(kCells) - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  PairDistribution p;
  double running = 0.0;
  for (std::size_t k = 0; k < kEntries; ++k) {
    p.source.push_back(cell(rng));
    p.target.push_back(cell(rng));
    p.probability.push_back(1.0 / kEntries);
    p.mass_ratio.push_back(0.5 + unit(rng));
    running += p.probability.back();
    p.cumulative.push_back(running);
  }
  p.cumulative.back() = 1.0;
  return p;
}

void run_train_step(benchmark::State& state, const char* device) {
  const auto batch = static_cast<int>(state.range(0));
  const auto dimension = static_cast<std::size_t>(state.range(1));
  if (std::string(device) == "cuda" && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(options);

  std::mt19937_64 rng(11);
  const Snapshot source = bench_snapshot(0.0, dimension, rng);
  const Snapshot target = bench_snapshot(1.0, dimension, rng);
  PairDistribution distribution = bench_distribution(rng);
  distribution.source_order = source.sorted_order;
  distribution.target_order = target.sorted_order;
  std::vector<PairSamplerData> intervals;
  intervals.push_back(make_pair_sampler_data(context.allocator(), context.compute_space(),
                                             distribution, source, target, dimension, kDelta));

  // Reference networks and optimizer settings (the job defaults); only the batch changes.
  Job job;
  job.training.batch_size = batch;
  TrainingStep<float> step(context.exec(), context.allocator(), job, std::move(intervals));
  step.step();  // warm-up: first touch of every buffer

  for (auto _ : state) benchmark::DoNotOptimize(step.step().total());
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["steps_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["dropped"] = static_cast<double>(step.dropped_pairs());
}

void BM_TrainStep_cpu(benchmark::State& state) {
  run_train_step(state, "cpu");
}

// Arguments: batch (pairs drawn from the one interval), input dimension d.
BENCHMARK(BM_TrainStep_cpu)
    ->ArgNames({"batch", "d"})
    ->ArgsProduct({{256, 1024, 4096, 16384, 65536}, {2, 50}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace mustfm
