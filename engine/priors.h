// Transition priors (DESIGN.md section 6): which source clusters of an annotation level may be
// coupled to which target clusters. Two sources, never both:
//  * per-cell prior labels (the prior0, prior1, ... columns): every cell of a cluster must carry
//    the same label, and a pair of clusters is admissible iff their labels are equal;
//  * DataSettings::prior_pairs, (level, source label, target label) with the level's own label
//    text (as written in that level's scaleK column): a level that has pairs admits exactly the
//    listed label pairs. When prior_pairs is not empty the prior columns are ignored.
// A level with no prior admits every pair. The rule depends only on the clusters' labels, so one
// LevelPrior serves every interval.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/snapshots.h"
#include "io/job.h"

namespace mustfm {

enum class PriorKind { none, labels, pairs };

struct LevelPrior {
  PriorKind kind = PriorKind::none;
  // labels: the prior label index (into Dataset::prior_values) of each dataset-wide cluster id
  // of the level, -1 for a cluster no cell carries.
  std::vector<std::int32_t> cluster_class;
  // pairs: the index of each cluster's own label among `own_labels`, and the admissible
  // (source, target) own-label index pairs, flattened as source * own_labels.size() + target
  // and sorted.
  std::vector<std::string> own_labels;
  std::vector<std::int32_t> cluster_label;
  std::vector<std::int64_t> allowed;

  // Whether the pair of dataset-wide cluster ids is admissible at this level.
  bool admits(std::int32_t source_id, std::int32_t target_id) const;
};

struct Priors {
  // One per annotation level.
  std::vector<LevelPrior> levels;
  // "none", "prior columns" or "data.prior_pairs", for the log.
  std::string origin = "none";
};

// InputError for a cluster whose cells disagree on their prior label (naming the cluster and the
// labels), a prior pair at a level the data does not have, or prior pairs naming labels that no
// cell has at their level (listing every unknown name).
Priors build_priors(const Dataset& dataset, const DataSettings& settings);

}  // namespace mustfm
