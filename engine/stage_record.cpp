#include "engine/stage_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include "kernels/common/error.h"

namespace mustfm {
namespace {

std::string record_file(Stage stage) {
  return std::string("stages/") + stage_name(stage) + ".json";
}

}  // namespace

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::couple:
      return "couple";
    case Stage::train:
      return "train";
    case Stage::predict:
      return "predict";
    case Stage::evaluate:
      return "evaluate";
  }
  return "unknown";
}

Stage first_stage_reading(const std::vector<std::string>& keys) {
  const auto in_section = [](const std::string& key, const std::string& section) {
    return key == section || key.starts_with(section + ".");
  };
  Stage first = Stage::evaluate;
  for (const std::string& key : keys) {
    Stage reader = Stage::couple;
    if (key == "evaluation.leave_out")
      reader = Stage::couple;
    else if (in_section(key, "evaluation"))
      reader = Stage::evaluate;
    else if (in_section(key, "prediction"))
      reader = Stage::predict;
    else if (in_section(key, "training") || in_section(key, "model"))
      reader = Stage::train;
    first = std::min(first, reader);
  }
  return first;
}

std::optional<double> finished_stage_seconds(const RunFolder& folder, Stage stage) {
  std::ifstream in(folder.root() / record_file(stage));
  if (!in) return std::nullopt;
  const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
  // A record that does not parse was not written by a finished stage (records are written
  // atomically), so the stage counts as unfinished and runs again.
  if (record.is_discarded() || !record.contains("seconds") || !record["seconds"].is_number())
    return std::nullopt;
  return record["seconds"].get<double>();
}

void record_finished_stage(const RunFolder& folder, Stage stage, double seconds) {
  nlohmann::json record;
  record["stage"] = stage_name(stage);
  record["seconds"] = seconds;
  record["finished_unix_time"] = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  folder.write_text(record_file(stage), record.dump(2) + "\n");
}

void clear_stage(const RunFolder& folder, Stage stage) {
  std::vector<const char*> outputs;
  switch (stage) {
    case Stage::couple:
      outputs = {"couplings"};
      break;
    case Stage::train:
      outputs = {"checkpoint.bin", "training"};
      break;
    case Stage::predict:
      outputs = {"predictions", "fields"};
      break;
    case Stage::evaluate:
      outputs = {"metrics.json"};
      break;
  }
  // The record goes first: a clear that stops half way leaves an unfinished stage, never a
  // finished one with missing outputs.
  std::error_code error;
  std::filesystem::remove(folder.root() / record_file(stage), error);
  for (const char* name : outputs) {
    if (!error) std::filesystem::remove_all(folder.root() / name, error);
  }
  if (error)
    throw RuntimeFailure("cannot clear the " + std::string(stage_name(stage)) +
                         " stage's files in " + folder.root().string() + ": " + error.message());
}

}  // namespace mustfm
