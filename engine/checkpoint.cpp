#include "engine/checkpoint.h"

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/binary_record.h"
#include "io/job_parser.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

constexpr char kMagic[8] = {'M', 'U', 'S', 'T', 'F', 'M', 'C', 'K'};
// Magic, version, scalar bytes, total size.
constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr std::size_t kChecksumBytes = 8;
// Far more layers than any network has; a larger count means a corrupted field.
constexpr std::uint64_t kMaxLayerWidths = 1 << 16;

void put_scalars(BinaryWriter& out, const std::vector<double>& values, std::uint32_t bytes) {
  if (bytes == 8) {
    out.put_bytes(values.data(), values.size() * sizeof(double));
    return;
  }
  const std::vector<float> narrow(values.begin(), values.end());
  out.put_bytes(narrow.data(), narrow.size() * sizeof(float));
}

std::vector<double> get_scalars(BinaryReader& in,
                                std::uint64_t count,
                                std::uint32_t bytes,
                                const char* field) {
  in.expect_available(count, bytes, field);
  if (bytes == 8) {
    std::vector<double> values(count);
    in.get_bytes(values.data(), count * sizeof(double), field);
    return values;
  }
  std::vector<float> narrow(count);
  in.get_bytes(narrow.data(), count * sizeof(float), field);
  return std::vector<double>(narrow.begin(), narrow.end());
}

void put_network(BinaryWriter& out, const NetworkState& network, std::uint32_t bytes) {
  out.put<std::uint64_t>(network.widths.size());
  for (std::uint64_t width : network.widths) out.put<std::uint64_t>(width);
  out.put<double>(network.slope);
  out.put<std::int64_t>(network.adam_steps);
  const std::uint64_t count = network.parameters.size();
  MUSTFM_ASSERT(network.average.size() == count && network.adam_first.size() == count &&
                    network.adam_second.size() == count,
                "network state arrays differ in length");
  out.put<std::uint64_t>(count);
  for (const std::vector<double>* values :
       {&network.parameters, &network.average, &network.adam_first, &network.adam_second})
    put_scalars(out, *values, bytes);
}

NetworkState get_network(BinaryReader& in, std::uint32_t bytes, const std::string& name) {
  NetworkState network;
  const auto widths = in.get<std::uint64_t>("layer width count");
  if (widths < 2 || widths > kMaxLayerWidths)
    throw InputError("'" + in.origin() + "': the " + name + " network has " +
                     std::to_string(widths) + " layer widths; the file is corrupted");
  in.expect_available(widths, sizeof(std::uint64_t), "layer widths");
  for (std::uint64_t l = 0; l < widths; ++l)
    network.widths.push_back(in.get<std::uint64_t>("layer width"));
  network.slope = in.get<double>("LeakyReLU slope");
  network.adam_steps = in.get<std::int64_t>("Adam step count");
  const auto count = in.get<std::uint64_t>("parameter count");
  network.parameters = get_scalars(in, count, bytes, "parameters");
  network.average = get_scalars(in, count, bytes, "moving average");
  network.adam_first = get_scalars(in, count, bytes, "Adam first moment");
  network.adam_second = get_scalars(in, count, bytes, "Adam second moment");
  return network;
}

std::string quoted(const std::string& origin) {
  return "'" + origin + "'";
}

}  // namespace

std::string encode_checkpoint(const Checkpoint& checkpoint) {
  const TrainingState& state = checkpoint.state;
  MUSTFM_ASSERT(state.scalar_bytes == 4 || state.scalar_bytes == 8,
                "training state with " + std::to_string(state.scalar_bytes) + "-byte scalars");
  BinaryWriter out;
  out.put_bytes(kMagic, sizeof(kMagic));
  out.put<std::uint32_t>(kCheckpointVersion);
  out.put<std::uint32_t>(state.scalar_bytes);
  // The total size is patched in once the rest is known.
  const std::size_t size_offset = out.bytes().size();
  out.put<std::uint64_t>(0);

  out.put<std::uint64_t>(checkpoint.job_json.size());
  out.put_bytes(checkpoint.job_json.data(), checkpoint.job_json.size());
  out.put<std::uint64_t>(state.seed);
  out.put<std::int64_t>(state.steps_taken);
  put_network(out, state.velocity, state.scalar_bytes);
  put_network(out, state.growth, state.scalar_bytes);

  const std::uint64_t total = out.bytes().size() + kChecksumBytes;
  std::memcpy(out.bytes().data() + size_offset, &total, sizeof(total));
  out.put<std::uint64_t>(fnv1a_64(out.bytes()));
  return out.bytes();
}

