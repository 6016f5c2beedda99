#include "io/json_fields.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>

namespace mustfm::detail {

UnknownKeyError::UnknownKeyError(std::string path, std::string suggestion)
    : InputError("unknown key \"" + path + "\"" +
                 (suggestion.empty() ? "" : "; did you mean \"" + suggestion + "\"?")),
      path_(std::move(path)),
      suggestion_(std::move(suggestion)) {}

std::string describe_json_value(const nlohmann::json& value) {
  // Long strings are cut so that a pasted blob does not flood the message.
  constexpr std::size_t kMaxShown = 40;
  switch (value.type()) {
    case nlohmann::json::value_t::string: {
      std::string text = value.get<std::string>();
      if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
      return "string " + nlohmann::json(text).dump();
    }
    case nlohmann::json::value_t::boolean:
      return "boolean " + value.dump();
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    default:
      return "number " + value.dump();
  }
}

void throw_wrong_type(const std::string& path,
                      const std::string& expected,
                      const nlohmann::json& value) {
  throw InputError(path + ": expected " + expected + ", got " + describe_json_value(value));
}

std::string format_number(double value) {
  return nlohmann::json(value).dump();
}

bool read_bool(const nlohmann::json& value, const std::string& path) {
  if (!value.is_boolean()) throw_wrong_type(path, "a boolean", value);
  return value.get<bool>();
}

double read_number(const nlohmann::json& value, const std::string& path) {
  if (!value.is_number()) throw_wrong_type(path, "a number", value);
  const double number = value.get<double>();
  // The JSON grammar has no infinity, but an overflowing literal such as 1e999 parses to one.
  if (!std::isfinite(number)) throw InputError(path + ": " + value.dump() + " is not finite");
  return number;
}

namespace {

// An integral JSON value in [lowest, highest], accepting integral floats such as 3.0 or 1e3.
// `expected` names the type in messages.
template <class Integer>
Integer read_integral(const nlohmann::json& value,
                      const std::string& path,
                      const std::string& expected) {
  constexpr Integer lowest = std::numeric_limits<Integer>::lowest();
  constexpr Integer highest = std::numeric_limits<Integer>::max();
  const auto out_of_range = [&] {
    return InputError(path + ": " + value.dump() + " is out of range for " + expected);
  };
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(highest)) throw out_of_range();
    return static_cast<Integer>(number);
  }
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (number < 0 && lowest == 0) throw_wrong_type(path, expected, value);
    if (number < static_cast<std::int64_t>(lowest) ||
        (number > 0 && static_cast<std::uint64_t>(number) > static_cast<std::uint64_t>(highest)))
      throw out_of_range();
    return static_cast<Integer>(number);
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number) || std::floor(number) != number)
      throw_wrong_type(path, expected, value);
    if (number < 0 && lowest == 0) throw_wrong_type(path, expected, value);
    // Beyond 2^53 a double no longer names one integer, so only exact ones are accepted.
    constexpr double kExactLimit = 9007199254740992.0;
    if (std::fabs(number) > kExactLimit || number < static_cast<double>(lowest) ||
        number > static_cast<double>(highest))
      throw out_of_range();
    return static_cast<Integer>(number);
  }
  throw_wrong_type(path, expected, value);
}

template <class Element, class Read>
std::vector<Element> read_list(const nlohmann::json& value,
                               const std::string& path,
                               const std::string& expected,
                               Read read) {
  if (!value.is_array()) throw_wrong_type(path, expected, value);
  std::vector<Element> list;
  list.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i)
    list.push_back(read(value[i], path + "[" + std::to_string(i) + "]"));
  return list;
}

}  // namespace

int read_int(const nlohmann::json& value, const std::string& path) {
  return read_integral<int>(value, path, "an integer");
}

std::uint64_t read_uint64(const nlohmann::json& value, const std::string& path) {
  return read_integral<std::uint64_t>(value, path, "a non-negative integer");
}

std::string read_string(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string()) throw_wrong_type(path, "a string", value);
  return value.get<std::string>();
}

std::vector<double> read_number_list(const nlohmann::json& value, const std::string& path) {
  return read_list<double>(value, path, "a list of numbers", read_number);
}

