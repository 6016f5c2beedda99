#include "engine/metrics.h"

#include <fmt/format.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <new>
#include <numeric>
#include <string>

#include "kernels/common/error.h"
#include "kernels/common/random.h"

namespace mustfm {

namespace {

// Exactness. LEMON's network simplex is exact in integer arithmetic, so the problem is solved in
// int64 and only the final sum is taken in doubles:
//  * Supplies: the normalized weights times kSupplyTotal = 2^52, rounded by largest remainder so
//    that both sides total exactly 2^52. Each mass moves by less than 2^-52 (the resolution of the
//    double quotient w_i / W itself), a total variation below (n + m) 2^-53 over both sides, so W1
//    moves by at most D (n + m) 2^-53, D the diameter of the joint bounding box: 1.1e-12 D at
//    5000 x 5000. (Beyond 2^53 the double products would no longer carry the fractional parts
//    the rounding needs.)
//  * Costs: distance * K rounded to int64, K = budget / D. In LEMON every node potential is a
//    signed sum of costs along a tree path holding at most one artificial arc, whose cost is
//    (max cost + 1) * N for N nodes, so |potential| <= 2 N max cost and reduced costs and
//    potential updates stay below (4 N + 4) max cost; budget = 2^62 / (4 N + 4) keeps all of that
//    inside int64 (capped at 2^52, past double resolution). Rounding each cost by at most D / (2
//    budget) makes the plan suboptimal for the true costs by at most D / budget: 9e-15 D at 10^4
//    nodes, 1e-15 D or less for small clouds.
//  * The result is sum flow_ij * |x_i - y_j| / 2^52 over the plan's at most n + m - 1 positive
//    arcs, with distances recomputed in double, so cost rounding enters only through the choice of
//    plan and LEMON's totalCost (flow * cost overflows int64 here) is never used.
// A double cost type was not used: LEMON compares reduced costs with 0 exactly, and floating
// potentials accumulated over many pivots can cycle or stop at a non-optimal basis.
constexpr std::int64_t kSupplyTotal = std::int64_t{1} << 52;
constexpr double kMaxCostScale = 4503599627370496.0;  // 2^52

// Philox stream for subsampling keys, apart from the training streams (engine/training_step.h)
// in case a caller reuses the training seed.
constexpr std::uint32_t kSubsampleStream = 0x80000010u;

// Pivot rule, measured at 5000 x 5000 (5-d normal clouds, one side weighted; 2-core machine
// under other load): CANDIDATE_LIST 7.7-8.6 s in all (simplex 5.4-6.6 s), BLOCK_SEARCH (LEMON's
// default) 10.6-10.8 s (simplex 8.3-8.5 s), ALTERING_LIST about as slow as BLOCK_SEARCH. At
// 2000 x 2000 all four tried were within 0.9-1.2 s. Building the graph and costs takes ~2 s.
constexpr auto kPivotRule =
    lemon::NetworkSimplex<lemon::SmartDigraph, std::int64_t, std::int64_t>::CANDIDATE_LIST;

void check_side(const WeightedPoints& side, const char* name, const char* caller) {
  MUSTFM_EXPECTS(side.size() > 0, fmt::format("{}: side {} has no points", caller, name));
  MUSTFM_EXPECTS(side.dimension >= 1, fmt::format("{}: side {} has dimension 0", caller, name));
  MUSTFM_EXPECTS(side.points.size() == side.size() * side.dimension,
                 fmt::format("{}: side {} has {} weights and {} coordinates, not {} x {}", caller,
                             name, side.size(), side.points.size(), side.size(), side.dimension));
  double total = 0.0;
  for (std::size_t i = 0; i < side.size(); ++i) {
    const double w = side.weights[i];
    MUSTFM_EXPECTS(std::isfinite(w) && w >= 0.0,
                   fmt::format("{}: side {}, point {}: weight {} is not a finite non-negative "
                               "number",
                               caller, name, i, w));
    total += w;
    for (std::size_t k = 0; k < side.dimension; ++k) {
      const double v = side.points[i * side.dimension + k];
      MUSTFM_EXPECTS(std::isfinite(v), fmt::format("{}: side {}, point {}: coordinate {} is {}",
                                                   caller, name, i, k, v));
    }
  }
  MUSTFM_EXPECTS(total > 0.0 && std::isfinite(total),
                 fmt::format("{}: side {} has total weight {}; it must be positive and finite",
                             caller, name, total));
}

// Integer supplies summing to exactly kSupplyTotal, each within 1 of weight / total * 2^52.
std::vector<std::int64_t> integer_supplies(const std::vector<double>& weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  const std::size_t n = weights.size();
  std::vector<std::int64_t> supply(n);
  std::vector<double> remainder(n);
  std::int64_t assigned = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Below 2^52, so the product keeps its fractional part and the floor is exact.
    const double scaled = std::min(weights[i] / total, 1.0) * static_cast<double>(kSupplyTotal);
    const double whole = std::floor(scaled);
    supply[i] = static_cast<std::int64_t>(whole);
    remainder[i] = scaled - whole;
    assigned += supply[i];
  }
  // The floors sum to within n + 1 of the total (the quotients are rounded, so the shortfall may
  // even be slightly negative); hand out the difference by remainder, largest first for a
  // shortfall and smallest first for an excess, cycling in the (never seen) case of more than n.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return remainder[i] > remainder[j]; });
  std::int64_t missing = kSupplyTotal - assigned;
  for (std::size_t k = 0; missing > 0; k = (k + 1) % n) {
    supply[order[k]] += 1;
    --missing;
  }
  for (std::size_t k = n - 1; missing < 0; k = (k + n - 1) % n) {
    if (supply[order[k]] == 0) continue;
    supply[order[k]] -= 1;
    ++missing;
  }
  return supply;
}

double distance(const double* x, const double* y, std::size_t dimension) {
  double sum = 0.0;
  for (std::size_t k = 0; k < dimension; ++k) {
    const double d = x[k] - y[k];
    sum += d * d;
  }
  return std::sqrt(sum);
}

}  // namespace

