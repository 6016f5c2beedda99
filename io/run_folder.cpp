#include "io/run_folder.h"

#include "io/atomic_file.h"
#include "kernels/common/error.h"

namespace mustfm {

RunFolder::RunFolder(std::filesystem::path root) : root_(std::move(root)) {
  std::error_code error;
  std::filesystem::create_directories(root_, error);
  if (error || !std::filesystem::is_directory(root_))
    throw RuntimeFailure("cannot create the output folder " + root_.string() +
                         (error ? ": " + error.message() : ": a file of that name exists"));
}

std::filesystem::path RunFolder::file(const std::string& relative) const {
  std::filesystem::path path = root_ / relative;
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error)
    throw RuntimeFailure("cannot create the folder " + path.parent_path().string() + ": " +
                         error.message());
  return path;
}

void RunFolder::write_text(const std::string& relative, std::string_view text) const {
  write_text_file_atomic(file(relative), text);
}

}  // namespace mustfm