Checkpoint decode_checkpoint(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < kHeaderBytes)
    throw InputError(quoted(origin) + " is truncated: " + std::to_string(bytes.size()) +
                     " bytes, a checkpoint header alone needs " + std::to_string(kHeaderBytes));
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    throw InputError(quoted(origin) +
                     " is not a mustfm training checkpoint (its first bytes are not MUSTFMCK)");

  BinaryReader in(bytes, origin);
  char magic[sizeof(kMagic)];
  in.get_bytes(magic, sizeof(magic), "magic");
  const auto version = in.get<std::uint32_t>("format version");
  if (version != kCheckpointVersion)
    throw InputError(quoted(origin) + " is checkpoint format version " + std::to_string(version) +
                     "; this build reads version " + std::to_string(kCheckpointVersion));
  const auto scalar_bytes = in.get<std::uint32_t>("scalar size");
  const auto total = in.get<std::uint64_t>("file size");
  if (total != bytes.size())
    throw InputError(quoted(origin) + (bytes.size() < total ? " is truncated" : " is corrupted") +
                     ": the header says " + std::to_string(total) + " bytes, the file holds " +
                     std::to_string(bytes.size()));
  if (bytes.size() < kHeaderBytes + kChecksumBytes)
    throw InputError(quoted(origin) + " is corrupted: too short to hold a checksum");

  const std::string_view body(bytes.data(), bytes.size() - kChecksumBytes);
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + body.size(), sizeof(stored));
  if (stored != fnv1a_64(body))
    throw InputError(quoted(origin) + " is corrupted: its checksum does not match its contents");
  if (scalar_bytes != 4 && scalar_bytes != 8)
    throw InputError(quoted(origin) + " stores " + std::to_string(scalar_bytes) +
                     "-byte scalars; checkpoints hold 4 (float) or 8 (double)");

  BinaryReader fields(body, origin);
  char header[kHeaderBytes];
  fields.get_bytes(header, sizeof(header), "header");
  Checkpoint checkpoint;
  TrainingState& state = checkpoint.state;
  state.scalar_bytes = scalar_bytes;
  const auto job_bytes = fields.get<std::uint64_t>("job length");
  fields.expect_available(job_bytes, 1, "resolved job");
  checkpoint.job_json.resize(job_bytes);
  fields.get_bytes(checkpoint.job_json.data(), job_bytes, "resolved job");
  if (!nlohmann::json::accept(checkpoint.job_json))
    throw InputError(quoted(origin) + " is corrupted: its resolved job is not valid JSON");
  state.seed = fields.get<std::uint64_t>("seed");
  state.steps_taken = fields.get<std::int64_t>("training step");
  state.velocity = get_network(fields, scalar_bytes, "velocity");
  state.growth = get_network(fields, scalar_bytes, "growth");
  if (fields.remaining() != 0)
    throw InputError(quoted(origin) + " is corrupted: " + std::to_string(fields.remaining()) +
                     " bytes follow the last network");
  return checkpoint;
}

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  const std::string bytes = encode_checkpoint(checkpoint);
  AtomicFileWriter writer(path);
  writer.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  writer.commit();
}

Checkpoint read_checkpoint(const std::filesystem::path& path) {
  return decode_checkpoint(read_file_bytes(path), path.string());
}

template <class Real>
void save_checkpoint(const std::filesystem::path& path,
                     const TrainingStep<Real>& step,
                     const Job& job) {
  Checkpoint checkpoint;
  checkpoint.job_json = job_to_json(job).dump();
  checkpoint.state = step.state();
  write_checkpoint(path, checkpoint);
}

template <class Real>
std::string load_checkpoint(const std::filesystem::path& path, TrainingStep<Real>& step) {
  Checkpoint checkpoint = read_checkpoint(path);
  step.restore(checkpoint.state, path.string());
  return std::move(checkpoint.job_json);
}

template void save_checkpoint<float>(const std::filesystem::path&,
                                     const TrainingStep<float>&,
                                     const Job&);
template void save_checkpoint<double>(const std::filesystem::path&,
                                      const TrainingStep<double>&,
                                      const Job&);
template std::string load_checkpoint<float>(const std::filesystem::path&, TrainingStep<float>&);
template std::string load_checkpoint<double>(const std::filesystem::path&, TrainingStep<double>&);

}  // namespace mustfm