double wasserstein1_exact(const WeightedPoints& a, const WeightedPoints& b) {
  constexpr const char* kCaller = "wasserstein1_exact";
  check_side(a, "a", kCaller);
  check_side(b, "b", kCaller);
  MUSTFM_EXPECTS(a.dimension == b.dimension,
                 fmt::format("{}: dimension mismatch: side a has {}, side b has {}", kCaller,
                             a.dimension, b.dimension));
  const std::size_t dim = a.dimension;

  // Points whose supply rounds to 0 carry no mass and get no arcs at all.
  const std::vector<std::int64_t> supply_a = integer_supplies(a.weights);
  const std::vector<std::int64_t> supply_b = integer_supplies(b.weights);
  std::vector<std::size_t> active_a, active_b;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (supply_a[i] > 0) active_a.push_back(i);
  for (std::size_t j = 0; j < b.size(); ++j)
    if (supply_b[j] > 0) active_b.push_back(j);
  const std::size_t na = active_a.size();
  const std::size_t nb = active_b.size();
  MUSTFM_EXPECTS(na <= static_cast<std::size_t>(INT_MAX) / nb,
                 fmt::format("{}: {} x {} points of positive weight exceed LEMON's int arc ids; "
                             "subsample first",
                             kCaller, na, nb));

  // The diameter of the joint bounding box bounds every distance and sets the cost scale.
  std::vector<double> low(dim, std::numeric_limits<double>::infinity());
  std::vector<double> high(dim, -std::numeric_limits<double>::infinity());
  for (const auto* side : {&a, &b}) {
    for (std::size_t i = 0; i < side->size(); ++i) {
      for (std::size_t k = 0; k < dim; ++k) {
        low[k] = std::min(low[k], side->points[i * dim + k]);
        high[k] = std::max(high[k], side->points[i * dim + k]);
      }
    }
  }
  double diameter_squared = 0.0;
  for (std::size_t k = 0; k < dim; ++k) diameter_squared += (high[k] - low[k]) * (high[k] - low[k]);
  const double diameter = std::sqrt(diameter_squared);
  if (diameter == 0.0) return 0.0;  // every point coincides
  MUSTFM_EXPECTS(std::isfinite(diameter),
                 fmt::format("{}: the points span more than the double range", kCaller));
  const double nodes = static_cast<double>(na + nb + 1);
  const double budget = std::min(kMaxCostScale, std::ldexp(1.0, 62) / (4.0 * nodes + 4.0));
  const double scale = budget / diameter;

  using Graph = lemon::SmartDigraph;
  using Simplex = lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t>;
  try {
    Graph graph;
    graph.reserveNode(static_cast<int>(na + nb));
    graph.reserveArc(static_cast<int>(na * nb));
    // SmartDigraph numbers nodes and arcs in insertion order: node i is active_a[i], node na + j
    // is active_b[j], and arc i * nb + j joins them.
    for (std::size_t i = 0; i < na + nb; ++i) graph.addNode();
    for (std::size_t i = 0; i < na; ++i)
      for (std::size_t j = 0; j < nb; ++j)
        graph.addArc(Graph::nodeFromId(static_cast<int>(i)),
                     Graph::nodeFromId(static_cast<int>(na + j)));

    Graph::ArcMap<std::int64_t> cost(graph);
    Graph::NodeMap<std::int64_t> supply(graph);
    for (std::size_t i = 0; i < na; ++i)
      supply[Graph::nodeFromId(static_cast<int>(i))] = supply_a[active_a[i]];
    for (std::size_t j = 0; j < nb; ++j)
      supply[Graph::nodeFromId(static_cast<int>(na + j))] = -supply_b[active_b[j]];
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(na); ++i) {
      const double* x = &a.points[active_a[i] * dim];
      for (std::size_t j = 0; j < nb; ++j) {
        const double d = distance(x, &b.points[active_b[j] * dim], dim);
        cost[Graph::arcFromId(static_cast<int>(i * nb + j))] = std::llround(d * scale);
      }
    }

    Simplex simplex(graph);
    simplex.costMap(cost).supplyMap(supply);
    const Simplex::ProblemType status = simplex.run(kPivotRule);
    if (status != Simplex::OPTIMAL) {
      throw RuntimeFailure(
          fmt::format("{}: LEMON's network simplex returned {} on a {} x {} "
                      "balanced problem",
                      kCaller, status == Simplex::INFEASIBLE ? "INFEASIBLE" : "UNBOUNDED", na, nb));
    }

    // Positive flows are at most n + m - 1 basic arcs; Kahan summation keeps the few hundred
    // to few thousand terms at double accuracy.
    double sum = 0.0, carry = 0.0;
    for (Graph::ArcIt arc(graph); arc != lemon::INVALID; ++arc) {
      const std::int64_t flow = simplex.flow(arc);
      if (flow == 0) continue;
      const int id = graph.id(arc);
      const std::size_t i = static_cast<std::size_t>(id) / nb;
      const std::size_t j = static_cast<std::size_t>(id) % nb;
      const double term = static_cast<double>(flow) *
                          distance(&a.points[active_a[i] * dim], &b.points[active_b[j] * dim], dim);
      const double y = term - carry;
      const double t = sum + y;
      carry = (t - sum) - y;
      sum = t;
    }
    return sum / static_cast<double>(kSupplyTotal);
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure(
        fmt::format("{}: out of memory for the {} x {} transport problem "
                    "(~80 bytes per pair)",
                    kCaller, na, nb));
  }
}

