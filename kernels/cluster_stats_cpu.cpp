// Host side of the cluster statistics: argument checks, backend dispatch and the OpenMP twin of
// the CUDA kernel. The CPU path is the reference the GPU tests compare with.
#include <string>

#include "kernels/cluster_stats.h"

namespace mustfm {

namespace {

void check_space(MemorySpace space, MemorySpace expected, const char* what) {
  MUSTFM_EXPECTS(space == expected, std::string("cluster_stats: ") + what + " must be in " +
                                        (expected == MemorySpace::device ? "device" : "host") +
                                        " memory for this backend");
}

void check_shapes(View<const std::int64_t> offsets,
                  View<const double> weights,
                  View<const double> features,
                  std::size_t dimension,
                  View<double> mass,
                  View<double> centroids) {
  MUSTFM_EXPECTS(dimension >= 1, "cluster_stats: dimension must be at least 1");
  MUSTFM_EXPECTS(offsets.size >= 1, "cluster_stats: offsets needs clusters + 1 entries");
  std::size_t clusters = offsets.size - 1;
  std::size_t cells = weights.size;
  MUSTFM_EXPECTS(features.size == cells * dimension,
                 "cluster_stats: " + std::to_string(features.size) + " feature values for " +
                     std::to_string(cells) + " cells of dimension " + std::to_string(dimension));
  MUSTFM_EXPECTS(mass.size == clusters, "cluster_stats: mass holds " + std::to_string(mass.size) +
                                            " values for " + std::to_string(clusters) +
                                            " clusters");
  MUSTFM_EXPECTS(centroids.size == clusters * dimension,
                 "cluster_stats: centroids hold " + std::to_string(centroids.size) +
                     " values for " + std::to_string(clusters) + " clusters of dimension " +
                     std::to_string(dimension));
}

// Host-readable offsets can be checked cheaply; on the device they are a documented precondition.
void check_offsets(View<const std::int64_t> offsets, std::size_t cells) {
  MUSTFM_EXPECTS(offsets[0] == 0, "cluster_stats: offsets[0] must be 0");
  for (std::size_t c = 0; c + 1 < offsets.size; ++c)
    MUSTFM_EXPECTS(offsets[c] <= offsets[c + 1],
                   "cluster_stats: offsets decrease at cluster " + std::to_string(c));
  MUSTFM_EXPECTS(
      offsets[offsets.size - 1] == static_cast<std::int64_t>(cells),
      "cluster_stats: the last offset must equal the cell count " + std::to_string(cells));
}

}  // namespace

void cluster_stats(const Exec& exec,
                   View<const std::int64_t> offsets,
                   View<const double> weights,
                   View<const double> features,
                   std::size_t dimension,
                   View<double> mass,
                   View<double> centroids) {
  check_shapes(offsets, weights, features, dimension, mass, centroids);
  MemorySpace space = exec.backend == Backend::cuda ? MemorySpace::device : MemorySpace::host;
  check_space(offsets.space, space, "offsets");
  check_space(weights.space, space, "weights");
  check_space(features.space, space, "features");
  check_space(mass.space, space, "mass");
  check_space(centroids.space, space, "centroids");

  if (exec.backend == Backend::cpu) {
    check_offsets(offsets, weights.size);
    detail::cluster_stats_cpu(offsets, weights, features, dimension, mass, centroids);
    return;
  }
#ifdef MUSTFM_WITH_CUDA
  detail::cluster_stats_cuda(exec, offsets, weights, features, dimension, mass, centroids);
#else
  throw InputError("cluster_stats: the CUDA backend was requested, but this build has no CUDA");
#endif
}

namespace detail {

void cluster_stats_cpu(View<const std::int64_t> offsets,
                       View<const double> weights,
                       View<const double> features,
                       std::size_t dimension,
                       View<double> mass,
                       View<double> centroids) {
  const std::int64_t clusters = static_cast<std::int64_t>(offsets.size) - 1;
  const std::size_t d = dimension;

  // Cluster sizes vary a lot (a few large cell types, many small ones), hence dynamic schedule.
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t c = 0; c < clusters; ++c) {
    double* centroid = centroids.data + static_cast<std::size_t>(c) * d;
    for (std::size_t j = 0; j < d; ++j) centroid[j] = 0.0;

    double total = 0.0;
    for (std::int64_t i = offsets[c]; i < offsets[c + 1]; ++i) {
      const double w = weights[i];
      const double* x = features.data + static_cast<std::size_t>(i) * d;
      total += w;
      for (std::size_t j = 0; j < d; ++j) centroid[j] += w * x[j];
    }

    mass[c] = total;
    // Zero mass (no cells, or only zero weights) leaves the centroid at 0 instead of 0/0.
    for (std::size_t j = 0; j < d; ++j) centroid[j] = total > 0.0 ? centroid[j] / total : 0.0;
  }
}

}  // namespace detail

}  // namespace mustfm
