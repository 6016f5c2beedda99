// Evaluation metrics for predicted against observed cell populations (DESIGN.md section 8): the
// exact 1-Wasserstein distance between two weighted point clouds, the weight-proportional
// subsample that keeps that exact solve affordable, and the relative mass error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mustfm {

// size() x dimension points, row-major, with non-negative weights. Only the proportions matter:
// the weights are normalized inside, so any positive total is accepted.
struct WeightedPoints {
  std::size_t dimension = 0;
  std::vector<double> points;
  std::vector<double> weights;

  std::size_t size() const { return weights.size(); }
};

// Exact 1-Wasserstein distance with Euclidean ground cost between the two normalized
// distributions, by LEMON's NetworkSimplex on the complete bipartite graph between the points of
// positive weight. The solve runs in integers (metrics.cpp says how and how exact); the result is
// within about (n + m) 2^-53 + 1e-14 of the diameter D of the joint bounding box: 1.2e-12 D at
// 5000 x 5000, about 1e-14 D for a hundred points.
// Memory grows as ~80 bytes per pair of positive-weight points: 1.9 GB and ~8 s at 5000 x 5000.
// InputError for an empty side, unequal dimensions, a shape mismatch, a negative or non-finite
// weight or coordinate, or a zero total weight (naming the side, a or b, and the index);
// RuntimeFailure when the solver fails or memory runs out.
double wasserstein1_exact(const WeightedPoints& a, const WeightedPoints& b);

// At most max_points points drawn without replacement with probability proportional to weight:
// Efraimidis-Spirakis keys u^(1 / w), with u uniform in (0, 1] from Random123's Philox4x32
// (kernels/common/random.h) addressed by (seed, point index), so the draw does not depend on the
// platform's standard library. The chosen points come back in their original order with equal
// weights. Returned as they are, with their own weights, when size() <= max_points; when at most
// max_points points have positive weight, those points are returned with their own weights
// (zero-weight points cannot be drawn and do not change the distribution).
// InputError for max_points = 0 and for the inputs wasserstein1_exact rejects.
WeightedPoints subsample_by_weight(const WeightedPoints& points,
                                   std::size_t max_points,
                                   std::uint64_t seed);

// |predicted - observed| / observed. InputError unless observed_mass is positive and finite and
// predicted_mass is non-negative and finite.
double relative_mass_error(double predicted_mass, double observed_mass);

}  // namespace mustfm
