// The `couple` command end to end: what it writes under couplings/ for a small built-in job.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "io/npy.h"
#include "test_support.h"

namespace mustfm {
namespace {

int run_cli(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "mustfm-engine");
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  return cli::run_command_line(static_cast<int>(argv.size()), argv.data());
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream file(path);
  return nlohmann::json::parse(file);
}

TEST(CliCouple, WritesTablesReportsAndTheCellPlan) {
  testing::TempDir dir;
  const std::filesystem::path output = dir.path() / "run";
  const auto job = dir.write("job.json", R"({
    "data": {"path": "builtin:multiscale-growth", "synthetic": {"cells_per_cluster": 4}},
    "coupling": {"delta": 5.0, "eps": 0.01},
    "backend": {"device": "cpu"},
    "output": {"dir": ")" + output.string() + R"(", "log_level": "warn"}
  })");
  ASSERT_EQ(run_cli({"couple", job.string()}), 0);

  const std::filesystem::path couplings = output / "couplings";
  for (const char* level : {"scale0", "scale1"}) {
    const std::string stem = std::string("interval_0_t0-1_") + level;
    std::ifstream csv(couplings / (stem + ".csv"));
    std::string header;
    std::getline(csv, header);
    EXPECT_EQ(header, "source,target,mass,row_fraction,column_fraction,mass_ratio") << level;
    const nlohmann::json report = read_json(couplings / (stem + ".json"));
    EXPECT_EQ(report["status"], "converged") << level;
    EXPECT_EQ(report["level"], level);
    EXPECT_DOUBLE_EQ(report["action"].get<double>(),
                     2.0 * 25.0 * report["objective"].get<double>());
  }
  // First row of the coarse table: cluster 0 to itself, most of its mass.
  std::ifstream coarse(couplings / "interval_0_t0-1_scale0.csv");
  std::string line;
  std::getline(coarse, line);
  std::getline(coarse, line);
  EXPECT_EQ(line.rfind("0,0,", 0), 0u) << line;

  const nlohmann::json cells = read_json(couplings / "interval_0_t0-1_cells.json");
  EXPECT_EQ(cells["status"], "converged");
  const auto mass = read_npy(couplings / cells["cell_plan"]["mass"].get<std::string>());
  const auto source = read_npy_int64(couplings / cells["cell_plan"]["source"].get<std::string>());
  ASSERT_EQ(mass.values.size(), source.values.size());
  double total = 0.0;
  for (double m : mass.values) total += m;
  // The NPY plan is the reported plan: its sum is the transported mass (summation order
  // differs, hence 1e-12 relative).
  EXPECT_NEAR(total, cells["transported_mass"].get<double>(), 1e-12 * total);
  for (std::int64_t cell : source.values) ASSERT_LT(cell, 108);

  const nlohmann::json summary = read_json(couplings / "interval_0_t0-1.json");
  EXPECT_EQ(summary["pairs"]["form"], "cell pairs");
  EXPECT_EQ(summary["levels"].size(), 3u);
}

}  // namespace
}  // namespace mustfm
