#include "kernels/common/memory.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace mustfm {

namespace detail {
// Defined in memory_cuda.cu when the CUDA backend is compiled, below otherwise.
void* device_allocate(std::size_t bytes);
void device_free(void* pointer) noexcept;
void device_copy(void* destination,
                 MemorySpace destination_space,
                 const void* source,
                 MemorySpace source_space,
                 std::size_t bytes);
}  // namespace detail

namespace {
std::string usage_key(MemorySpace space, const std::string& purpose) {
  return (space == MemorySpace::device ? "device:" : "host:") + purpose;
}
constexpr std::size_t kHostAlignment = 64;
}  // namespace

void* Allocator::allocate(std::size_t bytes, MemorySpace space, const std::string& purpose) {
  void* pointer = nullptr;
  if (space == MemorySpace::host) {
    std::size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
    pointer = std::aligned_alloc(kHostAlignment, rounded);
    if (pointer == nullptr)
      throw RuntimeFailure("out of host memory allocating " + std::to_string(bytes) +
                           " bytes for " + purpose);
  } else {
    pointer = detail::device_allocate(bytes);
  }
  std::lock_guard lock(mutex_);
  PurposeUsage& entry = usage_[usage_key(space, purpose)];
  entry.current_bytes += bytes;
  entry.allocations += 1;
  if (entry.current_bytes > entry.peak_bytes) entry.peak_bytes = entry.current_bytes;
  return pointer;
}

void Allocator::deallocate(void* pointer,
                           std::size_t bytes,
                           MemorySpace space,
                           const std::string& purpose) noexcept {
  if (space == MemorySpace::host)
    std::free(pointer);
  else
    detail::device_free(pointer);
  std::lock_guard lock(mutex_);
  usage_[usage_key(space, purpose)].current_bytes -= bytes;
}

std::map<std::string, PurposeUsage> Allocator::usage() const {
  std::lock_guard lock(mutex_);
  return usage_;
}

std::size_t Allocator::current_bytes(MemorySpace space) const {
  std::string prefix = space == MemorySpace::device ? "device:" : "host:";
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [key, entry] : usage_)
    if (key.starts_with(prefix)) total += entry.current_bytes;
  return total;
}

void copy_bytes(void* destination,
                MemorySpace destination_space,
                const void* source,
                MemorySpace source_space,
                std::size_t bytes) {
  if (bytes == 0) return;
  if (destination_space == MemorySpace::host && source_space == MemorySpace::host) {
    std::memcpy(destination, source, bytes);
    return;
  }
  detail::device_copy(destination, destination_space, source, source_space, bytes);
}

#ifndef MUSTFM_WITH_CUDA
namespace detail {
void* device_allocate(std::size_t bytes) {
  throw RuntimeFailure("device allocation of " + std::to_string(bytes) +
                       " bytes requested, but this build has no CUDA backend");
}
void device_free(void*) noexcept {}
void device_copy(void*, MemorySpace, const void*, MemorySpace, std::size_t) {
  throw RuntimeFailure("device copy requested, but this build has no CUDA backend");
}
}  // namespace detail
#endif

}  // namespace mustfm
