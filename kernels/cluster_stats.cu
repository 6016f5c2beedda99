// CUDA backend of the cluster statistics (kernels/cluster_stats.h): one block per cluster, sums
// in double, fixed reduction order so repeated runs give identical bits.
#include <climits>

#include "kernels/cluster_stats.h"
#include "kernels/common/cuda_check.cuh"

namespace mustfm::detail {

namespace {

constexpr int kBlock = 256;

// Sum of one value per thread of a kBlock-thread block, in a fixed tree order. `scratch` holds
// kBlock doubles of shared memory and may be reused once this returns.
__device__ double block_sum(double value, double* scratch) {
  scratch[threadIdx.x] = value;
  __syncthreads();
  for (int half = kBlock / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
    __syncthreads();
  }
  const double total = scratch[0];
  __syncthreads();
  return total;
}

// Contract (n cells, k clusters, d features):
//   offsets    k + 1 int64, offsets[0] = 0, non-decreasing, offsets[k] = n (not checked here)
//   weights    n doubles; features n x d doubles, row-major
//   mass       k doubles, assigned; centroids k x d doubles, row-major, assigned
// Launch: grid k blocks (one per cluster), kBlock threads, static shared memory only.
// Preconditions: d >= 1, k <= INT_MAX. A cluster of zero mass gets centroid 0.
__global__ void __launch_bounds__(kBlock) cluster_stats_kernel(const std::int64_t* offsets,
                                                               const double* weights,
                                                               const double* features,
                                                               std::int64_t d,
                                                               double* mass,
                                                               double* centroids) {
  __shared__ double scratch[kBlock];
  const std::int64_t c = blockIdx.x;
  const std::int64_t begin = offsets[c];
  const std::int64_t end = offsets[c + 1];
  const int t = threadIdx.x;

  double weight_sum = 0.0;
  for (std::int64_t i = begin + t; i < end; i += kBlock) weight_sum += weights[i];
  const double total = block_sum(weight_sum, scratch);
  if (t == 0) mass[c] = total;

  double* centroid = centroids + c * d;
  if (d <= kBlock) {
    // The cluster's features are one contiguous run of (end - begin) * d values. Walking it with
    // a stride that is a multiple of d keeps each thread on one coordinate (t % d) and keeps the
    // reads of a warp contiguous, for any small d.
    const std::int64_t rows_per_pass = kBlock / d;
    const std::int64_t active = rows_per_pass * d;
    double partial = 0.0;
    if (t < active) {
      const std::int64_t j = t % d;
      for (std::int64_t i = begin + t / d; i < end; i += rows_per_pass)
        partial += weights[i] * features[i * d + j];
    }
    scratch[t] = partial;
    __syncthreads();

    // Coordinate j gathers the partials of threads j, j + d, j + 2d, ... in a fixed order.
    if (t < d) {
      double sum = 0.0;
      for (std::int64_t k = t; k < active; k += d) sum += scratch[k];
      centroid[t] = total > 0.0 ? sum / total : 0.0;
    }
  } else {
    // Wide rows: one thread per coordinate, a warp reads 32 neighbouring values of a row.
    for (std::int64_t j = t; j < d; j += kBlock) {
      double sum = 0.0;
      for (std::int64_t i = begin; i < end; ++i) sum += weights[i] * features[i * d + j];
      centroid[j] = total > 0.0 ? sum / total : 0.0;
    }
  }
}

}  // namespace

// TODO: split very large clusters over several blocks, because one block per cluster leaves most
// of the device idle when a handful of clusters hold most of the cells.
void cluster_stats_cuda(const Exec& exec,
                        View<const std::int64_t> offsets,
                        View<const double> weights,
                        View<const double> features,
                        std::size_t dimension,
                        View<double> mass,
                        View<double> centroids) {
  const std::size_t clusters = offsets.size - 1;
  if (clusters == 0) return;
  MUSTFM_EXPECTS(clusters <= static_cast<std::size_t>(INT_MAX),
                 "cluster_stats: " + std::to_string(clusters) + " clusters exceed one grid");

  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);
  cluster_stats_kernel<<<static_cast<unsigned>(clusters), kBlock, 0, stream>>>(
      offsets.data, weights.data, features.data, static_cast<std::int64_t>(dimension), mass.data,
      centroids.data);
  MUSTFM_LAUNCH_CHECK(stream);
}

}  // namespace mustfm::detail
