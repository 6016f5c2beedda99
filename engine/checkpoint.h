// Training checkpoints: one binary file, written atomically (io/atomic_file.h), from which
// training continues bit for bit as if it had never stopped (on the same backend and thread
// count). Layout, little-endian, every count and size in 64 bits:
//
//   magic "MUSTFMCK" (8 bytes), format version (u32), bytes per scalar (u32: 4 float, 8 double),
//   total file size in bytes (u64)
//   resolved job JSON: length (u64) then the text
//   seed (u64), training steps taken (i64)
//   per network, velocity then growth:
//     layer width count (u64) and widths (u64 each: inputs, hidden..., outputs)
//     LeakyReLU slope (f64), Adam step count (i64), parameter count n (u64)
//     parameters, moving average, Adam first moment, Adam second moment: n scalars each
//   FNV-1a 64 of every byte before it (u64)
//
// Reading checks, in order: the magic, the version, the size against the header (truncated or
// trailing bytes), the checksum, then every field's bounds and that the job text is JSON; each
// failure is an InputError that names the file and what is wrong. Whether the networks fit the job
// is checked when the state is restored into a TrainingStep.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/training_state.h"
#include "engine/training_step.h"

namespace mustfm {

inline constexpr std::uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  // The resolved job (io/job_parser.h job_to_json) the state was trained under.
  std::string job_json;
  TrainingState state;
};

// The checkpoint's bytes, and the inverse; `origin` names the source in messages.
std::string encode_checkpoint(const Checkpoint& checkpoint);
Checkpoint decode_checkpoint(const std::string& bytes, const std::string& origin);

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);
Checkpoint read_checkpoint(const std::filesystem::path& path);

// Writes `step`'s state with `job`'s resolved JSON to `path` (waits for queued work).
template <class Real>
void save_checkpoint(const std::filesystem::path& path,
                     const TrainingStep<Real>& step,
                     const Job& job);
// Reads `path` and restores it into `step`, which must have been built for the same networks
// and seed. Returns the checkpoint's resolved job JSON.
template <class Real>
std::string load_checkpoint(const std::filesystem::path& path, TrainingStep<Real>& step);

}  // namespace mustfm
