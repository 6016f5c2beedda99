// Random tiled transport problems (kernels/uot_tiles.h) for the CPU suite and the CUDA-versus-CPU
// suite: points in clusters, cells of a cluster contiguous, a random set of admissible cluster
// blocks as tiles. Names as in kernels/uot_solver.h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/uot_tiles.h"

namespace mustfm::testing {

struct TiledCase {
  std::vector<double> a;
  std::vector<double> b;
  std::vector<double> x;
  std::vector<double> y;
  int dim = 2;
  double delta = 1.0;
  std::vector<UotTile> tiles;
  std::string name;

  UotTiledProblem view() const {
    UotTiledProblem p;
    p.a = {a.data(), a.size()};
    p.b = {b.data(), b.size()};
    p.x = {x.data(), x.size()};
    p.y = {y.data(), y.size()};
    p.dim = dim;
    p.delta = delta;
    p.tiles = tiles;
    return p;
  }
};

// `source_clusters` and `target_clusters` clusters of 0 .. 2 * mean_size cells (some empty),
// cluster centres spread over a few delta so some pairs lie beyond pi delta, every block kept
// with probability `block_density`, tiles listed in a shuffled order. Source cell 0 has no
// mass; when there are enough cells, source cell 1 sits far from every target (its row
// carries nothing) and target cell 0 likewise.
inline TiledCase random_tiled_case(int source_clusters,
                                   int target_clusters,
                                   int mean_size,
                                   int dim,
                                   std::uint32_t seed,
                                   double block_density = 0.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> size(0, 2 * mean_size);
  TiledCase c;
  c.dim = dim;
  c.delta = 0.6;
  c.name = "tiles " + std::to_string(source_clusters) + "x" + std::to_string(target_clusters) +
           " clusters, mean size " + std::to_string(mean_size) + ", d " + std::to_string(dim) +
           ", seed " + std::to_string(seed);

  // Cells of each cluster around its centre; returns the cluster offsets.
  const auto place = [&](int clusters, std::vector<double>& points, std::vector<double>& mass) {
    std::vector<std::int32_t> offsets = {0};
    for (int k = 0; k < clusters; ++k) {
      std::vector<double> centre(dim);
      for (double& v : centre) v = 1.5 * normal(rng);
      const int cells = size(rng);
      for (int n = 0; n < cells; ++n) {
        for (int e = 0; e < dim; ++e) points.push_back(centre[e] + 0.5 * normal(rng));
        mass.push_back(0.2 + uniform(rng));
      }
      offsets.push_back(offsets.back() + cells);
    }
    return offsets;
  };
  const std::vector<std::int32_t> rows = place(source_clusters, c.x, c.a);
  const std::vector<std::int32_t> cols = place(target_clusters, c.y, c.b);

  if (!c.a.empty()) c.a[0] = 0.0;
  if (c.a.size() > 2)
    for (int e = 0; e < dim; ++e) c.x[dim + e] = 100.0;
  if (c.b.size() > 2)
    for (int e = 0; e < dim; ++e) c.y[e] = -100.0;

  for (int i = 0; i < source_clusters; ++i)
    for (int j = 0; j < target_clusters; ++j)
      if (uniform(rng) < block_density)
        c.tiles.push_back({rows[i], rows[i + 1], cols[j], cols[j + 1]});
  std::shuffle(c.tiles.begin(), c.tiles.end(), rng);
  return c;
}

}  // namespace mustfm::testing
