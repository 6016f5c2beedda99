#include "kernels/common/cuda_check.cuh"
#include "kernels/common/memory.h"

namespace mustfm::detail {

void* device_allocate(std::size_t bytes) {
  void* pointer = nullptr;
  cudaError_t status = cudaMalloc(&pointer, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw RuntimeFailure("out of device memory allocating " + std::to_string(bytes) + " bytes");
  }
  MUSTFM_CUDA_CHECK(status);
  return pointer;
}

void device_free(void* pointer) noexcept {
  MUSTFM_CUDA_CHECK_NOTHROW(cudaFree(pointer));
}

void device_copy(void* destination,
                 MemorySpace destination_space,
                 const void* source,
                 MemorySpace source_space,
                 std::size_t bytes) {
  // Contexts run kernels on non-blocking streams, which do not order with cudaMemcpy's legacy
  // stream, and a copy from pageable host memory may return before the data has landed. Copies
  // are set-up and read-back operations, so full synchronization on both sides costs little and
  // makes every copy ordered with all queued kernels.
  (void)destination_space;
  (void)source_space;
  MUSTFM_CUDA_CHECK(cudaDeviceSynchronize());
  MUSTFM_CUDA_CHECK(cudaMemcpy(destination, source, bytes, cudaMemcpyDefault));
  MUSTFM_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace mustfm::detail
