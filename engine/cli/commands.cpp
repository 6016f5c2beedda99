#include "engine/cli/commands.h"

#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include "engine/job_runner.h"
#include "engine/synthetic.h"
#include "io/job_parser.h"
#include "io/json_fields.h"
#include "io/table_writer.h"
#include "kernels/common/backend.h"
#include "kernels/common/error.h"

namespace mustfm::cli {

namespace {

// Set by the first Ctrl-C (or SIGTERM); the running stage stops at its next safe point, keeps
// what it finished and exits 130. A second signal ends the process at once.
std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int signal_number) {
  stop_requested.store(true);
  std::signal(signal_number, SIG_DFL);
}

void install_stop_handlers() {
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
}

constexpr const char* kVersion = "0.1.0";

// Options shared by the commands that take a job file.
struct JobArguments {
  std::string job_path;
  JobOverrides overrides;
  std::string output_dir;
  std::string device;
  std::string log_level;
  // Set when the option is declared; an option given on the command line overrides the job's
  // setting even when empty, so the job's own checks judge the value.
  CLI::Option* output_option = nullptr;
  CLI::Option* device_option = nullptr;
  CLI::Option* log_level_option = nullptr;
};

void add_job_arguments(CLI::App& command,
                       JobArguments& arguments,
                       bool writes_outputs,
                       const char* force_help =
                           "Rerun this stage even if it finished; replace another job's run in "
                           "the output folder") {
  command.add_option("job", arguments.job_path, "Job file (JSON, comments allowed)")->required();
  arguments.device_option =
      command.add_option("--device", arguments.device, "Override backend.device: auto, cpu, cuda");
  arguments.log_level_option =
      command.add_option("--log-level", arguments.log_level, "Override output.log_level");
  if (writes_outputs) {
    arguments.output_option =
        command.add_option("-o,--output", arguments.output_dir, "Override output.dir");
    command.add_flag("--force", arguments.overrides.force, force_help);
  }
}

bool given(const CLI::Option* option) {
  return option != nullptr && option->count() > 0;
}

Job load_job_from(JobArguments& arguments) {
  if (given(arguments.output_option)) arguments.overrides.output_dir = arguments.output_dir;
  if (given(arguments.device_option)) arguments.overrides.device = arguments.device;
  if (given(arguments.log_level_option)) arguments.overrides.log_level = arguments.log_level;
  return load_job_with_overrides(arguments.job_path, arguments.overrides);
}

struct GenerateArguments {
  std::string output;
  bool growth = false;
  bool force = false;
  SyntheticSettings settings;
};

// The table's file: its folder must exist, and an existing file is kept unless --force.
void check_generate_target(const GenerateArguments& arguments) {
  const std::filesystem::path path(arguments.output);
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::error_code error;
  MUSTFM_EXPECTS(std::filesystem::is_directory(folder, error),
                 "generate: cannot write " + path.string() + ": the folder " + folder.string() +
                     " does not exist");
  MUSTFM_EXPECTS(!std::filesystem::is_directory(path, error),
                 "generate: " + path.string() + " is a folder; name a CSV file");
  MUSTFM_EXPECTS(arguments.force || !std::filesystem::exists(path, error),
                 "generate: " + path.string() + " exists; pass --force to replace it");
}

// CLI11 reads a misspelled command as a stray argument and says only that a command is
// required; name the word and the likely command instead.
void check_command_name(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return;
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
  const std::string word = argv[1];
  if (std::find(names.begin(), names.end(), word) != names.end()) return;
  const std::string suggestion = detail::closest_match(word, names);
  std::string message = "unknown command \"" + word + "\"";
  if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
  message += " (commands:";
  for (const std::string& name : names) message += " " + name;
  throw InputError(message + ")");
}

// Parses the command line; false when it asked for help or the version, which are printed.
// Any other parse error is bad input, reported like the rest.
bool parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return true;
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
  } catch (const CLI::CallForVersion& version) {
    std::cout << version.what() << "\n";
  } catch (const CLI::ParseError& error) {
    throw InputError(std::string(error.what()) + "; run with --help for more information");
  }
  return false;
}

void print_info() {
  std::cout << "mustfm-engine " << kVersion << "\n";
  std::cout << "CUDA backend: " << (cuda_compiled() ? "compiled" : "not compiled") << "\n";
  std::cout << "CUDA devices: " << cuda_device_summary() << "\n";
  std::cout << "CPU backend: OpenMP, " << omp_get_max_threads() << " threads\n";
}

}  // namespace

