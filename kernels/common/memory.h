// Memory ownership: one move-only owner (Buffer<T>) for host and device arrays, non-owning views
// (View<T>) for everything else. Every allocation names its purpose, so the Allocator can report
// how many bytes each purpose holds (and held at most).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "kernels/common/error.h"

namespace mustfm {

enum class MemorySpace { host, device };

// Non-owning pointer plus extent. `space` says where the pointer may be dereferenced.
template <class T>
struct View {
  T* data = nullptr;
  std::size_t size = 0;
  MemorySpace space = MemorySpace::host;

  T* begin() const { return data; }
  T* end() const { return data + size; }
  T& operator[](std::size_t i) const { return data[i]; }
  bool empty() const { return size == 0; }
  // Read-only view of a mutable view (absent when T is already const).
  template <class U = T, class = std::enable_if_t<!std::is_const_v<U>>>
  operator View<const U>() const {
    return {data, size, space};
  }
};

struct PurposeUsage {
  std::size_t current_bytes = 0;
  std::size_t peak_bytes = 0;
  std::size_t allocations = 0;
};

// Allocates host (64-byte aligned) and device memory and keeps byte counts per purpose. Thread
// safe. Device allocation needs the CUDA backend; without it a request throws RuntimeFailure.
class Allocator {
 public:
  Allocator() = default;
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  void* allocate(std::size_t bytes, MemorySpace space, const std::string& purpose);
  void deallocate(void* pointer,
                  std::size_t bytes,
                  MemorySpace space,
                  const std::string& purpose) noexcept;

  // Usage per "host:<purpose>" / "device:<purpose>".
  std::map<std::string, PurposeUsage> usage() const;
  std::size_t current_bytes(MemorySpace space) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, PurposeUsage> usage_;
};

// Copies `bytes` between any two spaces (host<->device<->host); synchronous.
void copy_bytes(void* destination,
                MemorySpace destination_space,
                const void* source,
                MemorySpace source_space,
                std::size_t bytes);

// Move-only owner of `size` elements of trivially copyable T in one memory space.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(Allocator& allocator, std::size_t size, MemorySpace space, std::string purpose)
      : allocator_(&allocator), size_(size), space_(space), purpose_(std::move(purpose)) {
    if (size_ > 0)
      data_ = static_cast<T*>(allocator_->allocate(size_ * sizeof(T), space_, purpose_));
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& other) noexcept { swap(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      release();
      swap(other);
    }
    return *this;
  }
  ~Buffer() { release(); }

  T* data() const { return data_; }
  std::size_t size() const { return size_; }
  MemorySpace space() const { return space_; }
  const std::string& purpose() const { return purpose_; }
  View<T> view() const { return {data_, size_, space_}; }
  View<const T> cview() const { return {data_, size_, space_}; }

  // Host-side element access; only valid for host buffers.
  T& operator[](std::size_t i) const {
    MUSTFM_ASSERT(space_ == MemorySpace::host, "host access to a device buffer: " + purpose_);
    return data_[i];
  }

  void copy_from(View<const T> source) {
    MUSTFM_ASSERT(source.size == size_, "copy between buffers of different sizes: " + purpose_);
    copy_bytes(data_, space_, source.data, source.space, size_ * sizeof(T));
  }

 private:
  void release() noexcept {
    if (data_ != nullptr) allocator_->deallocate(data_, size_ * sizeof(T), space_, purpose_);
    data_ = nullptr;
    size_ = 0;
  }
  void swap(Buffer& other) noexcept {
    std::swap(allocator_, other.allocator_);
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(space_, other.space_);
    std::swap(purpose_, other.purpose_);
  }

  Allocator* allocator_ = nullptr;
  T* data_ = nullptr;
  std::size_t size_ = 0;
  MemorySpace space_ = MemorySpace::host;
  std::string purpose_;
};

}  // namespace mustfm
