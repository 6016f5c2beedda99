#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "kernels/common/memory.h"
#include "test_support.h"

namespace mustfm {
namespace {

TEST(DeviceMemory, RoundTripThroughDevice) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Allocator allocator;
  std::vector<double> values(1000);
  std::iota(values.begin(), values.end(), -3.5);
  Buffer<double> device(allocator, values.size(), MemorySpace::device, "round trip");
  device.copy_from(View<const double>{values.data(), values.size(), MemorySpace::host});
  EXPECT_EQ(allocator.current_bytes(MemorySpace::device), values.size() * sizeof(double));
  Buffer<double> back(allocator, values.size(), MemorySpace::host, "round trip");
  back.copy_from(device.cview());
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(back[i], values[i]) << "index " << i;
}

}  // namespace
}  // namespace mustfm
