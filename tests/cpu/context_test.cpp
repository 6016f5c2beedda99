#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "engine/context.h"
#include "engine/progress.h"
#include "kernels/common/memory.h"

namespace mustfm {
namespace {

ContextOptions quiet_options(std::ostringstream& stream) {
  ContextOptions options;
  options.device = "cpu";
  options.log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream);
  return options;
}

TEST(Context, CpuBackendAndSeed) {
  std::ostringstream log;
  ContextOptions options = quiet_options(log);
  options.seed = 1234;
  Context context(options);
  EXPECT_EQ(context.backend(), Backend::cpu);
  EXPECT_EQ(context.seed(), 1234u);
  EXPECT_EQ(context.compute_space(), MemorySpace::host);
}

TEST(Context, RejectsUnknownDevice) {
  std::ostringstream log;
  ContextOptions options = quiet_options(log);
  options.device = "tpu";
  EXPECT_THROW(Context context(options), InputError);
}

TEST(Context, CudaRequestWithoutDeviceIsAnInputError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  std::ostringstream log;
  ContextOptions options = quiet_options(log);
  options.device = "cuda";
  EXPECT_THROW(Context context(options), InputError);
  options.device = "auto";
  Context fallback(options);
  EXPECT_EQ(fallback.backend(), Backend::cpu);
}

TEST(Context, LogSinkIsReplaceable) {
  std::ostringstream log;
  Context context(quiet_options(log));
  context.log().info("hello {}", 42);
  EXPECT_NE(log.str().find("hello 42"), std::string::npos);
}

TEST(Allocator, TracksBytesPerPurpose) {
  Allocator allocator;
  {
    Buffer<double> a(allocator, 100, MemorySpace::host, "centroids");
    Buffer<float> b(allocator, 10, MemorySpace::host, "weights");
    EXPECT_EQ(allocator.current_bytes(MemorySpace::host),
              100 * sizeof(double) + 10 * sizeof(float));
    Buffer<double> moved = std::move(a);
    EXPECT_EQ(a.data(), nullptr);
    EXPECT_EQ(moved.size(), 100u);
    EXPECT_EQ(allocator.usage().at("host:centroids").current_bytes, 100 * sizeof(double));
  }
  EXPECT_EQ(allocator.current_bytes(MemorySpace::host), 0u);
  EXPECT_EQ(allocator.usage().at("host:centroids").peak_bytes, 100 * sizeof(double));
}

TEST(Progress, PlainLinesWhenNotATerminal) {
  std::ostringstream log;
  Context context(quiet_options(log));
  {
    Progress progress(context.log(), "training", 10, /*interval_seconds=*/0.0);
    progress.set_interactive(false);
    for (int step = 1; step <= 10; ++step) progress.update(step, "loss 1.5");
  }
  EXPECT_NE(log.str().find("training 10/10 (100%)"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("training 10 done in"), std::string::npos) << log.str();
}

TEST(Progress, UnitsWithoutMeaningShowOnlyTheShare) {
  std::ostringstream log;
  Context context(quiet_options(log));
  Progress progress(context.log(), "prediction", 1000, /*interval_seconds=*/0.0);
  progress.set_interactive(false);
  progress.hide_rate();
  progress.update(137, "t 1.37 of 0 to 4");
  progress.finish();
  EXPECT_NE(log.str().find("prediction 14%, "), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("t 1.37 of 0 to 4"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("/1000"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("/s"), std::string::npos) << log.str();
}

TEST(Progress, ResumedWorkCountsFromWhereItStartedAndInterruptedWorkSaysSo) {
  std::ostringstream log;
  Context context(quiet_options(log));
  try {
    Progress progress(context.log(), "training step", 6, /*interval_seconds=*/0.0);
    progress.set_interactive(false);
    progress.set_done_before(4);
    progress.update(3);
    throw Interrupted("stop");
  } catch (const Interrupted&) {
  }
  EXPECT_NE(log.str().find("training step 7/10 (70%)"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("training step: stopped after "), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("done in"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace mustfm
