#include "io/job_parser.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/job_keys.h"
#include "io/json_fields.h"
#include "io/json_text.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

std::vector<std::string> key_paths() {
  std::vector<std::string> paths;
  for (const detail::JobKey& key : detail::job_keys()) paths.push_back(key.path);
  return paths;
}

// Relative paths resolve against the folder of the job file, so a job and its data can move
// together; without a job file they stay relative to the working directory.
std::filesystem::path resolve_against_job(const Job& job, const std::string& path) {
  if (path.empty() || path.rfind("builtin:", 0) == 0) return path;
  const std::filesystem::path file_path(path);
  if (file_path.is_absolute() || job.job_file.empty()) return file_path;
  return job.job_file.parent_path() / file_path;
}

}  // namespace

Job parse_job(const std::string& text, const std::filesystem::path& job_file) {
  const std::string source = job_file.empty() ? "" : job_file.string();
  const std::string prefix = source.empty() ? "" : source + ": ";
  const nlohmann::json root = detail::parse_json_text(text, source);
  if (!root.is_object())
    throw InputError(prefix + "a job must be a JSON object, got " +
                     detail::describe_json_value(root));

  Job job;
  job.job_file = job_file;
  const std::vector<detail::JobKey>& keys = detail::job_keys();
  std::vector<bool> seen(keys.size(), false);
  try {
    detail::visit_known_keys(root, key_paths(),
                             [&](std::size_t index, const nlohmann::json& value) {
                               keys[index].read(value, job);
                               seen[index] = true;
                             });
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i].required && !seen[i])
        throw InputError("missing required key \"" + keys[i].path + "\"");
    detail::check_job_consistency(job);
  } catch (const detail::UnknownKeyError& error) {
    std::string message = "unknown key \"" + error.path() + "\"";
    if (!source.empty()) message += " in " + source;
    if (!error.suggestion().empty()) message += "; did you mean \"" + error.suggestion() + "\"?";
    throw InputError(message);
  } catch (const InputError& error) {
    throw InputError(prefix + error.what());
  }
  return job;
}

Job load_job(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InputError("cannot open job file " + path.string());
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw InputError("cannot read job file " + path.string());
  return parse_job(text.str(), path);
}

nlohmann::json job_to_json(const Job& job) {
  nlohmann::json root = nlohmann::json::object();
  for (const detail::JobKey& key : detail::job_keys()) {
    std::string pointer = "/" + key.path;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    root[nlohmann::json::json_pointer(pointer)] = key.write(job);
  }
  return root;
}

std::string job_keys_markdown() {
  std::string table = "| key | type | default | description |\n|---|---|---|---|\n";
  const Job defaults;
  for (const detail::JobKey& key : detail::job_keys()) {
    const std::string type =
        key.choices.empty() ? key.type : fmt::format("one of `{}`", fmt::join(key.choices, "`, `"));
    const std::string default_text =
        key.required ? "required" : fmt::format("`{}`", key.write(defaults).dump());
    // A '|' would split the table cell.
    MUSTFM_ASSERT((type + default_text + key.description).find('|') == std::string::npos, key.path);
    table +=
        fmt::format("| `{}` | {} | {} | {} |\n", key.path, type, default_text, key.description);
  }
  return table;
}

std::filesystem::path resolve_data_path(const Job& job) {
  return resolve_against_job(job, job.data.path);
}

std::filesystem::path resolve_labels_path(const Job& job) {
  return resolve_against_job(job, job.data.labels_path);
}

}  // namespace mustfm
