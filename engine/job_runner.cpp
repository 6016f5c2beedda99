#include "engine/job_runner.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "engine/coupling.h"
#include "engine/coupling_output.h"
#include "engine/data_loading.h"
#include "engine/data_report.h"
#include "engine/priors.h"
#include "engine/run_log.h"
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
  build_priors(data.dataset, job.data);
  return dataset_summary(data.dataset, data.hierarchy);
}

namespace {

// The stages in order; a run stops after `last`.
enum class Stage { couple, all };

// The coupling stage: coarse-to-fine plans for every interval, written under couplings/.
void run_coupling_stage(Context& context,
                        const Job& job,
                        const LoadedData& data,
                        const Priors& priors,
                        const RunFolder& folder) {
  Logger& log = context.log();
  log.info("coupling {} interval(s), finest level {}, priors from {}",
           data.dataset.snapshots.size() - 1, job.coupling.finest_level, priors.origin);
  CouplingResult coupling =
      couple_snapshots(context, data.dataset, data.hierarchy, priors, job.coupling);
  write_couplings(folder, coupling, job.coupling);
  log.info("wrote the couplings under {}", (folder.root() / "couplings").string());
  for (const IntervalCoupling& interval : coupling.intervals) {
    for (const LevelCoupling& level : interval.levels) {
      if (!level.is_cells) continue;
      std::int64_t carrying = 0;
      for (double gamma : level.result.plan) carrying += gamma > 0 ? 1 : 0;
      if (carrying > kMaxCellTableEntries)
        log.warn(
            "interval t {} -> {}: the cell plan is not written ({} cell pairs carry mass, "
            "more than the {} written at most); its transition tables and report are",
            interval.source_time, interval.target_time, carrying, kMaxCellTableEntries);
    }
  }
  for (const IntervalCoupling& interval : coupling.intervals) {
    const PairDistribution& pairs = interval.pairs;
    if (pairs.unsampled_source_mass > 0 || pairs.unsampled_target_mass > 0)
      log.warn(
          "interval t {} -> {}: source mass {:.6g} and target mass {:.6g} lie in rows or "
          "columns the coupling leaves empty; they never appear in training pairs",
          interval.source_time, interval.target_time, pairs.unsampled_source_mass,
          pairs.unsampled_target_mass);
  }
}

std::string run_stages(Context& context, const Job& job, Stage last) {
  Logger& log = context.log();
  RunLog run_log(context);
  // Data paths written absolute, so the saved job reruns from anywhere.
  Job absolute = job;
  if (!job.data.path.starts_with("builtin:"))
    absolute.data.path = std::filesystem::weakly_canonical(resolve_data_path(job)).string();
  if (!job.data.labels_path.empty())
    absolute.data.labels_path =
        std::filesystem::weakly_canonical(resolve_labels_path(job)).string();
  std::string resolved = job_to_json(absolute).dump(2);
  log.info("mustfm-engine {}", context.describe());
  log.info("resolved job:\n{}", resolved);

  // Everything that can be wrong with the input is found here, before the folder exists.
  LoadedData data = load_data(context, job);
  log.info("data:\n{}", dataset_summary(data.dataset, data.hierarchy));
  if (data.dataset.annotation_levels() == 0 && !job.data.path.starts_with("builtin:"))
    log.warn(
        "no annotation levels in the data (no column {}0, and data.columns.level_columns "
        "is empty): the coupling has no hierarchy to follow and treats each snapshot as "
        "one cluster above the cells",
        job.data.columns.level_prefix);
  const Priors priors = build_priors(data.dataset, job.data);

  const OutputFolderUse use = check_output_folder(job.output.dir, resolved, job.output.force);
  if (use == OutputFolderUse::replacing) clear_run_outputs(job.output.dir);
  RunFolder folder(job.output.dir);
  run_log.attach_file(folder.file("mustfm.log"));
  log.info("writing the run folder {}{}", folder.root().string(),
           use == OutputFolderUse::replacing ? " (the other job's run in it was removed)" : "");
  folder.write_text("job.resolved.json", resolved + "\n");
  folder.write_text("data/snapshots.csv", snapshots_csv(data.dataset));
  folder.write_text("data/clusters.csv", clusters_csv(data.dataset, data.hierarchy));

  run_coupling_stage(context, job, data, priors, folder);
  if (last == Stage::all) {
    // Said plainly, so nobody mistakes the coupling stage for a finished run.
    log.warn(
        "this version implements the data and coupling stages (loading, checks, hierarchy, "
        "couplings); training, prediction and evaluation are not available yet, so the run "
        "stops here");
  }
  return folder.root().string();
}

}  // namespace

std::string run_job(Context& context, const Job& job) {
  return run_stages(context, job, Stage::all);
}

std::string couple_job(Context& context, const Job& job) {
  return run_stages(context, job, Stage::couple);
}

}  // namespace mustfm
