#include "engine/job_runner.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "engine/data_loading.h"
#include "engine/data_report.h"
#include "io/job_parser.h"
#include "io/run_folder.h"

namespace mustfm {

Job load_job_with_overrides(const std::string& job_path, const JobOverrides& overrides) {
  Job job = load_job(job_path);
  if (overrides.output_dir) job.output.dir = *overrides.output_dir;
  if (overrides.device) job.backend.device = *overrides.device;
  if (overrides.log_level) job.output.log_level = *overrides.log_level;
  if (overrides.force) job.output.force = true;
  // Re-read the resolved job so overridden values pass the same checks as the file's.
  return parse_job(job_to_json(job).dump(), job.job_file);
}

std::unique_ptr<Context> make_job_context(const Job& job, std::shared_ptr<LogSink> sink) {
  ContextOptions options;
  options.device = job.backend.device;
  options.device_index = job.backend.device_index;
  options.cpu_threads = job.backend.threads;
  options.seed = job.seed;
  options.log_sink = std::move(sink);
  options.log_level = job.output.log_level;
  return std::make_unique<Context>(options);
}

std::string validate_job(Context& context, const Job& job) {
  LoadedData data = load_data(context, job);
  return dataset_summary(data.dataset, data.hierarchy);
}

std::string run_job(Context& context, const Job& job) {
  Logger& log = context.log();
  // Data paths written absolute, so the saved job reruns from anywhere.
  Job absolute = job;
  if (!job.data.path.starts_with("builtin:"))
    absolute.data.path = std::filesystem::absolute(resolve_data_path(job)).string();
  if (!job.data.labels_path.empty())
    absolute.data.labels_path = std::filesystem::absolute(resolve_labels_path(job)).string();
  std::string resolved = job_to_json(absolute).dump(2);
  log.info("mustfm-engine {}", context.describe());
  log.info("resolved job:\n{}", resolved);

  // Everything that can be wrong with the input is found here, before the folder exists.
  LoadedData data = load_data(context, job);
  log.info("data:\n{}", dataset_summary(data.dataset, data.hierarchy));

  RunFolder folder(job.output.dir);
  context.add_log_sink(make_file_sink(folder.file("mustfm.log").string()));
  log.info("writing the run folder {}", folder.root().string());
  folder.write_text("job.resolved.json", resolved + "\n");
  folder.write_text("data/snapshots.csv", snapshots_csv(data.dataset));
  folder.write_text("data/clusters.csv", clusters_csv(data.dataset, data.hierarchy));

  // Said plainly, so nobody mistakes the data stage for a finished run.
  log.warn(
      "this version implements the data stage only (loading, checks, hierarchy); coupling, "
      "training, prediction and evaluation are not available yet, so the run stops here");
  return folder.root().string();
}

}  // namespace mustfm
