// One training step of the reference velocity network (DESIGN.md section 8: [t, x] -> d, five
// hidden layers of 256, LeakyReLU) on each backend: forward, weighted loss, backward and an Adam
// update, in float. On CUDA also the same step replayed from a captured graph (the Adam update
// stays outside it here; train_step_bench.cpp replays a whole training step). Reports training
// samples per second next to the time.
#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/context.h"
#include "nn/adam.h"
#include "nn/captured_work.h"
#include "nn/loss.h"
#include "nn/mlp.h"

namespace mustfm {
namespace {

enum class Mode { direct, graph };

std::vector<float> pattern(std::size_t count, float scale) {
  std::vector<float> values(count);
  for (std::size_t i = 0; i < count; ++i)
    values[i] = scale * (static_cast<float>(i % 97) / 48.0f - 1.0f);
  return values;
}

void run_training_step(benchmark::State& state, const char* device, Mode mode) {
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  const std::size_t d = static_cast<std::size_t>(state.range(1));
  if (std::string(device) == "cuda" && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(options);
  const MemorySpace space = context.compute_space();
  const Exec& exec = context.exec();
  Allocator& allocator = context.allocator();

  const Mlp<float> mlp(MlpShape{d + 1, {256, 256, 256, 256, 256}, d, 0.01});
  Buffer<float> parameters(allocator, mlp.parameter_count(), space, "bench parameters");
  mlp.initialize(parameters.view(), 1, 0);
  Buffer<float> input(allocator, batch * (d + 1), space, "bench input");
  Buffer<float> target(allocator, batch * d, space, "bench target");
  Buffer<float> weight(allocator, batch, space, "bench weight");
  Buffer<float> grad_output(allocator, batch * d, space, "bench dL/dy");
  Buffer<float> gradient(allocator, mlp.parameter_count(), space, "bench gradient");
  const std::vector<float> host_input = pattern(input.size(), 2.0f);
  const std::vector<float> host_target = pattern(target.size(), 1.0f);
  const std::vector<float> host_weight(batch, 1.0f);
  input.copy_from({host_input.data(), host_input.size(), MemorySpace::host});
  target.copy_from({host_target.data(), host_target.size(), MemorySpace::host});
  weight.copy_from({host_weight.data(), host_weight.size(), MemorySpace::host});
  MlpWorkspace<float> workspace(mlp, batch, allocator, space, "bench mlp");
  LossScratch scratch(allocator, space, "bench");
  Adam<float> adam(allocator, mlp.parameter_count(), space, "bench");

  const auto queue_step = [&] {
    mlp.forward(exec, parameters.cview(), input.cview(), batch, workspace);
    weighted_mse_loss(exec, workspace.output(), target.cview(), weight.cview(), batch, d,
                      grad_output.view(), scratch);
    mlp.backward(exec, parameters.cview(), input.cview(), batch, workspace, grad_output.cview(),
                 gradient.view());
  };
  std::optional<CapturedWork> captured;
  if (mode == Mode::graph) captured.emplace(exec, queue_step);

  for (auto _ : state) {
    if (captured)
      captured->replay();
    else
      queue_step();
    adam.step(exec, parameters.view(), gradient.cview(), 1e-4);
    context.synchronize();
  }
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(batch) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_NetworkStep_cpu(benchmark::State& state) {
  run_training_step(state, "cpu", Mode::direct);
}
void BM_NetworkStep_cuda(benchmark::State& state) {
  run_training_step(state, "cuda", Mode::direct);
}
void BM_NetworkStepGraph_cuda(benchmark::State& state) {
  run_training_step(state, "cuda", Mode::graph);
}

BENCHMARK(BM_NetworkStep_cpu)->Args({256, 2})->Args({1024, 50})->UseRealTime();
BENCHMARK(BM_NetworkStep_cuda)->Args({256, 2})->Args({1024, 50})->Args({8192, 50})->UseRealTime();
BENCHMARK(BM_NetworkStepGraph_cuda)
    ->Args({256, 2})
    ->Args({1024, 50})
    ->Args({8192, 50})
    ->UseRealTime();

}  // namespace
}  // namespace mustfm
