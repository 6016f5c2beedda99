// The mustfm-engine command end to end: exit statuses, what a run writes, and that bad input
// writes nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "io/atomic_file.h"
#include "io/table_reader.h"
#include "test_support.h"

namespace mustfm {
namespace {

int run_cli(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "mustfm-engine");
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  return cli::run_command_line(static_cast<int>(argv.size()), argv.data());
}

// Settings that keep a whole run to a fraction of a second: small networks, few steps.
const char* kQuickTraining = R"(
    "model": {"velocity_hidden": [16], "growth_hidden": [16]},
    "training": {"steps": 5, "batch_size": 16},
    "prediction": {"trajectory_particles": 2, "trajectory_points": 3},)";

// A small built-in benchmark job (4 cells per fine cluster) writing into `output`.
std::string small_builtin_job(const std::filesystem::path& output) {
  return R"({
    // comments are allowed
    "data": {"path": "builtin:multiscale-growth", "synthetic": {"cells_per_cluster": 4}},
    "coupling": {"delta": 5.0},)" +
         std::string(kQuickTraining) + R"(
    "backend": {"device": "cpu"},
    "output": {"dir": ")" +
         output.string() + R"(", "log_level": "warn"}
  })";
}

TEST(Cli, RunWritesTheRunFolder) {
  testing::TempDir dir;
  std::filesystem::path output = dir.path() / "run";
  auto job = dir.write("job.json", small_builtin_job(output));
  ASSERT_EQ(run_cli({"run", job.string()}), 0);

  for (const char* name :
       {"job.resolved.json", "mustfm.log", "data/snapshots.csv", "data/clusters.csv"})
    EXPECT_TRUE(std::filesystem::exists(output / name)) << name;
  std::ifstream resolved(output / "job.resolved.json");
  nlohmann::json json = nlohmann::json::parse(resolved);
  EXPECT_EQ(json["data"]["path"], "builtin:multiscale-growth");
  EXPECT_EQ(json["coupling"]["solver"], "sinkhorn");  // a default, filled in

  std::ifstream snapshots(output / "data/snapshots.csv");
  std::string header, first, second;
  std::getline(snapshots, header);
  std::getline(snapshots, first);
  std::getline(snapshots, second);
  EXPECT_EQ(header, "time,cells,mass");
  EXPECT_EQ(first, "0,108,108");
  // One fine cluster of 4 doubles (+4), one halves (-2).
  EXPECT_EQ(second, "1,110,110");
}

TEST(Cli, OutputOverrideWins) {
  testing::TempDir dir;
  auto job = dir.write("job.json", small_builtin_job(dir.path() / "unused"));
  std::filesystem::path output = dir.path() / "chosen";
  ASSERT_EQ(run_cli({"run", job.string(), "--output", output.string()}), 0);
  EXPECT_TRUE(std::filesystem::exists(output / "data/clusters.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "unused"));
}

TEST(Cli, SavedJobRerunsFromTheRunFolder) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "jobs");
  dir.write("jobs/cells.csv", "samples,x1,scale0\n0,1,a\n0,2,b\n1,3,a\n1,4,b\n");
  std::filesystem::path output = dir.path() / "run";
  auto job =
      dir.write("jobs/job.json", R"({"data": {"path": "cells.csv"},)" +
                                     std::string(kQuickTraining) + R"( "output": {"dir": ")" +
                                     output.string() + R"(", "log_level": "warn"}})");
  ASSERT_EQ(run_cli({"run", job.string()}), 0);
  std::ifstream resolved(output / "job.resolved.json");
  nlohmann::json json = nlohmann::json::parse(resolved);
  std::filesystem::path data_path = json["data"]["path"].get<std::string>();
  EXPECT_TRUE(data_path.is_absolute()) << data_path;
  EXPECT_EQ(run_cli({"validate", (output / "job.resolved.json").string()}), 0);
}

TEST(Cli, RerunsIntoItsOwnFolderButNotIntoOthers) {
  testing::TempDir dir;
  std::filesystem::path output = dir.path() / "run";
  // At log level info, so the resolved job is logged.
  std::string text = small_builtin_job(output);
  text.replace(text.find("\"warn\""), 6, "\"info\"");
  auto job = dir.write("job.json", text);
  ASSERT_EQ(run_cli({"run", job.string()}), 0);
  EXPECT_EQ(run_cli({"run", job.string()}), 0);

  // The log holds both runs, each from its resolved job on.
  std::ifstream log_file(output / "mustfm.log");
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  std::size_t first = log.find("resolved job");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find("resolved job", first + 1), std::string::npos) << log;

  auto other = dir.write("other.json", R"({"data": {"path": "builtin:multiscale",
      "synthetic": {"cells_per_cluster": 3}}, "coupling": {"delta": 5.0},)" +
                                           std::string(kQuickTraining) + R"( "output": {"dir": ")" +
                                           output.string() + R"("}})");
  EXPECT_EQ(run_cli({"run", other.string()}), 2);
  // validate refuses what run refuses.
  EXPECT_EQ(run_cli({"validate", other.string()}), 2);
  EXPECT_EQ(run_cli({"run", other.string(), "--force"}), 0);

  auto foreign = dir.path() / "foreign";
  std::filesystem::create_directories(foreign);
  dir.write("foreign/notes.txt", "precious");
  EXPECT_EQ(run_cli({"run", job.string(), "--output", foreign.string()}), 2);
  EXPECT_FALSE(std::filesystem::exists(foreign / "job.resolved.json"));
}

