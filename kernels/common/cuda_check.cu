#include <cstdio>

#include "kernels/common/backend.h"
#include "kernels/common/cuda_check.cuh"

namespace mustfm {
namespace detail {

void throw_cuda_error(const char* call, const char* file, int line, const std::string& error) {
  throw RuntimeFailure(std::string("CUDA call failed: ") + call + " at " + file + ":" +
                       std::to_string(line) + ": " + error);
}

void report_cuda_error_nothrow(const char* call,
                               const char* file,
                               int line,
                               const std::string& error) {
  std::fprintf(stderr, "mustfm: CUDA call failed in cleanup: %s at %s:%d: %s\n", call, file, line,
               error.c_str());
}

const char* cublas_status_name(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    default:
      return "CUBLAS_STATUS_UNKNOWN";
  }
}

}  // namespace detail

bool cuda_compiled() {
  return true;
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error so later queries start clean
    return 0;
  }
  return count;
}

std::string cuda_device_summary() {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    // Without any NVIDIA driver the runtime reports an "insufficient driver"; say what it means.
    if (status == cudaErrorInsufficientDriver || status == cudaErrorNoDevice)
      return std::string("no NVIDIA GPU or driver found (CUDA: ") + cudaGetErrorName(status) + ")";
    return std::string("no CUDA device usable: ") + cudaGetErrorString(status);
  }
  if (count == 0) return "no CUDA device present";
  std::string summary;
  for (int device = 0; device < count; ++device) {
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, device) != cudaSuccess) continue;
    if (!summary.empty()) summary += "; ";
    summary += std::to_string(device) + ": " + props.name + " (sm_" + std::to_string(props.major) +
               std::to_string(props.minor) + ", " + std::to_string(props.totalGlobalMem >> 20) +
               " MiB)";
  }
  return summary;
}

}  // namespace mustfm
