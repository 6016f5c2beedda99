#include "engine/priors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <unordered_map>

#include "kernels/common/error.h"

namespace mustfm {

namespace {

std::string prior_column_name(const Dataset& dataset, std::size_t level) {
  return level < dataset.prior_names.size() ? dataset.prior_names[level]
                                            : fmt::format("prior{}", level);
}

// Every cell of a cluster must carry the same prior label, in every snapshot.
LevelPrior prior_from_labels(const Dataset& dataset, std::size_t l) {
  LevelPrior prior;
  prior.kind = PriorKind::labels;
  prior.cluster_class.assign(dataset.levels[l].size(), -1);
  const std::vector<std::string>& values = dataset.prior_values[l];
  for (const Snapshot& snapshot : dataset.snapshots) {
    for (std::size_t i = 0; i < snapshot.cell_count; ++i) {
      const std::int32_t cluster = snapshot.cluster_ids[l][i];
      const std::int32_t label = snapshot.prior_ids[l][i];
      std::int32_t& known = prior.cluster_class[cluster];
      if (known < 0) known = label;
      MUSTFM_EXPECTS(
          known == label,
          fmt::format("{}: the cells of cluster {} of {} disagree on their prior label "
                      "(column {}): \"{}\" and \"{}\"; a prior label belongs to a "
                      "whole cluster",
                      dataset.source, dataset.levels[l].label(cluster), dataset.levels[l].name,
                      prior_column_name(dataset, l), values[known], values[label]));
    }
  }
  return prior;
}

// The level's own labels (last element of each tuple), indexed.
void index_own_labels(const AnnotationLevel& level, LevelPrior& prior) {
  std::unordered_map<std::string, std::int32_t> index;
  prior.cluster_label.resize(level.size());
  for (std::size_t c = 0; c < level.size(); ++c) {
    const std::string& own = level.tuples[c].back();
    auto [it, inserted] =
        index.try_emplace(own, static_cast<std::int32_t>(prior.own_labels.size()));
    if (inserted) prior.own_labels.push_back(own);
    prior.cluster_label[c] = it->second;
  }
}

Priors priors_from_pairs(const Dataset& dataset, const std::vector<PriorPair>& pairs) {
  const std::size_t levels = dataset.annotation_levels();
  Priors priors;
  priors.origin = "data.prior_pairs";
  priors.levels.resize(levels);

  for (const PriorPair& pair : pairs)
    MUSTFM_EXPECTS(pair.level >= 0 && static_cast<std::size_t>(pair.level) < levels,
                   fmt::format("data.prior_pairs: level {} (\"{}\" -> \"{}\") does not exist; {} "
                               "has {} annotation level(s), numbered from 0",
                               pair.level, pair.source, pair.target, dataset.source, levels));

  std::vector<std::string> unknown;
  for (const PriorPair& pair : pairs) {
    LevelPrior& prior = priors.levels[pair.level];
    if (prior.kind == PriorKind::none) {
      prior.kind = PriorKind::pairs;
      index_own_labels(dataset.levels[pair.level], prior);
    }
    const auto find = [&](const std::string& label) -> std::int64_t {
      auto it = std::find(prior.own_labels.begin(), prior.own_labels.end(), label);
      if (it != prior.own_labels.end()) return it - prior.own_labels.begin();
      std::string name =
          fmt::format("\"{}\" (level {}, {})", label, pair.level, dataset.levels[pair.level].name);
      if (std::find(unknown.begin(), unknown.end(), name) == unknown.end())
        unknown.push_back(std::move(name));
      return -1;
    };
    const std::int64_t source = find(pair.source);
    const std::int64_t target = find(pair.target);
    if (source >= 0 && target >= 0)
      prior.allowed.push_back(source * static_cast<std::int64_t>(prior.own_labels.size()) + target);
  }
  MUSTFM_EXPECTS(unknown.empty(), fmt::format("data.prior_pairs names labels that no cell of {} "
                                              "has: {}",
                                              dataset.source, fmt::join(unknown, ", ")));

  for (LevelPrior& prior : priors.levels) {
    std::sort(prior.allowed.begin(), prior.allowed.end());
    prior.allowed.erase(std::unique(prior.allowed.begin(), prior.allowed.end()),
                        prior.allowed.end());
  }
  return priors;
}

}  // namespace

bool LevelPrior::admits(std::int32_t source_id, std::int32_t target_id) const {
  switch (kind) {
    case PriorKind::none:
      return true;
    case PriorKind::labels:
      return cluster_class[source_id] == cluster_class[target_id];
    case PriorKind::pairs: {
      const std::int64_t key = static_cast<std::int64_t>(cluster_label[source_id]) *
                                   static_cast<std::int64_t>(own_labels.size()) +
                               cluster_label[target_id];
      return std::binary_search(allowed.begin(), allowed.end(), key);
    }
  }
  return true;
}

Priors build_priors(const Dataset& dataset, const DataSettings& settings) {
  if (!settings.prior_pairs.empty()) return priors_from_pairs(dataset, settings.prior_pairs);

  Priors priors;
  priors.levels.resize(dataset.annotation_levels());
  if (dataset.prior_values.empty()) return priors;
  MUSTFM_ASSERT(dataset.prior_values.size() == dataset.annotation_levels(),
                "one prior level per annotation level");
  priors.origin = "prior columns";
  for (std::size_t l = 0; l < dataset.annotation_levels(); ++l)
    priors.levels[l] = prior_from_labels(dataset, l);
  return priors;
}

}  // namespace mustfm
