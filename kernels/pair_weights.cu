// Training-pair weights, CUDA backend (kernels/pair_weights.h): the twin of
// kernels/pair_weights_cpu.cpp with the per-entry formulas of kernels/pair_weights_entry.h.
// Row sums are CUB segmented reductions over the CSR offsets, column sums the same over the
// transpose (the plan gathered into column order), the sampled entries are compacted in CSR
// order through an integer prefix sum, and the running sums are a deterministic scan
// (kernels/deterministic_scan.cuh), segmented by cluster for the within-cluster weights. Every
// floating-point sum has a fixed order, so repeated runs give identical bits. Names as in
// kernels/pair_weights.h.
#include <cub/device/device_reduce.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_reduce.cuh>

#include <algorithm>
#include <vector>

#include "kernels/deterministic_scan.cuh"
#include "kernels/pair_weights_backends.h"
#include "kernels/pair_weights_entry.h"
#include "kernels/uot_device.cuh"

namespace mustfm::detail {
namespace {

// Grid of a grid-stride loop over n items: enough blocks to fill the device, no more.
unsigned stride_blocks(std::int64_t n) {
  return static_cast<unsigned>(std::min<std::int64_t>((n + kBlock - 1) / kBlock, 4096));
}

#define MUSTFM_GRID_STRIDE(index, n)                                                          \
  for (std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; \
       index < (n); index += static_cast<std::int64_t>(gridDim.x) * blockDim.x)

template <class T>
DeviceArray<T> to_device(View<const T> host, cudaStream_t stream) {
  DeviceArray<T> array(host.size, stream);
  if (host.size > 0)
    MUSTFM_CUDA_CHECK(cudaMemcpyAsync(array.data(), host.data, host.size * sizeof(T),
                                      cudaMemcpyHostToDevice, stream));
  return array;
}

template <class T>
DeviceArray<T> to_device(const std::vector<T>& host, cudaStream_t stream) {
  return to_device(View<const T>{host.data(), host.size()}, stream);
}

// The segment holding `position`: the last k < segments with offsets[k] <= position, which
// skips empty segments before it. Precondition: offsets[0] <= position < offsets[segments].
__device__ __forceinline__ std::int64_t segment_of(const std::int64_t* offsets,
                                                   std::int64_t segments,
                                                   std::int64_t position) {
  std::int64_t low = 0;
  std::int64_t high = segments;
  while (high - low > 1) {
    const std::int64_t mid = low + (high - low) / 2;
    if (offsets[mid] <= position)
      low = mid;
    else
      high = mid;
  }
  return low;
}

// Contract: plan nnz doubles in CSR order; t_entries nnz int64 CSR positions in column order;
// by_column nnz doubles, assigned plan[t_entries[k]]. Launch: 1-d grid-stride, any geometry.
__global__ void gather_by_column_kernel(const double* plan,
                                        const std::int64_t* t_entries,
                                        std::int64_t nnz,
                                        double* by_column) {
  MUSTFM_GRID_STRIDE(k, nnz) {
    by_column[k] = plan[t_entries[k]];
  }
}

// Contract (rows rows, nnz entries): row_offsets rows + 1 CSR offsets; plan nnz doubles; a, r
// rows doubles. Assigned per entry e: entry_row[e] its row, gamma0[e], sampled[e] 1 when the
// entry enters the distribution, else 0. Launch: 1-d grid-stride over nnz, any geometry.
// Precondition: rows >= 1 when nnz >= 1.
__global__ void entry_weights_kernel(const std::int64_t* row_offsets,
                                     std::int64_t rows,
                                     const double* plan,
                                     const double* a,
                                     const double* r,
                                     std::int64_t nnz,
                                     std::int32_t* entry_row,
                                     double* gamma0,
                                     std::int64_t* sampled) {
  MUSTFM_GRID_STRIDE(e, nnz) {
    const auto i = static_cast<std::int32_t>(segment_of(row_offsets, rows, e));
    const double weight = pair_gamma0(a[i], plan[e], r[i]);
    entry_row[e] = i;
    gamma0[e] = weight;
    sampled[e] = pair_sampled(weight) ? 1 : 0;
  }
}

// Contract (nnz entries): entry_row, col_indices, gamma0 per entry; slot_end[e] the number of
// sampled entries up to and including e (inclusive prefix sum of the flags); a, r per row; b, c
// per column. Assigned, at slot slot_end[e] - 1 of every sampled entry e: source, target,
// kept_gamma0 and ratio. Launch: 1-d grid-stride over nnz, any geometry.
__global__ void compact_entries_kernel(const std::int32_t* entry_row,
                                       const std::int32_t* col_indices,
                                       const double* gamma0,
                                       const std::int64_t* slot_end,
                                       const double* a,
                                       const double* b,
                                       const double* r,
                                       const double* c,
                                       std::int64_t nnz,
                                       std::int32_t* source,
                                       std::int32_t* target,
                                       double* kept_gamma0,
                                       double* ratio) {
  MUSTFM_GRID_STRIDE(e, nnz) {
    if (!pair_sampled(gamma0[e])) continue;
    const std::int64_t slot = slot_end[e] - 1;
    const std::int32_t i = entry_row[e];
    const std::int32_t j = col_indices[e];
    source[slot] = i;
    target[slot] = j;
    kept_gamma0[slot] = gamma0[e];
    ratio[slot] = pair_mass_ratio(a[i], b[j], r[i], c[j]);
  }
}

// Contract: gamma0 count doubles; total one device double (their sum); probability count
// doubles, assigned gamma0 / total. Launch: 1-d grid-stride, any geometry.
__global__ void normalize_kernel(const double* gamma0,
                                 const double* total,
                                 std::int64_t count,
                                 double* probability) {
  const double sum = *total;
  MUSTFM_GRID_STRIDE(k, count) {
    probability[k] = gamma0[k] / sum;
  }
}

// Contract: mass, sums n doubles; carried, left n doubles, assigned mass[k] where sums[k] > 0
// (resp. where not), else 0. Launch: 1-d grid-stride, any geometry.
__global__ void split_masses_kernel(
    const double* mass, const double* sums, std::int64_t n, double* carried, double* left) {
  MUSTFM_GRID_STRIDE(k, n) {
    const bool has_mass = sums[k] > 0;
    carried[k] = has_mass ? mass[k] : 0.0;
    left[k] = has_mass ? 0.0 : mass[k];
  }
}

// Contract: offsets clusters + 1 int64 (0 first, n last, non-decreasing); cluster_mass clusters
// doubles; weights n doubles. Assigned per position p: shares[p] = w_p / a_k of its cluster k,
// heads[p] = 1 where a cluster starts, else 0. Launch: 1-d grid-stride over n, any geometry.
__global__ void within_shares_kernel(const std::int64_t* offsets,
                                     std::int64_t clusters,
                                     const double* cluster_mass,
                                     const double* weights,
                                     std::int64_t n,
                                     double* shares,
                                     std::uint8_t* heads) {
  MUSTFM_GRID_STRIDE(p, n) {
    const std::int64_t k = segment_of(offsets, clusters, p);
    shares[p] = within_cluster_share(weights[p], cluster_mass[k]);
    heads[p] = p == offsets[k] ? 1 : 0;
  }
}

#undef MUSTFM_GRID_STRIDE

// result[0] = sum of values[0 .. n) (0 when n = 0), in CUB's fixed reduction order.
void device_sum(const double* values, std::int64_t n, double* result, cudaStream_t stream) {
  if (n == 0) {
    // The bytes of 0.0 are all zero.
    MUSTFM_CUDA_CHECK(cudaMemsetAsync(result, 0, sizeof(double), stream));
    return;
  }
  std::size_t bytes = 0;
  MUSTFM_CUDA_CHECK(cub::DeviceReduce::Sum(nullptr, bytes, values, result, n, stream));
  DeviceArray<unsigned char> scratch(bytes, stream);
  MUSTFM_CUDA_CHECK(cub::DeviceReduce::Sum(scratch.data(), bytes, values, result, n, stream));
}

// sums[k] = sum of values[offsets[k] .. offsets[k + 1]) for k < segments (0 when empty).
void segmented_sum(const double* values,
                   const std::int64_t* offsets,
                   std::int64_t segments,
                   double* sums,
                   cudaStream_t stream) {
  if (segments == 0) return;
  std::size_t bytes = 0;
  MUSTFM_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(nullptr, bytes, values, sums, segments, offsets,
                                                    offsets + 1, stream));
  DeviceArray<unsigned char> scratch(bytes, stream);
  MUSTFM_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(scratch.data(), bytes, values, sums, segments,
                                                    offsets, offsets + 1, stream));
}

