#include "io/job_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "io/job_keys.h"
#include "io/json_fields.h"
#include "io/json_text.h"
#include "test_support.h"

namespace mustfm {
namespace {

const char* const kMinimal = R"({"data": {"path": "cells.csv"}})";

// The message of the InputError that parsing `text` as job.json throws; fails the test if none.
std::string parse_error(const std::string& text) {
  try {
    parse_job(text, "job.json");
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no InputError for: " << text;
  return "";
}

// A minimal job with `member` (a JSON fragment such as "\"coupling\": {\"delta\": 0}") added; a
// "data" member replaces the minimal data section.
std::string with(const std::string& member) {
  if (member.rfind("\"data\"", 0) == 0) return "{" + member + "}";
  return R"({"data": {"path": "cells.csv"}, )" + member + "}";
}

// A job that sets every key to a value other than its default.
const char* const kFullJob = R"(
{
  "seed": 18446744073709551615,
  "data": {
    "path": "data/cells.npy", "format": "npy", "labels_path": "data/labels.csv",
    "columns": {"time_column": "day", "feature_columns": ["pc1", "pc2"], "feature_prefix": "pc",
                "level_columns": ["lineage", "type"], "level_prefix": "lv",
                "prior_columns": ["p0"], "prior_prefix": "pr", "weight_column": "w"},
    "prior_pairs": [{"level": 1, "source": "HSC", "target": "Ery"}],
    "population_sizes": [{"time": 0, "size": 1000}, {"time": 2.5, "size": 1500.5}],
    "synthetic": {"cells_per_cluster": 50, "coarse_spacing": 8, "fine_spacing": 2,
                  "noise": 0.3, "translation": -1.5, "time_step": 0.5, "seed": 9}
  },
  "coupling": {"delta": 0.3333333333333333, "rho": 2, "solver": "mm", "eps": 0.01,
               "eps_start": 2, "eps_decay": 0.25, "tolerance": 1e-5, "max_iterations": 77,
               "check_every": 3, "mm_tolerance": 1e-12, "eta": 0, "eta_block": 1e-6,
               "finest_level": "independent"},
  "model": {"velocity_hidden": [64, 32], "growth_hidden": [16], "leaky_relu_slope": 0.2},
  "training": {"steps": 10, "batch_size": 8, "learning_rate": 0.1, "final_learning_rate": 0.001,
               "ema_decay": 0, "checkpoint_every": 0, "log_every": 2},
  "prediction": {"start_time": 0.30000000000000004, "times": [1, 2.5], "rtol": 1e-5,
                 "atol": 1e-6, "trajectory_particles": 0, "trajectory_points": 3},
  "evaluation": {"max_points": 2, "seed": 5, "leave_out": [1]},
  "output": {"dir": "/tmp/out", "force": true, "log_level": "debug"},
  "backend": {"device": "cpu", "device_index": 1, "threads": 4}
})";

TEST(JobParser, MinimalJobGetsAllDefaults) {
  const Job job = parse_job(kMinimal, "jobs/job.json");
  Job expected;
  expected.data.path = "cells.csv";
  expected.job_file = "jobs/job.json";
  EXPECT_EQ(job_to_json(job), job_to_json(expected));
  EXPECT_EQ(job.job_file, std::filesystem::path("jobs/job.json"));
  EXPECT_EQ(job.data.path, "cells.csv");
  EXPECT_EQ(job.coupling.delta, 1.0);
  EXPECT_EQ(job.coupling.solver, "sinkhorn");
  EXPECT_EQ(job.model.velocity_hidden, std::vector<int>(5, 256));
  EXPECT_EQ(job.training.steps, 3000);
  EXPECT_TRUE(std::isnan(job.prediction.start_time));
  EXPECT_EQ(job.data.columns.time_column, "samples");
  EXPECT_EQ(job.output.log_level, "info");
}

TEST(JobParser, EverySectionParsed) {
  const Job job = parse_job(kFullJob, "job.json");
  EXPECT_EQ(job.seed, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(job.data.path, "data/cells.npy");
  EXPECT_EQ(job.data.format, "npy");
  EXPECT_EQ(job.data.labels_path, "data/labels.csv");
  EXPECT_EQ(job.data.columns.time_column, "day");
  EXPECT_EQ(job.data.columns.feature_columns, (std::vector<std::string>{"pc1", "pc2"}));
  EXPECT_EQ(job.data.columns.level_columns, (std::vector<std::string>{"lineage", "type"}));
  EXPECT_EQ(job.data.columns.prior_prefix, "pr");
  EXPECT_EQ(job.data.columns.weight_column, "w");
  ASSERT_EQ(job.data.prior_pairs.size(), 1u);
  EXPECT_EQ(job.data.prior_pairs[0].level, 1);
  EXPECT_EQ(job.data.prior_pairs[0].source, "HSC");
  EXPECT_EQ(job.data.prior_pairs[0].target, "Ery");
  ASSERT_EQ(job.data.population_sizes.size(), 2u);
  EXPECT_EQ(job.data.population_sizes[1].time, 2.5);
  EXPECT_EQ(job.data.population_sizes[1].size, 1500.5);
  EXPECT_EQ(job.data.synthetic.cells_per_cluster, 50);
  EXPECT_EQ(job.data.synthetic.translation, -1.5);
  EXPECT_EQ(job.data.synthetic.seed, 9u);
  EXPECT_EQ(job.coupling.delta, 1.0 / 3.0);
  EXPECT_EQ(job.coupling.solver, "mm");
  EXPECT_EQ(job.coupling.max_iterations, 77);
  EXPECT_EQ(job.coupling.eta, 0.0);
  EXPECT_EQ(job.coupling.finest_level, "independent");
  EXPECT_EQ(job.model.velocity_hidden, (std::vector<int>{64, 32}));
  EXPECT_EQ(job.model.growth_hidden, (std::vector<int>{16}));
  EXPECT_EQ(job.model.leaky_relu_slope, 0.2);
  EXPECT_EQ(job.training.steps, 10);
  EXPECT_EQ(job.training.final_learning_rate, 0.001);
  EXPECT_EQ(job.training.checkpoint_every, 0);
  EXPECT_EQ(job.prediction.start_time, 0.1 + 0.2);
  EXPECT_EQ(job.prediction.times, (std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(job.prediction.trajectory_points, 3);
  EXPECT_EQ(job.evaluation.max_points, 2);
  EXPECT_EQ(job.evaluation.seed, 5u);
  EXPECT_EQ(job.evaluation.leave_out, (std::vector<double>{1.0}));
  EXPECT_EQ(job.output.dir, "/tmp/out");
  EXPECT_TRUE(job.output.force);
  EXPECT_EQ(job.output.log_level, "debug");
  EXPECT_EQ(job.backend.device, "cpu");
  EXPECT_EQ(job.backend.device_index, 1);
  EXPECT_EQ(job.backend.threads, 4);
}

TEST(JobParser, CommentsAccepted) {
  const Job job = parse_job(R"(// a job
    {
      /* the data */ "data": {"path": "cells.csv"},
      "coupling": {"delta": 2.5}  // wider
    })",
                            "job.json");
  EXPECT_EQ(job.coupling.delta, 2.5);
}

TEST(JobParser, IntegralNumbersAcceptedForIntegers) {
  const Job job = parse_job(with(R"("training": {"steps": 2e3, "batch_size": 64.0})"), "");
  EXPECT_EQ(job.training.steps, 2000);
  EXPECT_EQ(job.training.batch_size, 64);
}

TEST(JobParser, SyntaxErrorReportsLineAndColumn) {
  const std::string message =
      parse_error("{\n  \"data\": {\"path\": \"a.csv\"},\n  \"seed\": ,\n}");
  EXPECT_EQ(message.rfind("job.json:3:11: ", 0), 0u) << message;
  EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
  EXPECT_EQ(message.find("json.exception"), std::string::npos) << message;

  // Multi-byte characters count as one column.
  const std::string after_accent = parse_error("{\"data\": {\"path\": \"é.csv\"} x}");
  EXPECT_EQ(after_accent.rfind("job.json:1:28: ", 0), 0u) << after_accent;

  try {
    parse_job("{\n\n", "");
    FAIL() << "truncated text parsed";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("line 3, column 1: ", 0), 0u) << error.what();
  }
}

TEST(JobParser, NumberTooLargeForADoubleNamesItsPlace) {
  const std::string message =
      parse_error("{\"data\": {\"path\": \"a.csv\"},\n \"prediction\": {\"times\": [0, 1e400]}}");
  EXPECT_EQ(message, "job.json:2:30: number 1e400 does not fit a double") << message;
}

TEST(JobParser, UnknownKeysSuggestCloseNames) {
  EXPECT_EQ(parse_error(with(R"("seeed": 1)")),
            "unknown key \"seeed\" in job.json; did you mean \"seed\"?");
  EXPECT_EQ(parse_error(with(R"("coupling": {"detla": 1})")),
            "unknown key \"coupling.detla\" in job.json; did you mean \"coupling.delta\"?");
  EXPECT_EQ(parse_error(with(R"("data": {"path": "a.csv", "colums": {}})")),
            "unknown key \"data.colums\" in job.json; did you mean \"data.columns\"?");
  EXPECT_EQ(parse_error(with(R"("data": {"path": "a", "columns": {"time_colum": "t"}})")),
            "unknown key \"data.columns.time_colum\" in job.json; did you mean "
            "\"data.columns.time_column\"?");
  // A setting written in the wrong section points to where it lives.
  EXPECT_EQ(parse_error(with(R"("delta": 2)")),
            "unknown key \"delta\" in job.json; did you mean \"coupling.delta\"?");
  EXPECT_EQ(
      parse_error(with(R"("data": {"path": "a", "prior_pairs": [{"level": 0, "sorce": "A"}]})")),
      "unknown key \"data.prior_pairs[0].sorce\" in job.json; did you mean "
      "\"data.prior_pairs[0].source\"?");
}

TEST(JobParser, UnknownKeyWithoutCloseMatchHasNoSuggestion) {
  EXPECT_EQ(parse_error(with(R"("coupling": {"banana": 1})")),
            "unknown key \"coupling.banana\" in job.json");
  EXPECT_EQ(parse_error(with(R"("foo": 1)")), "unknown key \"foo\" in job.json");
}

TEST(JobParser, RepeatedKeyIsAnError) {
  EXPECT_EQ(parse_error(with(R"("coupling": {"delta": 1, "delta": 2})")),
            "job.json: duplicate key \"coupling.delta\"");
  EXPECT_EQ(parse_error(with(R"("data": {"path": "a", "prior_pairs": [
                {"level": 0, "source": "A", "target": "B"},
                {"level": 0, "source": "A", "source": "B"}]})")),
            "job.json: duplicate key \"data.prior_pairs[1].source\"");
}

TEST(JobParser, WrongTypesNameThePath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("training": {"steps": "abc"})",
       "training.steps: expected an integer, got string \"abc\""},
      {R"("training": {"steps": 3.5})", "training.steps: expected an integer, got number 3.5"},
      {R"("training": {"steps": 1e10})",
       "training.steps: 10000000000.0 is out of range for an integer"},
      {R"("coupling": 3)", "coupling: expected an object, got number 3"},
      {R"("coupling": {"delta": "1"})", "coupling.delta: expected a number, got string \"1\""},
      {R"("output": {"force": 1})", "output.force: expected a boolean, got number 1"},
      {R"("prediction": {"times": [1, "a"]})",
       "prediction.times[1]: expected a number, got string \"a\""},
      {R"("prediction": {"start_time": true})",
       "prediction.start_time: expected a number, got boolean true"},
      {R"("model": {"velocity_hidden": 64})",
       "model.velocity_hidden: expected a list of integers, got number 64"},
      {R"("seed": -1)", "seed: expected a non-negative integer, got number -1"},
      {R"("evaluation": {"seed": 1.5})",
       "evaluation.seed: expected a non-negative integer, got number 1.5"},
      {R"("output": {"dir": null})", "output.dir: expected a string, got null"},
      {R"("data": {"path": "a", "prior_pairs": {}})",
       "data.prior_pairs: expected a list of objects, got an object"},
      {R"("data": {"path": "a", "population_sizes": [[0, 1]]})",
       "data.population_sizes[0]: expected an object, got an array"},
      {R"("data": {"path": "a", "columns": {"level_columns": [0]}})",
       "data.columns.level_columns[0]: expected a string, got number 0"},
  };
  for (const auto& [member, expected] : cases)
    EXPECT_EQ(parse_error(with(member)), "job.json: " + expected) << member;
  EXPECT_EQ(parse_error(R"({"data": {"path": 5}})"),
            "job.json: data.path: expected a string, got number 5");
  EXPECT_EQ(parse_error("[1]"), "job.json: a job must be a JSON object, got an array");
}

