// A run folder: where one job's outputs go. Files are written atomically (temporary name, then
// rename), so an interrupted run never leaves a half-written output behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mustfm {

class RunFolder {
 public:
  // Creates `root` (and parents) if needed. RuntimeFailure naming the path when it cannot, or
  // when `root` exists and is not a folder.
  explicit RunFolder(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  // root / relative; creates the parent folders of the file.
  std::filesystem::path file(const std::string& relative) const;
  // Writes `text` to root / relative in one step.
  void write_text(const std::string& relative, std::string_view text) const;

 private:
  std::filesystem::path root_;
};

}  // namespace mustfm
