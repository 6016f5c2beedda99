#include "engine/job_runner.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/coupling.h"
#include "engine/coupling_output.h"
#include "engine/data_loading.h"
#include "engine/data_report.h"
#include "engine/evaluation_stage.h"
#include "engine/pair_distribution_file.h"
#include "engine/prediction_stage.h"
#include "engine/priors.h"
#include "engine/run_log.h"
#include "engine/training_stage.h"
#include "io/atomic_file.h"
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

namespace {

// The job as the run folder keeps it: every default filled in, data paths absolute, so the
// saved job reruns from anywhere.
std::string resolved_job_text(const Job& job) {
  Job absolute = job;
  if (!job.data.path.starts_with("builtin:"))
    absolute.data.path = std::filesystem::weakly_canonical(resolve_data_path(job)).string();
  if (!job.data.labels_path.empty())
    absolute.data.labels_path =
        std::filesystem::weakly_canonical(resolve_labels_path(job)).string();
  return job_to_json(absolute).dump(2);
}

// A run folder carries on under a changed job when the data and the coupling stay as they were:
// the stages the change affects run again, the ones before keep their outputs.
bool later_stages_only(const std::vector<std::string>& keys) {
  return first_stage_reading(keys) > Stage::couple;
}

}  // namespace

std::string validate_job(Context& context, const Job& job) {
  LoadedData data = load_data(context, job);
  build_priors(data.dataset, job.data);
  prediction_times(job, data.dataset);
  // The folder check reads only, so validate refuses what run would refuse.
  check_output_folder(job.output.dir, resolved_job_text(job), job.output.force, later_stages_only);
  return dataset_summary(data.dataset, data.hierarchy);
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string pairs_file(std::size_t interval) {
  return "couplings/interval_" + std::to_string(interval) + "_pairs.bin";
}

// The snapshots training sees: all but evaluation.leave_out.
Dataset training_dataset(const Dataset& dataset, const Job& job) {
  Dataset kept = dataset;
  kept.snapshots.clear();
  for (const Snapshot& snapshot : dataset.snapshots) {
    const auto& left_out = job.evaluation.leave_out;
    if (std::find(left_out.begin(), left_out.end(), snapshot.time) == left_out.end())
      kept.snapshots.push_back(snapshot);
  }
  return kept;
}

// Everything the stages share: the job, the loaded data, and the folder.
struct RunInputs {
  const Job& job;
  const LoadedData& data;
  const Dataset& training;
  const Hierarchy& training_hierarchy;
  const Priors& priors;
  const RunFolder& folder;
};

// Coarse-to-fine plans for every training interval, written under couplings/, with the pair
// distributions training reads.
void run_coupling_stage(Context& context, const RunInputs& in) {
  Logger& log = context.log();
  const Job& job = in.job;
  log.info("coupling {} interval(s), finest level {}, priors from {}",
           in.training.snapshots.size() - 1, job.coupling.finest_level, in.priors.origin);
  CouplingResult coupling =
      couple_snapshots(context, in.training, in.training_hierarchy, in.priors, job.coupling);
  write_couplings(in.folder, coupling, job.coupling);
  for (std::size_t k = 0; k < coupling.intervals.size(); ++k) {
    const IntervalCoupling& interval = coupling.intervals[k];
    StoredPairs stored;
    stored.source_time = interval.source_time;
    stored.target_time = interval.target_time;
    stored.source_cells = in.training.snapshots[interval.source].cell_count;
    stored.target_cells = in.training.snapshots[interval.source + 1].cell_count;
    stored.pairs = interval.pairs;
    write_pairs(in.folder.file(pairs_file(k)), stored);
  }
  log.info("wrote the couplings under {}", (in.folder.root() / "couplings").string());
  for (const IntervalCoupling& interval : coupling.intervals)
    if (interval.pairs.empty())
      throw InputError(fmt::format(
          "interval t {} -> {}: the coupling leaves no pair of cells to train on (every pair is "
          "at distance pi * coupling.delta = {:.4g} or more, or excluded by the priors); the "
          "tables under {} show the cluster plans; a larger coupling.delta admits farther pairs",
          interval.source_time, interval.target_time, 3.141592653589793 * job.coupling.delta,
          (in.folder.root() / "couplings").string()));
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

std::vector<StoredPairs> read_training_pairs(const RunInputs& in) {
  std::vector<StoredPairs> intervals;
  for (std::size_t k = 0; k + 1 < in.training.snapshots.size(); ++k) {
    const std::filesystem::path path = in.folder.root() / pairs_file(k);
    try {
      intervals.push_back(read_pairs(path));
    } catch (const InputError& error) {
      throw InputError(std::string(error.what()) + "; `couple --force` couples afresh");
    }
    check_pairs_fit(intervals.back(), in.training.snapshots[k], in.training.snapshots[k + 1],
                    path.string());
  }
  return intervals;
}

Checkpoint read_trained(const RunFolder& folder) {
  try {
    return read_checkpoint(folder.root() / kCheckpointFile);
  } catch (const InputError& error) {
    throw InputError(std::string(error.what()) + "; `train --force` trains afresh");
  }
}

// Returns the training seconds spent before an interruption this run continued from.
double run_training_stage(Context& context,
                          const RunInputs& in,
                          const std::vector<StoredPairs>& intervals) {
  const TrainingOutcome outcome =
      train_networks(context, in.job, in.training, intervals, in.folder);
  context.log().info("trained {} steps{}, final loss {:.4g}", outcome.steps,
                     outcome.resumed_from > 0
                         ? " (continued from step " + std::to_string(outcome.resumed_from) + ")"
                         : std::string(),
                     outcome.final_loss);
  return outcome.earlier_seconds;
}

void run_prediction_stage(Context& context, const RunInputs& in, const Checkpoint& checkpoint) {
  const PredictionOutcome outcome =
      predict_populations(context, in.job, in.data.dataset, checkpoint.state, in.folder);
  context.log().info(
      "predicted {} time(s): {} integration steps accepted, {} rejected, {} network "
      "evaluations",
      outcome.times.size(), outcome.accepted_steps, outcome.rejected_steps, outcome.evaluations);
}

void write_metrics(const RunInputs& in,
                   const std::vector<SnapshotScore>& scores,
                   double data_seconds,
                   double evaluate_seconds) {
  nlohmann::json metrics;
  metrics["snapshots"] = nlohmann::json::array();
  double w1_sum = 0.0, rme_sum = 0.0, rme_max = 0.0;
  for (const SnapshotScore& score : scores) {
    metrics["snapshots"].push_back({{"time", score.time},
                                    {"w1", score.w1},
                                    {"rme", score.rme},
                                    {"points", score.predicted_points},
                                    {"observed_points", score.observed_points},
                                    {"predicted_mass", score.predicted_mass},
                                    {"observed_mass", score.observed_mass},
                                    {"left_out", score.left_out}});
    w1_sum += score.w1;
    rme_sum += score.rme;
    rme_max = std::max(rme_max, score.rme);
  }
  const double count = std::max<double>(1.0, static_cast<double>(scores.size()));
  metrics["totals"] = {{"snapshots", scores.size()},
                       {"mean_w1", w1_sum / count},
                       {"mean_rme", rme_sum / count},
                       {"max_rme", rme_max}};
  nlohmann::json timings;
  timings["data"] = data_seconds;
  double total = data_seconds;
  for (Stage stage : {Stage::couple, Stage::train, Stage::predict}) {
    const std::optional<double> seconds = finished_stage_seconds(in.folder, stage);
    timings[stage_name(stage)] = seconds ? nlohmann::json(*seconds) : nlohmann::json();
    total += seconds.value_or(0.0);
  }
  timings["evaluate"] = evaluate_seconds;
  timings["total"] = total + evaluate_seconds;
  metrics["timings"] = timings;
  in.folder.write_text(kMetricsFile, metrics.dump(2) + "\n");
}

std::string run_stages(Context& context, const Job& job, Stage last, Stage first_forced) {
  const Clock::time_point data_start = Clock::now();
  Logger& log = context.log();
  RunLog run_log(context);
  const std::string resolved = resolved_job_text(job);
  log.info("mustfm-engine {}", context.describe());
  // The whole resolved job goes to mustfm.log (and job.resolved.json); the terminal keeps to
  // the lines a person watches.
  run_log.record_in_file("resolved job:\n" + resolved);

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
  const Dataset training = training_dataset(data.dataset, job);
  const Hierarchy training_hierarchy =
      job.evaluation.leave_out.empty() ? data.hierarchy : build_hierarchy(context, training);
  if (last >= Stage::predict) prediction_times(job, data.dataset);

  std::vector<std::string> changed_keys;
  const OutputFolderUse use = check_output_folder(job.output.dir, resolved, job.output.force,
                                                  later_stages_only, &changed_keys);
  if (use == OutputFolderUse::replacing) clear_run_outputs(job.output.dir);
  RunFolder folder(job.output.dir);
  run_log.attach_file(folder.file("mustfm.log"));
  log.info("writing the run folder {}{}", folder.root().string(),
           use == OutputFolderUse::replacing ? " (the other job's run in it was removed)" : "");
  if (use == OutputFolderUse::changed_job) {
    const Stage from = first_stage_reading(changed_keys);
    log.info(
        "the job changed since this folder's last command ({}): stage {} and later run "
        "again, earlier stages keep their outputs",
        fmt::join(changed_keys, ", "), stage_name(from));
    for (int later = kStageCount - 1; later >= static_cast<int>(from); --later)
      clear_stage(folder, static_cast<Stage>(later));
  }
  folder.write_text("job.resolved.json", resolved + "\n");
  folder.write_text("data/snapshots.csv", snapshots_csv(data.dataset));
  folder.write_text("data/clusters.csv", clusters_csv(data.dataset, data.hierarchy));
  const double data_seconds = seconds_since(data_start);

  if (const std::size_t stale = remove_stale_temporaries(folder.root()); stale > 0)
    log.info("removed {} temporary file(s) an interrupted command left behind", stale);

  const RunInputs inputs{job, data, training, training_hierarchy, priors, folder};
  bool earlier_ran = false;
  for (int s = 0; s <= static_cast<int>(last); ++s) {
    const Stage stage = static_cast<Stage>(s);
    const std::optional<double> finished = finished_stage_seconds(folder, stage);
    const bool forced = job.output.force && stage >= first_forced;
    if (finished && !forced && !earlier_ran) {
      log.info("stage {}: finished earlier in this folder ({:.3g} s); skipped (--force reruns it)",
               stage_name(stage), *finished);
      continue;
    }
    // The stage's inputs are read before anything is cleared, so a stage whose inputs are
    // damaged stops with the folder as it was.
    std::vector<StoredPairs> pairs;
    std::optional<Checkpoint> trained;
    if (stage == Stage::train) pairs = read_training_pairs(inputs);
    if (stage == Stage::predict) trained = read_trained(folder);
    if (!earlier_ran) {
      // What follows this stage was computed from its old outputs.
      for (int later = kStageCount - 1; later > s; --later)
        clear_stage(folder, static_cast<Stage>(later));
      if (finished || forced) clear_stage(folder, stage);
    }
    earlier_ran = true;
    log.info("stage {}", stage_name(stage));
    const Clock::time_point start = Clock::now();
    double earlier_seconds = 0.0;
    try {
      switch (stage) {
        case Stage::couple:
          run_coupling_stage(context, inputs);
          break;
        case Stage::train:
          earlier_seconds = run_training_stage(context, inputs, pairs);
          break;
        case Stage::predict:
          run_prediction_stage(context, inputs, *trained);
          break;
        case Stage::evaluate: {
          const std::vector<SnapshotScore> scores =
              score_predictions(context, job, data.dataset, folder);
          write_metrics(inputs, scores, data_seconds, seconds_since(start));
          log.info("wrote {}", (folder.root() / kMetricsFile).string());
          break;
        }
      }
    } catch (const Interrupted& error) {
      log.warn("stage {} stopped: {}", stage_name(stage), error.what());
      throw;
    } catch (const std::exception& error) {
      // Said in the run's log too, so the folder tells why it is incomplete.
      log.error("stage {} failed: {}", stage_name(stage), error.what());
      throw;
    }
    const double seconds = seconds_since(start) + earlier_seconds;
    record_finished_stage(folder, stage, seconds);
    log.info("stage {} finished in {:.3g} s", stage_name(stage), seconds);
  }
  if (last < Stage::evaluate && !finished_stage_seconds(folder, Stage::evaluate))
    log.info(
        "stopped after stage {}, as asked; `run` (or a later stage's command) on the same "
        "job continues from here",
        stage_name(last));
  return folder.root().string();
}

}  // namespace

std::string run_job(Context& context, const Job& job) {
  return run_stages(context, job, Stage::evaluate, Stage::couple);
}

std::string run_job_until(Context& context, const Job& job, Stage stage) {
  return run_stages(context, job, stage, stage);
}

std::string couple_job(Context& context, const Job& job) {
  return run_job_until(context, job, Stage::couple);
}

}  // namespace mustfm
