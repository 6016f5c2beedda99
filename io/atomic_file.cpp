#include "io/atomic_file.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <regex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kernels/common/error.h"

namespace mustfm {
namespace {

// The process id keeps concurrent processes apart, the counter keeps writers of one process
// apart (two threads writing the same target get different temporaries).
std::filesystem::path temporary_path_for(const std::filesystem::path& target) {
  static std::atomic<unsigned long long> counter{0};
  const unsigned long long serial = counter.fetch_add(1);
  std::filesystem::path temporary = target;
  temporary += fmt::format(".tmp-{}-{}", static_cast<long long>(::getpid()), serial);
  return temporary;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target)
    : target_(std::move(target)), temporary_(temporary_path_for(target_)) {
  stream_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!stream_) {
    throw RuntimeFailure(fmt::format("cannot create '{}' (temporary for '{}'): {}",
                                     temporary_.string(), target_.string(), std::strerror(errno)));
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (committed_) return;
  if (stream_.is_open()) stream_.close();
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void AtomicFileWriter::commit() {
  MUSTFM_ASSERT(!committed_, "AtomicFileWriter::commit called twice for " + target_.string());

  stream_.flush();
  if (!stream_) {
    throw RuntimeFailure(fmt::format("writing '{}' failed (disk full?)", target_.string()));
  }
  stream_.close();
  if (!stream_) {
    throw RuntimeFailure(fmt::format("closing '{}' failed", temporary_.string()));
  }

  std::error_code error;
  std::filesystem::rename(temporary_, target_, error);
  if (error) {
    throw RuntimeFailure(fmt::format("cannot rename '{}' onto '{}': {}", temporary_.string(),
                                     target_.string(), error.message()));
  }
  committed_ = true;
}

void write_text_file_atomic(const std::filesystem::path& path, std::string_view text) {
  AtomicFileWriter writer(path);
  writer.stream().write(text.data(), static_cast<std::streamsize>(text.size()));
  writer.commit();
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    throw InputError(fmt::format("'{}' does not exist", path.string()));
  }
  if (std::filesystem::is_directory(status)) {
    throw InputError(fmt::format("'{}' is a folder, not a file", path.string()));
  }

  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw InputError(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  // Read in large pieces until the end: the size from the file system is only a first guess
  // (a file may grow while being read, or be a pipe that reports no size).
  const std::uintmax_t size_hint = std::filesystem::file_size(path, error);
  std::string bytes;
  std::size_t filled = 0;
  std::size_t capacity = error ? std::size_t{1} << 16 : static_cast<std::size_t>(size_hint) + 1;
  while (stream) {
    bytes.resize(filled + capacity);
    stream.read(bytes.data() + filled, static_cast<std::streamsize>(capacity));
    filled += static_cast<std::size_t>(stream.gcount());
    capacity = std::max<std::size_t>(capacity, std::size_t{1} << 16);
  }
  bytes.resize(filled);
  if (stream.bad()) {
    throw InputError(fmt::format("reading '{}' failed: {}", path.string(), std::strerror(errno)));
  }
  return bytes;
}

std::size_t remove_stale_temporaries(const std::filesystem::path& folder) {
  static const std::regex temporary_name(R"(.+\.tmp-[0-9]+-[0-9]+)");
  std::vector<std::filesystem::path> stale;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error) &&
        std::regex_match(it->path().filename().string(), temporary_name))
      stale.push_back(it->path());
  }
  std::size_t removed = 0;
  for (const std::filesystem::path& path : stale) removed += std::filesystem::remove(path, error);
  return removed;
}

}  // namespace mustfm
