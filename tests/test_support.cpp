#include "test_support.h"

#include <cstdlib>
#include <fstream>
#include <random>

#include <spdlog/sinks/null_sink.h>

namespace mustfm::testing {

std::filesystem::path source_dir() {
  return MUSTFM_SOURCE_DIR;
}

std::filesystem::path shared_data_file(const std::string& relative) {
  return std::filesystem::path(MUSTFM_SHARED_DATA_DIR) / relative;
}

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

TempDir::TempDir() {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() /
          ("mustfm-test-" + std::to_string(device()) + std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
  std::filesystem::path file = path_ / name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

bool cuda_device_available() {
  return mustfm::cuda_device_count() > 0;
}

Context make_quiet_context(const std::string& device) {
  ContextOptions options;
  options.device = device;
  options.log_sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  return Context(options);
}

}  // namespace mustfm::testing
