// Training checkpoints: resuming from one continues bit for bit like an uninterrupted run, and
// damaged files or checkpoints of other networks stop with an InputError that says what is wrong.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/training_step.h"
#include "io/atomic_file.h"
#include "io/job_parser.h"
#include "test_support.h"
#include "training_problem.h"

namespace mustfm {
namespace {

using testing::shifted_grid_data;
using testing::throws_input_error;
using testing::training_job;

constexpr std::size_t kIntervals = 2;
constexpr std::size_t kSide = 4;
constexpr std::size_t kDim = 2;

Job resume_job() {
  // The schedule runs over exactly the steps trained, so every step has its own rate.
  return training_job({16, 16}, {16}, 32, 8);
}

template <class Real = float>
std::unique_ptr<TrainingStep<Real>> make_step(Allocator& allocator,
                                              const Job& job,
                                              std::size_t dimension = kDim) {
  return std::make_unique<TrainingStep<Real>>(
      Exec{}, allocator, job, shifted_grid_data(allocator, kIntervals, kSide, dimension));
}

// Bit patterns, so -0 and 0 or two NaNs are not taken as equal or unequal by accident.
bool bit_identical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void expect_same_network(const NetworkState& a, const NetworkState& b, const char* name) {
  EXPECT_EQ(a.widths, b.widths) << name;
  EXPECT_EQ(a.adam_steps, b.adam_steps) << name;
  EXPECT_TRUE(bit_identical(a.parameters, b.parameters)) << name << " parameters";
  EXPECT_TRUE(bit_identical(a.average, b.average)) << name << " moving average";
  EXPECT_TRUE(bit_identical(a.adam_first, b.adam_first)) << name << " Adam m";
  EXPECT_TRUE(bit_identical(a.adam_second, b.adam_second)) << name << " Adam v";
}

TEST(Checkpoint, ResumedTrainingIsBitIdenticalToAStraightRun) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "step3.ckpt";
  const Job job = resume_job();
  constexpr int kTotal = 8, kFirst = 3;

  Allocator straight_allocator;
  auto straight = make_step(straight_allocator, job);
  std::vector<double> straight_losses;
  for (int i = 0; i < kTotal; ++i) straight_losses.push_back(straight->step().total());

  {
    Allocator allocator;
    auto first = make_step(allocator, job);
    for (int i = 0; i < kFirst; ++i) first->step();
    save_checkpoint(path, *first, job);
  }

  Allocator allocator;
  auto resumed = make_step(allocator, job);
  const std::string job_json = load_checkpoint(path, *resumed);
  EXPECT_EQ(resumed->steps_taken(), kFirst);
  for (int i = kFirst; i < kTotal; ++i)
    EXPECT_EQ(resumed->step().total(), straight_losses[i]) << "step " << i;

  const TrainingState a = straight->state();
  const TrainingState b = resumed->state();
  EXPECT_EQ(a.steps_taken, b.steps_taken);
  expect_same_network(a.velocity, b.velocity, "velocity");
  expect_same_network(a.growth, b.growth, "growth");

  // The checkpoint carries the resolved job it was trained under.
  const Job echoed = parse_job(job_json, {});
  EXPECT_EQ(echoed.seed, job.seed);
  EXPECT_EQ(echoed.model.velocity_hidden, job.model.velocity_hidden);
  EXPECT_EQ(echoed.training.batch_size, job.training.batch_size);
}

TEST(Checkpoint, EncodingRoundTripsEveryField) {
  Allocator allocator;
  const Job job = resume_job();
  auto step = make_step<double>(allocator, job);
  step->step();
  step->step();
  Checkpoint original{job_to_json(job).dump(), step->state()};

  const Checkpoint decoded = decode_checkpoint(encode_checkpoint(original), "memory");
  EXPECT_EQ(decoded.job_json, original.job_json);
  EXPECT_EQ(decoded.state.scalar_bytes, 8u);
  EXPECT_EQ(decoded.state.seed, original.state.seed);
  EXPECT_EQ(decoded.state.steps_taken, 2);
  expect_same_network(decoded.state.velocity, original.state.velocity, "velocity");
  expect_same_network(decoded.state.growth, original.state.growth, "growth");
  EXPECT_EQ(decoded.state.velocity.slope, 0.01);
}

// A saved checkpoint's bytes, for the damage tests.
std::string saved_bytes(const std::filesystem::path& path) {
  Allocator allocator;
  const Job job = resume_job();
  auto step = make_step(allocator, job);
  step->step();
  save_checkpoint(path, *step, job);
  return read_file_bytes(path);
}

void expect_load_error(const std::filesystem::path& path,
                       const std::string& bytes,
                       std::initializer_list<std::string_view> pieces) {
  write_text_file_atomic(path, bytes);
  Allocator allocator;
  auto step = make_step(allocator, resume_job());
  const TrainingState before = step->state();
  EXPECT_TRUE(throws_input_error([&] { load_checkpoint(path, *step); }, pieces));
  // A rejected file leaves the training step as it was.
  expect_same_network(step->state().velocity, before.velocity, "velocity");
}

TEST(Checkpoint, TruncatedFilesAreNamedAsTruncated) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "cut.ckpt";
  const std::string bytes = saved_bytes(path);
  const std::string name = path.string();
  for (std::size_t length : {std::size_t{0}, std::size_t{11}, std::size_t{24}, std::size_t{100},
                             bytes.size() / 2, bytes.size() - 1})
    expect_load_error(path, bytes.substr(0, length), {name, "truncated"});
}