// Inclusive prefix sum of integers, in place (exact, so any order gives the same result).
void inclusive_count(std::int64_t* values, std::int64_t n, cudaStream_t stream) {
  std::size_t bytes = 0;
  MUSTFM_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, bytes, values, values, n, stream));
  DeviceArray<unsigned char> scratch(bytes, stream);
  MUSTFM_CUDA_CHECK(
      cub::DeviceScan::InclusiveSum(scratch.data(), bytes, values, values, n, stream));
}

template <class T>
T download_one(const T* value, cudaStream_t stream) {
  T host{};
  MUSTFM_CUDA_CHECK(cudaMemcpyAsync(&host, value, sizeof(T), cudaMemcpyDeviceToHost, stream));
  MUSTFM_CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

// Sums of the masses of rows (or columns) that carry plan mass and of those that do not.
void split_mass_sums(const DeviceArray<double>& mass,
                     const DeviceArray<double>& sums,
                     double* carried_total,
                     double* left_total,
                     cudaStream_t stream) {
  const auto n = static_cast<std::int64_t>(mass.size());
  DeviceArray<double> carried(mass.size(), stream);
  DeviceArray<double> left(mass.size(), stream);
  if (n > 0) {
    split_masses_kernel<<<stride_blocks(n), kBlock, 0, stream>>>(mass.data(), sums.data(), n,
                                                                 carried.data(), left.data());
    MUSTFM_LAUNCH_CHECK(stream);
  }
  device_sum(carried.data(), n, carried_total, stream);
  device_sum(left.data(), n, left_total, stream);
}

}  // namespace

