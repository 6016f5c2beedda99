// The Dormand-Prince 5(4) integrator against ODEs with known solutions.
//
// Tolerances: with rtol 1e-7 (the reference setting) the global error of this tolerance-
// proportional 5th-order method over an O(1) time span stays within a few rtol of |y| (observed
// 5e-8 to 1.2e-7 relative below); the checks allow 1e-6, ten rtol, so they do not depend on the
// exact step sequence yet fail for a wrong coefficient, which makes the method low order and the
// error estimate inconsistent. Step and evaluation counts are checked too: a broken tableau or
// controller shows up there even where the controller hides it in the error.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/dopri5.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// y' = rate y, for every component.
OdeRightHandSide linear(double rate) {
  return [rate](double, std::span<const double> y, std::span<double> dydt) {
    for (std::size_t i = 0; i < y.size(); ++i) dydt[i] = rate * y[i];
  };
}

// The largest relative error of a scalar run against `exact`, and the times seen.
struct Scalar {
  double worst = 0.0;
  std::vector<double> seen;
  Dopri5Stats stats;
};

template <class Exact>
Scalar run_scalar(const OdeRightHandSide& f,
                  double t0,
                  double y0,
                  const std::vector<double>& times,
                  Exact exact,
                  const Dopri5Options& options = {}) {
  Scalar result;
  result.stats = integrate_dopri5(
      f, t0, {y0}, times,
      [&](std::size_t index, double t, std::span<const double> y) {
        EXPECT_EQ(index, result.seen.size());
        result.seen.push_back(t);
        result.worst = std::max(result.worst, std::abs(y[0] / exact(t) - 1.0));
      },
      options);
  EXPECT_EQ(result.seen, times);
  return result;
}

// FSAL: one evaluation at t0, one for the starting-step heuristic, then 6 per attempted step.
void expect_fsal_count(const Dopri5Stats& stats) {
  EXPECT_EQ(stats.evaluations, 2 + 6 * (stats.accepted + stats.rejected));
}

// Runs `call`, expecting an exception of type E whose message contains every one of `parts`.
template <class E, class Call>
void expect_error(Call call, const std::vector<std::string>& parts) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected one mentioning " << parts.front();
  } catch (const E& error) {
    for (const auto& part : parts)
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
          << "'" << error.what() << "' does not mention '" << part << "'";
  }
}

TEST(Dopri5, ExponentialGrowthForward) {
  const auto run =
      run_scalar(linear(1.0), 0.0, 1.0, {0.5, 1.0, 1.5, 2.0}, [](double t) { return std::exp(t); });
  EXPECT_LT(run.worst, 1e-6);
  // About a dozen steps at rtol 1e-7; a broken error estimate either rejects or crawls.
  EXPECT_LT(run.stats.accepted, 40);
  EXPECT_LT(run.stats.rejected, 10);
  expect_fsal_count(run.stats);
}

TEST(Dopri5, ExponentialDecayForwardAndBackward) {
  // Decay y' = -1.5 y forward over [0, 2], then the same ODE backward from t0 = 1 to -1 (where it
  // grows by e^3).
  const auto forward =
      run_scalar(linear(-1.5), 0.0, 1.0, {1.0, 2.0}, [](double t) { return std::exp(-1.5 * t); });
  EXPECT_LT(forward.worst, 1e-6);
  expect_fsal_count(forward.stats);

  const auto backward = run_scalar(linear(-1.5), 1.0, 1.0, {1.0, 0.5, 0.0, -1.0},
                                   [](double t) { return std::exp(-1.5 * (t - 1.0)); });
  EXPECT_LT(backward.worst, 1e-6);
  EXPECT_LT(backward.stats.accepted, 60);
  expect_fsal_count(backward.stats);
}

TEST(Dopri5, HarmonicOscillatorOverFivePeriods) {
  // x' = -y, y' = x from (1, 0): the rotation (cos t, sin t). The error grows about linearly with
  // the periods (observed 6e-7 after five at rtol 1e-7); 1e-5 allows ten times the linear growth
  // of rtol per period.
  std::vector<double> times;
  for (int i = 1; i <= 100; ++i) times.push_back(i * 10.0 * std::numbers::pi / 100);
  double worst = 0.0, worst_radius = 0.0;
  const auto stats = integrate_dopri5(
      [](double, std::span<const double> y, std::span<double> dydt) {
        dydt[0] = -y[1];
        dydt[1] = y[0];
      },
      0.0, {1.0, 0.0}, times,
      [&](std::size_t, double t, std::span<const double> y) {
        worst = std::max(worst, std::hypot(y[0] - std::cos(t), y[1] - std::sin(t)));
        worst_radius = std::max(worst_radius, std::abs(std::hypot(y[0], y[1]) - 1.0));
      });
  EXPECT_LT(worst, 1e-5);
  EXPECT_LT(worst_radius, 1e-5);
  expect_fsal_count(stats);
}

