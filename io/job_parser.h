// Reading, echoing and documenting job files. A job is JSON with comments allowed; every key is
// in one registry (io/job_keys.h) with its type, default and description, so parsing, the
// resolved-job echo and the key reference in docs/job-file.md cannot drift apart.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "io/job.h"

namespace mustfm {

// Parses job text. `job_file` is where the text came from: it names the file in messages and is
// the folder relative data paths resolve against (empty for text from no file). Throws
// InputError on a syntax error (file:line:column), an unknown key (with a suggestion when one is
// close), a wrong type or an out-of-range value (naming the key), or a missing data.path.
Job parse_job(const std::string& text, const std::filesystem::path& job_file);

// Reads and parses a job file; a missing or unreadable file is an InputError naming it.
Job load_job(const std::filesystem::path& path);

// The resolved job: every key with its value, defaults filled in; job_file is not included.
// parse_job(job_to_json(job).dump(), job.job_file) reproduces `job`.
nlohmann::json job_to_json(const Job& job);

// The key reference as a Markdown table: a header, then one line per key with its type, default
// and description.
std::string job_keys_markdown();

// data.path as a file system path: "builtin:..." as is, relative paths against the job file's
// folder, absolute paths unchanged.
std::filesystem::path resolve_data_path(const Job& job);
// data.labels_path likewise; empty stays empty.
std::filesystem::path resolve_labels_path(const Job& job);

}  // namespace mustfm
