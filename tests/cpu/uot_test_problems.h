// Small random transport problems for the solver tests: points in the plane, masses, a mask,
// WFR costs (names as in kernels/uot_solver.h).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/csr.h"
#include "kernels/uot_entry.h"
#include "kernels/uot_solver.h"

namespace mustfm::testing {

struct TestProblem {
  std::vector<double> a;
  std::vector<double> b;
  CsrMatrix structure;
  double rho = 1.0;
  std::string name;

  UotProblem view() const { return {{a.data(), a.size()}, {b.data(), b.size()}, &structure, rho}; }
  double total_mass() const {
    double sum = 0;
    for (double v : a) sum += v;
    for (double v : b) sum += v;
    return sum;
  }
};

// `rows` sources and `cols` targets from N(0, spread^2 I) in 2-d (targets shifted by 0.3), masses
// uniform in [0.5, 1.5] scaled to the given totals, pairs kept with probability `density`.
inline TestProblem random_problem(int rows,
                                  int cols,
                                  std::uint32_t seed,
                                  double density = 0.8,
                                  double total_a = 1.0,
                                  double total_b = 1.0,
                                  double spread = 0.8,
                                  double delta = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, spread);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> x(2 * rows);
  std::vector<double> y(2 * cols);
  for (double& v : x) v = normal(rng);
  for (double& v : y) v = normal(rng) + 0.3;

  TestProblem p;
  p.name = "random " + std::to_string(rows) + "x" + std::to_string(cols) + " seed " +
           std::to_string(seed) + " density " + std::to_string(density);
  const auto masses = [&](int count, double total) {
    std::vector<double> m(count);
    double sum = 0;
    for (double& v : m) sum += (v = 0.5 + uniform(rng));
    for (double& v : m) v *= total / sum;
    return m;
  };
  p.a = masses(rows, total_a);
  p.b = masses(cols, total_b);
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(rows) * cols);
  for (auto& v : mask) v = uniform(rng) < density ? 1 : 0;
  p.structure = csr_from_points({x.data(), x.size()}, {y.data(), y.size()}, 2, delta,
                                {mask.data(), mask.size()});
  return p;
}

// Row and column sums of a plan given in CSR order.
inline void plan_marginals(const CsrMatrix& m,
                           const std::vector<double>& plan,
                           std::vector<double>& r,
                           std::vector<double>& c) {
  r.assign(m.rows, 0.0);
  c.assign(m.cols, 0.0);
  for (int i = 0; i < m.rows; ++i) {
    for (std::int64_t e = m.row_offsets[i]; e < m.row_offsets[i + 1]; ++e) {
      r[i] += plan[e];
      c[m.col_indices[e]] += plan[e];
    }
  }
}

// Z eps KL(gamma / Z | a b^T / Z^2) over the stored entries, Z = (sum a + sum b) / 2. For gamma
// the unregularized optimum, comparing the entropic objectives at gamma and at the entropic plan
// gamma_eps bounds the entropic bias: 0 <= F(gamma_eps) - F(gamma) <= this value.
inline double entropic_bias_bound(const TestProblem& p,
                                  const std::vector<double>& plan,
                                  double eps) {
  const double z = 0.5 * p.total_mass();
  double kl = 0.0;
  for (int i = 0; i < p.structure.rows; ++i) {
    for (std::int64_t e = p.structure.row_offsets[i]; e < p.structure.row_offsets[i + 1]; ++e)
      kl += kl_term(plan[e] / z, p.a[i] / z * p.b[p.structure.col_indices[e]] / z);
  }
  return z * eps * kl;
}

}  // namespace mustfm::testing
