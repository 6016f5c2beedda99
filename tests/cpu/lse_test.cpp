// Streaming log-sum-exp (kernels/lse.h).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/lse.h"

namespace mustfm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// A few roundings of exp, log and the running sum.
constexpr double kRelative = 1e-14;

template <class T>
T lse_of(const std::vector<T>& values) {
  LseState<T> state;
  for (T v : values) lse_push(state, v);
  return lse_value(state);
}

TEST(Lse, EmptyAndAllNegativeInfinityGiveNegativeInfinity) {
  EXPECT_EQ(lse_of<double>({}), -kInf);
  EXPECT_EQ(lse_of<double>({-kInf, -kInf, -kInf}), -kInf);
  EXPECT_EQ(lse_of<float>({-std::numeric_limits<float>::infinity()}),
            -std::numeric_limits<float>::infinity());
  // Merging empty states stays empty, in either order.
  const LseState<double> empty;
  EXPECT_EQ(lse_value(lse_merge(empty, empty)), -kInf);
}

TEST(Lse, NegativeInfinityTermsContributeNothing) {
  EXPECT_DOUBLE_EQ(lse_of<double>({-kInf, 0.0, -kInf}), 0.0);
  EXPECT_NEAR(lse_of<double>({1.0, -kInf, 2.0}), std::log(std::exp(1.0) + std::exp(2.0)),
              kRelative * 3);
}

TEST(Lse, LargeAndSmallArgumentsDoNotOverflow) {
  EXPECT_NEAR(lse_of<double>({1000.0, 1000.0}), 1000.0 + std::log(2.0), kRelative * 1000);
  EXPECT_NEAR(lse_of<double>({-1000.0, -1000.0, -1000.0}), -1000.0 + std::log(3.0),
              kRelative * 1000);
  // The running maximum changes direction several times.
  EXPECT_NEAR(lse_of<double>({-800.0, 700.0, 650.0, 710.0}),
              710.0 + std::log1p(std::exp(-10.0) + std::exp(-60.0)), kRelative * 710);
  EXPECT_NEAR(lse_of<float>({80.0f, 100.0f}), 100.0f + std::log1p(std::exp(-20.0f)), 1e-5f);
}

TEST(Lse, MatchesDirectSumAndMergeIsOrderFree) {
  std::mt19937 rng(9);
  std::normal_distribution<double> normal(0.0, 3.0);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> values(1 + trial);
    double direct = 0;
    for (double& v : values) direct += std::exp(v = normal(rng));
    const double expected = std::log(direct);
    EXPECT_NEAR(lse_of(values), expected, kRelative * (1 + std::fabs(expected)))
        << "trial " << trial;

    // Two partial states merged, in both orders, equal the single pass.
    LseState<double> left, right;
    for (std::size_t k = 0; k < values.size(); ++k) lse_push(k % 3 ? left : right, values[k]);
    EXPECT_NEAR(lse_value(lse_merge(left, right)), expected, kRelative * (1 + std::fabs(expected)))
        << "trial " << trial;
    EXPECT_NEAR(lse_value(lse_merge(right, left)), expected, kRelative * (1 + std::fabs(expected)))
        << "trial " << trial;
  }
}

TEST(Lse, NanPropagates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(lse_of<double>({nan})));
  EXPECT_TRUE(std::isnan(lse_of<double>({1.0, nan, 2.0})));
  EXPECT_TRUE(std::isnan(lse_of<double>({nan, 5.0})));
  LseState<double> bad, good;
  lse_push(bad, nan);
  lse_push(good, 3.0);
  EXPECT_TRUE(std::isnan(lse_value(lse_merge(bad, good))));
  EXPECT_TRUE(std::isnan(lse_value(lse_merge(good, bad))));
}

}  // namespace
}  // namespace mustfm
