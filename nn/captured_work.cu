#include "kernels/common/cuda_check.cuh"
#include "nn/captured_work.h"

namespace mustfm {

CapturedWork::CapturedWork(const Exec& exec, const std::function<void()>& work) {
  MUSTFM_EXPECTS(exec.backend == Backend::cuda,
                 "CUDA graph capture needs the CUDA backend, got the CPU backend");
  MUSTFM_EXPECTS(exec.stream != nullptr,
                 "CUDA graph capture needs a created stream; the legacy default stream cannot be "
                 "captured");
  cudaStream_t stream = static_cast<cudaStream_t>(exec.stream);

  // Thread-local mode: other threads of the host program may keep using CUDA meanwhile.
  MUSTFM_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  cudaGraph_t graph = nullptr;
  try {
    work();
  } catch (...) {
    // Leave the stream out of capture mode, so the caller can keep using it.
    cudaStreamEndCapture(stream, &graph);
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  MUSTFM_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));

  cudaGraphExec_t instance = nullptr;
  const cudaError_t status = cudaGraphInstantiate(&instance, graph, 0);
  if (status != cudaSuccess) {
    cudaGraphDestroy(graph);
    MUSTFM_CUDA_CHECK(status);
  }
  stream_ = stream;
  graph_ = graph;
  instance_ = instance;
}

CapturedWork::~CapturedWork() {
  if (instance_ != nullptr)
    MUSTFM_CUDA_CHECK_NOTHROW(cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(instance_)));
  if (graph_ != nullptr)
    MUSTFM_CUDA_CHECK_NOTHROW(cudaGraphDestroy(static_cast<cudaGraph_t>(graph_)));
}

void CapturedWork::replay() const {
  MUSTFM_CUDA_CHECK(
      cudaGraphLaunch(static_cast<cudaGraphExec_t>(instance_), static_cast<cudaStream_t>(stream_)));
}

}  // namespace mustfm
