#include "engine/dopri5.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "kernels/common/error.h"

namespace mustfm {

namespace {

// Dormand and Prince (1980), "A family of embedded Runge-Kutta formulae", J. Comput. Appl. Math.
// 6(1), the tableau of HNW I, table II.5.2: nodes c, stage weights a (row s for stage s + 1) and
// 5th-order weights b (b equals the last row of a, which makes the method FSAL).
constexpr std::array<double, 7> kC = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
constexpr double kA[7][6] = {
    {},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
};
// Error weights b - b_hat with Shampine's (1986) embedded 4th-order b_hat, "Some practical
// Runge-Kutta formulas", Math. Comp. 46(173); torchdiffeq's c_error, kept for its step sequence
// (HNW's dopri5.f uses the original 1980 b_hat, which gives a different error estimate).
constexpr std::array<double, 7> kE = {35.0 / 384 - 1951.0 / 21600,
                                      0.0,
                                      500.0 / 1113 - 22642.0 / 50085,
                                      125.0 / 192 - 451.0 / 720,
                                      -2187.0 / 6784 + 12231.0 / 42400,
                                      11.0 / 84 - 649.0 / 6300,
                                      -1.0 / 60};
// Dense output of Shampine (1986) in HNW's form (dopri5.f, CONTD5): with r1 = y_old,
// r2 = y_new - y_old, r3 = h k1 - r2, r4 = r2 - h k7 - r3, r5 = h sum d_i k_i,
// y(t + theta h) = r1 + theta (r2 + (1 - theta) (r3 + theta (r4 + (1 - theta) r5))).
// It agrees exactly with torchdiffeq's midpoint coefficients DPS_C_MID.
constexpr std::array<double, 7> kD = {-12715105075.0 / 11282082432,  0.0,
                                      87487479700.0 / 32700410799,   -10690763975.0 / 1880347072,
                                      701980252875.0 / 199316789632, -1453857185.0 / 822651844,
                                      69997945.0 / 29380423};
constexpr int kStages = 7;
// The step controller's exponent: 1 / (order + 1) with the error estimate of order 4.
constexpr double kExponent = 1.0 / 5.0;

// Below this many components the OpenMP fork costs more than the loop.
constexpr std::size_t kParallelMinimum = 1 << 14;
// Reductions sum blocks of this many components, then the blocks in order: the same result for
// any thread count.
constexpr std::size_t kReductionBlock = 1 << 12;

std::ptrdiff_t signed_size(std::size_t value) {
  return static_cast<std::ptrdiff_t>(value);
}

// Enough digits to tell apart the times a failing step size is reduced to.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// Preallocated once per run; nothing is allocated per step.
struct Workspace {
  std::vector<double> y;
  std::vector<double> y_new;
  std::vector<double> stage;
  std::array<std::vector<double>, kStages> k;
  std::vector<double> partial;

