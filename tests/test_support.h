// Helpers shared by the test suites: where test inputs live, temporary folders, and the skip
// rule for GPU tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/context.h"
#include "kernels/common/backend.h"
#include "kernels/common/error.h"

namespace mustfm::testing {

std::filesystem::path source_dir();
// A file of the shared benchmark data (../shared/data relative to the repository).
std::filesystem::path shared_data_file(const std::string& relative);
bool running_under_ci();

// A fresh empty folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to `name` inside the folder and returns the full path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

bool cuda_device_available();

// A context on `device` whose log messages are dropped.
Context make_quiet_context(const std::string& device);

// Passes when `action` throws an InputError whose message contains every piece.
template <class Action>
::testing::AssertionResult throws_input_error(Action&& action,
                                              std::initializer_list<std::string_view> pieces) {
  try {
    action();
  } catch (const InputError& error) {
    const std::string message = error.what();
    for (std::string_view piece : pieces)
      if (message.find(piece) == std::string::npos)
        return ::testing::AssertionFailure() << "message lacks \"" << piece << "\": " << message;
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no InputError was thrown";
}

}  // namespace mustfm::testing

// Skips a GPU test with a message when no CUDA device can be used.
#define MUSTFM_SKIP_WITHOUT_CUDA()                                           \
  do {                                                                       \
    if (!::mustfm::testing::cuda_device_available())                         \
      GTEST_SKIP() << "no CUDA device: " << ::mustfm::cuda_device_summary(); \
  } while (0)

// Skips the test when a shared dataset is absent (a clone without ../shared); fails under CI,
// where the data is always laid out.
#define MUSTFM_REQUIRE_SHARED_DATA(relative)                                         \
  do {                                                                               \
    if (!std::filesystem::exists(::mustfm::testing::shared_data_file(relative))) {   \
      if (::mustfm::testing::running_under_ci()) FAIL() << "missing " << (relative); \
      GTEST_SKIP() << "shared dataset not present: " << (relative);                  \
    }                                                                                \
  } while (0)