PairWeights pair_weights_cuda(const Exec& exec,
                              const CsrMatrix& m,
                              const CsrTranspose& t,
                              View<const double> plan_host,
                              View<const double> a_host,
                              View<const double> b_host) {
  const auto stream = static_cast<cudaStream_t>(exec.stream);
  const std::int64_t nnz = m.nnz();
  const auto size = static_cast<std::size_t>(nnz);
  const DeviceArray<std::int64_t> row_offsets = to_device(m.row_offsets, stream);
  const DeviceArray<std::int32_t> col_indices = to_device(m.col_indices, stream);
  const DeviceArray<std::int64_t> col_offsets = to_device(t.col_offsets, stream);
  const DeviceArray<std::int64_t> t_entries = to_device(t.entries, stream);
  const DeviceArray<double> plan = to_device(plan_host, stream);
  const DeviceArray<double> a = to_device(a_host, stream);
  const DeviceArray<double> b = to_device(b_host, stream);

  DeviceArray<double> r(a.size(), stream);
  DeviceArray<double> c(b.size(), stream);
  segmented_sum(plan.data(), row_offsets.data(), m.rows, r.data(), stream);
  {
    DeviceArray<double> by_column(size, stream);
    if (nnz > 0) {
      gather_by_column_kernel<<<stride_blocks(nnz), kBlock, 0, stream>>>(
          plan.data(), t_entries.data(), nnz, by_column.data());
      MUSTFM_LAUNCH_CHECK(stream);
    }
    segmented_sum(by_column.data(), col_offsets.data(), m.cols, c.data(), stream);
  }

  // Sampled and unsampled source mass, unsampled and sampled target mass (the last one is not
  // reported), and sum gamma0.
  DeviceArray<double> scalars(5, stream);
  // Zero bytes are 0.0: sum gamma0 stays defined when no entry is sampled.
  MUSTFM_CUDA_CHECK(cudaMemsetAsync(scalars.data(), 0, 5 * sizeof(double), stream));
  split_mass_sums(a, r, scalars.data(), scalars.data() + 1, stream);
  split_mass_sums(b, c, scalars.data() + 3, scalars.data() + 2, stream);

  PairWeights out;
  std::int64_t kept = 0;
  DeviceArray<std::int32_t> source;
  DeviceArray<std::int32_t> target;
  DeviceArray<double> probability;
  DeviceArray<double> cumulative;
  DeviceArray<double> ratio;
  if (nnz > 0) {
    DeviceArray<std::int32_t> entry_row(size, stream);
    DeviceArray<double> gamma0(size, stream);
    DeviceArray<std::int64_t> slot_end(size, stream);
    entry_weights_kernel<<<stride_blocks(nnz), kBlock, 0, stream>>>(
        row_offsets.data(), m.rows, plan.data(), a.data(), r.data(), nnz, entry_row.data(),
        gamma0.data(), slot_end.data());
    MUSTFM_LAUNCH_CHECK(stream);
    inclusive_count(slot_end.data(), nnz, stream);
    kept = download_one(slot_end.data() + (nnz - 1), stream);

    const auto kept_size = static_cast<std::size_t>(kept);
    source = DeviceArray<std::int32_t>(kept_size, stream);
    target = DeviceArray<std::int32_t>(kept_size, stream);
    DeviceArray<double> kept_gamma0(kept_size, stream);
    ratio = DeviceArray<double>(kept_size, stream);
    compact_entries_kernel<<<stride_blocks(nnz), kBlock, 0, stream>>>(
        entry_row.data(), col_indices.data(), gamma0.data(), slot_end.data(), a.data(), b.data(),
        r.data(), c.data(), nnz, source.data(), target.data(), kept_gamma0.data(), ratio.data());
    MUSTFM_LAUNCH_CHECK(stream);

    probability = DeviceArray<double>(kept_size, stream);
    cumulative = DeviceArray<double>(kept_size, stream);
    if (kept > 0) {
      device_sum(kept_gamma0.data(), kept, scalars.data() + 4, stream);
      normalize_kernel<<<stride_blocks(kept), kBlock, 0, stream>>>(
          kept_gamma0.data(), scalars.data() + 4, kept, probability.data());
      MUSTFM_LAUNCH_CHECK(stream);
      deterministic_inclusive_sum(probability.data(), nullptr, kept, cumulative.data(), stream);
    }
  }

  out.source = source.download();
  out.target = target.download();
  out.probability = probability.download();
  out.cumulative = cumulative.download();
  out.mass_ratio = ratio.download();
  const std::vector<double> masses = scalars.download();
  out.sampled_source_mass = masses[0];
  out.unsampled_source_mass = masses[1];
  out.unsampled_target_mass = masses[2];
  return out;
}