  explicit Workspace(std::vector<double> y0) : y(std::move(y0)) {
    const std::size_t n = y.size();
    y_new.resize(n);
    stage.resize(n);
    for (auto& ki : k) ki.resize(n);
    partial.resize((n + kReductionBlock - 1) / kReductionBlock);
  }
  std::size_t size() const { return y.size(); }
  bool parallel() const { return size() >= kParallelMinimum; }
};

// sqrt(mean over i of term(i)^2), summed blockwise in a fixed order. A non-finite term makes the
// result +inf (NaN would slip through comparisons with 1).
template <class Term>
double rms(Workspace& w, const Term& term) {
  const std::size_t n = w.size();
  const std::ptrdiff_t blocks = signed_size(w.partial.size());
#pragma omp parallel for schedule(static) if (w.parallel())
  for (std::ptrdiff_t b = 0; b < blocks; ++b) {
    const std::size_t begin = static_cast<std::size_t>(b) * kReductionBlock;
    const std::size_t end = std::min(n, begin + kReductionBlock);
    double sum = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
      const double value = term(i);
      sum += value * value;
    }
    w.partial[b] = std::isfinite(sum) ? sum : std::numeric_limits<double>::infinity();
  }
  double total = 0.0;
  for (double part : w.partial) total += part;
  return std::sqrt(total / static_cast<double>(n));
}

bool all_finite(const Workspace& w, const std::vector<double>& values) {
  std::int64_t bad = 0;
#pragma omp parallel for schedule(static) if (w.parallel()) reduction(+ : bad)
  for (std::ptrdiff_t i = 0; i < signed_size(values.size()); ++i) bad += !std::isfinite(values[i]);
  return bad == 0;
}

// out = base + h sum_{j < s} a[s][j] k[j]: the state at which stage s is evaluated.
void stage_state(Workspace& w, int s, double h, std::vector<double>& out) {
  const double* k[kStages];
  for (int j = 0; j < kStages; ++j) k[j] = w.k[j].data();
  const double* base = w.y.data();
  double* result = out.data();
#pragma omp parallel for schedule(static) if (w.parallel())
  for (std::ptrdiff_t i = 0; i < signed_size(w.size()); ++i) {
    double sum = 0.0;
    for (int j = 0; j < s; ++j) sum += kA[s][j] * k[j][i];
    result[i] = base[i] + h * sum;
  }
}

class Integrator {
 public:
  Integrator(const OdeRightHandSide& f, Workspace& w, const Dopri5Options& options)
      : f_(f), w_(w), options_(options) {}

  Dopri5Stats stats;

  void evaluate(double t, const std::vector<double>& y, std::vector<double>& dydt) {
    ++stats.evaluations;
    f_(t, std::span<const double>(y), std::span<double>(dydt));
  }

  // Hairer's starting step (HNW I, section II.4; torchdiffeq's _select_initial_step) as a
  // magnitude, from k[0] = f(t0, y). Uses `stage` and k[1] as scratch.
  double starting_step(double t0, double direction) {
    const double atol = options_.atol, rtol = options_.rtol;
    const double* y = w_.y.data();
    const double* f0 = w_.k[0].data();
    auto scale = [&](std::size_t i) { return atol + rtol * std::abs(y[i]); };
    const double d0 = rms(w_, [&](std::size_t i) { return y[i] / scale(i); });
    const double d1 = rms(w_, [&](std::size_t i) { return f0[i] / scale(i); });
    const double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;

    double* y1 = w_.stage.data();
#pragma omp parallel for schedule(static) if (w_.parallel())
    for (std::ptrdiff_t i = 0; i < signed_size(w_.size()); ++i)
      y1[i] = y[i] + direction * h0 * f0[i];
    evaluate(t0 + direction * h0, w_.stage, w_.k[1]);
    const double* f1 = w_.k[1].data();
    const double d2 = rms(w_, [&](std::size_t i) { return (f1[i] - f0[i]) / scale(i); }) / h0;
    // f not finite a small step ahead: start small and let the rejections find the way.
    if (!std::isfinite(d2)) return h0;

    const double h1 = (d1 <= 1e-15 && d2 <= 1e-15) ? std::max(1e-6, h0 * 1e-3)
                                                   : std::pow(0.01 / std::max(d1, d2), kExponent);
    return std::min(100.0 * h0, h1);
  }

  // One attempted step of size h from (t, y) with k[0] = f(t, y): fills y_new, k[1..6] (k[6] =
  // f(t_new, y_new)) and returns the error norm (+inf when anything is not finite).
  double attempt(double t, double h, double t_new) {
    for (int s = 1; s < kStages - 1; ++s) {
      stage_state(w_, s, h, w_.stage);
      evaluate(t + kC[s] * h, w_.stage, w_.k[s]);
    }
    stage_state(w_, kStages - 1, h, w_.y_new);
    evaluate(t_new, w_.y_new, w_.k[kStages - 1]);

    const double* k[kStages];
    for (int j = 0; j < kStages; ++j) k[j] = w_.k[j].data();
    const double* y = w_.y.data();
    const double* y_new = w_.y_new.data();
    const double atol = options_.atol, rtol = options_.rtol;
    return rms(w_, [&](std::size_t i) {
      double error = 0.0;
      for (int j = 0; j < kStages; ++j) error += kE[j] * k[j][i];
      const double tolerance = atol + rtol * std::max(std::abs(y[i]), std::abs(y_new[i]));
      // y_new enters so that an overflowing state counts as not finite.
      return h * error / tolerance + 0.0 * y_new[i];
    });
  }

