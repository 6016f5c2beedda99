// Evaluation metrics (engine/metrics.h): the exact W1 against POT through golden values written
// by tools/golden/make_metrics_golden.py, its metric properties, the weight-proportional
// subsample, and the relative mass error.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/metrics.h"
#include "kernels/common/error.h"
#include "test_support.h"

namespace mustfm {
namespace {

using nlohmann::json;

// POT's network simplex works in doubles; its plans are certified by the script (duality gap and
// dual infeasibility below 1e-12, recorded; observed <= 2e-14). The engine's answer is exact up to
// its integer rounding, at most ~5e-15 of the bounding-box diameter for clouds of at most 45
// points (metrics.h), and the diameters here are below 100 times W1: 5e-13 relative. Both sides
// then sum at most a few hundred double products. 1e-9 relative is therefore a wide margin;
// observed differences are at most 4e-16.
constexpr double kGoldenRelative = 1e-9;

json load_golden() {
  const auto path = testing::source_dir() / "tests" / "golden" / "metrics_golden.json";
  std::ifstream stream(path);
  EXPECT_TRUE(stream.good()) << "cannot open " << path;
  return json::parse(stream);
}

WeightedPoints make_points(std::size_t dimension,
                           std::vector<double> points,
                           std::vector<double> weights) {
  WeightedPoints out;
  out.dimension = dimension;
  out.points = std::move(points);
  out.weights = std::move(weights);
  return out;
}

// n points in `dimension` with normal coordinates and weights uniform in [0.5, 1.5].
WeightedPoints random_cloud(std::size_t n, std::size_t dimension, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0.5, 1.5);
  WeightedPoints out;
  out.dimension = dimension;
  for (std::size_t i = 0; i < n * dimension; ++i) out.points.push_back(normal(generator));
  for (std::size_t i = 0; i < n; ++i) out.weights.push_back(uniform(generator));
  return out;
}

// Points 0, 1, ..., n-1 on a line, so a subsampled point names its own index.
WeightedPoints indexed_line(const std::vector<double>& weights) {
  WeightedPoints out;
  out.dimension = 1;
  out.weights = weights;
  for (std::size_t i = 0; i < weights.size(); ++i) out.points.push_back(static_cast<double>(i));
  return out;
}

std::vector<std::size_t> indices_of(const WeightedPoints& subsample) {
  std::vector<std::size_t> out;
  for (double v : subsample.points) out.push_back(static_cast<std::size_t>(v));
  return out;
}

TEST(Metrics, GoldenFileNamesItsGeneratorAndVersions) {
  const json golden = load_golden();
  EXPECT_EQ(golden.at("generator"), "tools/golden/make_metrics_golden.py");
  EXPECT_FALSE(golden.at("pot_version").get<std::string>().empty());
  EXPECT_FALSE(golden.at("numpy_version").get<std::string>().empty());
  EXPECT_EQ(golden.at("cases").size(), 8u);
}

TEST(Metrics, Wasserstein1MatchesPot) {
  const json golden = load_golden();
  for (const json& c : golden.at("cases")) {
    const std::string name = c.at("name");
    const std::size_t dim = c.at("dim");
    const WeightedPoints a = make_points(dim, c.at("x"), c.at("a"));
    const WeightedPoints b = make_points(dim, c.at("y"), c.at("b"));
    ASSERT_EQ(a.size(), c.at("rows").get<std::size_t>()) << name;
    ASSERT_EQ(b.size(), c.at("cols").get<std::size_t>()) << name;
    const double expected = c.at("w1");
    const double got = wasserstein1_exact(a, b);
    EXPECT_NEAR(got, expected, kGoldenRelative * expected) << name;
    EXPECT_NEAR(wasserstein1_exact(b, a), expected, kGoldenRelative * expected) << name;
  }
}

TEST(Metrics, Wasserstein1IsSymmetric) {
  const WeightedPoints a = random_cloud(40, 3, 1);
  const WeightedPoints b = random_cloud(27, 3, 2);
  const double ab = wasserstein1_exact(a, b);
  EXPECT_GT(ab, 0.1);
  EXPECT_NEAR(wasserstein1_exact(b, a), ab, 1e-12 * ab);
}

TEST(Metrics, Wasserstein1OfASetWithItselfIsZero) {
  const WeightedPoints a = random_cloud(50, 4, 3);
  EXPECT_EQ(wasserstein1_exact(a, a), 0.0);
  // Scaling the weights does not change the distribution.
  WeightedPoints scaled = a;
  for (double& w : scaled.weights) w *= 1e6;
  EXPECT_EQ(wasserstein1_exact(a, scaled), 0.0);
}

TEST(Metrics, Wasserstein1OfATranslationIsTheShiftLength) {
  // W1(mu, mu + v) = |v|: moving every point by v costs |v|, and the 1-Lipschitz function
  // <x, v> / |v| shows nothing cheaper exists.
  for (const std::size_t dim : {1u, 2u, 5u}) {
    const WeightedPoints a = random_cloud(60, dim, 10 + dim);
    WeightedPoints b = a;
    double length_squared = 0.0;
    for (std::size_t k = 0; k < dim; ++k) {
      const double shift = 0.3 + 0.7 * static_cast<double>(k);
      length_squared += shift * shift;
      for (std::size_t i = 0; i < b.size(); ++i) b.points[i * dim + k] += shift;
    }
    const double length = std::sqrt(length_squared);
    EXPECT_NEAR(wasserstein1_exact(a, b), length, 1e-9 * length) << "dimension " << dim;
  }
}

TEST(Metrics, Wasserstein1OfDiracsIsTheirDistance) {
  const WeightedPoints a = make_points(2, {0.0, 0.0}, {1.0});
  const WeightedPoints b = make_points(2, {3.0, 4.0, 3.0, 4.0}, {0.25, 2.0});
  EXPECT_DOUBLE_EQ(wasserstein1_exact(a, b), 5.0);
}

TEST(Metrics, Wasserstein1IgnoresZeroWeightPoints) {
  const WeightedPoints a = make_points(1, {0.0, 1000.0}, {1.0, 0.0});
  const WeightedPoints b = make_points(1, {1.0, -1.0, 500.0}, {1.0, 3.0, 0.0});
  EXPECT_DOUBLE_EQ(wasserstein1_exact(a, b), 1.0);
}

TEST(Metrics, Wasserstein1RejectsBadInputs) {
  const WeightedPoints good = make_points(2, {0.0, 0.0, 1.0, 1.0}, {1.0, 1.0});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto w1 = [](WeightedPoints a, WeightedPoints b) { return [a, b] { wasserstein1_exact(a, b); }; };
  EXPECT_TRUE(testing::throws_input_error(w1(WeightedPoints{2, {}, {}}, good), {"side a", "no"}));
  EXPECT_TRUE(testing::throws_input_error(w1(good, WeightedPoints{2, {}, {}}), {"side b", "no"}));
  EXPECT_TRUE(testing::throws_input_error(w1(good, make_points(3, {0, 0, 0}, {1})),
                                          {"dimension mismatch", "a has 2", "b has 3"}));
  EXPECT_TRUE(testing::throws_input_error(w1(good, make_points(2, {0, 0, 0}, {1})),
                                          {"side b", "3 coordinates"}));
  EXPECT_TRUE(testing::throws_input_error(w1(make_points(2, {0, 0, 1, 1}, {1.0, -0.5}), good),
                                          {"side a", "point 1", "weight"}));
  EXPECT_TRUE(testing::throws_input_error(w1(good, make_points(2, {0, 0, 1, 1}, {nan, 1.0})),
                                          {"side b", "point 0", "weight"}));
  EXPECT_TRUE(testing::throws_input_error(w1(good, make_points(2, {0, 0, 1, inf}, {1.0, 1.0})),
                                          {"side b", "point 1", "coordinate 1"}));
  EXPECT_TRUE(testing::throws_input_error(w1(make_points(2, {nan, 0, 1, 1}, {1.0, 1.0}), good),
                                          {"side a", "point 0", "coordinate 0"}));
  EXPECT_TRUE(testing::throws_input_error(w1(good, make_points(2, {0, 0, 1, 1}, {0.0, 0.0})),
                                          {"side b", "total weight 0"}));
  EXPECT_TRUE(
      testing::throws_input_error(w1(make_points(0, {}, {1.0}), good), {"side a", "dimension 0"}));
}

TEST(Metrics, SubsampleReturnsEverythingWhenSmall) {
  const WeightedPoints points = indexed_line({0.5, 0.0, 2.0, 1.0});
  for (const std::size_t max_points : {4u, 10u}) {
    const WeightedPoints out = subsample_by_weight(points, max_points, 7);
    EXPECT_EQ(out.dimension, points.dimension);
    EXPECT_EQ(out.points, points.points);
    EXPECT_EQ(out.weights, points.weights);
  }
  // Fewer positive-weight points than max_points: those, with their own weights.
  const WeightedPoints out = subsample_by_weight(points, 3, 7);
  EXPECT_EQ(out.points, (std::vector<double>{0.0, 2.0, 3.0}));
  EXPECT_EQ(out.weights, (std::vector<double>{0.5, 2.0, 1.0}));
}

TEST(Metrics, SubsampleDrawsDistinctPointsReproducibly) {
  std::vector<double> weights(200);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 + static_cast<double>(i % 7);
  weights[13] = 0.0;
  const WeightedPoints points = indexed_line(weights);
  const WeightedPoints out = subsample_by_weight(points, 50, 42);
  ASSERT_EQ(out.size(), 50u);
  EXPECT_EQ(out.dimension, 1u);
  EXPECT_EQ(out.weights, std::vector<double>(50, 1.0));
  const std::vector<std::size_t> chosen = indices_of(out);
  EXPECT_EQ(std::set<std::size_t>(chosen.begin(), chosen.end()).size(), 50u);
  EXPECT_TRUE(std::is_sorted(chosen.begin(), chosen.end()));
  EXPECT_EQ(std::count(chosen.begin(), chosen.end(), 13u), 0);

  EXPECT_EQ(subsample_by_weight(points, 50, 42).points, out.points);
  // Two independent draws of 50 from 199 coincide with probability far below 1e-40.
  EXPECT_NE(subsample_by_weight(points, 50, 43).points, out.points);
}

TEST(Metrics, SubsampleInclusionFollowsWeights) {
  // Drawing 2 of 3 points with weights p = (1, 2, 3) / 6 sequentially in proportion to weight (the
  // law Efraimidis-Spirakis keys realize) includes point i with probability
  // p_i + sum_{j != i} p_j p_i / (1 - p_j) = 5/12, 11/15 and 17/20, computed below. Over 20000
  // seeds a frequency's standard deviation is at most 0.0035; the tolerance 0.02 is over 5.6
  // standard deviations (per-check false alarm below 2e-8).
  const std::vector<double> weights = {1.0, 2.0, 3.0};
  const WeightedPoints points = indexed_line(weights);
  constexpr int kDraws = 20000;
  std::vector<int> count(3, 0);
  for (int seed = 0; seed < kDraws; ++seed) {
    const WeightedPoints out = subsample_by_weight(points, 2, 1000 + seed);
    ASSERT_EQ(out.size(), 2u);
    for (std::size_t i : indices_of(out)) ++count[i];
  }
  const double p[3] = {1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0};
  for (int i = 0; i < 3; ++i) {
    double expected = p[i];
    for (int j = 0; j < 3; ++j)
      if (j != i) expected += p[j] * p[i] / (1.0 - p[j]);
    EXPECT_NEAR(static_cast<double>(count[i]) / kDraws, expected, 0.02) << "point " << i;
  }

  // Many light points against a few heavy ones: 10 points of weight 10 and 90 of weight 1, 10
  // drawn. A heavy point's inclusion frequency is expected near 0.465 and a light one's near 0.060
  // (simulated over 200000 seeds), a ratio near 7.8; over 2000 seeds the heavy rate is known to
  // +-0.018 and the light one to +-0.003 (5 sigma each), so the ratio stays above 7 and a
  // threshold of 4 is safe while still showing the preference.
  std::vector<double> mixed(100, 1.0);
  for (std::size_t i = 0; i < 10; ++i) mixed[i * 10] = 10.0;
  const WeightedPoints crowd = indexed_line(mixed);
  int heavy = 0, light = 0;
  constexpr int kCrowdDraws = 2000;
  for (int seed = 0; seed < kCrowdDraws; ++seed) {
    for (std::size_t i : indices_of(subsample_by_weight(crowd, 10, 5000 + seed)))
      (i % 10 == 0 ? heavy : light) += 1;
  }
  const double heavy_rate = static_cast<double>(heavy) / (10.0 * kCrowdDraws);
  const double light_rate = static_cast<double>(light) / (90.0 * kCrowdDraws);
  EXPECT_GT(heavy_rate, 4.0 * light_rate) << heavy_rate << " vs " << light_rate;
}

TEST(Metrics, SubsampleRejectsBadInputs) {
  const WeightedPoints points = indexed_line({1.0, 2.0});
  EXPECT_TRUE(
      testing::throws_input_error([&] { subsample_by_weight(points, 0, 1); }, {"max_points"}));
  EXPECT_TRUE(testing::throws_input_error(
      [&] {
        subsample_by_weight(indexed_line({1.0, -1.0}), 1, 1);
      },
      {"point 1", "weight"}));
  EXPECT_TRUE(testing::throws_input_error([&] { subsample_by_weight(WeightedPoints{}, 1, 1); },
                                          {"no points"}));
}

TEST(Metrics, RelativeMassError) {
  EXPECT_DOUBLE_EQ(relative_mass_error(1.5, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(relative_mass_error(0.5, 2.0), 0.75);
  EXPECT_DOUBLE_EQ(relative_mass_error(3.0, 3.0), 0.0);
  EXPECT_DOUBLE_EQ(relative_mass_error(0.0, 4.0), 1.0);
  EXPECT_TRUE(testing::throws_input_error([] { relative_mass_error(1.0, 0.0); }, {"observed"}));
  EXPECT_TRUE(testing::throws_input_error([] { relative_mass_error(1.0, -2.0); }, {"observed"}));
  EXPECT_TRUE(testing::throws_input_error(
      [] { relative_mass_error(std::numeric_limits<double>::quiet_NaN(), 1.0); }, {"predicted"}));
  EXPECT_TRUE(testing::throws_input_error([] { relative_mass_error(-1.0, 1.0); }, {"predicted"}));
}

}  // namespace
}  // namespace mustfm