TEST(JobParser, OutOfRangeValuesNameKeyAndValue) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("coupling": {"delta": 0})", "coupling.delta must be > 0, got 0"},
      {R"("coupling": {"rho": -1.5})", "coupling.rho must be > 0, got -1.5"},
      {R"("coupling": {"eps": 0})", "coupling.eps must be > 0, got 0"},
      {R"("coupling": {"eps_decay": 1})", "coupling.eps_decay must be in (0, 1), got 1"},
      {R"("coupling": {"eps_decay": 0})", "coupling.eps_decay must be in (0, 1), got 0"},
      {R"("coupling": {"tolerance": 0})", "coupling.tolerance must be > 0, got 0"},
      {R"("coupling": {"mm_tolerance": -1})", "coupling.mm_tolerance must be > 0, got -1"},
      {R"("coupling": {"max_iterations": 0})", "coupling.max_iterations must be >= 1, got 0"},
      {R"("coupling": {"check_every": 0})", "coupling.check_every must be >= 1, got 0"},
      {R"("coupling": {"eta": -1e-9})", "coupling.eta must be >= 0, got -1e-09"},
      {R"("coupling": {"eps": 0.1, "eps_start": 0.01})",
       "coupling.eps_start (0.01) must be >= coupling.eps (0.1)"},
      {R"("model": {"velocity_hidden": []})", "model.velocity_hidden needs at least one layer"},
      {R"("model": {"growth_hidden": [64, 0]})", "model.growth_hidden[1] must be >= 1, got 0"},
      {R"("model": {"leaky_relu_slope": 1})", "model.leaky_relu_slope must be in [0, 1), got 1"},
      {R"("training": {"steps": 0})", "training.steps must be >= 1, got 0"},
      {R"("training": {"batch_size": -4})", "training.batch_size must be >= 1, got -4"},
      {R"("training": {"learning_rate": 0})", "training.learning_rate must be > 0, got 0"},
      {R"("training": {"final_learning_rate": 0})",
       "training.final_learning_rate must be > 0, got 0"},
      {R"("training": {"ema_decay": 1})", "training.ema_decay must be in [0, 1), got 1"},
      {R"("training": {"ema_decay": -0.5})", "training.ema_decay must be in [0, 1), got -0.5"},
      {R"("prediction": {"rtol": 0})", "prediction.rtol must be > 0, got 0"},
      {R"("prediction": {"atol": -1})", "prediction.atol must be > 0, got -1"},
      {R"("prediction": {"trajectory_particles": -1})",
       "prediction.trajectory_particles must be >= 0, got -1"},
      {R"("prediction": {"trajectory_points": -2})",
       "prediction.trajectory_points must be >= 0, got -2"},
      {R"("evaluation": {"max_points": 1})", "evaluation.max_points must be >= 2, got 1"},
      {R"("backend": {"threads": -1})", "backend.threads must be >= 0, got -1"},
      {R"("output": {"dir": ""})", "output.dir must not be empty"},
      {R"("data": {"path": "a", "population_sizes": [{"time": 0, "size": 0}]})",
       "data.population_sizes[0].size must be > 0, got 0"},
      {R"("data": {"path": "a", "population_sizes": [{"time": 1, "size": 2},
                                                     {"time": 1, "size": 3}]})",
       "data.population_sizes lists time 1.0 twice"},
      {R"("data": {"path": "a", "population_sizes": [{"time": 1}]})",
       "data.population_sizes[0]: missing \"size\""},
      {R"("data": {"path": "a", "prior_pairs": [{"level": -1, "source": "A", "target": "B"}]})",
       "data.prior_pairs[0].level must be >= 0, got -1"},
      {R"("data": {"path": "a", "columns": {"feature_columns": ["x1", "x2", "x1"]}})",
       "data.columns.feature_columns lists \"x1\" twice"},
      {R"("data": {"path": "a.npy", "format": "npy"})",
       "data.labels_path is required when data.format is \"npy\""},
      {R"("data": {"synthetic": {"noise": -0.1}, "path": "builtin:multiscale"})",
       "data.synthetic.noise must be >= 0, got -0.1"},
  };
  for (const auto& [member, expected] : cases)
    EXPECT_EQ(parse_error(with(member)), "job.json: " + expected) << member;
}

