// Deterministic segmented running sums (kernels/deterministic_scan.cuh) in three launches:
// tile totals, an exclusive scan of the totals by one block, and the tiles scanned from their
// prefixes. A segment restart is carried by the operator on (value, head) pairs
// (kernels/segmented_sum.h), so one scan serves both plain and segmented sums.
#include <cub/block/block_scan.cuh>

#include <algorithm>

#include "kernels/deterministic_scan.cuh"
#include "kernels/segmented_sum.h"
#include "kernels/uot_device.cuh"

namespace mustfm::detail {
namespace {

constexpr int kScanThreads = 256;
// Consecutive positions per thread: enough work per thread to hide the block scan's cost.
constexpr int kScanItems = 8;
constexpr std::int64_t kTileItems = kScanThreads * kScanItems;

// BlockScan's operator, over the rule of kernels/segmented_sum.h.
struct SegmentedPlus {
  __device__ __forceinline__ SegmentedValue operator()(const SegmentedValue& left,
                                                       const SegmentedValue& right) const {
    return segmented_plus(left, right);
  }
};

__device__ __forceinline__ SegmentedValue load_item(const double* values,
                                                    const std::uint8_t* heads,
                                                    std::int64_t count,
                                                    std::int64_t p) {
  if (p >= count) return {0.0, 0};
  return {values[p], heads != nullptr && heads[p] != 0 ? 1 : 0};
}

// The combination of the kScanItems positions of this thread, left to right.
__device__ __forceinline__ SegmentedValue thread_total(const double* values,
                                                       const std::uint8_t* heads,
                                                       std::int64_t count,
                                                       std::int64_t first) {
  SegmentedValue total{0.0, 0};
  for (int q = 0; q < kScanItems; ++q)
    total = SegmentedPlus{}(total, load_item(values, heads, count, first + q));
  return total;
}

__device__ __forceinline__ std::int64_t first_position() {
  return static_cast<std::int64_t>(blockIdx.x) * kTileItems +
         static_cast<std::int64_t>(threadIdx.x) * kScanItems;
}

using BlockScan = cub::BlockScan<SegmentedValue, kScanThreads>;

// Contract: values (and heads, or null) count items; totals one per tile, assigned the
// combination of the tile's positions. Launch: kScanThreads threads, one block per tile of
// kTileItems positions (thread t holds positions t * kScanItems .. of its tile).
__global__ void __launch_bounds__(kScanThreads) tile_totals_kernel(const double* values,
                                                                   const std::uint8_t* heads,
                                                                   std::int64_t count,
                                                                   SegmentedValue* totals) {
  __shared__ typename BlockScan::TempStorage temp;
  const SegmentedValue own = thread_total(values, heads, count, first_position());
  SegmentedValue inclusive;
  SegmentedValue tile_total;
  BlockScan(temp).InclusiveScan(own, inclusive, SegmentedPlus{}, tile_total);
  if (threadIdx.x == 0) totals[blockIdx.x] = tile_total;
}

// Carries the combination of the chunks scanned so far into the next chunk's block scan.
struct RunningPrefix {
  SegmentedValue carried;
  __device__ SegmentedValue operator()(SegmentedValue chunk_total) {
    const SegmentedValue before = carried;
    carried = SegmentedPlus{}(carried, chunk_total);
    return before;
  }
};

// Contract: totals tiles items, replaced by their exclusive scan (the combination of all tiles
// before each). Launch: one block of kScanThreads threads, walking the tiles in chunks.
__global__ void __launch_bounds__(kScanThreads)
    tile_prefixes_kernel(SegmentedValue* totals, std::int64_t tiles) {
  __shared__ typename BlockScan::TempStorage temp;
  RunningPrefix prefix{{0.0, 0}};
  for (std::int64_t chunk = 0; chunk < tiles; chunk += kScanThreads) {
    const std::int64_t k = chunk + threadIdx.x;
    const SegmentedValue own = k < tiles ? totals[k] : SegmentedValue{0.0, 0};
    SegmentedValue before;
    BlockScan(temp).ExclusiveScan(own, before, SegmentedPlus{}, prefix);
    // The next chunk reuses the shared storage.
    __syncthreads();
    if (k < tiles) totals[k] = before;
  }
}

// Contract: values (and heads, or null) count items; prefixes one per tile, from
// tile_prefixes_kernel; sums count items, assigned the running sums. Launch as
// tile_totals_kernel.
__global__ void __launch_bounds__(kScanThreads) tile_sums_kernel(const double* values,
                                                                 const std::uint8_t* heads,
                                                                 std::int64_t count,
                                                                 const SegmentedValue* prefixes,
                                                                 double* sums) {
  __shared__ typename BlockScan::TempStorage temp;
  const std::int64_t first = first_position();
  const SegmentedValue own = thread_total(values, heads, count, first);
  SegmentedValue running;
  BlockScan(temp).ExclusiveScan(own, running, prefixes[blockIdx.x], SegmentedPlus{});
  for (int q = 0; q < kScanItems; ++q) {
    const std::int64_t p = first + q;
    if (p >= count) break;
    running = SegmentedPlus{}(running, load_item(values, heads, count, p));
    sums[p] = running.value;
  }
}

}  // namespace

void deterministic_inclusive_sum(const double* values,
                                 const std::uint8_t* heads,
                                 std::int64_t count,
                                 double* sums,
                                 cudaStream_t stream) {
  if (count == 0) return;
  const std::int64_t tiles = (count + kTileItems - 1) / kTileItems;
  MUSTFM_ASSERT(tiles <= std::int64_t{0x7fffffff}, "scan of more tiles than a grid holds");
  DeviceArray<SegmentedValue> totals(static_cast<std::size_t>(tiles), stream);
  const auto grid = static_cast<unsigned>(tiles);

  tile_totals_kernel<<<grid, kScanThreads, 0, stream>>>(values, heads, count, totals.data());
  MUSTFM_LAUNCH_CHECK(stream);
  tile_prefixes_kernel<<<1, kScanThreads, 0, stream>>>(totals.data(), tiles);
  MUSTFM_LAUNCH_CHECK(stream);
  tile_sums_kernel<<<grid, kScanThreads, 0, stream>>>(values, heads, count, totals.data(), sums);
  MUSTFM_LAUNCH_CHECK(stream);
}

}  // namespace mustfm::detail