std::vector<double> within_cluster_cumulative_cuda(const Exec& exec,
                                                   const std::vector<std::int64_t>& offsets_host,
                                                   View<const double> cluster_mass_host,
                                                   View<const double> weights_host) {
  const auto stream = static_cast<cudaStream_t>(exec.stream);
  const auto n = static_cast<std::int64_t>(weights_host.size);
  if (n == 0) return {};
  const auto clusters = static_cast<std::int64_t>(cluster_mass_host.size);
  const DeviceArray<std::int64_t> offsets = to_device(offsets_host, stream);
  const DeviceArray<double> cluster_mass = to_device(cluster_mass_host, stream);
  const DeviceArray<double> weights = to_device(weights_host, stream);

  DeviceArray<double> shares(weights_host.size, stream);
  DeviceArray<std::uint8_t> heads(weights_host.size, stream);
  DeviceArray<double> within(weights_host.size, stream);
  within_shares_kernel<<<stride_blocks(n), kBlock, 0, stream>>>(offsets.data(), clusters,
                                                                cluster_mass.data(), weights.data(),
                                                                n, shares.data(), heads.data());
  MUSTFM_LAUNCH_CHECK(stream);
  deterministic_inclusive_sum(shares.data(), heads.data(), n, within.data(), stream);
  return within.download();
}

}  // namespace mustfm::detail
