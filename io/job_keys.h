// The registry of every job-file key: its JSON path, documented type, description, allowed values,
// and how to read (with validation) and write it. Parsing, echoing the resolved job and the
// generated key reference (docs/job-file.md) all walk this one table, so they cannot disagree.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/job.h"

namespace mustfm::detail {

struct JobKey {
  // Dotted JSON path, equal to the member path in Job ("coupling.delta").
  std::string path;
  // As documented: "number", "integer", "string", "list of numbers", ...
  std::string type;
  std::string description;
  // For enum-like strings, the accepted values; empty otherwise.
  std::vector<std::string> choices;
  bool required = false;
  // Validates `value` (throwing InputError that names the path) and stores it into the job.
  std::function<void(const nlohmann::json& value, Job& job)> read;
  std::function<nlohmann::json(const Job& job)> write;
};

// Every key, in documentation order.
const std::vector<JobKey>& job_keys();

// Rules that tie several keys together (coupling.eps_start >= coupling.eps, ...); throws
// InputError naming the keys and values.
void check_job_consistency(const Job& job);

}  // namespace mustfm::detail
