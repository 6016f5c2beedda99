#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "bench/coupling_table.h"
#include "kernels/wfr_cost.h"

namespace mustfm {

std::vector<std::int32_t> exact_assignment(const std::vector<double>& x,
                                           const std::vector<double>& y,
                                           int dim,
                                           double delta) {
  using Graph = lemon::SmartDigraph;
  const int n = static_cast<int>(x.size() / dim);
  constexpr double kCostScale = 1e9;

  Graph graph;
  graph.reserveNode(2 * n);
  graph.reserveArc(static_cast<int>(std::int64_t(n) * n));
  std::vector<Graph::Node> nodes(2 * n);
  for (auto& node : nodes) node = graph.addNode();

  Graph::ArcMap<std::int64_t> cost(graph);
  Graph::NodeMap<std::int64_t> supply(graph);
  for (int i = 0; i < n; ++i) {
    supply[nodes[i]] = 1;
    supply[nodes[n + i]] = -1;
  }
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double c = wfr_cost(&x[std::size_t(i) * dim], &y[std::size_t(j) * dim], dim, delta);
      if (!std::isfinite(c)) continue;
      const Graph::Arc arc = graph.addArc(nodes[i], nodes[n + j]);
      cost[arc] = std::llround(c * kCostScale);
    }
  }

  lemon::NetworkSimplex<Graph, std::int64_t, std::int64_t> simplex(graph);
  simplex.costMap(cost).supplyMap(supply);
  std::vector<std::int32_t> target(n, -1);
  if (simplex.run() != simplex.OPTIMAL) return target;
  for (Graph::ArcIt arc(graph); arc != lemon::INVALID; ++arc) {
    if (simplex.flow(arc) > 0)
      target[graph.id(graph.source(arc))] = graph.id(graph.target(arc)) - n;
  }
  return target;
}

}  // namespace mustfm
