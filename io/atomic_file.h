// Whole files in and out. Outputs are written so that a reader never sees a half-written file:
// everything goes to a temporary file in the target's folder, which is renamed onto the target
// only once it is complete (a rename within one folder replaces the target in a single step).
// Inputs are read in one piece, so parsers work on memory.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>

namespace mustfm {

// Opens "<target>.tmp-<pid>-<counter>" next to `target`. Write through stream(), then commit().
// Without a commit (an exception while writing, say) the destructor removes the temporary and
// the target keeps whatever it held before. Failures throw RuntimeFailure naming the path.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path target);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Binary mode: bytes are written as given, no newline translation.
  std::ostream& stream() { return stream_; }
  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& temporary() const { return temporary_; }

  // Flushes, checks that every write succeeded, closes and renames onto the target.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  std::ofstream stream_;
  bool committed_ = false;
};

// Replaces the file at `path` with `text` in one step.
void write_text_file_atomic(const std::filesystem::path& path, std::string_view text);

// The whole file's bytes. InputError naming the path when it is missing, a folder or unreadable.
std::string read_file_bytes(const std::filesystem::path& path);

// Removes the temporaries AtomicFileWriter left under `folder` (recursively) when a process
// was killed mid-write: files named "<name>.tmp-<pid>-<counter>". Returns how many went.
std::size_t remove_stale_temporaries(const std::filesystem::path& folder);

}  // namespace mustfm