TEST(Dopri5, TimeDependentRightHandSide) {
  // y' = cos t: y = sin t, which crosses zero, so atol 1e-9 governs there; the absolute error
  // (observed 5.5e-7 over [0, 10], many outputs per step) is held to 5e-6.
  std::vector<double> times;
  for (int i = 0; i <= 1000; ++i) times.push_back(i * 0.01);
  double worst = 0.0;
  const auto stats = integrate_dopri5(
      [](double t, std::span<const double>, std::span<double> dydt) { dydt[0] = std::cos(t); }, 0.0,
      {0.0}, times,
      [&](std::size_t, double t, std::span<const double> y) {
        worst = std::max(worst, std::abs(y[0] - std::sin(t)));
      });
  EXPECT_LT(worst, 5e-6);
  EXPECT_LT(stats.accepted, 100);
}

TEST(Dopri5, ManyIndependentComponents) {
  // 100000 components y_i' = r_i y_i, r_i spread over [-1, 1]: the OpenMP paths (above their
  // 16384-component threshold) and the RMS norm over all components. Relative error 1e-6 as in
  // the scalar tests (observed 1.2e-7).
  const std::size_t n = 100000;
  std::vector<double> rate(n), y0(n);
  for (std::size_t i = 0; i < n; ++i) {
    rate[i] = -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(n - 1);
    y0[i] = 1.0 + 1e-3 * static_cast<double>(i % 1000);
  }
  const OdeRightHandSide f = [&](double, std::span<const double> y, std::span<double> dydt) {
    // Serial on purpose: fewer parallel regions keep the test fast on a busy machine.
    for (std::size_t i = 0; i < y.size(); ++i) dydt[i] = rate[i] * y[i];
  };
  const std::vector<double> times = {0.25, 0.5, 1.0};
  double worst = 0.0;
  std::vector<double> final_state;
  const auto stats = integrate_dopri5(f, 0.0, y0, times, [&](std::size_t index, double t, auto y) {
    ASSERT_EQ(y.size(), n);
    for (std::size_t i = 0; i < n; ++i)
      worst = std::max(worst, std::abs(y[i] / (y0[i] * std::exp(rate[i] * t)) - 1.0));
    if (index == times.size() - 1) final_state.assign(y.begin(), y.end());
  });
  EXPECT_LT(worst, 1e-6);
  expect_fsal_count(stats);

#ifdef _OPENMP
  // The norm sums fixed blocks in order: the same bits with any thread count.
  const int threads = omp_get_max_threads();
  for (int count : {1, 2}) {
    omp_set_num_threads(count);
    std::vector<double> again;
    const auto repeat = integrate_dopri5(f, 0.0, y0, times, [&](std::size_t index, double, auto y) {
      if (index == times.size() - 1) again.assign(y.begin(), y.end());
    });
    EXPECT_EQ(repeat.accepted, stats.accepted);
    EXPECT_EQ(again, final_state) << count << " threads";
  }
  omp_set_num_threads(threads);
#endif
}

TEST(Dopri5, OutputAtStartTimeIsTheInitialState) {
  // Outputs at t0 are y0 itself, bit for bit, before any evaluation of f.
  std::vector<std::vector<double>> seen;
  const std::vector<double> times = {2.0, 2.0, 3.0};
  const auto stats = integrate_dopri5(linear(0.3), 2.0, {0.1, -7.0}, times,
                                      [&](std::size_t, double, std::span<const double> y) {
                                        seen.emplace_back(y.begin(), y.end());
                                      });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::vector<double>{0.1, -7.0}));
  EXPECT_EQ(seen[1], seen[0]);
  EXPECT_NEAR(seen[2][1], -7.0 * std::exp(0.3), 7.0 * std::exp(0.3) * 1e-6);

  // Only t0: nothing to integrate.
  const std::vector<double> only_start = {2.0};
  const auto none = integrate_dopri5(linear(0.3), 2.0, {1.0}, only_start, {});
  EXPECT_EQ(none.evaluations, 0);
  EXPECT_EQ(stats.evaluations, 2 + 6 * (stats.accepted + stats.rejected));
}

