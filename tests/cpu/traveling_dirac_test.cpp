#include "kernels/traveling_dirac.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

namespace mustfm {
namespace {

// The design's check values carry 10 decimals; double arithmetic is far more accurate.
constexpr double kCheckTolerance = 1e-9;
// Central differences with step h have truncation error h^2 |f'''| / 6 and rounding ~eps / h.
// With h = 1e-5 that is ~1e-9 relative even for the sharply curved path of a 1000-fold mass
// loss (|f'''| / |f'| ~ 1e2 there), and ~1e-11 from rounding.
constexpr double kFiniteDifferenceStep = 1e-5;
constexpr double kFiniteDifferenceTolerance = 1e-7;

struct Pair1d {
  double m0, m1, delta, s, dt;
};

struct Result1d {
  bool admissible;
  double x, u;
  DiracProfile<double> profile;
};

Result1d run_1d(double x0, double x1, const Pair1d& p) {
  Result1d result{};
  result.admissible = traveling_dirac(&x0, &x1, 1, p.m0, p.m1, p.delta, p.s, p.dt, &result.x,
                                      &result.u, result.profile);
  return result;
}

struct CheckRow {
  Pair1d pair;
  double x, m, u, q;
};

TEST(TravelingDirac, DesignCheckValues) {
  const CheckRow rows[] = {
      {{1, 2, 1, 0.5, 1}, 0.5875635038, 1.3705445806, 0.9894024732, 0.7296369736},
      {{1, 0.5, 1.5, 0.25, 2}, 0.1889671543, 0.8443195493, 0.4110320359, -0.3445464077},
      {{1, 1, 1, 0.5, 1}, 0.5, 0.9387912809, 1.0213676849, 0.0},
  };
  for (const CheckRow& row : rows) {
    SCOPED_TRACE(testing::Message() << "m0 " << row.pair.m0 << " m1 " << row.pair.m1 << " delta "
                                    << row.pair.delta << " s " << row.pair.s);
    const Result1d r = run_1d(0.0, 1.0, row.pair);
    ASSERT_TRUE(r.admissible);
    EXPECT_NEAR(r.x, row.x, kCheckTolerance);
    EXPECT_NEAR(r.profile.mass, row.m, kCheckTolerance);
    EXPECT_NEAR(r.u, row.u, kCheckTolerance);
    EXPECT_NEAR(r.profile.growth, row.q, kCheckTolerance);
    EXPECT_NEAR(r.profile.weight, row.m / row.pair.m0, kCheckTolerance);
  }
}

TEST(TravelingDirac, EndpointsAreTheTwoDiracs) {
  const double x0 = -0.3, x1 = 0.9;
  for (double m1 : {0.5, 1.0, 3.0}) {
    const Pair1d start{2.0, m1, 0.7, 0.0, 1.0};
    Result1d r = run_1d(x0, x1, start);
    ASSERT_TRUE(r.admissible);
    EXPECT_DOUBLE_EQ(r.x, x0);
    EXPECT_DOUBLE_EQ(r.profile.mass, 2.0);
    EXPECT_DOUBLE_EQ(r.profile.weight, 1.0);

    Pair1d end = start;
    end.s = 1.0;
    r = run_1d(x0, x1, end);
    ASSERT_TRUE(r.admissible);
    // theta(1) = atan2(sin phi, cos phi) = phi up to a few ulps.
    EXPECT_NEAR(r.x, x1, 1e-15) << "m1 " << m1;
    EXPECT_NEAR(r.profile.mass, m1, 1e-15 * m1) << "m1 " << m1;
    EXPECT_NEAR(r.profile.weight, m1 / 2.0, 1e-15) << "m1 " << m1;
  }
}

TEST(TravelingDirac, PairsBeyondTheCutOffAreDropped) {
  const Pair1d pair{1, 2, 1, 0.5, 1};
  const double pi = 3.141592653589793;
  Result1d r = run_1d(0.0, pi, pair);
  EXPECT_FALSE(r.admissible);
  r = run_1d(0.0, 2 * pi, pair);  // cos^2 is periodic; still inadmissible
  EXPECT_FALSE(r.admissible);
  r = run_1d(0.0, std::nan(""), pair);
  EXPECT_FALSE(r.admissible);
  r = run_1d(0.0, 0.999 * pi, pair);
  EXPECT_TRUE(r.admissible);
  EXPECT_TRUE(std::isfinite(r.u) && std::isfinite(r.profile.growth));

  // Masses must be positive and finite.
  EXPECT_FALSE(run_1d(0.0, 1.0, {0.0, 1.0, 1.0, 0.5, 1.0}).admissible);
  EXPECT_FALSE(run_1d(0.0, 1.0, {1.0, -1.0, 1.0, 0.5, 1.0}).admissible);
  EXPECT_FALSE(run_1d(0.0, 1.0, {1.0, INFINITY, 1.0, 0.5, 1.0}).admissible);
}

TEST(TravelingDirac, CoincidentPointsGiveTheLimitVelocity) {
  // As d -> 0, dx/ds -> sqrt(m0 m1) (x1 - x0) / m(s) with m(s) = ((1-s) sqrt m0 + s sqrt m1)^2.
  for (double gap : {1e-12, 0.0}) {
    const Pair1d pair{1.0, 4.0, 0.5, 0.3, 2.0};
    const Result1d r = run_1d(0.0, gap, pair);
    ASSERT_TRUE(r.admissible);
    const double root_mass = 0.7 * 1.0 + 0.3 * 2.0;
    const double mass = root_mass * root_mass;
    const double slope = 2.0 * root_mass * (2.0 - 1.0);
    SCOPED_TRACE(testing::Message() << "gap " << gap);
    EXPECT_TRUE(std::isfinite(r.x) && std::isfinite(r.u));
    EXPECT_NEAR(r.x, gap * 0.3 * 2.0 / root_mass, 1e-24);
    EXPECT_NEAR(r.u, 2.0 * gap / (mass * pair.dt), 1e-24);
    EXPECT_NEAR(r.profile.mass, mass, 1e-14);
    EXPECT_NEAR(r.profile.growth, slope / (mass * pair.dt), 1e-14);
  }
}

TEST(TravelingDirac, ExtremeMassRatiosStayFinite) {
  for (double m1 : {1e6, 1e-6}) {
    for (double s : {0.0, 0.01, 0.5, 0.99, 1.0}) {
      const Result1d r = run_1d(0.0, 2.0, {1.0, m1, 1.0, s, 0.5});
      SCOPED_TRACE(testing::Message() << "m1 " << m1 << " s " << s);
      ASSERT_TRUE(r.admissible);
      EXPECT_TRUE(std::isfinite(r.x) && std::isfinite(r.u));
      EXPECT_TRUE(std::isfinite(r.profile.mass) && r.profile.mass > 0.0);
      EXPECT_TRUE(std::isfinite(r.profile.growth) && std::isfinite(r.profile.weight));
      EXPECT_GE(r.x, 0.0);
      EXPECT_LE(r.x, 2.0 + 1e-14);  // theta(1) = phi up to rounding
    }
  }
}

TEST(TravelingDirac, TargetsAreDerivativesOfThePath) {
  const double h = kFiniteDifferenceStep;
  const Pair1d cases[] = {
      {1.0, 2.0, 1.0, 0.5, 1.0}, {1.0, 0.5, 1.5, 0.25, 2.0}, {3.0, 0.2, 0.8, 0.7, 0.3},
      {1.0, 1e3, 1.2, 0.4, 1.0}, {2.0, 2.0, 0.9, 0.1, 5.0},  {1.0, 1e-3, 1.0, 0.9, 1.0},
  };
  for (const Pair1d& pair : cases) {
    SCOPED_TRACE(testing::Message() << "m0 " << pair.m0 << " m1 " << pair.m1 << " delta "
                                    << pair.delta << " s " << pair.s << " dt " << pair.dt);
    Pair1d before = pair, after = pair;
    before.s -= h;
    after.s += h;
    const Result1d r = run_1d(0.1, 1.6, pair);
    const Result1d rb = run_1d(0.1, 1.6, before);
    const Result1d ra = run_1d(0.1, 1.6, after);
    ASSERT_TRUE(r.admissible && rb.admissible && ra.admissible);

    const double velocity = (ra.x - rb.x) / (2 * h) / pair.dt;
    const double growth =
        (std::log(ra.profile.mass) - std::log(rb.profile.mass)) / (2 * h) / pair.dt;
    EXPECT_NEAR(r.u, velocity, kFiniteDifferenceTolerance * std::max(1.0, std::fabs(velocity)));
    EXPECT_NEAR(r.profile.growth, growth,
                kFiniteDifferenceTolerance * std::max(1.0, std::fabs(growth)));
  }
}

TEST(TravelingDirac, MotionIsAlongTheSegmentInManyDimensions) {
  const std::array<double, 4> x0 = {0.2, -0.1, 0.4, 1.0};
  const std::array<double, 4> x1 = {0.5, 0.3, -0.2, 1.1};
  double distance = 0.0;
  for (int k = 0; k < 4; ++k) distance += (x1[k] - x0[k]) * (x1[k] - x0[k]);
  distance = std::sqrt(distance);

  // The same pair on a line, at the same distance, gives the scalar reference.
  const double m0 = 1.0, m1 = 2.5, delta = 0.6, s = 0.35, dt = 0.8;
  const Result1d line = run_1d(0.0, distance, {m0, m1, delta, s, dt});
  ASSERT_TRUE(line.admissible);

  std::array<double, 4> x{}, u{};
  DiracProfile<double> profile{};
  ASSERT_TRUE(
      traveling_dirac(x0.data(), x1.data(), 4, m0, m1, delta, s, dt, x.data(), u.data(), profile));
  for (int k = 0; k < 4; ++k) {
    const double e = (x1[k] - x0[k]) / distance;
    SCOPED_TRACE(testing::Message() << "coordinate " << k);
    EXPECT_NEAR(x[k], x0[k] + line.x * e, 1e-14);
    EXPECT_NEAR(u[k], line.u * e, 1e-14);
  }
  EXPECT_NEAR(profile.mass, line.profile.mass, 1e-14);
  EXPECT_NEAR(profile.growth, line.profile.growth, 1e-14);
}

TEST(TravelingDirac, FloatAgreesWithDouble) {
  // float carries ~6e-8 relative rounding; a handful of operations stay below 1e-5 relative.
  const float x0 = 0.1f, x1 = 1.3f;
  for (float s : {0.0f, 0.2f, 0.5f, 0.8f, 1.0f}) {
    float x = 0, u = 0;
    DiracProfile<float> pf{};
    ASSERT_TRUE(traveling_dirac(&x0, &x1, 1, 1.0f, 3.0f, 0.9f, s, 0.7f, &x, &u, pf));
    const Result1d r = run_1d(0.1, 1.3, {1.0, 3.0, 0.9, static_cast<double>(s), 0.7});
    SCOPED_TRACE(testing::Message() << "s " << s);
    EXPECT_NEAR(x, r.x, 1e-5 * std::fabs(r.x) + 1e-6);
    EXPECT_NEAR(u, r.u, 1e-5 * std::fabs(r.u));
    EXPECT_NEAR(pf.mass, r.profile.mass, 1e-5 * r.profile.mass);
    EXPECT_NEAR(pf.growth, r.profile.growth, 1e-5 * std::fabs(r.profile.growth));
  }
}

}  // namespace
}  // namespace mustfm
