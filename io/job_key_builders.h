// Builders for the entries of the job-key registry (io/job_keys.cpp), one per kind of setting.
// Each takes the key's path and an accessor `[](auto& job) -> auto& { return job.<member>; }` that
// works on both Job and const Job, so one expression serves reading and writing.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "io/job_keys.h"
#include "io/json_fields.h"

namespace mustfm::detail {

// A bound on a numeric setting, with the text that documents it and appears in messages.
struct Rule {
  bool (*ok)(double);
  const char* text;
};
inline constexpr Rule kAny{[](double) { return true; }, ""};
inline constexpr Rule kPositive{[](double v) { return v > 0; }, "> 0"};
inline constexpr Rule kNonNegative{[](double v) { return v >= 0; }, ">= 0"};
inline constexpr Rule kAtLeastOne{[](double v) { return v >= 1; }, ">= 1"};
inline constexpr Rule kAtLeastTwo{[](double v) { return v >= 2; }, ">= 2"};
inline constexpr Rule kOpenUnit{[](double v) { return v > 0 && v < 1; }, "in (0, 1)"};
inline constexpr Rule kHalfOpenUnit{[](double v) { return v >= 0 && v < 1; }, "in [0, 1)"};

// Throws InputError "<path> must be <rule>, got <value>" unless the rule holds.
void check(const Rule& rule, const std::string& path, double value);
// "integer" with kAtLeastOne -> "integer >= 1".
std::string with_rule(const std::string& type, const Rule& rule);

template <class Access>
JobKey number_key(const char* path, Access access, Rule rule, std::string description) {
  return {path,
          with_rule("number", rule),
          std::move(description),
          {},
          false,
          [path, access, rule](const nlohmann::json& value, Job& job) {
            const double number = read_number(value, path);
            check(rule, path, number);
            access(job) = number;
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

template <class Access>
JobKey integer_key(const char* path, Access access, Rule rule, std::string description) {
  return {path,
          with_rule("integer", rule),
          std::move(description),
          {},
          false,
          [path, access, rule](const nlohmann::json& value, Job& job) {
            const int number = read_int(value, path);
            check(rule, path, number);
            access(job) = number;
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

template <class Access>
JobKey seed_key(const char* path, Access access, std::string description) {
  return {path,
          "integer >= 0",
          std::move(description),
          {},
          false,
          [path, access](const nlohmann::json& value, Job& job) {
            access(job) = read_uint64(value, path);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

template <class Access>
JobKey bool_key(const char* path, Access access, std::string description) {
  return {path,
          "boolean",
          std::move(description),
          {},
          false,
          [path, access](const nlohmann::json& value, Job& job) {
            access(job) = read_bool(value, path);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

enum class Empty { allowed, rejected };

template <class Access>
JobKey string_key(const char* path, Access access, Empty empty, std::string description) {
  return {path,
          empty == Empty::allowed ? "string" : "non-empty string",
          std::move(description),
          {},
          false,
          [path, access, empty](const nlohmann::json& value, Job& job) {
            std::string text = read_string(value, path);
            if (empty == Empty::rejected && text.empty())
              throw InputError(std::string(path) + " must not be empty");
            access(job) = std::move(text);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

template <class Access>
JobKey choice_key(const char* path,
                  Access access,
                  std::vector<std::string> choices,
                  std::string description) {
  return {path,
          "string",
          std::move(description),
          choices,
          false,
          [path, access, choices](const nlohmann::json& value, Job& job) {
            std::string text = read_string(value, path);
            if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
              std::string message = std::string(path) + " must be one of";
              for (const std::string& choice : choices) message += " \"" + choice + "\"";
              message += ", got \"" + text + "\"";
              const std::string suggestion = closest_match(text, choices);
              if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
              throw InputError(message);
            }
            access(job) = std::move(text);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

// JSON null stands for NaN ("not set"), since JSON has no NaN.
template <class Access>
JobKey optional_number_key(const char* path, Access access, std::string description) {
  return {path,
          "number or null",
          std::move(description),
          {},
          false,
          [path, access](const nlohmann::json& value, Job& job) {
            access(job) = value.is_null() ? std::numeric_limits<double>::quiet_NaN()
                                          : read_number(value, path);
          },
          [access](const Job& job) {
            const double number = access(job);
            return std::isnan(number) ? nlohmann::json(nullptr) : nlohmann::json(number);
          }};
}

template <class Access>
JobKey number_list_key(const char* path, Access access, std::string description) {
  return {path,
          "list of numbers",
          std::move(description),
          {},
          false,
          [path, access](const nlohmann::json& value, Job& job) {
            access(job) = read_number_list(value, path);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

// Network layer widths: at least one layer, each at least 1 wide.
template <class Access>
JobKey widths_key(const char* path, Access access, std::string description) {
  return {path,
          "non-empty list of integers >= 1",
          std::move(description),
          {},
          false,
          [path, access](const nlohmann::json& value, Job& job) {
            std::vector<int> widths = read_int_list(value, path);
            if (widths.empty()) throw InputError(std::string(path) + " needs at least one layer");
            for (std::size_t i = 0; i < widths.size(); ++i)
              check(kAtLeastOne, std::string(path) + "[" + std::to_string(i) + "]", widths[i]);
            access(job) = std::move(widths);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

// Column names: a name listed twice would make two settings read the same column.
template <class Access>
JobKey columns_key(const char* path, Access access, std::string description) {
  return {path,
          "list of strings",
          std::move(description),
          {},
          false,
          [path, access](const nlohmann::json& value, Job& job) {
            std::vector<std::string> names = read_string_list(value, path);
            std::set<std::string> seen;
            for (const std::string& name : names)
              if (!seen.insert(name).second)
                throw InputError(std::string(path) + " lists \"" + name + "\" twice");
            access(job) = std::move(names);
          },
          [access](const Job& job) { return nlohmann::json(access(job)); }};
}

JobKey prior_pairs_key(std::string description);
JobKey population_sizes_key(std::string description);

}  // namespace mustfm::detail