std::vector<int> read_int_list(const nlohmann::json& value, const std::string& path) {
  return read_list<int>(value, path, "a list of integers", read_int);
}

std::vector<std::string> read_string_list(const nlohmann::json& value, const std::string& path) {
  return read_list<std::string>(value, path, "a list of strings", read_string);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions, over three rows.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::string closest_match(std::string_view name, const std::vector<std::string>& candidates) {
  const auto lower = [](std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
  };
  // A short name tolerates one slip; longer names a few more, so "foo" never becomes "rho".
  const std::size_t allowed = name.size() <= 4 ? 1 : (name.size() <= 8 ? 2 : 3);
  const std::string wanted = lower(name);
  std::string best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(wanted, lower(candidate));
    if (distance < best_distance && distance < candidate.size()) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

namespace {

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// The names one level below `prefix` ("coupling" -> "delta", "rho", ...).
std::vector<std::string> child_names(const std::vector<std::string>& key_paths,
                                     const std::string& prefix) {
  const std::string start = prefix.empty() ? "" : prefix + ".";
  std::set<std::string> names;
  for (const std::string& key : key_paths) {
    if (key.compare(0, start.size(), start) != 0) continue;
    names.insert(key.substr(start.size(), key.find('.', start.size()) - start.size()));
  }
  return {names.begin(), names.end()};
}

// Whether some key lies strictly below `path`.
bool is_section(const std::vector<std::string>& key_paths, const std::string& path) {
  const std::string start = path + ".";
  return std::any_of(key_paths.begin(), key_paths.end(), [&](const std::string& key) {
    return key.compare(0, start.size(), start) == 0;
  });
}

// A suggestion for an unknown member `name` under `prefix`: the one key anywhere whose last part
// is exactly `name` (a setting written in the wrong section), else a close sibling.
std::string suggest_key(const std::vector<std::string>& key_paths,
                        const std::string& prefix,
                        const std::string& name) {
  std::vector<std::string> elsewhere;
  for (const std::string& key : key_paths) {
    const std::size_t dot = key.rfind('.');
    if (key.substr(dot == std::string::npos ? 0 : dot + 1) == name) elsewhere.push_back(key);
  }
  if (elsewhere.size() == 1) return elsewhere.front();
  const std::string sibling = closest_match(name, child_names(key_paths, prefix));
  return sibling.empty() ? "" : join_path(prefix, sibling);
}

void visit_section(const nlohmann::json& object,
                   const std::string& prefix,
                   const std::vector<std::string>& key_paths,
                   const std::function<void(std::size_t, const nlohmann::json&)>& visit) {
  for (const auto& [name, value] : object.items()) {
    const std::string path = join_path(prefix, name);
    const auto key = std::find(key_paths.begin(), key_paths.end(), path);
    if (key != key_paths.end()) {
      visit(static_cast<std::size_t>(key - key_paths.begin()), value);
    } else if (is_section(key_paths, path)) {
      if (!value.is_object()) throw_wrong_type(path, "an object", value);
      visit_section(value, path, key_paths, visit);
    } else {
      throw UnknownKeyError(path, suggest_key(key_paths, prefix, name));
    }
  }
}

}  // namespace

void visit_known_keys(const nlohmann::json& object,
                      const std::vector<std::string>& key_paths,
                      const std::function<void(std::size_t, const nlohmann::json&)>& visit) {
  MUSTFM_ASSERT(object.is_object(), "visit_known_keys needs an object");
  visit_section(object, "", key_paths, visit);
}

void expect_members(const nlohmann::json& object,
                    const std::string& path,
                    const std::vector<std::string>& names,
                    const std::vector<std::string>& required) {
  if (!object.is_object()) throw_wrong_type(path, "an object", object);
  for (const auto& [name, value] : object.items()) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    const std::string suggestion = closest_match(name, names);
    throw UnknownKeyError(path + "." + name, suggestion.empty() ? "" : path + "." + suggestion);
  }
  for (const std::string& name : required)
    if (!object.contains(name)) throw InputError(path + ": missing \"" + name + "\"");
}

}  // namespace mustfm::detail
