// The WFR cost c = -log cos^2(d / (2 delta)) below the cut-off pi delta (kernels/wfr_cost.h).
// phi = d / (2 delta).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/wfr_cost.h"

namespace mustfm {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kInf = std::numeric_limits<double>::infinity();
// A correctly evaluated cost is within a few ulps; this leaves room for libm differences.
constexpr double kUlpsRelative = 1e-15;

// Exact values where cos^2 is a simple number: phi = pi/4 (cos^2 = 1/2), pi/3 (1/4), pi/6 (3/4).
TEST(WfrCost, ExactValues) {
  for (const double delta : {0.3, 1.0, 7.5}) {
    EXPECT_NEAR(wfr_cost_from_distance(kPi / 2 * delta, delta), std::log(2.0), 4 * kUlpsRelative)
        << "delta " << delta;
    EXPECT_NEAR(wfr_cost_from_distance(2 * kPi / 3 * delta, delta), std::log(4.0),
                4 * kUlpsRelative * std::log(4.0))
        << "delta " << delta;
    EXPECT_NEAR(wfr_cost_from_distance(kPi / 3 * delta, delta), std::log(4.0 / 3.0),
                4 * kUlpsRelative)
        << "delta " << delta;
  }
  EXPECT_EQ(wfr_cost_from_distance(0.0, 1.0), 0.0);
}

// Near 0 the cost is phi^2 + phi^4 / 6 + 2 phi^6 / 45 + 17 phi^8 / 1260 + O(phi^10) (the
// truncation is below 1e-20 relative here); a naive -log(cos^2) would return 0 below phi ~ 1e-8
// and lose half its digits near 1e-4.
TEST(WfrCost, SmallDistancesKeepFullRelativeAccuracy) {
  for (const double delta : {0.5, 2.0}) {
    for (double phi = 1e-12; phi < 2e-2; phi *= 3.7) {
      const double series = phi * phi + std::pow(phi, 4) / 6 + 2 * std::pow(phi, 6) / 45 +
                            17 * std::pow(phi, 8) / 1260;
      const double cost = wfr_cost_from_distance(2 * delta * phi, delta);
      EXPECT_NEAR(cost, series, 8 * kUlpsRelative * series) << "phi " << phi << " delta " << delta;
    }
  }
}

TEST(WfrCost, CutOffAtAndBeyondPiDelta) {
  for (const double delta : {0.25, 1.0, 3.0}) {
    const double cutoff = wfr_cutoff_distance(delta);
    EXPECT_EQ(wfr_cost_from_distance(cutoff, delta), kInf) << "at pi delta, delta " << delta;
    // cos^2 is 1 again at 2 pi delta: a periodic formula would give 0 there.
    EXPECT_EQ(wfr_cost_from_distance(2 * cutoff, delta), kInf) << "2 pi delta";
    EXPECT_EQ(wfr_cost_from_distance(1.5 * cutoff, delta), kInf) << "1.5 pi delta";
    EXPECT_EQ(wfr_cost_from_distance(1e300, delta), kInf);
    EXPECT_EQ(wfr_cost_from_distance(kInf, delta), kInf);
    EXPECT_EQ(wfr_cost_from_distance(std::numeric_limits<double>::quiet_NaN(), delta), kInf);

    // Just below the cut-off the cost is finite and large: -2 log sin(pi/2 - phi).
    const double below = std::nextafter(cutoff, 0.0);
    const double last = wfr_cost_from_distance(below, delta);
    EXPECT_TRUE(std::isfinite(last) && last > 60.0) << "just below: " << last;
    for (const double gap : {1e-3, 1e-6, 1e-9}) {
      const double d = cutoff * (1 - gap);
      const double expected = -2 * std::log(std::sin(kPi / 2 * gap));
      // d carries a relative rounding of 1e-16, i.e. 1e-16 / gap relative in pi/2 - phi.
      EXPECT_NEAR(wfr_cost_from_distance(d, delta), expected, 2e-15 / gap)
          << "gap " << gap << " delta " << delta;
    }
  }
}

// The single-precision cut-off: phi may round to float(pi/2) > pi/2, where cos is negative.
TEST(WfrCost, FloatJustBelowCutOffIsFinite) {
  for (const float delta : {0.3f, 1.0f, 5.0f}) {
    const float below = std::nextafter(wfr_cutoff_distance(delta), 0.0f);
    const float cost = wfr_cost_from_distance(below, delta);
    EXPECT_TRUE(std::isfinite(cost) && cost > 10.0f) << "delta " << delta << ": " << cost;
    EXPECT_EQ(wfr_cost_from_distance(wfr_cutoff_distance(delta), delta),
              std::numeric_limits<float>::infinity());
  }
}

// Float agrees with double to single-precision accuracy away from the cut-off.
TEST(WfrCost, FloatMatchesDouble) {
  constexpr double kFloatRelative = 1e-6;
  for (double d = 1e-5; d < 3.0; d *= 1.3) {
    const double reference = wfr_cost_from_distance(d, 1.0);
    const float single = wfr_cost_from_distance(static_cast<float>(d), 1.0f);
    EXPECT_NEAR(single, reference, kFloatRelative * reference + 1e-7 * d) << "distance " << d;
  }
}

// From coordinates: symmetric, equal to the distance form, invariant under scaling x, y, delta.
TEST(WfrCost, FromCoordinatesSymmetricAndScaleInvariant) {
  std::mt19937 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    double x[5], y[5], xs[5], ys[5];
    const double s = 4.0;
    for (int k = 0; k < 5; ++k) {
      x[k] = normal(rng);
      y[k] = normal(rng);
      xs[k] = s * x[k];
      ys[k] = s * y[k];
    }
    const double delta = 1.3;
    const double cxy = wfr_cost(x, y, 5, delta);
    EXPECT_EQ(cxy, wfr_cost(y, x, 5, delta)) << "trial " << trial;
    double squared = 0;
    for (int k = 0; k < 5; ++k) squared += (x[k] - y[k]) * (x[k] - y[k]);
    EXPECT_EQ(cxy, wfr_cost_from_distance(std::sqrt(squared), delta)) << "trial " << trial;
    // Scaling by 4 is exact in binary, so the costs agree bitwise (both finite or both inf).
    EXPECT_EQ(wfr_cost(xs, ys, 5, s * delta), cxy) << "trial " << trial;
  }
}

}  // namespace
}  // namespace mustfm