WeightedPoints subsample_by_weight(const WeightedPoints& points,
                                   std::size_t max_points,
                                   std::uint64_t seed) {
  constexpr const char* kCaller = "subsample_by_weight";
  check_side(points, "points", kCaller);
  MUSTFM_EXPECTS(max_points >= 1, fmt::format("{}: max_points must be at least 1", kCaller));
  if (points.size() <= max_points) return points;

  const std::size_t dim = points.dimension;
  std::vector<std::size_t> positive;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (points.weights[i] > 0.0) positive.push_back(i);

  WeightedPoints out;
  out.dimension = dim;
  auto take = [&](std::size_t i, double weight) {
    out.points.insert(out.points.end(), points.points.begin() + i * dim,
                      points.points.begin() + (i + 1) * dim);
    out.weights.push_back(weight);
  };
  if (positive.size() <= max_points) {
    for (std::size_t i : positive) take(i, points.weights[i]);
    return out;
  }

  // Efraimidis-Spirakis: keep the max_points largest u^(1/w), compared as log(u) / w (u in (0, 1],
  // so log u is finite and <= 0). Ties are broken by index, so the result is fully determined.
  std::vector<std::pair<double, std::size_t>> keys;
  keys.reserve(positive.size());
  for (std::size_t i : positive) {
    const RandomBits bits = random_bits(seed, kSubsampleStream, 0, i);
    keys.emplace_back(std::log(uniform_open_closed(bits.v[0], bits.v[1])) / points.weights[i], i);
  }
  auto larger = [](const auto& p, const auto& q) {
    return p.first > q.first || (p.first == q.first && p.second < q.second);
  };
  std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(max_points) - 1,
                   keys.end(), larger);
  std::vector<std::size_t> chosen(max_points);
  for (std::size_t k = 0; k < max_points; ++k) chosen[k] = keys[k].second;
  std::sort(chosen.begin(), chosen.end());
  for (std::size_t i : chosen) take(i, 1.0);
  return out;
}

double relative_mass_error(double predicted_mass, double observed_mass) {
  MUSTFM_EXPECTS(std::isfinite(observed_mass) && observed_mass > 0.0,
                 fmt::format("relative_mass_error: observed mass {} must be positive and finite",
                             observed_mass));
  MUSTFM_EXPECTS(std::isfinite(predicted_mass) && predicted_mass >= 0.0,
                 fmt::format("relative_mass_error: predicted mass {} must be non-negative and "
                             "finite",
                             predicted_mass));
  return std::abs(predicted_mass - observed_mass) / observed_mass;
}

}  // namespace mustfm