TEST(JobParser, EnumValues) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> enums = {
      {"data.format", {"auto", "csv", "npy"}},
      {"coupling.solver", {"sinkhorn", "mm"}},
      {"coupling.finest_level", {"sparse", "independent"}},
      {"backend.device", {"auto", "cpu", "cuda"}},
      {"output.log_level", {"trace", "debug", "info", "warn", "error", "off"}},
  };
  for (const auto& [path, values] : enums) {
    const std::string section = path.substr(0, path.find('.'));
    const std::string name = path.substr(path.find('.') + 1);
    for (const std::string& value : values) {
      nlohmann::json root = {{"data", {{"path", "a.npy"}, {"labels_path", "a.csv"}}}};
      root[section][name] = value;
      const nlohmann::json resolved = job_to_json(parse_job(root.dump(), ""));
      EXPECT_EQ(resolved[section][name], value) << path;
    }
  }
  EXPECT_EQ(parse_error(with(R"("coupling": {"solver": "sinkorn"})")),
            "job.json: coupling.solver must be one of \"sinkhorn\" \"mm\", got \"sinkorn\"; did "
            "you mean \"sinkhorn\"?");
  EXPECT_EQ(parse_error(with(R"("backend": {"device": "tpu"})")),
            "job.json: backend.device must be one of \"auto\" \"cpu\" \"cuda\", got \"tpu\"; did "
            "you mean \"cpu\"?");
  EXPECT_EQ(parse_error(with(R"("backend": {"device": "opencl"})")),
            "job.json: backend.device must be one of \"auto\" \"cpu\" \"cuda\", got \"opencl\"");
}

