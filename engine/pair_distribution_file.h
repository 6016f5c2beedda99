// The training pairs of one interval on disk, so the `train` stage can start from what the
// `couple` stage wrote without solving again. One binary file per interval
// (couplings/interval_<k>_pairs.bin), written atomically, little-endian:
//
//   magic "MUSTFMPD" (8 bytes), format version (u32), lifted flag (u32)
//   source time, target time (f64), source and target cell counts (u64)
//   sampled, unsampled source, unsampled target mass (f64)
//   per array, in the order of PairDistribution's members but for `probability` (the steps of
//   `cumulative`, rebuilt on reading): element count (u64), then the values
//   FNV-1a 64 of every byte before it (u64)
//
// Reading checks the magic, version, checksum and that every array has the length its role
// implies; each failure is an InputError naming the file. Whether the cell counts match the data
// the run loaded is the caller's check (check_pairs_fit).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/pair_distribution.h"
#include "engine/snapshots.h"

namespace mustfm {

inline constexpr std::uint32_t kPairFileVersion = 1;

struct StoredPairs {
  double source_time = 0.0;
  double target_time = 0.0;
  std::uint64_t source_cells = 0;
  std::uint64_t target_cells = 0;
  PairDistribution pairs;
};

std::string encode_pairs(const StoredPairs& stored);
StoredPairs decode_pairs(const std::string& bytes, const std::string& origin);

void write_pairs(const std::filesystem::path& path, const StoredPairs& stored);
StoredPairs read_pairs(const std::filesystem::path& path);

// InputError naming `origin` unless the stored interval runs between these snapshots (same
// times and cell counts).
void check_pairs_fit(const StoredPairs& stored,
                     const Snapshot& source,
                     const Snapshot& target,
                     const std::string& origin);

}  // namespace mustfm
