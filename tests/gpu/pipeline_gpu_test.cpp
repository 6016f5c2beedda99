// The whole job on the CUDA backend: training (captured as a CUDA graph), prediction with the
// networks on the device and evaluation, on the pure-translation problem of the CPU pipeline
// test, against the CPU backend's run of the same job.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/checkpoint.h"
#include "engine/job_runner.h"
#include "io/job_parser.h"
#include "io/npy.h"
#include "test_support.h"

namespace mustfm {
namespace {

std::string translation_csv() {
  std::string csv = "samples,x1,x2\n";
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) csv += fmt::format("{},{},{}\n", t, 0.5 * i + t, 0.5 * j);
  return csv;
}

Job translation_job(const std::filesystem::path& data,
                    const std::filesystem::path& output,
                    const std::string& device) {
  return parse_job(fmt::format(R"({{
    "seed": 3,
    "data": {{"path": "{}"}},
    "coupling": {{"delta": 5.0, "eps": 0.0001}},
    "model": {{"velocity_hidden": [32, 32], "growth_hidden": [32]}},
    "training": {{"steps": 400, "batch_size": 128, "learning_rate": 0.01, "ema_decay": 0.9}},
    "prediction": {{"trajectory_particles": 5, "trajectory_points": 11}},
    "backend": {{"device": "{}"}},
    "output": {{"dir": "{}", "log_level": "warn"}}
  }})",
                               data.string(), device, output.string()),
                   {});
}

nlohmann::json metrics_of(const std::filesystem::path& folder) {
  std::ifstream file(folder / "metrics.json");
  return nlohmann::json::parse(file);
}

TEST(PipelineGpu, CudaRunLearnsTheTranslationLikeTheCpuRun) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  testing::TempDir dir;
  const auto data = dir.write("cells.csv", translation_csv());
  for (const char* device : {"cpu", "cuda"}) {
    Context context = testing::make_quiet_context(device);
    run_job(context, translation_job(data, dir.path() / device, device));
  }
  const nlohmann::json cpu = metrics_of(dir.path() / "cpu")["snapshots"][0];
  const nlohmann::json cuda = metrics_of(dir.path() / "cuda")["snapshots"][0];
  // Both backends draw the same pairs; their float sums differ in order, so training paths
  // part slowly: both must learn the shift (W1 well under the grid spacing 0.5) and agree on
  // the mass within the training error.
  EXPECT_LT(cuda["w1"].get<double>(), 0.1);
  EXPECT_LT(cuda["rme"].get<double>(), 0.05);
  EXPECT_NEAR(cuda["predicted_mass"].get<double>(), cpu["predicted_mass"].get<double>(), 0.05);

  const auto velocity = read_npy_float32(dir.path() / "cuda" / "fields/snapshot_0_velocity.npy");
  ASSERT_EQ(velocity.values.size(), 72u);
  for (std::size_t i = 0; i < 36; ++i) {
    EXPECT_NEAR(velocity.values[2 * i], 1.0, 0.1) << "cell " << i;
    EXPECT_NEAR(velocity.values[2 * i + 1], 0.0, 0.1) << "cell " << i;
  }
  EXPECT_EQ(read_checkpoint(dir.path() / "cuda" / "checkpoint.bin").state.steps_taken, 400);
}

}  // namespace
}  // namespace mustfm