TEST(Checkpoint, ChangedBytesFailTheChecksum) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "flipped.ckpt";
  const std::string bytes = saved_bytes(path);
  // A byte of the job text, one in the middle (parameters), and one of the checksum itself.
  for (std::size_t at : {std::size_t{40}, bytes.size() / 2, bytes.size() - 3}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    expect_load_error(path, damaged, {path.string(), "corrupted", "checksum"});
  }
  std::string longer = bytes + "extra";
  expect_load_error(path, longer, {path.string(), "corrupted", "the header says"});
}

TEST(Checkpoint, ForeignFilesAndOtherVersionsAreRejected) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "other.ckpt";
  std::string bytes = saved_bytes(path);

  std::string foreign = bytes;
  foreign.replace(0, 8, "PK\x03\x04zip!");
  expect_load_error(path, foreign, {path.string(), "not a mustfm training checkpoint"});

  std::string newer = bytes;
  const std::uint32_t version = 7;
  std::memcpy(newer.data() + 8, &version, sizeof(version));
  expect_load_error(path, newer, {path.string(), "format version 7", "reads version 1"});
}

TEST(Checkpoint, NetworksThatDoNotFitTheJobAreRejected) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "shapes.ckpt";
  const Job job = resume_job();
  {
    Allocator allocator;
    save_checkpoint(path, *make_step(allocator, job), job);
  }

  Allocator allocator;
  Job narrower = job;
  narrower.model.velocity_hidden = {16, 8};
  EXPECT_TRUE(throws_input_error(
      [&] { load_checkpoint(path, *make_step(allocator, narrower)); },
      {path.string(), "velocity network", "3 -> [16, 16] -> 2", "3 -> [16, 8] -> 2"}));

  Job deeper = job;
  deeper.model.growth_hidden = {16, 16};
  EXPECT_TRUE(throws_input_error([&] { load_checkpoint(path, *make_step(allocator, deeper)); },
                                 {"growth network", "3 -> [16] -> 1", "3 -> [16, 16] -> 1"}));

  EXPECT_TRUE(throws_input_error([&] { load_checkpoint(path, *make_step(allocator, job, 3)); },
                                 {"velocity network", "3 -> [16, 16] -> 2", "4 -> [16, 16] -> 3"}));

  Job sloped = job;
  sloped.model.leaky_relu_slope = 0.2;
  EXPECT_TRUE(throws_input_error([&] { load_checkpoint(path, *make_step(allocator, sloped)); },
                                 {"LeakyReLU slope"}));

  Job reseeded = job;
  reseeded.seed = job.seed + 1;
  EXPECT_TRUE(throws_input_error([&] { load_checkpoint(path, *make_step(allocator, reseeded)); },
                                 {"seed"}));

  EXPECT_TRUE(throws_input_error([&] { load_checkpoint(path, *make_step<double>(allocator, job)); },
                                 {"holds float values", "runs in double"}));

  // Consistent bytes can still hold an inconsistent state (written by another program, say).
  auto step = make_step(allocator, job);
  TrainingState crafted = step->state();
  crafted.growth.adam_steps = 4;
  EXPECT_TRUE(throws_input_error([&] { step->restore(crafted, "crafted"); },
                                 {"crafted", "Adam step count of 4", "exceeds the 0"}));
  crafted = step->state();
  crafted.velocity.average.pop_back();
  EXPECT_TRUE(throws_input_error([&] { step->restore(crafted, "crafted"); },
                                 {"velocity network's moving average hold"}));
}

}  // namespace
}  // namespace mustfm
