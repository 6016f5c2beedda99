// The CPU solver's exp and exp-sum loops (kernels/exp_sum_cpu.h): accuracy against long double
// references, out-of-range arguments, NaN propagation, and agreement of the portable and AVX2
// implementations (the AVX2 checks skip on processors without AVX2 and FMA).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/exp_sum_cpu.h"

namespace mustfm::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using ExpSum =
    double (*)(const std::int32_t*, const double*, const double*, std::int64_t, double, double);

struct Line {
  std::vector<std::int32_t> index;
  std::vector<double> cost;
};

// `count` entries over `partners` partners, costs uniform in [0, 2).
Line random_line(std::mt19937& rng, int count, int partners) {
  std::uniform_int_distribution<int> pick(0, partners - 1);
  std::uniform_real_distribution<double> uniform(0.0, 2.0);
  Line line;
  for (int k = 0; k < count; ++k) {
    line.index.push_back(pick(rng));
    line.cost.push_back(uniform(rng));
  }
  return line;
}

long double reference_sum(const Line& line,
                          const std::vector<double>& partner,
                          double inv_eps,
                          double shift) {
  long double sum = 0.0L;
  for (std::size_t k = 0; k < line.index.size(); ++k) {
    const long double x = static_cast<long double>(partner[line.index[k]]) - shift -
                          static_cast<long double>(line.cost[k]) * inv_eps;
    sum += std::exp(x);
  }
  return sum;
}

std::vector<ExpSum> implementations() {
  std::vector<ExpSum> out{&exp_sum_gather_portable};
  if (cpu_has_avx2_fma()) out.push_back(&exp_sum_gather_avx2);
  return out;
}

TEST(CpuExp, MatchesLongDoubleExpWithinTwoUlpOverTheNormalRange) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(-708.0, 709.0);
  double worst = 0.0;
  for (int k = 0; k < 200000; ++k) {
    const double x = k < 1000 ? -1.0 + 0.002 * k : uniform(rng);
    const long double exact = std::exp(static_cast<long double>(x));
    const double relative = static_cast<double>(std::fabs((cpu_exp(x) - exact) / exact));
    worst = std::max(worst, relative);
  }
  // Two units in the last place of a double are 2 * 2^-53 = 2.2e-16 relative at most.
  EXPECT_LT(worst, 2.3e-16);
}

TEST(CpuExp, OutOfRangeArgumentsAreClampedAndNaNPasses) {
  const double smallest_normal = std::numeric_limits<double>::min();
  EXPECT_NEAR(cpu_exp(-kInf), smallest_normal, 1e-3 * smallest_normal);
  EXPECT_NEAR(cpu_exp(-1000.0), smallest_normal, 1e-3 * smallest_normal);
  EXPECT_TRUE(std::isfinite(cpu_exp(kInf)));
  EXPECT_GT(cpu_exp(kInf), 1e307);
  EXPECT_TRUE(std::isnan(cpu_exp(kNaN)));
  EXPECT_DOUBLE_EQ(cpu_exp(0.0), 1.0);
}

TEST(ExpSum, MatchesLongDoubleSumsForEveryLengthAndImplementation) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 3.0);
  std::vector<double> partner(50);
  for (double& p : partner) p = normal(rng);
  partner[7] = -kInf;  // a partner that carries no mass
  for (ExpSum sum : implementations()) {
    for (int count = 0; count <= 37; ++count) {
      const Line line = random_line(rng, count, static_cast<int>(partner.size()));
      const double inv_eps = 2.5;
      const double shift = 0.7;
      const long double exact = reference_sum(line, partner, inv_eps, shift);
      const double got =
          sum(line.index.data(), line.cost.data(), partner.data(), count, inv_eps, shift);
      // A dead partner contributes the smallest normal number instead of 0 (documented).
      const double slack = 1e-300 * count;
      EXPECT_NEAR(got, static_cast<double>(exact), 1e-14 * static_cast<double>(exact) + slack)
          << "count " << count;
    }
  }
}

TEST(ExpSum, NegligibleTermsChangeATrustedSumByLessThanTheStatedBound) {
  // 64 terms: one at exp(-9) (a sum just above the trusted minimum 1e-4), the others below
  // exp(kNegligibleExponent), which the AVX2 loop may skip in groups of eight.
  std::vector<double> partner(64, kNegligibleExponent - 5.0);
  partner[40] = -9.0;
  Line line;
  for (int k = 0; k < 64; ++k) {
    line.index.push_back(k);
    line.cost.push_back(0.0);
  }
  for (ExpSum sum : implementations()) {
    const double got = sum(line.index.data(), line.cost.data(), partner.data(), 64, 1.0, 0.0);
    ASSERT_GE(got, kTrustedSumLow);
    const double exact = static_cast<double>(reference_sum(line, partner, 1.0, 0.0));
    EXPECT_NEAR(got, exact, 64 * std::exp(kNegligibleExponent));
    EXPECT_NEAR(got, std::exp(-9.0), 1e-15);
  }
}

TEST(ExpSum, NaNPropagatesEvenAmongNegligibleTerms) {
  std::vector<double> partner(16, -1000.0);
  partner[5] = kNaN;
  Line line;
  for (int k = 0; k < 16; ++k) {
    line.index.push_back(k);
    line.cost.push_back(0.0);
  }
  for (ExpSum sum : implementations())
    EXPECT_TRUE(std::isnan(sum(line.index.data(), line.cost.data(), partner.data(), 16, 1.0, 0.0)));
}

TEST(ExpSum, PortableAndVectorImplementationsAgree) {
  if (!cpu_has_avx2_fma()) GTEST_SKIP() << "this processor has no AVX2 and FMA";
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 20.0);
  std::vector<double> partner(1000);
  for (double& p : partner) p = normal(rng);
  for (int trial = 0; trial < 50; ++trial) {
    const Line line = random_line(rng, 1 + trial * 37, static_cast<int>(partner.size()));
    const auto count = static_cast<std::int64_t>(line.index.size());
    const double portable = exp_sum_gather_portable(line.index.data(), line.cost.data(),
                                                    partner.data(), count, 10.0, 3.0);
    const double vector =
        exp_sum_gather_avx2(line.index.data(), line.cost.data(), partner.data(), count, 10.0, 3.0);
    EXPECT_NEAR(vector, portable, 1e-13 * portable) << "trial " << trial;
  }
}

}  // namespace
}  // namespace mustfm::detail
