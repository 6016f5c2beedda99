// The stages behind the mustfm-engine command. Each loads and checks everything it needs before
// it writes anything, so bad input never leaves a partial run folder behind.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/context.h"
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

// Runs every stage this version has (data, couple), writing the run folder. Returns the
// folder's path.
std::string run_job(Context& context, const Job& job);

// Runs the stages up to and including the coupling stage (the `couple` command). Returns the
// folder's path.
std::string couple_job(Context& context, const Job& job);

}  // namespace mustfm