TEST(Dopri5, DenseOutputManyTimesWithinOneStep) {
  // y' = 4 t^3 has the solution t^4, a quartic, which the 4th-order dense output reproduces
  // exactly and the error estimate sees as exact (so steps grow tenfold each time): 1001 outputs
  // fall in a handful of steps and must match to roundoff of O(1) numbers (1e-13).
  std::vector<double> times;
  for (int i = 0; i <= 1000; ++i) times.push_back(i * 0.001);
  double worst = 0.0;
  const auto quartic = integrate_dopri5(
      [](double t, std::span<const double>, std::span<double> dydt) { dydt[0] = 4 * t * t * t; },
      0.0, {0.0}, times,
      [&](std::size_t, double t, std::span<const double> y) {
        worst = std::max(worst, std::abs(y[0] - t * t * t * t));
      });
  EXPECT_LT(worst, 1e-13);
  EXPECT_LE(quartic.accepted, 10);  // so at least 100 outputs per step on average

  // y' = y with 2001 outputs over [0, 2] (over 100 per step): dense values are as accurate as
  // the step ends, 1e-6 relative as in ExponentialGrowthForward.
  std::vector<double> dense_times;
  for (int i = 1; i <= 2000; ++i) dense_times.push_back(i * 0.001);
  const auto run =
      run_scalar(linear(1.0), 0.0, 1.0, dense_times, [](double t) { return std::exp(t); });
  EXPECT_LT(run.worst, 1e-6);
  EXPECT_LE(run.stats.accepted, 20);
}

TEST(Dopri5, HalvingRtolReducesTheError) {
  // Tolerance proportionality: the global error scales about like rtol (observed ratio 0.44 to
  // 0.51 per halving on the oscillator over five periods). Loose: each halving must cut the
  // error below 0.8 of the previous one, four halvings below a quarter.
  std::vector<double> times;
  for (int i = 1; i <= 50; ++i) times.push_back(i * 10.0 * std::numbers::pi / 50);
  std::vector<double> errors;
  for (double rtol = 1e-5; errors.size() < 5; rtol /= 2) {
    Dopri5Options options;
    options.rtol = rtol;
    options.atol = 1e-12;  // so rtol alone governs
    double worst = 0.0;
    integrate_dopri5(
        [](double, std::span<const double> y, std::span<double> dydt) {
          dydt[0] = -y[1];
          dydt[1] = y[0];
        },
        0.0, {1.0, 0.0}, times,
        [&](std::size_t, double t, std::span<const double> y) {
          worst = std::max(worst, std::hypot(y[0] - std::cos(t), y[1] - std::sin(t)));
        },
        options);
    errors.push_back(worst);
  }
  for (std::size_t i = 1; i < errors.size(); ++i)
    EXPECT_LT(errors[i], 0.8 * errors[i - 1]) << "halving " << i;
  EXPECT_LT(errors.back(), 0.25 * errors.front());
}

TEST(Dopri5, NeverEvaluatesBeyondTheLastTime) {
  // The step that would pass the last time ends on it; the last output is that step's end.
  double furthest = 0.0, last_output = kNan;
  const std::vector<double> times = {0.3, 0.7};
  integrate_dopri5(
      [&](double t, std::span<const double> y, std::span<double> dydt) {
        furthest = std::max(furthest, t);
        dydt[0] = y[0];
      },
      0.0, {1.0}, times,
      [&](std::size_t, double, std::span<const double> y) { last_output = y[0]; });
  EXPECT_LE(furthest, 0.7);
  EXPECT_NEAR(last_output, std::exp(0.7), 1e-6);
}

TEST(Dopri5, GivenFirstStepIsUsed) {
  // first_step replaces the heuristic (one evaluation fewer); a huge one is rejected and shrunk.
  Dopri5Options options;
  options.first_step = 5.0;
  const auto run = run_scalar(
      linear(1.0), 0.0, 1.0, {1.0}, [](double t) { return std::exp(t); }, options);
  EXPECT_LT(run.worst, 1e-6);
  EXPECT_GE(run.stats.rejected, 1);
  EXPECT_EQ(run.stats.evaluations, 1 + 6 * (run.stats.accepted + run.stats.rejected));
}