int run_command_line(int argc, char** argv) {
  CLI::App app{"mustfm-engine: multiscale supervised unbalanced optimal-transport flow matching"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);

  JobArguments run_arguments;
  CLI::App* run = app.add_subcommand("run", "Run a job and write its run folder");
  add_job_arguments(*run, run_arguments, true,
                    "Rerun every stage even if it finished; replace another job's run in the "
                    "output folder");

  // One command per stage; each runs the earlier stages that have not finished in the folder.
  struct StageCommand {
    Stage stage;
    const char* description;
    JobArguments arguments;
    CLI::App* app = nullptr;
  };
  std::vector<StageCommand> stage_commands = {
      {Stage::couple, "Build the couplings (and write them to the run folder)", {}},
      {Stage::train, "Train the networks, continuing from a checkpoint if one exists", {}},
      {Stage::predict, "Predict cells and masses at the requested times", {}},
      {Stage::evaluate, "Score the predictions against the observed snapshots", {}},
  };
  for (StageCommand& command : stage_commands) {
    command.app = app.add_subcommand(stage_name(command.stage), command.description);
    add_job_arguments(*command.app, command.arguments, true);
  }

  JobArguments validate_arguments;
  CLI::App* validate =
      app.add_subcommand("validate", "Check a job and its data without running it");
  add_job_arguments(*validate, validate_arguments, false);

  GenerateArguments generate_arguments;
  CLI::App* generate =
      app.add_subcommand("generate", "Write the built-in multiscale benchmark as a CSV table");
  generate->add_option("output", generate_arguments.output, "CSV file to write")->required();
  generate->add_flag("--force", generate_arguments.force, "Replace the file if it exists");
  generate->add_flag("--growth", generate_arguments.growth,
                     "One fine cluster doubles and one halves between the snapshots");
  generate
      ->add_option("--cells-per-cluster", generate_arguments.settings.cells_per_cluster,
                   "Cells per fine cluster")
      ->capture_default_str();
  generate->add_option("--noise", generate_arguments.settings.noise, "Noise standard deviation")
      ->capture_default_str();
  generate
      ->add_option("--translation", generate_arguments.settings.translation,
                   "Shift along x between the snapshots")
      ->capture_default_str();
  // Checked as text: an unsigned option would silently wrap "-3" around.
  generate->add_option("--seed", generate_arguments.settings.seed, "Random seed")
      ->check(CLI::Validator(
          [](std::string& text) {
            return text.find('-') == std::string::npos ? std::string()
                                                       : "must be a non-negative integer";
          },
          "UINT64"))
      ->capture_default_str();

  CLI::App* keys = app.add_subcommand("keys", "Print every job-file key with its default");
  CLI::App* info = app.add_subcommand("info", "Print the build's backends and devices");

  try {
    check_command_name(app, argc, argv);
    if (!parse_command_line(app, argc, argv)) return 0;
    const auto chosen =
        std::find_if(stage_commands.begin(), stage_commands.end(),
                     [](const StageCommand& command) { return command.app->parsed(); });
    if (chosen != stage_commands.end()) {
      Job job = load_job_from(chosen->arguments);
      auto context = make_job_context(job);
      install_stop_handlers();
      context->set_stop_flag(&stop_requested);
      std::cout << run_job_until(*context, job, chosen->stage) << "\n";
    } else if (*run) {
      Job job = load_job_from(run_arguments);
      auto context = make_job_context(job);
      install_stop_handlers();
      context->set_stop_flag(&stop_requested);
      std::string folder = run_job(*context, job);
      std::cout << folder << "\n";
    } else if (*validate) {
      Job job = load_job_from(validate_arguments);
      auto context = make_job_context(job);
      std::cout << validate_job(*context, job);
      std::cout << "job " << validate_arguments.job_path << " is valid\n";
    } else if (*generate) {
      check_generate_target(generate_arguments);
      CellTable table = generate_multiscale(generate_arguments.settings, generate_arguments.growth);
      write_cell_table_csv(generate_arguments.output, table);
      std::cout << "wrote " << table.cell_count << " cells to " << generate_arguments.output
                << "\n";
    } else if (*keys) {
      std::cout << job_keys_markdown();
    } else if (*info) {
      print_info();
    }
  } catch (const Interrupted& error) {
    std::fprintf(stderr, "mustfm-engine: %s\n", error.what());
    return 130;
  } catch (const InputError& error) {
    std::fprintf(stderr, "mustfm-engine: error: %s\n", error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "mustfm-engine: failed: %s\n", error.what());
    return 1;
  }
  return 0;
}

}  // namespace mustfm::cli
