// The annotation hierarchy of every snapshot (DESIGN.md section 3): per level, the clusters that
// have cells at that time, their parents one level up, and their masses a (sum of member weights,
// absolute) and weighted centroids. Levels 0 .. L-1 are the annotation levels, level L is the
// cells themselves. Cells are addressed through the snapshot's sorted order (Snapshot::
// sorted_order), in which every cluster of every level is one contiguous range, so the members
// of a cluster are positions offsets[c] .. offsets[c+1]-1 (CSR-like) and a pair of clusters is a
// dense tile of cell pairs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/snapshots.h"

namespace mustfm {

struct ClusterLevel {
  // The annotation column ("scale1"), or "cells" at level L.
  std::string name;
  bool is_cells = false;
  // Annotation levels only (empty at level L): the dataset-wide AnnotationLevel id of each
  // cluster, ascending, and its readable label ("2/7").
  std::vector<std::int32_t> ids;
  std::vector<std::string> labels;
  // Index of the parent cluster in the level above; -1 at the coarsest level. At level L, the
  // finest annotation cluster of each cell (-1 when the data has no annotation levels).
  std::vector<std::int32_t> parent;
  // clusters + 1 positions into the snapshot's sorted order.
  std::vector<std::int64_t> offsets;
  std::vector<std::int64_t> counts;
  // Absolute masses and weighted centroids (clusters x dimension, row-major). At level L these
  // are the cells' weights and features in sorted order.
  std::vector<double> mass;
  std::vector<double> centroids;

  std::size_t cluster_count() const { return counts.size(); }
};

struct SnapshotHierarchy {
  double time = 0.0;
  // annotation levels + 1 entries; the last is the cell level.
  std::vector<ClusterLevel> levels;

  const ClusterLevel& cells() const { return levels.back(); }
};

struct Hierarchy {
  std::size_t dimension = 0;
  std::vector<SnapshotHierarchy> snapshots;
};

// Masses and centroids of the annotation levels are reduced by the cluster_stats kernel on the
// context's backend; the rest is bookkeeping on the host.
SnapshotHierarchy build_snapshot_hierarchy(Context& context,
                                           const Dataset& dataset,
                                           std::size_t snapshot);
Hierarchy build_hierarchy(Context& context, const Dataset& dataset);

}  // namespace mustfm
