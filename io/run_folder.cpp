#include "io/run_folder.h"

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "kernels/common/error.h"

namespace mustfm {

namespace {
// Two resolved jobs describe the same run when they agree on everything but the output section
// (folder, force flag, log level), which does not change what a run computes.
bool same_job(const std::string& saved, const std::string& current) {
  nlohmann::json a = nlohmann::json::parse(saved, nullptr, /*allow_exceptions=*/false);
  nlohmann::json b = nlohmann::json::parse(current, nullptr, /*allow_exceptions=*/false);
  if (a.is_discarded() || b.is_discarded() || !a.is_object() || !b.is_object()) return false;
  a.erase("output");
  b.erase("output");
  return a == b;
}
}  // namespace

void check_output_folder(const std::filesystem::path& root,
                         const std::string& resolved_job,
                         bool force) {
  std::error_code error;
  if (!std::filesystem::exists(root, error)) return;
  MUSTFM_EXPECTS(std::filesystem::is_directory(root, error),
                 "output.dir " + root.string() + " exists and is not a folder");
  if (std::filesystem::is_empty(root, error)) return;

  const std::filesystem::path saved = root / kResolvedJobFile;
  MUSTFM_EXPECTS(std::filesystem::exists(saved, error),
                 "output.dir " + root.string() + " is not empty and holds no run (no " +
                     kResolvedJobFile + "); refusing to write into it, choose another output.dir");
  if (force || same_job(read_file_bytes(saved), resolved_job)) return;
  throw InputError("output.dir " + root.string() + " holds the run of a different job (its " +
                   kResolvedJobFile +
                   " differs); choose another output.dir, or pass --force to replace it");
}

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