  // The state at t + theta h within the last attempted (accepted) step, into `stage`.
  void dense(double theta, double h) {
    const double* k[kStages];
    for (int j = 0; j < kStages; ++j) k[j] = w_.k[j].data();
    const double* y = w_.y.data();
    const double* y_new = w_.y_new.data();
    double* out = w_.stage.data();
    const double rest = 1.0 - theta;
#pragma omp parallel for schedule(static) if (w_.parallel())
    for (std::ptrdiff_t i = 0; i < signed_size(w_.size()); ++i) {
      double sum = 0.0;
      for (int j = 0; j < kStages; ++j) sum += kD[j] * k[j][i];
      const double r2 = y_new[i] - y[i];
      const double r3 = h * k[0][i] - r2;
      const double r4 = r2 - h * k[kStages - 1][i] - r3;
      const double r5 = h * sum;
      out[i] = y[i] + theta * (r2 + rest * (r3 + theta * (r4 + rest * r5)));
    }
  }

  // The next step size from the error norm of the last attempt.
  double next_step(double h, double norm, bool accepted) const {
    if (norm == 0.0) return h * options_.max_factor;
    const double lowest = accepted ? 1.0 : options_.min_factor;
    const double factor = options_.safety * std::pow(norm, -kExponent);
    return h * std::min(options_.max_factor, std::max(lowest, factor));
  }

 private:
  const OdeRightHandSide& f_;
  Workspace& w_;
  const Dopri5Options& options_;
};

void validate(const OdeRightHandSide& f,
              double t0,
              const std::vector<double>& y0,
              std::span<const double> times,
              const Dopri5Options& options) {
  MUSTFM_EXPECTS(static_cast<bool>(f), "dopri5: the right-hand side function is empty");
  auto positive = [](double value, const char* name) {
    MUSTFM_EXPECTS(
        std::isfinite(value) && value > 0.0,
        std::string("dopri5: ") + name + " must be positive and finite, got " + number(value));
  };
  positive(options.rtol, "rtol");
  positive(options.atol, "atol");
  MUSTFM_EXPECTS(std::isfinite(options.first_step) && options.first_step >= 0.0,
                 "dopri5: first_step must be finite and non-negative (0: automatic), got " +
                     number(options.first_step));
  MUSTFM_EXPECTS(options.max_steps > 0,
                 "dopri5: max_steps must be positive, got " + std::to_string(options.max_steps));
  MUSTFM_EXPECTS(options.safety > 0.0 && options.safety <= 1.0,
                 "dopri5: safety must lie in (0, 1], got " + number(options.safety));
  MUSTFM_EXPECTS(options.min_factor > 0.0 && options.min_factor <= 1.0,
                 "dopri5: min_factor must lie in (0, 1], got " + number(options.min_factor));
  MUSTFM_EXPECTS(
      std::isfinite(options.max_factor) && options.max_factor >= 1.0,
      "dopri5: max_factor must be finite and at least 1, got " + number(options.max_factor));

  MUSTFM_EXPECTS(std::isfinite(t0), "dopri5: t0 is not finite: " + number(t0));
  for (std::size_t i = 0; i < y0.size(); ++i)
    MUSTFM_EXPECTS(std::isfinite(y0[i]),
                   "dopri5: y0[" + std::to_string(i) + "] is not finite: " + number(y0[i]));
  for (std::size_t i = 0; i < times.size(); ++i)
    MUSTFM_EXPECTS(std::isfinite(times[i]),
                   "dopri5: times[" + std::to_string(i) + "] is not finite: " + number(times[i]));
  if (times.empty()) return;

  const double direction = times.back() >= t0 ? 1.0 : -1.0;
  for (std::size_t i = 0; i < times.size(); ++i)
    MUSTFM_EXPECTS(direction * (times[i] - t0) >= 0.0,
                   "dopri5: the output times lie on both sides of t0 = " + number(t0) + ": times[" +
                       std::to_string(i) + "] = " + number(times[i]) + " and times[" +
                       std::to_string(times.size() - 1) + "] = " + number(times.back()));
  for (std::size_t i = 1; i < times.size(); ++i)
    MUSTFM_EXPECTS(direction * (times[i] - times[i - 1]) >= 0.0,
                   std::string("dopri5: the output times must ") +
                       (direction > 0 ? "increase" : "decrease") + " away from t0 = " + number(t0) +
                       ", but times[" + std::to_string(i) + "] = " + number(times[i]) +
                       " follows times[" + std::to_string(i - 1) + "] = " + number(times[i - 1]));
}

}  // namespace

