// Where the nn kernels of a backend read and write: host memory for the CPU, device memory for
// CUDA. Shared by the Mlp, the loss and the optimizer to check their views.
#pragma once

#include <string>

#include "kernels/common/backend.h"
#include "kernels/common/error.h"
#include "kernels/common/memory.h"

namespace mustfm::detail {

inline const char* memory_space_name(MemorySpace space) {
  return space == MemorySpace::device ? "device" : "host";
}

// The memory space `exec` computes in. Throws InputError naming `what` when the CUDA backend is
// requested from a build without it.
inline MemorySpace nn_compute_space(const Exec& exec, const std::string& what) {
  if (exec.backend == Backend::cpu) return MemorySpace::host;
#ifndef MUSTFM_WITH_CUDA
  throw InputError(what + ": the CUDA backend was requested, but this build has no CUDA");
#else
  (void)what;
  return MemorySpace::device;
#endif
}

}  // namespace mustfm::detail
