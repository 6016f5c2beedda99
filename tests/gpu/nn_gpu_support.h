// Helpers of the nn GPU suites: random host vectors, copies to and from the device, and the
// comparison of a CUDA result with its CPU reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "kernels/common/memory.h"

namespace mustfm::testing {

template <class Real>
std::vector<Real> random_vector(std::size_t count, double low, double high, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> distribution(low, high);
  std::vector<Real> values(count);
  for (Real& v : values) v = static_cast<Real>(distribution(engine));
  return values;
}

template <class T>
View<const T> host_view(const std::vector<T>& values) {
  return {values.data(), values.size(), MemorySpace::host};
}

template <class T>
View<T> host_view(std::vector<T>& values) {
  return {values.data(), values.size(), MemorySpace::host};
}

template <class T>
Buffer<T> to_device(Context& context, const std::vector<T>& host, const std::string& purpose) {
  Buffer<T> buffer(context.allocator(), host.size(), MemorySpace::device, purpose);
  buffer.copy_from(host_view(host));
  return buffer;
}

template <class T>
std::vector<T> to_host(View<const T> device) {
  std::vector<T> host(device.size);
  copy_bytes(host.data(), MemorySpace::host, device.data, device.space, host.size() * sizeof(T));
  return host;
}

// Passes when every |cuda[i] - cpu[i]| <= tolerance * max_k |cpu[k]|: a norm-wise bound, since
// rounding in a sum of many products scales with the size of the terms, not of the result (a
// result that cancels to near zero keeps the absolute error of its terms).
template <class Real>
void expect_close_normwise(const std::vector<Real>& cuda,
                           const std::vector<Real>& cpu,
                           double tolerance,
                           const std::string& what) {
  ASSERT_EQ(cuda.size(), cpu.size()) << what;
  double scale = 0.0;
  for (Real v : cpu) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  const double bound = tolerance * scale;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_TRUE(std::isfinite(static_cast<double>(cuda[i])))
        << what << ", index " << i << ": cuda " << cuda[i];
    ASSERT_LE(std::fabs(static_cast<double>(cuda[i]) - static_cast<double>(cpu[i])), bound)
        << what << ", index " << i << ": cuda " << cuda[i] << ", cpu " << cpu[i] << " (tolerance "
        << tolerance << " x largest " << scale << ")";
  }
}

}  // namespace mustfm::testing
