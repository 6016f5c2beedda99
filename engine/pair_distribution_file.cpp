#include "engine/pair_distribution_file.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "io/atomic_file.h"
#include "io/binary_record.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

constexpr char kMagic[8] = {'M', 'U', 'S', 'T', 'F', 'M', 'P', 'D'};
constexpr std::size_t kChecksumBytes = 8;

template <class T>
void put_array(BinaryWriter& out, const std::vector<T>& values) {
  out.put<std::uint64_t>(values.size());
  out.put_bytes(values.data(), values.size() * sizeof(T));
}

template <class T>
std::vector<T> get_array(BinaryReader& in, const char* field) {
  const auto count = in.get<std::uint64_t>(field);
  in.expect_available(count, sizeof(T), field);
  std::vector<T> values(count);
  in.get_bytes(values.data(), count * sizeof(T), field);
  return values;
}

std::string quoted(const std::string& origin) {
  return "'" + origin + "'";
}

void expect_length(std::size_t actual,
                   std::size_t expected,
                   const char* field,
                   const std::string& origin) {
  if (actual != expected)
    throw InputError(quoted(origin) + " is corrupted: " + field + " holds " +
                     std::to_string(actual) + " values where " + std::to_string(expected) +
                     " belong");
}

}  // namespace

std::string encode_pairs(const StoredPairs& stored) {
  const PairDistribution& p = stored.pairs;
  BinaryWriter out;
  out.put_bytes(kMagic, sizeof(kMagic));
  out.put<std::uint32_t>(kPairFileVersion);
  out.put<std::uint32_t>(p.lifted ? 1u : 0u);
  out.put<double>(stored.source_time);
  out.put<double>(stored.target_time);
  out.put<std::uint64_t>(stored.source_cells);
  out.put<std::uint64_t>(stored.target_cells);
  out.put<double>(p.sampled_source_mass);
  out.put<double>(p.unsampled_source_mass);
  out.put<double>(p.unsampled_target_mass);
  put_array(out, p.source);
  put_array(out, p.target);
  put_array(out, p.cumulative);
  put_array(out, p.mass_ratio);
  put_array(out, p.source_offsets);
  put_array(out, p.target_offsets);
  put_array(out, p.source_within);
  put_array(out, p.target_within);
  put_array(out, p.source_order);
  put_array(out, p.target_order);
  out.put<std::uint64_t>(fnv1a_64(out.bytes()));
  return out.bytes();
}

StoredPairs decode_pairs(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < sizeof(kMagic) + kChecksumBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    throw InputError(quoted(origin) + " is not a mustfm pair-distribution file");
  const std::string_view body(bytes.data(), bytes.size() - kChecksumBytes);
  std::uint64_t stored_sum = 0;
  std::memcpy(&stored_sum, bytes.data() + body.size(), sizeof(stored_sum));
  if (stored_sum != fnv1a_64(body))
    throw InputError(quoted(origin) +
                     " is corrupted or truncated: its checksum does not match its contents");

  BinaryReader in(body, origin);
  char magic[sizeof(kMagic)];
  in.get_bytes(magic, sizeof(magic), "magic");
  const auto version = in.get<std::uint32_t>("format version");
  if (version != kPairFileVersion)
    throw InputError(quoted(origin) + " is pair-file format version " + std::to_string(version) +
                     "; this build reads version " + std::to_string(kPairFileVersion));
  StoredPairs stored;
  PairDistribution& p = stored.pairs;
  p.lifted = in.get<std::uint32_t>("lifted flag") != 0;
  stored.source_time = in.get<double>("source time");
  stored.target_time = in.get<double>("target time");
  stored.source_cells = in.get<std::uint64_t>("source cell count");
  stored.target_cells = in.get<std::uint64_t>("target cell count");
  p.sampled_source_mass = in.get<double>("sampled source mass");
  p.unsampled_source_mass = in.get<double>("unsampled source mass");
  p.unsampled_target_mass = in.get<double>("unsampled target mass");
  p.source = get_array<std::int32_t>(in, "source entries");
  p.target = get_array<std::int32_t>(in, "target entries");
  p.cumulative = get_array<double>(in, "cumulative probabilities");
  p.mass_ratio = get_array<double>(in, "mass ratios");
  p.source_offsets = get_array<std::int64_t>(in, "source cluster offsets");
  p.target_offsets = get_array<std::int64_t>(in, "target cluster offsets");
  p.source_within = get_array<double>(in, "source within-cluster sums");
  p.target_within = get_array<double>(in, "target within-cluster sums");
  p.source_order = get_array<std::int64_t>(in, "source order");
  p.target_order = get_array<std::int64_t>(in, "target order");
  if (in.remaining() != 0)
    throw InputError(quoted(origin) + " is corrupted: " + std::to_string(in.remaining()) +
                     " bytes follow the last array");
  // The probabilities are the running sums' steps; only the sums are stored.
  p.probability.resize(p.cumulative.size());
  for (std::size_t k = 0; k < p.cumulative.size(); ++k)
    p.probability[k] = p.cumulative[k] - (k > 0 ? p.cumulative[k - 1] : 0.0);

  const std::size_t n = p.cumulative.size();
  expect_length(p.source.size(), n, "source entries", origin);
  expect_length(p.target.size(), n, "target entries", origin);
  expect_length(p.mass_ratio.size(), n, "mass ratios", origin);
  expect_length(p.source_order.size(), stored.source_cells, "source order", origin);
  expect_length(p.target_order.size(), stored.target_cells, "target order", origin);
  if (p.lifted) {
    expect_length(p.source_within.size(), stored.source_cells, "source within-cluster sums",
                  origin);
    expect_length(p.target_within.size(), stored.target_cells, "target within-cluster sums",
                  origin);
  }
  return stored;
}

void write_pairs(const std::filesystem::path& path, const StoredPairs& stored) {
  const std::string bytes = encode_pairs(stored);
  AtomicFileWriter writer(path);
  writer.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  writer.commit();
}

StoredPairs read_pairs(const std::filesystem::path& path) {
  return decode_pairs(read_file_bytes(path), path.string());
}

void check_pairs_fit(const StoredPairs& stored,
                     const Snapshot& source,
                     const Snapshot& target,
                     const std::string& origin) {
  if (stored.source_time != source.time || stored.target_time != target.time ||
      stored.source_cells != source.cell_count || stored.target_cells != target.cell_count)
    throw InputError(
        quoted(origin) + " holds the interval t " + std::to_string(stored.source_time) + " -> " +
        std::to_string(stored.target_time) + " (" + std::to_string(stored.source_cells) + " -> " +
        std::to_string(stored.target_cells) + " cells), but the data has t " +
        std::to_string(source.time) + " -> " + std::to_string(target.time) + " (" +
        std::to_string(source.cell_count) + " -> " + std::to_string(target.cell_count) +
        " cells); rerun the couple stage with --force");
}

}  // namespace mustfm
