// The CPU cluster statistics against hand-computed values, its conservation laws on random input,
// and its argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/context.h"
#include "kernels/cluster_stats.h"
#include "test_support.h"

namespace mustfm {
namespace {

template <class T>
View<T> host_view(std::vector<T>& values) {
  return {values.data(), values.size(), MemorySpace::host};
}

template <class T>
View<const T> host_cview(const std::vector<T>& values) {
  return {values.data(), values.size(), MemorySpace::host};
}

TEST(ClusterStats, HandComputedMassesAndCentroids) {
  Context context = testing::make_quiet_context("cpu");
  // Cluster 0: cells 0, 1; cluster 1: cell 2; cluster 2: cells 3, 4, 5.
  std::vector<std::int64_t> offsets = {0, 2, 3, 6};
  std::vector<double> weights = {1.0, 3.0, 0.5, 2.0, 2.0, 4.0};
  std::vector<double> features = {0, 0, 4, 8, -1, 7, 1, 1, 3, -1, 0, 2};
  std::vector<double> mass(3), centroids(6);
  cluster_stats(context.exec(), host_cview(offsets), host_cview(weights), host_cview(features), 2,
                host_view(mass), host_view(centroids));

  // Cluster 0: (1*(0,0) + 3*(4,8)) / 4 = (3, 6).
  // Cluster 2: (2*(1,1) + 2*(3,-1) + 4*(0,2)) / 8 = (8, 8) / 8 = (1, 1).
  std::vector<double> expected_mass = {4.0, 0.5, 8.0};
  std::vector<double> expected_centroids = {3, 6, -1, 7, 1, 1};
  for (std::size_t c = 0; c < 3; ++c)
    EXPECT_DOUBLE_EQ(mass[c], expected_mass[c]) << "cluster " << c;
  for (std::size_t k = 0; k < 6; ++k)
    EXPECT_DOUBLE_EQ(centroids[k], expected_centroids[k]) << "centroid value " << k;
}

TEST(ClusterStats, EmptyAndZeroMassClustersGiveZero) {
  Context context = testing::make_quiet_context("cpu");
  // Cluster 0 empty, cluster 1 has only zero weights, cluster 2 empty at the end.
  std::vector<std::int64_t> offsets = {0, 0, 2, 2};
  std::vector<double> weights = {0.0, 0.0};
  std::vector<double> features = {5.0, -3.0};
  std::vector<double> mass(3, -1.0), centroids(3, -1.0);
  cluster_stats(context.exec(), host_cview(offsets), host_cview(weights), host_cview(features), 1,
                host_view(mass), host_view(centroids));
  for (std::size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(mass[c], 0.0) << "cluster " << c;
    EXPECT_EQ(centroids[c], 0.0) << "cluster " << c;
  }
}

TEST(ClusterStats, RandomInputConservesMassAndFirstMoment) {
  Context context = testing::make_quiet_context("cpu");
  std::mt19937_64 generator(11);
  std::uniform_real_distribution<double> uniform(0.0, 2.0);
  std::normal_distribution<double> normal(0.0, 3.0);
  const std::size_t d = 3;
  std::vector<std::int64_t> offsets = {0};
  for (int c = 0; c < 40; ++c) offsets.push_back(offsets.back() + (c % 7 == 0 ? 0 : c * 3));
  const std::size_t n = static_cast<std::size_t>(offsets.back());
  std::vector<double> weights(n), features(n * d);
  for (double& w : weights) w = uniform(generator);
  for (double& x : features) x = normal(generator);

  std::vector<double> mass(40), centroids(40 * d);
  cluster_stats(context.exec(), host_cview(offsets), host_cview(weights), host_cview(features), d,
                host_view(mass), host_view(centroids));

  // Sum of cluster masses is the total weight; sum of mass * centroid is the total first moment.
  double total = 0.0, cluster_total = 0.0;
  std::vector<double> moment(d, 0.0), cluster_moment(d, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    total += weights[i];
    for (std::size_t j = 0; j < d; ++j) moment[j] += weights[i] * features[i * d + j];
  }
  for (std::size_t c = 0; c < 40; ++c) {
    cluster_total += mass[c];
    for (std::size_t j = 0; j < d; ++j) cluster_moment[j] += mass[c] * centroids[c * d + j];
    if (offsets[c] == offsets[c + 1]) {
      EXPECT_EQ(mass[c], 0.0) << "empty cluster " << c;
    }
  }
  // Regrouping a sum of ~2000 terms of size <= ~20 moves it by far less than 1e-9.
  const double tolerance = 1e-9;
  EXPECT_NEAR(cluster_total, total, tolerance);
  for (std::size_t j = 0; j < d; ++j)
    EXPECT_NEAR(cluster_moment[j], moment[j], tolerance) << "coordinate " << j;
}

TEST(ClusterStats, RejectsInconsistentShapes) {
  Context context = testing::make_quiet_context("cpu");
  std::vector<std::int64_t> offsets = {0, 1, 2};
  std::vector<double> weights = {1.0, 1.0};
  std::vector<double> features = {1.0, 2.0, 3.0, 4.0};
  std::vector<double> mass(2), centroids(3);
  try {
    cluster_stats(context.exec(), host_cview(offsets), host_cview(weights), host_cview(features), 2,
                  host_view(mass), host_view(centroids));
    FAIL() << "a centroid array of the wrong size was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("centroids hold 3 values for 2 clusters"),
              std::string::npos)
        << error.what();
  }