TEST(JobParser, DataPathIsRequired) {
  EXPECT_EQ(parse_error("{}"), "job.json: missing required key \"data.path\"");
  EXPECT_EQ(parse_error(R"({"data": {"format": "csv"}})"),
            "job.json: missing required key \"data.path\"");
  EXPECT_EQ(parse_error(R"({"data": {"path": ""}})"), "job.json: data.path must not be empty");
}

TEST(JobParser, RoundTripReproducesTheJob) {
  const Job job = parse_job(kFullJob, "somewhere/job.json");
  const nlohmann::json resolved = job_to_json(job);
  EXPECT_FALSE(resolved.contains("job_file"));
  const Job again = parse_job(resolved.dump(), job.job_file);
  EXPECT_EQ(job_to_json(again), resolved);
  EXPECT_EQ(again.seed, job.seed);
  EXPECT_EQ(again.coupling.delta, job.coupling.delta);
  EXPECT_EQ(again.prediction.start_time, job.prediction.start_time);
  EXPECT_EQ(again.data.prior_pairs[0].target, "Ery");
  EXPECT_EQ(again.data.population_sizes[1].size, 1500.5);

  // Defaults survive too, including the unset start time written as null.
  const Job minimal = parse_job(kMinimal, "");
  const nlohmann::json minimal_json = job_to_json(minimal);
  EXPECT_TRUE(minimal_json["prediction"]["start_time"].is_null());
  EXPECT_TRUE(std::isnan(parse_job(minimal_json.dump(), "").prediction.start_time));
  EXPECT_EQ(job_to_json(parse_job(minimal_json.dump(), "")), minimal_json);
}

