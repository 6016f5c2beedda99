// Checking for every CUDA runtime and library call and every kernel launch. A failure throws
// RuntimeFailure naming the call, file:line and the error; destructors use the no-throw variant.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusparse.h>

#include <string>

#include "kernels/common/error.h"

namespace mustfm::detail {

[[noreturn]] void throw_cuda_error(const char* call,
                                   const char* file,
                                   int line,
                                   const std::string& error);
void report_cuda_error_nothrow(const char* call,
                               const char* file,
                               int line,
                               const std::string& error);
const char* cublas_status_name(cublasStatus_t status);

}  // namespace mustfm::detail

#define MUSTFM_CUDA_CHECK(call)                                             \
  do {                                                                      \
    cudaError_t mustfm_status_ = (call);                                    \
    if (mustfm_status_ != cudaSuccess)                                      \
      ::mustfm::detail::throw_cuda_error(#call, __FILE__, __LINE__,         \
                                         cudaGetErrorName(mustfm_status_)); \
  } while (0)

#define MUSTFM_CUDA_CHECK_NOTHROW(call)                                              \
  do {                                                                               \
    cudaError_t mustfm_status_ = (call);                                             \
    if (mustfm_status_ != cudaSuccess)                                               \
      ::mustfm::detail::report_cuda_error_nothrow(#call, __FILE__, __LINE__,         \
                                                  cudaGetErrorName(mustfm_status_)); \
  } while (0)

#define MUSTFM_CUBLAS_CHECK(call)                                                               \
  do {                                                                                          \
    cublasStatus_t mustfm_status_ = (call);                                                     \
    if (mustfm_status_ != CUBLAS_STATUS_SUCCESS)                                                \
      ::mustfm::detail::throw_cuda_error(#call, __FILE__, __LINE__,                             \
                                         ::mustfm::detail::cublas_status_name(mustfm_status_)); \
  } while (0)

#define MUSTFM_CUSPARSE_CHECK(call)                                             \
  do {                                                                          \
    cusparseStatus_t mustfm_status_ = (call);                                   \
    if (mustfm_status_ != CUSPARSE_STATUS_SUCCESS)                              \
      ::mustfm::detail::throw_cuda_error(#call, __FILE__, __LINE__,             \
                                         cusparseGetErrorName(mustfm_status_)); \
  } while (0)

// After every launch. With MUSTFM_SYNC_LAUNCH_CHECKS the stream is synchronized so an
// asynchronous fault is reported at the launch that caused it.
#ifdef MUSTFM_SYNC_LAUNCH_CHECKS
#define MUSTFM_LAUNCH_CHECK(stream)                   \
  do {                                                \
    MUSTFM_CUDA_CHECK(cudaGetLastError());            \
    MUSTFM_CUDA_CHECK(cudaStreamSynchronize(stream)); \
  } while (0)
#else
#define MUSTFM_LAUNCH_CHECK(stream) MUSTFM_CUDA_CHECK(cudaGetLastError())
#endif