Dopri5Stats integrate_dopri5(const OdeRightHandSide& f,
                             double t0,
                             std::vector<double> y0,
                             std::span<const double> times,
                             const OdeOutput& output,
                             const Dopri5Options& options) {
  validate(f, t0, y0, times, options);
  const std::size_t count = times.size();
  std::size_t next = 0;
  auto emit = [&](double t, const std::vector<double>& y) {
    if (output) output(next, t, std::span<const double>(y));
    ++next;
  };

  Workspace w(std::move(y0));
  // Outputs at t0 are the initial state itself; an empty system never changes.
  while (next < count && (times[next] == t0 || w.size() == 0)) emit(times[next], w.y);
  if (next == count) return {};

  const double t_end = times.back();
  const double direction = t_end > t0 ? 1.0 : -1.0;
  Integrator run(f, w, options);
  run.evaluate(t0, w.y, w.k[0]);
  // Later stages are checked through the error norm; at an accepted state no smaller step helps.
  if (!all_finite(w, w.k[0]))
    throw RuntimeFailure("dopri5: the right-hand side is not finite at t0 = " + number(t0));

  double h = direction *
             (options.first_step > 0.0 ? options.first_step : run.starting_step(t0, direction));
  double t = t0;
  bool last_not_finite = false;
  while (next < count) {
    if (run.stats.accepted + run.stats.rejected >= options.max_steps)
      throw RuntimeFailure("dopri5: " + std::to_string(options.max_steps) +
                           " steps taken without reaching t = " + number(t_end) +
                           "; reached t = " + number(t));
    // Stretching a step by up to 1% to land on t_end avoids a last step too small to take.
    const bool last = direction * (t + 1.01 * h - t_end) >= 0.0;
    if (last) h = t_end - t;
    const double t_new = last ? t_end : t + h;
    if (t_new == t || std::abs(h) < std::numeric_limits<double>::min() ||
        std::abs(h) <= 4.0 * std::numeric_limits<double>::epsilon() * std::abs(t))
      throw RuntimeFailure(
          "dopri5: step size underflow at t = " + number(t) + " (h = " + number(h) + ")" +
          (last_not_finite ? ": the right-hand side or the state is not finite just ahead" : ""));

    const double norm = run.attempt(t, h, t_new);
    last_not_finite = !std::isfinite(norm);
    if (!(norm <= 1.0)) {
      ++run.stats.rejected;
      h = last_not_finite ? h * options.min_factor : run.next_step(h, norm, false);
      continue;
    }

    ++run.stats.accepted;
    while (next < count && direction * (times[next] - t_new) < 0.0) {
      run.dense((times[next] - t) / h, h);
      emit(times[next], w.stage);
    }
    while (next < count && times[next] == t_new) emit(times[next], w.y_new);
    std::swap(w.y, w.y_new);
    std::swap(w.k[0], w.k[kStages - 1]);  // FSAL
    t = t_new;
    h = run.next_step(h, norm, true);
  }
  return run.stats;
}

}  // namespace mustfm
