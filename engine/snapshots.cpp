#include "engine/snapshots.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "kernels/common/error.h"

namespace mustfm {

namespace {

// "cells.csv line 17" when the reader recorded lines, else "cells.csv row 15".
std::string where(const CellTable& table, std::size_t row) {
  if (row < table.line.size()) return fmt::format("{} line {}", table.source, table.line[row]);
  return fmt::format("{} row {}", table.source, row);
}

void check_table_shape(const CellTable& table) {
  const std::size_t n = table.cell_count;
  MUSTFM_EXPECTS(table.dimension >= 1, table.source + ": the table has no feature columns");
  MUSTFM_EXPECTS(table.time.size() == n && table.features.size() == n * table.dimension &&
                     (table.weight.empty() || table.weight.size() == n),
                 table.source + ": time, feature and weight columns disagree with the cell count " +
                     std::to_string(n));
  for (std::size_t l = 0; l < table.levels.size(); ++l)
    MUSTFM_EXPECTS(table.levels[l].size() == n,
                   fmt::format("{}: annotation level {} has {} labels for {} cells", table.source,
                               l, table.levels[l].size(), n));
  MUSTFM_EXPECTS(table.priors.empty() || table.priors.size() == table.levels.size(),
                 fmt::format("{}: {} prior level(s) for {} annotation level(s)", table.source,
                             table.priors.size(), table.levels.size()));
  for (std::size_t l = 0; l < table.priors.size(); ++l)
    MUSTFM_EXPECTS(table.priors[l].size() == n,
                   fmt::format("{}: prior level {} has {} labels for {} cells", table.source, l,
                               table.priors[l].size(), n));
}

void check_values(const CellTable& table) {
  for (std::size_t i = 0; i < table.cell_count; ++i) {
    MUSTFM_EXPECTS(std::isfinite(table.time[i]), fmt::format("{}: time {} is not a finite number",
                                                             where(table, i), table.time[i]));
    if (table.weight.empty()) continue;
    const double w = table.weight[i];
    MUSTFM_EXPECTS(std::isfinite(w) && w >= 0.0,
                   fmt::format("{}: cell weight {} must be finite and >= 0", where(table, i), w));
  }
}

// Per cell, the dataset-wide id of its level-l cluster, for every level; fills `levels`.
// A level-l tuple is (level l-1 id, own label); ordering those pairs by (parent id, label) is
// the lexicographic order of the full tuples, because parent ids are already in that order.
std::vector<std::vector<std::int32_t>> assign_cluster_ids(const CellTable& table,
                                                          std::vector<AnnotationLevel>& levels) {
  const std::size_t n = table.cell_count;
  std::vector<std::vector<std::int32_t>> ids(table.levels.size());
  levels.clear();

  for (std::size_t l = 0; l < table.levels.size(); ++l) {
    const std::vector<std::string>& labels = table.levels[l];

    // Distinct labels of this level, ranked by label_less.
    std::unordered_map<std::string_view, std::int32_t> label_index;
    std::vector<std::string_view> distinct;
    std::vector<std::int32_t> cell_label(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto [it, inserted] =
          label_index.try_emplace(labels[i], static_cast<std::int32_t>(distinct.size()));
      if (inserted) distinct.push_back(labels[i]);
      cell_label[i] = it->second;
    }
    std::vector<std::int32_t> by_label(distinct.size());
    std::iota(by_label.begin(), by_label.end(), 0);
    std::sort(by_label.begin(), by_label.end(), [&](std::int32_t a, std::int32_t b) {
      return detail::label_less(distinct[a], distinct[b]);
    });
    std::vector<std::int32_t> rank(distinct.size());
    for (std::size_t r = 0; r < by_label.size(); ++r) rank[by_label[r]] = static_cast<int>(r);

    // Distinct (parent id, label rank) keys in order; parent id is 0 at the coarsest level.
    auto key_of = [&](std::size_t i) {
      const std::uint64_t parent = l == 0 ? 0u : static_cast<std::uint32_t>(ids[l - 1][i]);
      return (parent << 32) | static_cast<std::uint32_t>(rank[cell_label[i]]);
    };
    std::vector<std::uint64_t> keys(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = key_of(i);
    std::vector<std::uint64_t> distinct_keys = keys;
    std::sort(distinct_keys.begin(), distinct_keys.end());
    distinct_keys.erase(std::unique(distinct_keys.begin(), distinct_keys.end()),
                        distinct_keys.end());
    MUSTFM_EXPECTS(
        distinct_keys.size() < (std::uint64_t{1} << 31),
        fmt::format("{}: annotation level {} has more than 2^31 clusters", table.source, l));

    AnnotationLevel level;
    level.name = l < table.level_names.size() ? table.level_names[l] : fmt::format("level{}", l);
    for (std::uint64_t key : distinct_keys) {
      const auto parent = static_cast<std::int32_t>(key >> 32);
      const auto label = std::string(distinct[by_label[key & 0xffffffffu]]);
      std::vector<std::string> tuple =
          l == 0 ? std::vector<std::string>{} : levels[l - 1].tuples[parent];
      tuple.push_back(label);
      level.tuples.push_back(std::move(tuple));
      level.parent.push_back(l == 0 ? -1 : parent);
    }

    ids[l].resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto found = std::lower_bound(distinct_keys.begin(), distinct_keys.end(), keys[i]);
      ids[l][i] = static_cast<std::int32_t>(found - distinct_keys.begin());
    }
    levels.push_back(std::move(level));
  }
  return ids;
}

// Per prior level, the index of each cell's prior label among the level's distinct labels.
std::vector<std::vector<std::int32_t>> assign_prior_ids(
    const CellTable& table, std::vector<std::vector<std::string>>& values) {
  std::vector<std::vector<std::int32_t>> ids(table.priors.size());
  values.assign(table.priors.size(), {});
  for (std::size_t l = 0; l < table.priors.size(); ++l) {
    std::unordered_map<std::string_view, std::int32_t> index;
    ids[l].resize(table.cell_count);
    for (std::size_t i = 0; i < table.cell_count; ++i) {
      const std::string& label = table.priors[l][i];
      auto [it, inserted] = index.try_emplace(label, static_cast<std::int32_t>(values[l].size()));
      if (inserted) values[l].push_back(label);
      ids[l][i] = it->second;
    }
  }
  return ids;
}

void fill_snapshot(const CellTable& table,
                   const std::vector<std::vector<std::int32_t>>& ids,
                   const std::vector<std::vector<std::int32_t>>& prior_ids,
                   const std::vector<std::size_t>& rows,
                   Snapshot& snapshot) {
  const std::size_t d = table.dimension;
  snapshot.cell_count = rows.size();
  snapshot.features.resize(rows.size() * d);
  snapshot.weights.resize(rows.size());
  snapshot.table_rows.resize(rows.size());
  snapshot.cluster_ids.assign(ids.size(), std::vector<std::int32_t>(rows.size()));
  snapshot.prior_ids.assign(prior_ids.size(), std::vector<std::int32_t>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t row = rows[i];
    std::copy_n(table.features.begin() + row * d, d, snapshot.features.begin() + i * d);
    snapshot.weights[i] = table.weight.empty() ? 1.0 : table.weight[row];
    snapshot.table_rows[i] = static_cast<std::int64_t>(row);
    for (std::size_t l = 0; l < ids.size(); ++l) snapshot.cluster_ids[l][i] = ids[l][row];
    for (std::size_t l = 0; l < prior_ids.size(); ++l) snapshot.prior_ids[l][i] = prior_ids[l][row];
  }

  // Stable, so cells keep table order inside their finest cluster.
  snapshot.sorted_order.resize(rows.size());
  std::iota(snapshot.sorted_order.begin(), snapshot.sorted_order.end(), 0);
  if (!ids.empty()) {
    const std::vector<std::int32_t>& finest = snapshot.cluster_ids.back();
    std::stable_sort(snapshot.sorted_order.begin(), snapshot.sorted_order.end(),
                     [&](std::int64_t a, std::int64_t b) { return finest[a] < finest[b]; });
  }
}

void apply_population_sizes(const DataSettings& settings,
                            const std::string& source,
                            std::vector<Snapshot>& snapshots) {
  std::vector<double> present;
  for (const Snapshot& snapshot : snapshots) present.push_back(snapshot.time);
  std::vector<double> seen;

  for (const PopulationSize& entry : settings.population_sizes) {
    MUSTFM_EXPECTS(std::find(seen.begin(), seen.end(), entry.time) == seen.end(),
                   fmt::format("data.population_sizes lists time {} twice", entry.time));
    seen.push_back(entry.time);
    MUSTFM_EXPECTS(std::isfinite(entry.size) && entry.size > 0.0,
                   fmt::format("data.population_sizes: the size for time {} must be a positive "
                               "number, got {}",
                               entry.time, entry.size));

    auto it = std::find_if(snapshots.begin(), snapshots.end(),
                           [&](const Snapshot& s) { return s.time == entry.time; });
    MUSTFM_EXPECTS(it != snapshots.end(),
                   fmt::format("data.population_sizes gives a size for time {}, a snapshot with no "
                               "cells; {} has cells at times {}",
                               entry.time, source, fmt::join(present, ", ")));

    const double total = it->total_mass();
    MUSTFM_EXPECTS(total > 0.0, fmt::format("data.population_sizes: the cell weights at time {} "
                                            "sum to 0, so they cannot be rescaled to {}",
                                            entry.time, entry.size));
    const double scale = entry.size / total;
    for (double& w : it->weights) w *= scale;
  }
}

}  // namespace

std::string AnnotationLevel::label(std::int32_t id) const {
  return fmt::format("{}", fmt::join(tuples.at(static_cast<std::size_t>(id)), "/"));
}

double Snapshot::total_mass() const {
  return std::accumulate(weights.begin(), weights.end(), 0.0);
}

Dataset build_dataset(const CellTable& table, const DataSettings& settings) {
  check_table_shape(table);
  check_values(table);

  std::vector<double> times = table.time;
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  MUSTFM_EXPECTS(times.size() >= 2,
                 fmt::format("{} has cells at {} distinct time{} ({}); at least 2 snapshots are "
                             "needed",
                             table.source, times.size(), times.size() == 1 ? "" : "s",
                             fmt::join(times, ", ")));

  Dataset dataset;
  dataset.source = table.source;
  dataset.dimension = table.dimension;
  dataset.feature_names = table.feature_names;
  const auto ids = assign_cluster_ids(table, dataset.levels);
  dataset.prior_names = table.prior_names;
  const auto prior_ids = assign_prior_ids(table, dataset.prior_values);

  std::vector<std::vector<std::size_t>> rows(times.size());
  for (std::size_t i = 0; i < table.cell_count; ++i) {
    auto found = std::lower_bound(times.begin(), times.end(), table.time[i]);
    rows[found - times.begin()].push_back(i);
  }
  dataset.snapshots.resize(times.size());
  for (std::size_t k = 0; k < times.size(); ++k) {
    dataset.snapshots[k].time = times[k];
    fill_snapshot(table, ids, prior_ids, rows[k], dataset.snapshots[k]);
  }

  apply_population_sizes(settings, table.source, dataset.snapshots);
  return dataset;
}

namespace detail {

namespace {
// The label as a finite number, or NaN when it is text.
double as_number(std::string_view label) {
  double value = 0.0;
  const char* end = label.data() + label.size();
  auto [ptr, error] = std::from_chars(label.data(), end, value);
  if (error != std::errc() || ptr != end || !std::isfinite(value)) return std::nan("");
  return value;
}
}  // namespace

bool label_less(std::string_view a, std::string_view b) {
  const double x = as_number(a);
  const double y = as_number(b);
  const bool a_text = std::isnan(x);
  const bool b_text = std::isnan(y);
  if (a_text != b_text) return b_text;
  // "1" and "1.0" are different labels with the same value: fall back to the characters.
  if (!a_text && x != y) return x < y;
  return a < b;
}

}  // namespace detail

}  // namespace mustfm
