// The stages behind the mustfm-engine command. Each loads and checks everything it needs before
// it writes anything, so bad input never leaves a partial run folder behind.
//
// A run goes couple -> train -> predict -> evaluate (engine/stage_record.h). A stage that
// finished earlier in the same run folder is skipped; one that was interrupted runs again
// (training continues from its checkpoint). output.force (--force) reruns stages: from the first
// for `run`, the named stage for a stage command; a stage that runs clears every later stage's
// outputs, which no longer match it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/context.h"
#include "engine/stage_record.h"
#include "io/job.h"

namespace mustfm {

// Command-line settings that override the job file.
struct JobOverrides {
  std::optional<std::string> output_dir;
  std::optional<std::string> device;
  std::optional<std::string> log_level;
  bool force = false;
};

// Loads the job file and applies the overrides. InputError for a bad job.
Job load_job_with_overrides(const std::string& job_path, const JobOverrides& overrides);

// The context a job asks for (backend, threads, seed, log level), logging to `sink` (stderr when
// null).
std::unique_ptr<Context> make_job_context(const Job& job, std::shared_ptr<LogSink> sink = {});

// Checks the job and its data without writing anything; returns a summary for the terminal.
std::string validate_job(Context& context, const Job& job);

// Every stage (the `run` command). Returns the run folder's path.
std::string run_job(Context& context, const Job& job);

// The stages up to and including `stage`, skipping the earlier ones that finished before (the
// `couple`, `train`, `predict` and `evaluate` commands). Returns the run folder's path.
std::string run_job_until(Context& context, const Job& job, Stage stage);

// run_job_until(context, job, Stage::couple).
std::string couple_job(Context& context, const Job& job);

}  // namespace mustfm
