// What a kernel launcher needs to know about where it runs. Kernel families take an `Exec` by
// const reference; the owning Context (engine/context.h) keeps the stream and handles alive.
#pragma once

#include <string>

namespace mustfm {

enum class Backend { cpu, cuda };

inline const char* backend_name(Backend backend) {
  return backend == Backend::cuda ? "cuda" : "cpu";
}

struct Exec {
  Backend backend = Backend::cpu;
  int device = 0;
  // cudaStream_t, type-erased so that headers compile with a plain C++ compiler.
  void* stream = nullptr;
  // cublasHandle_t and cusparseHandle_t, type-erased for the same reason.
  void* cublas = nullptr;
  void* cusparse = nullptr;
};

// True when this build contains the CUDA backend.
bool cuda_compiled();

// Number of usable CUDA devices; 0 when the CUDA backend is not compiled or no driver or device
// is present. Never throws.
int cuda_device_count();

// One line describing the CUDA devices, or why there are none.
std::string cuda_device_summary();

}  // namespace mustfm
