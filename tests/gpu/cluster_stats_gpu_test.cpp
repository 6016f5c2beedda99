// The CUDA cluster statistics against the CPU backend on random inputs, and the hierarchy built
// on each backend.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/hierarchy.h"
#include "engine/snapshots.h"
#include "engine/synthetic.h"
#include "kernels/cluster_stats.h"
#include "test_support.h"

namespace mustfm {
namespace {

// Both backends sum in double, in different orders (sequential vs. block tree). With at most
// 6000 terms of size <= 10, the two sums differ by far less than 6000 * 2^-53 * 10 ~ 7e-12.
constexpr double kTolerance = 1e-11;

ContextOptions quiet(const std::string& device) {
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  return options;
}

struct Case {
  std::size_t clusters;
  std::size_t dimension;
  std::size_t max_cluster_size;
  std::uint64_t seed;
};

std::string describe(const Case& c) {
  return "clusters " + std::to_string(c.clusters) + ", d " + std::to_string(c.dimension) +
         ", max size " + std::to_string(c.max_cluster_size) + ", seed " + std::to_string(c.seed);
}

template <class T>
Buffer<T> to_device(Context& context, const std::vector<T>& host, const char* purpose) {
  Buffer<T> buffer(context.allocator(), host.size(), MemorySpace::device, purpose);
  buffer.copy_from(View<const T>{host.data(), host.size(), MemorySpace::host});
  return buffer;
}

std::vector<double> to_host(const Buffer<double>& device) {
  std::vector<double> host(device.size());
  copy_bytes(host.data(), MemorySpace::host, device.data(), MemorySpace::device,
             host.size() * sizeof(double));
  return host;
}

void expect_close(const std::vector<double>& gpu,
                  const std::vector<double>& cpu,
                  const std::string& what,
                  const std::string& case_text) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what << " (" << case_text << ")";
  for (std::size_t k = 0; k < cpu.size(); ++k) {
    ASSERT_FALSE(std::isnan(gpu[k])) << what << " index " << k << " is NaN (" << case_text << ")";
    ASSERT_LE(std::abs(gpu[k] - cpu[k]), kTolerance * std::max(1.0, std::abs(cpu[k])))
        << what << " index " << k << ": cuda " << gpu[k] << ", cpu " << cpu[k] << " (" << case_text
        << ")";
  }
}

TEST(ClusterStatsGpu, MatchesCpuOnRandomInputs) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu(quiet("cuda"));
  const Exec cpu_exec;

  // d 1, 2, 50 take the small-row path (d <= block size), d 300 the wide-row path; the last
  // case has no cells at all.
  const std::vector<Case> cases = {
      {37, 1, 300, 1},  {64, 2, 1000, 2}, {20, 50, 400, 3},
      {5, 300, 120, 4}, {3, 2, 6000, 5},  {7, 50, 0, 6},
  };
  for (const Case& c : cases) {
    const std::string case_text = describe(c);
    std::mt19937_64 generator(c.seed);
    std::uniform_int_distribution<std::size_t> size(0, c.max_cluster_size);
    std::uniform_real_distribution<double> weight(0.0, 2.0);
    std::uniform_real_distribution<double> feature(-10.0, 10.0);

    // Every fourth cluster is empty; one cluster has only zero weights.
    std::vector<std::int64_t> offsets = {0};
    for (std::size_t k = 0; k < c.clusters; ++k)
      offsets.push_back(offsets.back() +
                        (k % 4 == 1 ? 0 : static_cast<std::int64_t>(size(generator))));
    const std::size_t n = static_cast<std::size_t>(offsets.back());
    std::vector<double> weights(n), features(n * c.dimension);
    for (double& w : weights) w = weight(generator);
    for (double& x : features) x = feature(generator);
    if (c.clusters > 2)
      for (std::int64_t i = offsets[2]; i < offsets[3]; ++i) weights[i] = 0.0;

    std::vector<double> cpu_mass(c.clusters), cpu_centroids(c.clusters * c.dimension);
    cluster_stats(cpu_exec, {offsets.data(), offsets.size(), MemorySpace::host},
                  {weights.data(), n, MemorySpace::host},
                  {features.data(), features.size(), MemorySpace::host}, c.dimension,
                  {cpu_mass.data(), cpu_mass.size(), MemorySpace::host},
                  {cpu_centroids.data(), cpu_centroids.size(), MemorySpace::host});

    Buffer<std::int64_t> d_offsets = to_device(gpu, offsets, "test: offsets");
    Buffer<double> d_weights = to_device(gpu, weights, "test: weights");
    Buffer<double> d_features = to_device(gpu, features, "test: features");
    Buffer<double> d_mass(gpu.allocator(), c.clusters, MemorySpace::device, "test: mass");
    Buffer<double> d_centroids(gpu.allocator(), c.clusters * c.dimension, MemorySpace::device,
                               "test: centroids");
    cluster_stats(gpu.exec(), d_offsets.cview(), d_weights.cview(), d_features.cview(), c.dimension,
                  d_mass.view(), d_centroids.view());
    gpu.synchronize();

    expect_close(to_host(d_mass), cpu_mass, "mass", case_text);
    expect_close(to_host(d_centroids), cpu_centroids, "centroid", case_text);
    // Empty and zero-weight clusters: exactly zero on the device too.
    const std::vector<double> centroids = to_host(d_centroids);
    for (std::size_t k = 0; k < c.clusters; ++k) {
      if (cpu_mass[k] != 0.0) continue;
      for (std::size_t j = 0; j < c.dimension; ++j)
        ASSERT_EQ(centroids[k * c.dimension + j], 0.0)
            << "zero-mass cluster " << k << " coordinate " << j << " (" << case_text << ")";
    }
  }
}

TEST(ClusterStatsGpu, HierarchyMatchesCpuBackend) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu(quiet("cuda"));
  Context cpu(quiet("cpu"));
  SyntheticSettings settings;
  settings.cells_per_cluster = 200;
  const Dataset dataset = build_dataset(generate_multiscale(settings, true), DataSettings{});
  const Hierarchy on_gpu = build_hierarchy(gpu, dataset);
  const Hierarchy on_cpu = build_hierarchy(cpu, dataset);
  for (std::size_t s = 0; s < dataset.snapshots.size(); ++s)
    for (std::size_t l = 0; l < on_cpu.snapshots[s].levels.size(); ++l) {
      const std::string case_text =
          "multiscale-growth, snapshot " + std::to_string(s) + ", level " + std::to_string(l);
      const ClusterLevel& g = on_gpu.snapshots[s].levels[l];
      const ClusterLevel& c = on_cpu.snapshots[s].levels[l];
      EXPECT_EQ(g.offsets, c.offsets) << case_text;
      EXPECT_EQ(g.parent, c.parent) << case_text;
      expect_close(g.mass, c.mass, "mass", case_text);
      expect_close(g.centroids, c.centroids, "centroid", case_text);
    }
}

}  // namespace
}  // namespace mustfm