TEST(JobParser, ResolvedJobHasEveryKey) {
  const nlohmann::json resolved = job_to_json(parse_job(kMinimal, ""));
  for (const detail::JobKey& key : detail::job_keys()) {
    std::string pointer = "/" + key.path;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    EXPECT_TRUE(resolved.contains(nlohmann::json::json_pointer(pointer))) << key.path;
  }
  // Nothing else: every non-object value in the resolved job is one registered key.
  std::function<std::size_t(const nlohmann::json&)> count_settings = [&](const nlohmann::json& v) {
    if (!v.is_object()) return std::size_t{1};
    std::size_t count = 0;
    for (const auto& member : v) count += count_settings(member);
    return count;
  };
  EXPECT_EQ(count_settings(resolved), detail::job_keys().size());
}

TEST(JobParser, RelativePathsResolveAgainstTheJobFolder) {
  Job job = parse_job(R"({"data": {"path": "cells.csv", "labels_path": "../labels.csv"}})",
                      "/runs/jobs/job.json");
  EXPECT_EQ(resolve_data_path(job), std::filesystem::path("/runs/jobs/cells.csv"));
  EXPECT_EQ(resolve_labels_path(job), std::filesystem::path("/runs/jobs/../labels.csv"));

  job.data.path = "/data/cells.csv";
  EXPECT_EQ(resolve_data_path(job), std::filesystem::path("/data/cells.csv"));
  job.data.path = "builtin:multiscale";
  EXPECT_EQ(resolve_data_path(job), std::filesystem::path("builtin:multiscale"));
  job.data.labels_path = "";
  EXPECT_TRUE(resolve_labels_path(job).empty());

  job.data.path = "cells.csv";
  job.job_file = "job.json";
  EXPECT_EQ(resolve_data_path(job), std::filesystem::path("cells.csv"));
  job.job_file.clear();
  EXPECT_EQ(resolve_data_path(job), std::filesystem::path("cells.csv"));
}

