// Little binary files built in memory: a writer that appends fixed-size little-endian values and
// arrays to a byte string, a reader that takes them back out with bounds checks, and the
// checksum that guards the whole record. Used by training checkpoints (engine/checkpoint.h).
//
// Values are stored in the host's byte order; the engine only builds for little-endian hosts,
// which the static_assert in binary_record.cpp checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace mustfm {

class BinaryWriter {
 public:
  template <class T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    put_bytes(&value, sizeof(T));
  }
  void put_bytes(const void* data, std::size_t size) {
    bytes_.append(static_cast<const char*>(data), size);
  }

  const std::string& bytes() const { return bytes_; }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads values in order from `bytes`. Running past the end throws InputError naming `origin`
// (a file path, for messages), the field being read and the offset: the file is truncated.
class BinaryReader {
 public:
  BinaryReader(std::string_view bytes, std::string origin)
      : bytes_(bytes), origin_(std::move(origin)) {}

  template <class T>
  T get(const char* field) {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    get_bytes(&value, sizeof(T), field);
    return value;
  }
  void get_bytes(void* destination, std::size_t size, const char* field);
  // Throws unless `count` items of `item_bytes` each fit in what is left.
  void expect_available(std::uint64_t count, std::size_t item_bytes, const char* field) const;

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  const std::string& origin() const { return origin_; }

 private:
  std::string_view bytes_;
  std::string origin_;
  std::size_t offset_ = 0;
};

// 64-bit FNV-1a of `bytes`: catches flipped bits and overwritten or shifted ranges, which is
// what a checkpoint needs; it is not meant to resist deliberate tampering.
std::uint64_t fnv1a_64(std::string_view bytes);

}  // namespace mustfm
