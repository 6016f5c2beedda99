// The combining rule of segmented running sums (kernels/segmented_sum.h), and the three-phase
// tiling the device scan builds on it (kernels/deterministic_scan.cu: thread totals, tile totals,
// exclusive prefixes of the tiles, then every position from its tile's and thread's prefix),
// emulated on the host against a plain sequential segmented sum. Values are small integers, so
// every sum is exact in any order and the comparison is bit for bit.
#include "kernels/segmented_sum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace mustfm {
namespace {

bool same(const SegmentedValue& x, const SegmentedValue& y) {
  return x.value == y.value && x.head == y.head;
}

SegmentedValue random_item(std::mt19937& rng) {
  std::uniform_int_distribution<int> value(-50, 50);
  std::bernoulli_distribution head(0.25);
  return {static_cast<double>(value(rng)), head(rng) ? 1 : 0};
}

TEST(SegmentedSum, RuleIsAssociativeWithZeroAsIdentity) {
  std::mt19937 rng(1);
  const SegmentedValue identity{0.0, 0};
  for (int trial = 0; trial < 1000; ++trial) {
    const SegmentedValue x = random_item(rng);
    const SegmentedValue y = random_item(rng);
    const SegmentedValue z = random_item(rng);
    EXPECT_TRUE(
        same(segmented_plus(segmented_plus(x, y), z), segmented_plus(x, segmented_plus(y, z))));
    EXPECT_TRUE(same(segmented_plus(identity, x), x));
    EXPECT_TRUE(same(segmented_plus(x, identity), x));
  }
}

// The device scan's decomposition with `threads` threads of `items` positions per tile.
std::vector<double> tiled_scan(const std::vector<SegmentedValue>& in, int threads, int items) {
  const auto n = static_cast<std::int64_t>(in.size());
  const std::int64_t tile = static_cast<std::int64_t>(threads) * items;
  const std::int64_t tiles = (n + tile - 1) / tile;
  const auto item = [&](std::int64_t p) { return p < n ? in[p] : SegmentedValue{0.0, 0}; };
  const auto thread_total = [&](std::int64_t first) {
    SegmentedValue total{0.0, 0};
    for (int q = 0; q < items; ++q) total = segmented_plus(total, item(first + q));
    return total;
  };

  // Phase 1 and 2: tile totals, then their exclusive prefixes.
  std::vector<SegmentedValue> prefix(static_cast<std::size_t>(tiles), {0.0, 0});
  SegmentedValue carried{0.0, 0};
  for (std::int64_t t = 0; t < tiles; ++t) {
    SegmentedValue total{0.0, 0};
    for (int k = 0; k < threads; ++k)
      total = segmented_plus(total, thread_total(t * tile + k * items));
    prefix[t] = carried;
    carried = segmented_plus(carried, total);
  }

  // Phase 3: each thread starts from its tile's prefix and the totals of the threads before it.
  std::vector<double> out(in.size());
  for (std::int64_t t = 0; t < tiles; ++t) {
    SegmentedValue running_threads = prefix[t];
    for (int k = 0; k < threads; ++k) {
      const std::int64_t first = t * tile + k * items;
      SegmentedValue running = running_threads;
      for (int q = 0; q < items && first + q < n; ++q) {
        running = segmented_plus(running, item(first + q));
        out[first + q] = running.value;
      }
      running_threads = segmented_plus(running_threads, thread_total(first));
    }
  }
  return out;
}

TEST(SegmentedSum, TiledScanEqualsTheSequentialSegmentedSum) {
  std::mt19937 rng(2);
  for (const int n : {0, 1, 11, 12, 13, 100, 1000}) {
    std::vector<SegmentedValue> in(n);
    for (SegmentedValue& v : in) v = random_item(rng);
    std::vector<double> expected(n);
    double running = 0.0;
    for (int p = 0; p < n; ++p) {
      running = in[p].head ? in[p].value : running + in[p].value;
      expected[p] = running;
    }
    for (const auto& [threads, items] : {std::pair{3, 4}, std::pair{1, 1}, std::pair{8, 2}})
      EXPECT_EQ(tiled_scan(in, threads, items), expected)
          << "n " << n << ", " << threads << " threads of " << items;
  }
}

}  // namespace
}  // namespace mustfm
