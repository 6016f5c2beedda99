#include "engine/job_data_checks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "kernels/common/error.h"

namespace mustfm {

namespace {

std::string snapshot_times(const Dataset& dataset) {
  std::vector<std::string> times;
  for (const Snapshot& snapshot : dataset.snapshots)
    times.push_back(fmt::format("{}", snapshot.time));
  return fmt::format("{}", fmt::join(times, ", "));
}

bool is_snapshot_time(const Dataset& dataset, double time) {
  return std::any_of(dataset.snapshots.begin(), dataset.snapshots.end(),
                     [time](const Snapshot& snapshot) { return snapshot.time == time; });
}

void check_masses(const Dataset& dataset) {
  for (const Snapshot& snapshot : dataset.snapshots)
    MUSTFM_EXPECTS(snapshot.total_mass() > 0.0,
                   fmt::format("{}: the snapshot at time {} has total weight 0, so it has no "
                               "population to transport",
                               dataset.source, snapshot.time));
}

void check_times(const Job& job, const Dataset& dataset) {
  double start = dataset.snapshots.front().time;
  if (!std::isnan(job.prediction.start_time)) {
    start = job.prediction.start_time;
    MUSTFM_EXPECTS(is_snapshot_time(dataset, start),
                   fmt::format("prediction.start_time {} is not a snapshot time (times: {})", start,
                               snapshot_times(dataset)));
  }
  for (double time : job.prediction.times)
    MUSTFM_EXPECTS(time >= start,
                   fmt::format("prediction.times: {} lies before the start time {}", time, start));

  std::set<double> left_out;
  for (double time : job.evaluation.leave_out) {
    MUSTFM_EXPECTS(is_snapshot_time(dataset, time),
                   fmt::format("evaluation.leave_out: {} is not a snapshot time (times: {})", time,
                               snapshot_times(dataset)));
    MUSTFM_EXPECTS(time != start,
                   fmt::format("evaluation.leave_out: {} is the start snapshot of the prediction, "
                               "which cannot be left out",
                               time));
    left_out.insert(time);
  }
  MUSTFM_EXPECTS(dataset.snapshots.size() - left_out.size() >= 2,
                 fmt::format("evaluation.leave_out leaves {} snapshot(s) to train on; at least "
                             "2 are needed",
                             dataset.snapshots.size() - left_out.size()));
}

void check_prior_pairs(const Job& job, const Dataset& dataset) {
  for (std::size_t p = 0; p < job.data.prior_pairs.size(); ++p) {
    const PriorPair& pair = job.data.prior_pairs[p];
    MUSTFM_EXPECTS(
        pair.level >= 0 && static_cast<std::size_t>(pair.level) < dataset.annotation_levels(),
        fmt::format("data.prior_pairs[{}].level {}: the data has {} annotation "
                    "level(s), numbered from 0",
                    p, pair.level, dataset.annotation_levels()));
  }

  // Unknown labels are collected per level and reported together.
  for (std::size_t l = 0; l < dataset.annotation_levels(); ++l) {
    std::set<std::string> known;
    for (const auto& tuple : dataset.levels[l].tuples) known.insert(tuple.back());
    std::set<std::string> unknown;
    for (const PriorPair& pair : job.data.prior_pairs) {
      if (static_cast<std::size_t>(pair.level) != l) continue;
      if (!known.contains(pair.source)) unknown.insert(pair.source);
      if (!known.contains(pair.target)) unknown.insert(pair.target);
    }
    MUSTFM_EXPECTS(unknown.empty(),
                   fmt::format("data.prior_pairs: no cell carries the level-{} ({}) label(s) {}", l,
                               dataset.levels[l].name, fmt::join(unknown, ", ")));
  }
}

}  // namespace

void check_job_against_data(const Job& job, const Dataset& dataset) {
  check_masses(dataset);
  check_times(job, dataset);
  check_prior_pairs(job, dataset);
}

}  // namespace mustfm
