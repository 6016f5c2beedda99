// The fused pair sampler on each backend: one training batch of B samples from a cells-form
// distribution (1e6 entries over 5,000 x 5,000 cells) and a lifted one (2,000 blocks over 100 x
// 100 clusters), d = 2 and 50. Reports samples per second next to the time.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/pair_distribution.h"
#include "engine/sampler_setup.h"
#include "engine/snapshots.h"
#include "kernels/pair_sampler.h"

namespace mustfm {
namespace {

constexpr std::size_t kCells = 5000;
constexpr std::size_t kClusters = 100;

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

// Random entries with probabilities in (0, 1]; lifted entries are blocks of equal clusters of
// kCells / kClusters cells with uniform weights.
PairDistribution bench_distribution(bool lifted, std::mt19937_64& rng) {
  PairDistribution p;
  p.lifted = lifted;
  const std::size_t entries = lifted ? 2000 : 1000000;
  const int range = static_cast<int>(lifted ? kClusters : kCells);
  std::uniform_int_distribution<std::int32_t> index(0, range - 1);
  std::uniform_real_distribution<double> mass(0.0, 1.0);
  double total = 0.0;
  for (std::size_t k = 0; k < entries; ++k) {
    p.source.push_back(index(rng));
    p.target.push_back(index(rng));
    p.probability.push_back(1e-3 + mass(rng));
    p.mass_ratio.push_back(0.5 + mass(rng));
    total += p.probability.back();
  }
  double running = 0.0;
  for (double& q : p.probability) {
    q /= total;
    running += q;
    p.cumulative.push_back(running);
  }
  p.cumulative.back() = 1.0;
  if (lifted) {
    const std::size_t size = kCells / kClusters;
    for (std::size_t c = 0; c <= kClusters; ++c)
      p.source_offsets.push_back(static_cast<std::int64_t>(c * size));
    p.target_offsets = p.source_offsets;
    for (std::size_t i = 0; i < kCells; ++i)
      p.source_within.push_back(static_cast<double>(i % size + 1) / static_cast<double>(size));
    p.target_within = p.source_within;
  }
  return p;
}

void run_pair_sampler(benchmark::State& state, const char* device) {
  const bool lifted = state.range(0) != 0;
  const std::size_t dimension = static_cast<std::size_t>(state.range(1));
  const std::int64_t samples = state.range(2);
  if (std::string(device) == "cuda" && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(options);
  const MemorySpace space = context.compute_space();

  std::mt19937_64 rng(7);
  const Snapshot source = bench_snapshot(0.0, dimension, rng);
  const Snapshot target = bench_snapshot(1.0, dimension, rng);
  PairDistribution distribution = bench_distribution(lifted, rng);
  distribution.source_order = source.sorted_order;
  distribution.target_order = target.sorted_order;

  Allocator& allocator = context.allocator();
  const PairSamplerData data =
      make_pair_sampler_data(allocator, space, distribution, source, target, dimension, 2.0);
  Buffer<float> inputs(allocator, samples * (dimension + 1), space, "bench inputs");
  Buffer<float> velocity(allocator, samples * dimension, space, "bench velocity");
  Buffer<float> growth(allocator, samples, space, "bench growth");
  Buffer<float> weights(allocator, samples, space, "bench weights");
  Buffer<int> dropped(allocator, 1, space, "bench dropped");
  const int zero = 0;
  dropped.copy_from({&zero, 1, MemorySpace::host});
  const PairBatchView batch{space,          samples,         static_cast<int>(dimension),
                            inputs.data(),  velocity.data(), growth.data(),
                            weights.data(), dropped.data(),  nullptr,
                            nullptr};

  std::uint32_t step = 0;
  for (auto _ : state) {
    sample_pairs(context.exec(), data.view(), 1, 0, step++, samples, 0, batch);
    context.synchronize();
  }
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(samples) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_PairSampler_cpu(benchmark::State& state) {
  run_pair_sampler(state, "cpu");
}
void BM_PairSampler_cuda(benchmark::State& state) {
  run_pair_sampler(state, "cuda");
}

// Arguments: lifted (0 / 1), dimension, samples per batch.
BENCHMARK(BM_PairSampler_cpu)
    ->ArgNames({"lifted", "d", "samples"})
    ->Args({0, 2, 1 << 16})
    ->Args({1, 2, 1 << 16})
    ->Args({0, 50, 1 << 16})
    ->UseRealTime();
BENCHMARK(BM_PairSampler_cuda)
    ->ArgNames({"lifted", "d", "samples"})
    ->Args({0, 2, 1 << 16})
    ->Args({1, 2, 1 << 16})
    ->Args({0, 50, 1 << 16})
    ->Args({0, 2, 1 << 20})
    ->UseRealTime();

}  // namespace
}  // namespace mustfm