TEST(JobParser, LoadJobReadsTheFileAndNamesAMissingOne) {
  testing::TempDir dir;
  const std::filesystem::path file = dir.write("job.json", kMinimal);
  const Job job = load_job(file);
  EXPECT_EQ(job.job_file, file);
  EXPECT_EQ(resolve_data_path(job), dir.path() / "cells.csv");

  const std::filesystem::path missing = dir.path() / "absent.json";
  try {
    load_job(missing);
    FAIL() << "a missing job file loaded";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(missing.string()), std::string::npos) << error.what();
  }
  const std::filesystem::path broken = dir.write("broken.json", "{\"data\": }");
  try {
    load_job(broken);
    FAIL() << "a broken job file loaded";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()).rfind(broken.string() + ":1:10: ", 0), 0u) << error.what();
  }
}

TEST(JobParser, ExampleJobsParse) {
  std::size_t count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::source_dir() / "examples")) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_NO_THROW(load_job(entry.path())) << entry.path();
    ++count;
  }
  EXPECT_GT(count, 0u);
}

TEST(JobKeys, SpellingSuggestions) {
  EXPECT_EQ(detail::edit_distance("detla", "delta"), 1u);
  EXPECT_EQ(detail::edit_distance("", "abc"), 3u);
  EXPECT_EQ(detail::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(detail::closest_match("Delta", {"rho", "delta"}), "delta");
  EXPECT_EQ(detail::closest_match("foo", {"rho", "eta"}), "");
  EXPECT_EQ(detail::position_of_offset("ab\ncd", 4).line, 2u);
  EXPECT_EQ(detail::position_of_offset("ab\ncd", 4).column, 2u);
}

TEST(JobKeys, MarkdownHasOneLinePerKey) {
  const std::string table = job_keys_markdown();
  std::istringstream lines(table);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), detail::job_keys().size() + 2);
  EXPECT_EQ(rows[0], "| key | type | default | description |");
  const auto row_of = [&](const std::string& key) {
    for (const std::string& row : rows)
      if (row.rfind("| `" + key + "` |", 0) == 0) return row;
    return std::string();
  };
  EXPECT_EQ(row_of("data.path").rfind("| `data.path` | non-empty string | required |", 0), 0u);
  EXPECT_EQ(row_of("coupling.delta").rfind("| `coupling.delta` | number > 0 | `1.0` |", 0), 0u);
  EXPECT_EQ(row_of("coupling.solver").rfind("| `coupling.solver` | one of `sinkhorn`, `mm` |", 0),
            0u);
  EXPECT_NE(row_of("prediction.start_time").find("| `null` |"), std::string::npos);
}

TEST(JobDocs, KeyTableMatchesTheCode) {
  const std::filesystem::path doc = testing::source_dir() / "docs" / "job-file.md";
  std::ifstream file(doc);
  ASSERT_TRUE(file) << "cannot open " << doc;
  // The doc's table: the run of '|' lines starting at the generated header line.
  std::string documented;
  bool in_table = false;
  for (std::string line; std::getline(file, line);) {
    if (line == "| key | type | default | description |") in_table = true;
    if (in_table && line.rfind("|", 0) != 0) break;
    if (in_table) documented += line + "\n";
  }
  const std::string generated = job_keys_markdown();
  // EXPECT_TRUE rather than EXPECT_EQ: the message below already prints the table once.
  EXPECT_TRUE(documented == generated)
      << doc << " is out of date with the key registry. Regenerate its table: replace the table "
      << "under \"## Keys\" with the output of `mustfm-engine keys` (job_keys_markdown()), "
      << "which is:\n"
      << generated;
}

TEST(JobDocs, ExamplesInTheDocParse) {
  const std::filesystem::path doc = testing::source_dir() / "docs" / "job-file.md";
  std::ifstream file(doc);
  ASSERT_TRUE(file) << "cannot open " << doc;
  std::vector<std::string> blocks;
  bool in_block = false;
  for (std::string line; std::getline(file, line);) {
    if (line == "```json") {
      in_block = true;
      blocks.emplace_back();
    } else if (line == "```") {
      in_block = false;
    } else if (in_block) {
      blocks.back() += line + "\n";
    }
  }
  ASSERT_GE(blocks.size(), 2u);
  for (const std::string& block : blocks) EXPECT_NO_THROW(parse_job(block, "job.json")) << block;
}

}  // namespace
}  // namespace mustfm
