#include "engine/data_loading.h"

#include <algorithm>
#include <cctype>

#include "engine/job_data_checks.h"
#include "engine/synthetic.h"
#include "io/job_parser.h"
#include "io/table_reader.h"

namespace mustfm {

namespace {

constexpr std::string_view kBuiltinScheme = "builtin:";

std::string lowercase_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

CellTable load_builtin(const Job& job) {
  std::string name = job.data.path.substr(kBuiltinScheme.size());
  if (name == "multiscale") return generate_multiscale(job.data.synthetic, false);
  if (name == "multiscale-growth") return generate_multiscale(job.data.synthetic, true);
  throw InputError("data.path: unknown built-in dataset \"" + job.data.path +
                   "\" (expected builtin:multiscale or builtin:multiscale-growth)");
}

}  // namespace

CellTable load_cell_table(const Job& job) {
  if (job.data.path.starts_with(kBuiltinScheme)) return load_builtin(job);

  // Normalized so messages and the data report name the file plainly, not as `jobs/../data/x`.
  std::filesystem::path path = resolve_data_path(job).lexically_normal();
  MUSTFM_EXPECTS(std::filesystem::exists(path),
                 "data.path: " + path.string() + " does not exist" +
                     (job.job_file.empty() ? "" : " (job " + job.job_file.string() + ")"));
  std::string format = job.data.format;
  if (format == "auto") {
    std::string extension = lowercase_extension(path);
    if (extension == ".csv" || extension == ".txt")
      format = "csv";
    else if (extension == ".npy")
      format = "npy";
    else
      throw InputError("data.path: cannot tell the format of " + path.string() +
                       " from its extension; name a .csv or .npy file or set data.format");
  }
  if (format == "csv") return read_cell_table_csv(path, job.data.columns);

  MUSTFM_EXPECTS(!job.data.labels_path.empty(),
                 "data.labels_path: an NPY embedding (" + path.string() +
                     ") needs a CSV with the time and labels of its rows");
  return read_cell_table_npy(path, resolve_labels_path(job).lexically_normal(), job.data.columns);
}

LoadedData load_data(Context& context, const Job& job) {
  LoadedData data;
  data.table = load_cell_table(job);
  data.dataset = build_dataset(data.table, job.data);
  try {
    check_job_against_data(job, data.dataset);
  } catch (const InputError& error) {
    // The setting at fault is in the job file; name it, as the parser's own errors do.
    if (job.job_file.empty()) throw;
    throw InputError(job.job_file.string() + ": " + error.what());
  }
  data.hierarchy = build_hierarchy(context, data.dataset);
  return data;
}

}  // namespace mustfm
