#include "io/binary_record.h"

#include <bit>
#include <string>

#include "kernels/common/error.h"

namespace mustfm {

static_assert(std::endian::native == std::endian::little,
              "binary records are stored little-endian in the host's byte order");

void BinaryReader::get_bytes(void* destination, std::size_t size, const char* field) {
  expect_available(1, size, field);
  std::memcpy(destination, bytes_.data() + offset_, size);
  offset_ += size;
}

void BinaryReader::expect_available(std::uint64_t count,
                                    std::size_t item_bytes,
                                    const char* field) const {
  const std::uint64_t left = remaining();
  // Dividing instead of multiplying keeps a corrupted huge count from overflowing.
  const bool fits = item_bytes == 0 || count <= left / item_bytes;
  if (!fits)
    throw InputError("'" + origin_ + "' is truncated: " + field + " needs " +
                     std::to_string(count) + " x " + std::to_string(item_bytes) +
                     " bytes at offset " + std::to_string(offset_) + ", only " +
                     std::to_string(left) + " remain");
}

std::uint64_t fnv1a_64(std::string_view bytes) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  constexpr std::uint64_t kPrime = 1099511628211ull;
  std::uint64_t hash = kOffsetBasis;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= kPrime;
  }
  return hash;
}

}  // namespace mustfm
