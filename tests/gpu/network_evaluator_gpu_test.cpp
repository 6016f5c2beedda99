// Prediction's network evaluation on CUDA against the CPU: the moving-average parameters of a
// network state run over more rows than one chunk holds, so the chunking and the host-device
// copies are exercised as well as the products.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/network_evaluator.h"
#include "nn_gpu_support.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::expect_close_normwise;
using testing::random_vector;

NetworkState random_state(std::uint64_t seed) {
  NetworkState state;
  state.widths = {3, 37, 64, 2};
  state.slope = 0.01;
  const std::size_t count = 3 * 37 + 37 + 37 * 64 + 64 + 64 * 2 + 2;
  state.average = random_vector<double>(count, -0.3, 0.3, seed);
  state.parameters = state.average;
  return state;
}

std::vector<float> evaluate(const std::string& device,
                            const NetworkState& state,
                            const std::vector<float>& inputs,
                            std::size_t rows) {
  Context context = testing::make_quiet_context(device);
  // 100-row chunks: the 1030 rows below take 11 of them, the last one short.
  NetworkEvaluator evaluator(context, state, "test", 100);
  std::vector<float> outputs(rows * evaluator.outputs());
  evaluator.evaluate(inputs.data(), rows, outputs.data());
  return outputs;
}

TEST(NetworkEvaluatorGpu, CudaMatchesCpuOverManyChunks) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  const NetworkState state = random_state(5);
  constexpr std::size_t kRows = 1030;
  const std::vector<float> inputs = random_vector<float>(kRows * 3, -2.0, 2.0, 6);
  const std::vector<float> cpu = evaluate("cpu", state, inputs, kRows);
  const std::vector<float> cuda = evaluate("cuda", state, inputs, kRows);
  // Float products of at most 64 terms in different orders: ~1e-6 relative; see
  // mlp_gpu_test.cpp for the margin.
  expect_close_normwise(cuda, cpu, 1e-4, "network outputs");
}

}  // namespace
}  // namespace mustfm
