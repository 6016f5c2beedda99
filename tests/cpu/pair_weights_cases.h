// Random plans and cluster layouts for the training-pair weight tests (kernels/pair_weights.h),
// shared by the CPU suite and the CUDA-versus-CPU suite. Names as in kernels/pair_weights.h.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/memory.h"
#include "kernels/csr.h"

namespace mustfm::testing {

struct RandomPlan {
  CsrMatrix structure;
  std::vector<double> plan;
  std::vector<double> a;
  std::vector<double> b;
  std::string name;

  View<const double> plan_view() const { return {plan.data(), plan.size()}; }
  View<const double> a_view() const { return {a.data(), a.size()}; }
  View<const double> b_view() const { return {b.data(), b.size()}; }
};

// rows x cols pairs stored with probability `density`; plan values spread over six orders of
// magnitude with a share `zero_share` exactly 0. Every edge case of section 7 appears once the
// shape allows it: row 1 has no entry, row rows/2 stores only zeros (r = 0), column 0 stores
// only zeros (c = 0), row 2 has no mass (a = 0, so gamma0 = 0 although r > 0), and column 1 has
// no mass (b = 0, ratio 0).
inline RandomPlan random_plan(
    int rows, int cols, std::uint32_t seed, double density = 0.5, double zero_share = 0.1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  RandomPlan p;
  p.name = "plan " + std::to_string(rows) + "x" + std::to_string(cols) + " seed " +
           std::to_string(seed) + " density " + std::to_string(density);
  CsrMatrix& m = p.structure;
  m.rows = rows;
  m.cols = cols;
  m.row_offsets.push_back(0);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      if (i == 1 || !(uniform(rng) < density)) continue;
      m.col_indices.push_back(j);
      const bool zero = i == rows / 2 || j == 0 || uniform(rng) < zero_share;
      p.plan.push_back(zero ? 0.0 : std::pow(10.0, 6.0 * uniform(rng) - 3.0));
    }
    m.row_offsets.push_back(m.nnz());
  }
  for (int i = 0; i < rows; ++i) p.a.push_back(i == 2 ? 0.0 : 0.1 + uniform(rng));
  for (int j = 0; j < cols; ++j) p.b.push_back(j == 1 ? 0.0 : 0.1 + uniform(rng));
  build_transpose(m);
  return p;
}

// Cluster offsets over `positions` positions with sizes drawn from 0 .. 2 * mean_size (so some
// clusters are empty), cluster masses with one cluster of mass 0, and positive cell weights.
struct RandomClusters {
  std::vector<std::int64_t> offsets;
  std::vector<double> mass;
  std::vector<double> weights;
  std::string name;

  View<const double> mass_view() const { return {mass.data(), mass.size()}; }
  View<const double> weights_view() const { return {weights.data(), weights.size()}; }
};

inline RandomClusters random_clusters(std::int64_t positions,
                                      std::int64_t mean_size,
                                      std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> size(0, 2 * mean_size);
  RandomClusters c;
  c.name = "clusters over " + std::to_string(positions) + " positions, mean size " +
           std::to_string(mean_size) + ", seed " + std::to_string(seed);
  c.offsets.push_back(0);
  while (c.offsets.back() < positions)
    c.offsets.push_back(std::min(positions, c.offsets.back() + size(rng)));
  for (std::size_t k = 0; k + 1 < c.offsets.size(); ++k) {
    double sum = 0.0;
    for (std::int64_t p = c.offsets[k]; p < c.offsets[k + 1]; ++p) {
      c.weights.push_back(0.05 + uniform(rng));
      sum += c.weights.back();
    }
    // The cluster mass is the sum of its weights, as in a ClusterLevel; cluster 1 has none.
    c.mass.push_back(k == 1 ? 0.0 : sum);
  }
  return c;
}

}  // namespace mustfm::testing