TEST(Cli, BadDataExitsTwoAndWritesNothing) {
  testing::TempDir dir;
  dir.write("cells.csv", "samples,x1,x2\n0,1,2\n0,nan,2\n1,3,4\n");
  std::filesystem::path output = dir.path() / "run";
  auto job = dir.write("job.json", R"({"data": {"path": "cells.csv"}, "output": {"dir": ")" +
                                       output.string() + R"("}})");
  EXPECT_EQ(run_cli({"run", job.string()}), 2);
  EXPECT_FALSE(std::filesystem::exists(output));
  EXPECT_EQ(run_cli({"validate", job.string()}), 2);
}

TEST(Cli, BadJobExitsTwo) {
  testing::TempDir dir;
  auto job = dir.write("job.json", R"({"data": {"path": "cells.csv"}, "coupling": {"detla": 1}})");
  EXPECT_EQ(run_cli({"validate", job.string()}), 2);
  EXPECT_EQ(run_cli({"validate", (dir.path() / "missing.json").string()}), 2);
  EXPECT_EQ(run_cli({"frobnicate"}), 2);
  EXPECT_EQ(run_cli({"run", job.string(), "--device", "tpu"}), 2);
}

TEST(Cli, ValidateAcceptsSharedData) {
  MUSTFM_REQUIRE_SHARED_DATA("gene_2d/simulation_gene_data_2d.csv");
  auto job = testing::source_dir() / "examples" / "gene_2d.json";
  EXPECT_EQ(run_cli({"validate", job.string(), "--device", "cpu"}), 0);
}

TEST(Cli, GenerateWritesTheBuiltinTable) {
  testing::TempDir dir;
  std::filesystem::path csv = dir.path() / "cells.csv";
  ASSERT_EQ(run_cli({"generate", csv.string(), "--cells-per-cluster", "3", "--seed", "5"}), 0);
  CellTable table = read_cell_table_csv(csv, TableColumns{});
  EXPECT_EQ(table.cell_count, 2u * 27u * 3u);
  EXPECT_EQ(table.dimension, 2u);
  EXPECT_EQ(table.level_names, (std::vector<std::string>{"scale0", "scale1"}));
  EXPECT_EQ(run_cli({"generate", csv.string(), "--seed", "-3"}), 2);

  // An existing file is kept unless --force; a missing folder is named, not a temporary file.
  const std::string before = read_file_bytes(csv);
  EXPECT_EQ(run_cli({"generate", csv.string(), "--cells-per-cluster", "2"}), 2);
  EXPECT_EQ(read_file_bytes(csv), before);
  EXPECT_EQ(run_cli({"generate", csv.string(), "--cells-per-cluster", "2", "--force"}), 0);
  EXPECT_NE(read_file_bytes(csv), before);
  EXPECT_EQ(run_cli({"generate", (dir.path() / "none" / "cells.csv").string()}), 2);
  EXPECT_EQ(run_cli({"generate", dir.path().string()}), 2);
}

TEST(Cli, MisspelledCommandsAndEmptyOrBlockedOutputFoldersExitTwo) {
  testing::TempDir dir;
  EXPECT_EQ(run_cli({"runn", "job.json"}), 2);
  const auto blocker = dir.write("afile", "not a folder");
  const auto job = dir.write("job.json", small_builtin_job(dir.path() / "run"));
  EXPECT_EQ(run_cli({"run", job.string(), "-o", ""}), 2);
  EXPECT_EQ(run_cli({"run", job.string(), "-o", (blocker / "run").string()}), 2);
  EXPECT_EQ(read_file_bytes(blocker), "not a folder");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run"));
}

TEST(Cli, ProcessExitStatusesAreDistinct) {
  testing::TempDir dir;
  std::string engine = MUSTFM_ENGINE_EXECUTABLE;
  std::string quiet = " >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system((engine + " info" + quiet).c_str())), 0);
  EXPECT_EQ(WEXITSTATUS(std::system(
                (engine + " validate " + (dir.path() / "none.json").string() + quiet).c_str())),
            2);
}

}  // namespace
}  // namespace mustfm