  std::vector<double> right_centroids(4);
  std::vector<std::int64_t> bad_end = {0, 1, 3};
  try {
    cluster_stats(context.exec(), host_cview(bad_end), host_cview(weights), host_cview(features), 2,
                  host_view(mass), host_view(right_centroids));
    FAIL() << "offsets ending past the cells were accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("last offset"), std::string::npos) << error.what();
  }

  std::vector<std::int64_t> decreasing = {0, 2, 1, 2};
  std::vector<double> three_mass(3), three_centroids(6);
  EXPECT_THROW(
      cluster_stats(context.exec(), host_cview(decreasing), host_cview(weights),
                    host_cview(features), 2, host_view(three_mass), host_view(three_centroids)),
      InputError);
}

TEST(ClusterStats, RejectsViewsInTheWrongSpace) {
  Context context = testing::make_quiet_context("cpu");
  std::vector<std::int64_t> offsets = {0, 1};
  std::vector<double> weights = {1.0}, features = {1.0}, mass(1), centroids(1);
  View<const double> weights_on_device{weights.data(), 1, MemorySpace::device};
  try {
    cluster_stats(context.exec(), host_cview(offsets), weights_on_device, host_cview(features), 1,
                  host_view(mass), host_view(centroids));
    FAIL() << "a device view was accepted by the CPU backend";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("weights must be in host memory"), std::string::npos)
        << error.what();
  }

  // The CUDA backend must refuse host views before launching anything (no device needed).
  if (!cuda_compiled()) return;
  Exec cuda;
  cuda.backend = Backend::cuda;
  try {
    cluster_stats(cuda, host_cview(offsets), host_cview(weights), host_cview(features), 1,
                  host_view(mass), host_view(centroids));
    FAIL() << "host views were accepted by the CUDA backend";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("offsets must be in device memory"), std::string::npos)
        << error.what();
  }
}

TEST(ClusterStats, CudaWithoutCudaBuildIsAnInputError) {
  if (cuda_compiled()) GTEST_SKIP() << "this build has the CUDA backend";
  Exec exec;
  exec.backend = Backend::cuda;
  std::int64_t offsets[2] = {0, 0};
  double mass = 0.0, centroid = 0.0;
  // Never dereferenced: the call must stop before touching memory.
  View<const std::int64_t> device_offsets{offsets, 2, MemorySpace::device};
  View<const double> no_cells{nullptr, 0, MemorySpace::device};
  try {
    cluster_stats(exec, device_offsets, no_cells, no_cells, 1,
                  View<double>{&mass, 1, MemorySpace::device},
                  View<double>{&centroid, 1, MemorySpace::device});
    FAIL() << "the CUDA backend was accepted by a build without CUDA";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("no CUDA"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace mustfm
