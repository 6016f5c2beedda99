#include "engine/context.h"
#include "kernels/common/cuda_check.cuh"

namespace mustfm {

void Context::create_cuda_resources() {
  MUSTFM_CUDA_CHECK(cudaSetDevice(exec_.device));
  cudaStream_t stream = nullptr;
  MUSTFM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  exec_.stream = stream;

  cublasHandle_t cublas = nullptr;
  MUSTFM_CUBLAS_CHECK(cublasCreate(&cublas));
  MUSTFM_CUBLAS_CHECK(cublasSetStream(cublas, stream));
  exec_.cublas = cublas;

  cusparseHandle_t cusparse = nullptr;
  MUSTFM_CUSPARSE_CHECK(cusparseCreate(&cusparse));
  MUSTFM_CUSPARSE_CHECK(cusparseSetStream(cusparse, stream));
  exec_.cusparse = cusparse;
}

void Context::destroy_cuda_resources() noexcept {
  if (exec_.cusparse) cusparseDestroy(static_cast<cusparseHandle_t>(exec_.cusparse));
  if (exec_.cublas) cublasDestroy(static_cast<cublasHandle_t>(exec_.cublas));
  if (exec_.stream)
    MUSTFM_CUDA_CHECK_NOTHROW(cudaStreamDestroy(static_cast<cudaStream_t>(exec_.stream)));
  exec_ = Exec{};
}

void Context::synchronize() {
  if (exec_.backend == Backend::cuda)
    MUSTFM_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(exec_.stream)));
}

}  // namespace mustfm
