// Prediction's network evaluation on the CPU: chunking does not change the outputs, they equal
// the network's own forward pass, and a state whose arrays do not fit its widths is refused.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/network_evaluator.h"
#include "nn/mlp.h"
#include "test_support.h"

namespace mustfm {
namespace {

NetworkState random_state() {
  NetworkState state;
  state.widths = {3, 16, 2};
  state.slope = 0.01;
  std::mt19937_64 engine(11);
  std::uniform_real_distribution<double> uniform(-0.5, 0.5);
  for (std::size_t i = 0; i < 3 * 16 + 16 + 16 * 2 + 2; ++i)
    state.average.push_back(uniform(engine));
  return state;
}

TEST(NetworkEvaluator, ChunksGiveTheForwardPassOfTheAveragedParameters) {
  Context context = testing::make_quiet_context("cpu");
  const NetworkState state = random_state();
  constexpr std::size_t kRows = 23;
  std::vector<float> inputs(kRows * 3);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    inputs[i] = 0.1f * static_cast<float>(i % 17) - 0.8f;

  NetworkEvaluator chunked(context, state, "velocity", 5);
  std::vector<float> outputs(kRows * 2);
  chunked.evaluate(inputs.data(), kRows, outputs.data());

  Mlp<float> mlp(MlpShape{3, {16}, 2, 0.01});
  MlpWorkspace<float> workspace(mlp, kRows, context.allocator(), MemorySpace::host, "test");
  const std::vector<float> parameters(state.average.begin(), state.average.end());
  mlp.forward(context.exec(), {parameters.data(), parameters.size(), MemorySpace::host},
              {inputs.data(), inputs.size(), MemorySpace::host}, kRows, workspace);
  const View<const float> expected = workspace.output();
  // Row blocks of a product do not change each row's sums: the outputs agree exactly.
  for (std::size_t i = 0; i < outputs.size(); ++i) EXPECT_EQ(outputs[i], expected.data[i]) << i;
}

TEST(NetworkEvaluator, RefusesAStateThatDoesNotFitItsWidths) {
  Context context = testing::make_quiet_context("cpu");
  NetworkState state = random_state();
  state.average.pop_back();
  EXPECT_TRUE(
      testing::throws_input_error([&] { NetworkEvaluator evaluator(context, state, "growth"); },
                                  {"growth", "averaged parameters", "3 -> [16] -> 2"}));
}

}  // namespace
}  // namespace mustfm
