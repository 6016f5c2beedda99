// Shared pieces of the CUDA training-step tests: the tolerance of CUDA against the CPU and the
// comparison of both networks' gradients.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/training_step.h"
#include "kernels/common/memory.h"

namespace mustfm::testing {

// Both backends draw the same pairs (the sampler's GPU test checks this bit for bit) and run the
// same float formulas; they differ in the device's sin / cos / atan2 (a few ulp, sampler rows
// within 1e-4 relative) and in the summation order of cuBLAS against OpenBLAS and of the loss
// reduction. A gradient entry is a sum over the batch rows of products of O(1) factors, so its
// rounding difference is ~1e-6 of the largest entry; the inputs' 1e-4 differences pass through
// Lipschitz-1 layers. 1e-3 of the largest entry (and 1e-3 relative on the loss) leaves margin
// while any wiring error (a missing term, a wrong batch row, a stale step number or learning
// rate) shows as O(1).
inline constexpr double kTrainingCudaRelative = 1e-3;

inline std::vector<float> to_host(View<const float> view) {
  std::vector<float> host(view.size);
  copy_bytes(host.data(), MemorySpace::host, view.data, view.space, view.size * sizeof(float));
  return host;
}

// Every gradient entry of both networks within kTrainingCudaRelative of the largest CPU entry.
inline void expect_gradients_match(const TrainingStep<float>& cpu,
                                   const TrainingStep<float>& cuda,
                                   const std::string& what) {
  const TrainedNetwork<float>* pairs[][2] = {{&cpu.velocity(), &cuda.velocity()},
                                             {&cpu.growth(), &cuda.growth()}};
  for (const auto& pair : pairs) {
    const std::vector<float> expected = to_host(pair[0]->gradients.cview());
    const std::vector<float> actual = to_host(pair[1]->gradients.cview());
    ASSERT_EQ(expected.size(), actual.size());
    float largest = 0.0f;
    for (float g : expected) largest = std::max(largest, std::abs(g));
    ASSERT_GT(largest, 0.0f);
    for (std::size_t i = 0; i < expected.size(); ++i)
      ASSERT_NEAR(actual[i], expected[i], kTrainingCudaRelative * largest)
          << pair[0]->name << " gradient " << i << " " << what;
  }
}

}  // namespace mustfm::testing
