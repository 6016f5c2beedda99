// Generic machinery for reading typed settings out of JSON with messages that name the JSON path
// of the offending value ("training.steps: expected an integer, got string \"abc\""): typed readers
// and unknown-key detection with spelling suggestions. Text parsing is in io/json_text.h.
// Nothing here knows the job's keys; io/job_keys.h holds those.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/common/error.h"

namespace mustfm::detail {

// A key that no setting has. `suggestion` is the closest known path, or empty when none is close.
class UnknownKeyError : public InputError {
 public:
  UnknownKeyError(std::string path, std::string suggestion);
  const std::string& path() const { return path_; }
  const std::string& suggestion() const { return suggestion_; }

 private:
  std::string path_;
  std::string suggestion_;
};

// "string \"abc\"", "number 3.5", "boolean true", "null", "an object", "an array".
std::string describe_json_value(const nlohmann::json& value);
// Throws InputError "<path>: expected <expected>, got <describe_json_value(value)>".
[[noreturn]] void throw_wrong_type(const std::string& path,
                                   const std::string& expected,
                                   const nlohmann::json& value);
// The shortest text that reads back as the same double ("0.001", "1e-08", "3.0").
std::string format_number(double value);

bool read_bool(const nlohmann::json& value, const std::string& path);
// Any finite JSON number.
double read_number(const nlohmann::json& value, const std::string& path);
// An integral JSON number (3 or 3.0, not 3.5) that fits the type.
int read_int(const nlohmann::json& value, const std::string& path);
std::uint64_t read_uint64(const nlohmann::json& value, const std::string& path);
std::string read_string(const nlohmann::json& value, const std::string& path);
std::vector<double> read_number_list(const nlohmann::json& value, const std::string& path);
std::vector<int> read_int_list(const nlohmann::json& value, const std::string& path);
std::vector<std::string> read_string_list(const nlohmann::json& value, const std::string& path);

// Edit distance counting an adjacent transposition as one edit ("detla" -> "delta" is 1).
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `name` when it is close enough to be a likely misspelling, else "".
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);

// Walks `object` against a set of dotted key paths ("coupling.delta"): an object member whose path
// is a key is handed to `visit` with the key's index; one whose path is a prefix of keys (a
// section) must be an object and is walked in turn; anything else throws UnknownKeyError.
void visit_known_keys(const nlohmann::json& object,
                      const std::vector<std::string>& key_paths,
                      const std::function<void(std::size_t, const nlohmann::json&)>& visit);

// For objects inside lists ({"time": 1, "size": 300}): every member of `object` (found at `path`)
// must be one of `names`, and every name in `required` must be present.
void expect_members(const nlohmann::json& object,
                    const std::string& path,
                    const std::vector<std::string>& names,
                    const std::vector<std::string>& required);

}  // namespace mustfm::detail
