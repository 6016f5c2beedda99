// Cluster masses and centroids (the hierarchy's reduction) on each backend: 1,000 cells per
// cluster, d = 2 and 50. Reports bytes read per second next to the time.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <vector>

#include "engine/context.h"
#include "kernels/cluster_stats.h"

namespace mustfm {
namespace {

void run_cluster_stats(benchmark::State& state, const char* device) {
  const std::size_t clusters = static_cast<std::size_t>(state.range(0));
  const std::size_t dimension = static_cast<std::size_t>(state.range(1));
  const std::size_t cells = clusters * 1000;
  if (std::string(device) == "cuda" && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(options);
  const MemorySpace space = context.compute_space();

  std::vector<std::int64_t> host_offsets(clusters + 1);
  for (std::size_t c = 0; c <= clusters; ++c) host_offsets[c] = static_cast<std::int64_t>(c * 1000);
  std::vector<double> host_weights(cells, 1.0);
  std::vector<double> host_features(cells * dimension);
  for (std::size_t i = 0; i < host_features.size(); ++i) host_features[i] = 0.001 * (i % 977);

  Allocator& allocator = context.allocator();
  Buffer<std::int64_t> offsets(allocator, clusters + 1, space, "bench offsets");
  Buffer<double> weights(allocator, cells, space, "bench weights");
  Buffer<double> features(allocator, cells * dimension, space, "bench features");
  Buffer<double> mass(allocator, clusters, space, "bench mass");
  Buffer<double> centroids(allocator, clusters * dimension, space, "bench centroids");
  offsets.copy_from({host_offsets.data(), host_offsets.size(), MemorySpace::host});
  weights.copy_from({host_weights.data(), host_weights.size(), MemorySpace::host});
  features.copy_from({host_features.data(), host_features.size(), MemorySpace::host});

  for (auto _ : state) {
    cluster_stats(context.exec(), offsets.cview(), weights.cview(), features.cview(), dimension,
                  mass.view(), centroids.view());
    context.synchronize();
  }
  const double bytes = static_cast<double>(cells) * (dimension + 1) * sizeof(double);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["cells_per_s"] = benchmark::Counter(
      static_cast<double>(cells) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_ClusterStats_cpu(benchmark::State& state) {
  run_cluster_stats(state, "cpu");
}
void BM_ClusterStats_cuda(benchmark::State& state) {
  run_cluster_stats(state, "cuda");
}

BENCHMARK(BM_ClusterStats_cpu)->Args({27, 2})->Args({27, 50})->Args({270, 2})->UseRealTime();
BENCHMARK(BM_ClusterStats_cuda)->Args({27, 2})->Args({27, 50})->Args({270, 2})->UseRealTime();

}  // namespace
}  // namespace mustfm
