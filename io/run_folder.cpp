#include "io/run_folder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "kernels/common/error.h"

namespace mustfm {

namespace {

// The sections of a resolved job that do not change what a run computes.
constexpr const char* kIdentityFreeSections[] = {"output", "backend"};

nlohmann::json job_identity(const std::string& text) {
  nlohmann::json job = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (job.is_discarded() || !job.is_object()) return nlohmann::json();
  for (const char* section : kIdentityFreeSections) job.erase(section);
  return job;
}

// Dotted paths (down to the second level) whose values differ between two jobs.
std::vector<std::string> differing_keys(const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<std::string> keys;
  const auto compare = [&](const nlohmann::json& x, const nlohmann::json& y,
                           const std::string& prefix) {
    std::set<std::string> names;
    for (const auto& [name, value] : x.items()) names.insert(name);
    for (const auto& [name, value] : y.items()) names.insert(name);
    std::vector<std::string> out;
    for (const std::string& name : names)
      if (!x.contains(name) || !y.contains(name) || x[name] != y[name])
        out.push_back(prefix + name);
    return out;
  };
  for (const std::string& top : compare(a, b, "")) {
    if (a.contains(top) && b.contains(top) && a[top].is_object() && b[top].is_object()) {
      for (const std::string& inner : compare(a[top], b[top], top + ".")) keys.push_back(inner);
    } else {
      keys.push_back(top);
    }
  }
  return keys;
}

// The value at a dotted path ("coupling.eps"), as compact JSON ("absent" when missing).
std::string value_at(const nlohmann::json& job, std::string key) {
  std::replace(key.begin(), key.end(), '.', '/');
  const nlohmann::json::json_pointer at("/" + key);
  return job.contains(at) ? job.at(at).dump() : "absent";
}

// "a.b differs (1 in the folder's run, 2 in this job)"; values only for a few keys.
std::string describe_keys(const std::vector<std::string>& keys,
                          const nlohmann::json& previous,
                          const nlohmann::json& current) {
  constexpr std::size_t kKeysWithValues = 3;
  std::string joined;
  for (const std::string& key : keys) {
    joined += (joined.empty() ? "" : ", ") + key;
    if (keys.size() <= kKeysWithValues)
      joined += " (" + value_at(previous, key) + " in the folder's run, " + value_at(current, key) +
                " in this job)";
  }
  return joined + (keys.size() == 1 ? " differs" : " differ");
}

}  // namespace

OutputFolderUse check_output_folder(const std::filesystem::path& root,
                                    const std::string& resolved_job,
                                    bool force,
                                    const ReusableChange& reusable,
                                    std::vector<std::string>* changed_keys) {
  std::error_code error;
  if (!std::filesystem::exists(root, error)) {
    // The folder will be created with its parents; a file in their place is the user's to fix.
    for (std::filesystem::path parent = root.parent_path(); !parent.empty();
         parent = parent.parent_path()) {
      if (std::filesystem::exists(parent, error)) {
        MUSTFM_EXPECTS(std::filesystem::is_directory(parent, error),
                       "output.dir " + root.string() + " cannot be created: " + parent.string() +
                           " is a file, not a folder");
        break;
      }
      if (parent == parent.parent_path()) break;
    }
    return OutputFolderUse::fresh;
  }
  MUSTFM_EXPECTS(std::filesystem::is_directory(root, error),
                 "output.dir " + root.string() + " exists and is not a folder");
  if (std::filesystem::is_empty(root, error)) return OutputFolderUse::fresh;

  const std::filesystem::path saved = root / kResolvedJobFile;
  MUSTFM_EXPECTS(std::filesystem::exists(saved, error),
                 "output.dir " + root.string() + " is not empty and holds no run (no " +
                     kResolvedJobFile + "); refusing to write into it, choose another output.dir");
  const nlohmann::json previous = job_identity(read_file_bytes(saved));
  const nlohmann::json current = job_identity(resolved_job);
  if (!previous.is_null() && previous == current) return OutputFolderUse::same_job;
  const bool readable = !previous.is_null() && !current.is_null();
  const std::vector<std::string> keys =
      readable ? differing_keys(previous, current) : std::vector<std::string>{};
  if (readable && reusable && reusable(keys)) {
    if (changed_keys) *changed_keys = keys;
    return OutputFolderUse::changed_job;
  }
  if (force) return OutputFolderUse::replacing;
  const std::string why = readable ? describe_keys(keys, previous, current)
                                   : std::string("its ") + kResolvedJobFile + " cannot be read";
  throw InputError("output.dir " + root.string() + " holds the run of a different job (" + why +
                   "); choose another output.dir (or -o), or pass --force to replace it");
}

void clear_run_outputs(const std::filesystem::path& root) {
  for (const char* name : {kResolvedJobFile, "mustfm.log", "data", "couplings", "stages",
                           "checkpoint.bin", "training", "predictions", "fields", "metrics.json"}) {
    std::error_code error;
    std::filesystem::remove_all(root / name, error);
    if (error)
      throw RuntimeFailure("cannot remove " + (root / name).string() +
                           " from the replaced run: " + error.message());
  }
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