TEST(Dopri5, BadArgumentsAreInputErrors) {
  const auto f = linear(1.0);
  const std::vector<double> good = {1.0, 2.0};
  auto call = [&](double t0, std::vector<double> y0, std::vector<double> times,
                  Dopri5Options options = {}) {
    return [=] { integrate_dopri5(f, t0, y0, times, {}, options); };
  };
  expect_error<InputError>(call(kNan, {1.0}, good), {"t0", "nan"});
  expect_error<InputError>(call(kInf, {1.0}, good), {"t0", "inf"});
  expect_error<InputError>(call(0.0, {1.0, kNan}, good), {"y0[1]", "nan"});
  expect_error<InputError>(call(0.0, {1.0}, {1.0, kInf}), {"times[1]", "inf"});
  expect_error<InputError>(call(0.0, {1.0}, {1.0, 3.0, 2.0}),
                           {"increase", "times[2] = 2", "times[1] = 3"});
  expect_error<InputError>(call(4.0, {1.0}, {3.0, 1.0, 2.0}), {"decrease", "times[2] = 2"});
  expect_error<InputError>(call(0.0, {1.0}, {1.0, -1.0}),
                           {"both sides", "t0 = 0", "times[0] = 1", "times[1] = -1"});
  for (double bad : {0.0, -1e-7, kNan}) {
    Dopri5Options options;
    options.rtol = bad;
    expect_error<InputError>(call(0.0, {1.0}, good, options), {"rtol"});
    options = {};
    options.atol = bad;
    expect_error<InputError>(call(0.0, {1.0}, good, options), {"atol"});
  }
  Dopri5Options options;
  options.rtol = -1e-3;
  expect_error<InputError>(call(0.0, {1.0}, good, options), {"rtol", "-0.001"});
  options = {};
  options.first_step = -1.0;
  expect_error<InputError>(call(0.0, {1.0}, good, options), {"first_step", "-1"});
  options = {};
  options.max_steps = 0;
  expect_error<InputError>(call(0.0, {1.0}, good, options), {"max_steps", "0"});
  options = {};
  options.min_factor = 0.0;
  expect_error<InputError>(call(0.0, {1.0}, good, options), {"min_factor"});
  options = {};
  options.max_factor = 0.5;
  expect_error<InputError>(call(0.0, {1.0}, good, options), {"max_factor", "0.5"});
  options = {};
  options.safety = 1.5;
  expect_error<InputError>(call(0.0, {1.0}, good, options), {"safety", "1.5"});
  expect_error<InputError>([&] { integrate_dopri5({}, 0.0, {1.0}, good, {}); },
                           {"right-hand side"});
}

TEST(Dopri5, FailuresOfTheSolutionAreRuntimeFailures) {
  const std::vector<double> times = {1.0};
  // Not finite at the start: no step can help.
  expect_error<RuntimeFailure>(
      [&] {
        integrate_dopri5([](double, auto, std::span<double> dydt) { dydt[0] = kNan; }, 0.25, {1.0},
                         times, {});
      },
      {"not finite", "t0 = 0.25"});
  // Not finite from t = 0.5 on: the steps shrink towards 0.5 until they underflow there.
  expect_error<RuntimeFailure>(
      [&] {
        integrate_dopri5(
            [](double t, auto, std::span<double> dydt) { dydt[0] = t > 0.5 ? kNan : 1.0; }, 0.0,
            {1.0}, times, {});
      },
      {"underflow", "t = 0.4999", "not finite"});
  // Too few steps allowed.
  Dopri5Options options;
  options.max_steps = 3;
  const std::vector<double> far = {100.0};
  expect_error<RuntimeFailure>(
      [&] {
        integrate_dopri5([](double t, auto, std::span<double> dydt) { dydt[0] = std::cos(t); }, 0.0,
                         {0.0}, far, {}, options);
      },
      {"3 steps", "t = 100", "reached t = "});
}

TEST(Dopri5, EmptyTimesAndEmptyStateEvaluateNothing) {
  int calls = 0;
  const auto counting = [&](double, std::span<const double>, std::span<double>) { ++calls; };
  const auto empty_times = integrate_dopri5(counting, 0.0, {1.0}, {}, {});
  EXPECT_EQ(empty_times.evaluations, 0);
  std::vector<double> seen;
  const std::vector<double> times = {1.0, 2.0};
  integrate_dopri5(counting, 0.0, {}, times, [&](std::size_t, double t, std::span<const double> y) {
    EXPECT_TRUE(y.empty());
    seen.push_back(t);
  });
  EXPECT_EQ(seen, times);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace mustfm
