// One full training step (engine/training_step.h) on the reference architecture (velocity net
// 5 x 256, growth net 3 x 256, LeakyReLU, float): sampling, both forward passes, the fused loss,
// both backward passes, two Adam steps and the EMA. The problem is bench/train_step_problem.h;
// batch sizes 256 to 65,536, input dimension 2 and 50.
// On CUDA the step runs queued directly (one launch per kernel) or replayed from its captured
// CUDA graph; both wait for the device once per step. gemm_floor_bench.cpp times the step's
// matrix products alone, the floor these times approach.
// items_per_second counts training samples; steps_per_second counts optimizer steps;
// gemm_flop_per_second is the step's matrix-product FLOPs over the whole step's time.
// bench/torch_train_step.py times the same step in PyTorch.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <memory>
#include <string>
#include <utility>

#include "engine/context.h"
#include "engine/training_step.h"
#include "train_step_problem.h"

namespace mustfm {
namespace {

enum class Mode { direct, graph };

void run_train_step(benchmark::State& state, const char* device, Mode mode) {
  const auto batch = static_cast<int>(state.range(0));
  const auto dimension = static_cast<std::size_t>(state.range(1));
  if (std::string(device) == "cuda" && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(options);

  // Reference networks and optimizer settings (the job defaults); only the batch changes.
  Job job;
  job.training.batch_size = batch;
  TrainingStep<float> step(context.exec(), context.allocator(), job,
                           bench::bench_intervals(context, dimension));
  if (mode == Mode::graph) step.capture_graph();
  step.step();  // warm-up: first touch of every buffer

  // step() reads the losses, which waits for the device; a CUDA step waits the same way without
  // the two small copies.
  const bool cuda = std::string(device) == "cuda";
  for (auto _ : state) {
    if (cuda) {
      step.advance();
      context.synchronize();
    } else {
      benchmark::DoNotOptimize(step.step().total());
    }
  }
  const double flops =
      bench::total_flops(bench::training_step_gemms(dimension, static_cast<std::size_t>(batch)));
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["steps_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["gemm_flop_per_second"] = benchmark::Counter(
      flops * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["dropped"] = static_cast<double>(step.dropped_pairs());
}

void BM_TrainStep_cpu(benchmark::State& state) {
  run_train_step(state, "cpu", Mode::direct);
}
void BM_TrainStep_cuda(benchmark::State& state) {
  run_train_step(state, "cuda", Mode::direct);
}
void BM_TrainStepGraph_cuda(benchmark::State& state) {
  run_train_step(state, "cuda", Mode::graph);
}

// Arguments: batch (pairs drawn from the one interval), input dimension d.
BENCHMARK(BM_TrainStep_cpu)
    ->ArgNames({"batch", "d"})
    ->ArgsProduct({{256, 1024, 4096, 16384, 65536}, {2, 50}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_TrainStep_cuda)
    ->ArgNames({"batch", "d"})
    ->ArgsProduct({{256, 1024, 4096, 16384, 65536}, {2, 50}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_TrainStepGraph_cuda)
    ->ArgNames({"batch", "d"})
    ->ArgsProduct({{256, 1024, 4096, 16384, 65536}, {2, 50}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace mustfm
