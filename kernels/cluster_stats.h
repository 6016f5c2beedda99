// Per-cluster mass and weighted centroid of cells that are sorted by cluster: the reduction
// behind every level of the annotation hierarchy (DESIGN.md section 3). One interface, two
// backends (OpenMP on the host, CUDA on the device); a plain C++ header.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

// Shapes (n cells, k clusters, d features):
//   offsets    k + 1 values, offsets[0] = 0, non-decreasing, offsets[k] = n; cluster c holds the
//              cells offsets[c] .. offsets[c+1]-1 (CSR-like)
//   weights    n cell weights (>= 0)
//   features   n x d, row-major
//   mass       k outputs: sum of the cluster's weights (absolute, never normalized)
//   centroids  k x d outputs, row-major: the weighted mean of the cluster's cells
// A cluster with no cells or zero mass gets mass 0 and centroid 0, never NaN. Sums are taken in
// double. Every view must live in the backend's memory space (host for the CPU backend, device
// for CUDA); on CUDA the call is asynchronous on exec.stream. Inconsistent shapes, views in the
// wrong space, or CUDA in a build without it are InputErrors; the CPU backend also checks the
// offsets.
void cluster_stats(const Exec& exec,
                   View<const std::int64_t> offsets,
                   View<const double> weights,
                   View<const double> features,
                   std::size_t dimension,
                   View<double> mass,
                   View<double> centroids);

namespace detail {
void cluster_stats_cpu(View<const std::int64_t> offsets,
                       View<const double> weights,
                       View<const double> features,
                       std::size_t dimension,
                       View<double> mass,
                       View<double> centroids);
#ifdef MUSTFM_WITH_CUDA
void cluster_stats_cuda(const Exec& exec,
                        View<const std::int64_t> offsets,
                        View<const double> weights,
                        View<const double> features,
                        std::size_t dimension,
                        View<double> mass,
                        View<double> centroids);
#endif
}  // namespace detail

}  // namespace mustfm
