// The floor of a CUDA training step: only the cuBLAS matrix products of one step of
// train_step_bench.cpp (both reference networks, forward and backward, same shapes, transposes
// and order), replayed from a captured CUDA graph so launches cost nothing, and waited for once
// per step like the step. Its time against BM_TrainStep*_cuda at the same batch and d is the
// share of a step that is not matrix products. items_per_second counts training samples;
// gemm_flop_per_second is the FLOP rate the products reach.
#include <benchmark/benchmark.h>

#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/context.h"
#include "nn/captured_work.h"
#include "nn/dense_cuda.h"
#include "train_step_problem.h"

namespace mustfm {
namespace {

void BM_TrainStepGemmFloor_cuda(benchmark::State& state) {
#ifdef MUSTFM_WITH_CUDA
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto dimension = static_cast<std::size_t>(state.range(1));
  if (cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  ContextOptions options;
  options.device = "cuda";
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  Context context(options);
  const Exec& exec = context.exec();

  // One operand buffer per role, large enough for every product; the values do not matter.
  const std::vector<bench::GemmShape> gemms = bench::training_step_gemms(dimension, batch);
  std::size_t a_size = 0, b_size = 0, c_size = 0;
  for (const bench::GemmShape& g : gemms) {
    a_size = std::max(a_size, g.m * g.k);
    b_size = std::max(b_size, g.k * g.n);
    c_size = std::max(c_size, g.m * g.n);
  }
  const auto filled = [&](std::size_t size, const char* purpose) {
    Buffer<float> buffer(context.allocator(), size, MemorySpace::device, purpose);
    const std::vector<float> values(size, 0.01f);
    buffer.copy_from({values.data(), values.size(), MemorySpace::host});
    return buffer;
  };
  Buffer<float> a = filled(a_size, "bench gemm a");
  Buffer<float> b = filled(b_size, "bench gemm b");
  Buffer<float> c = filled(c_size, "bench gemm c");

  const auto queue_gemms = [&] {
    for (const bench::GemmShape& g : gemms)
      detail::gemm_cuda<float>(exec, g.transpose_a, g.transpose_b, g.m, g.n, g.k, 1.0f, a.data(),
                               g.transpose_a ? g.m : g.k, b.data(), g.transpose_b ? g.k : g.n, 0.0f,
                               c.data(), g.n);
  };
  // The workspace the training step binds, so cuBLAS picks the kernels it picks there.
  Buffer<unsigned char> workspace(context.allocator(), std::size_t{32} << 20, MemorySpace::device,
                                  "bench cuBLAS workspace");
  detail::bind_cublas_workspace(exec, workspace.data(), workspace.size());
  queue_gemms();  // warm-up: cuBLAS picks and loads its kernels outside the capture
  context.synchronize();
  const CapturedWork captured(exec, queue_gemms);

  for (auto _ : state) {
    captured.replay();
    context.synchronize();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  state.counters["gemm_flop_per_second"] =
      benchmark::Counter(bench::total_flops(gemms) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  detail::reset_cublas_workspace(exec);
#else
  state.SkipWithError("no CUDA backend in this build");
#endif
}

// Arguments as BM_TrainStep*_cuda: batch, input dimension d.
BENCHMARK(BM_TrainStepGemmFloor_cuda)
    ->ArgNames({"batch", "d"})
    ->ArgsProduct({{256, 1024, 4096, 16384, 65536}, {2, 50}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace mustfm
