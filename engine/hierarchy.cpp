#include "engine/hierarchy.h"

#include <algorithm>

#include "kernels/cluster_stats.h"
#include "kernels/common/error.h"

namespace mustfm {

namespace {

// A host array as the backend sees it: the array itself on the CPU, a device copy on CUDA.
template <class T>
class BackendInput {
 public:
  BackendInput(Context& context, const std::vector<T>& host, const char* purpose) {
    View<const T> source{host.data(), host.size(), MemorySpace::host};
    if (context.compute_space() == MemorySpace::host) {
      view_ = source;
      return;
    }
    copy_ = Buffer<T>(context.allocator(), host.size(), MemorySpace::device, purpose);
    copy_.copy_from(source);
    view_ = copy_.cview();
  }
  View<const T> view() const { return view_; }

 private:
  Buffer<T> copy_;
  View<const T> view_;
};

// A host array the backend writes: written in place on the CPU, through a device buffer on CUDA
// that `finish` copies back once the context's stream is idle.
class BackendOutput {
 public:
  BackendOutput(Context& context, std::vector<double>& host, const char* purpose) : host_(host) {
    if (context.compute_space() == MemorySpace::device)
      copy_ = Buffer<double>(context.allocator(), host.size(), MemorySpace::device, purpose);
  }
  View<double> view() {
    if (copy_.data() == nullptr) return {host_.data(), host_.size(), MemorySpace::host};
    return copy_.view();
  }
  void finish() {
    if (copy_.data() == nullptr) return;
    copy_bytes(host_.data(), MemorySpace::host, copy_.data(), MemorySpace::device,
               host_.size() * sizeof(double));
  }

 private:
  std::vector<double>& host_;
  Buffer<double> copy_;
};

// The cells in sorted order: each cell is its own cluster.
ClusterLevel cell_level(const Snapshot& snapshot, std::size_t dimension) {
  const std::size_t n = snapshot.cell_count;
  ClusterLevel cells;
  cells.name = "cells";
  cells.is_cells = true;
  cells.offsets.resize(n + 1);
  for (std::size_t p = 0; p <= n; ++p) cells.offsets[p] = static_cast<std::int64_t>(p);
  cells.counts.assign(n, 1);
  cells.mass.resize(n);
  cells.centroids.resize(n * dimension);
  for (std::size_t p = 0; p < n; ++p) {
    const auto i = static_cast<std::size_t>(snapshot.sorted_order[p]);
    cells.mass[p] = snapshot.weights[i];
    std::copy_n(snapshot.features.begin() + i * dimension, dimension,
                cells.centroids.begin() + p * dimension);
  }
  return cells;
}

// Clusters of annotation level l present in the snapshot, as ranges of the sorted order.
ClusterLevel annotation_level(const Dataset& dataset, const Snapshot& snapshot, std::size_t l) {
  const AnnotationLevel& level = dataset.levels[l];
  const std::vector<std::int32_t>& cell_ids = snapshot.cluster_ids[l];
  ClusterLevel clusters;
  clusters.name = level.name;

  // Sorting by the finest id orders every coarser id too (ids follow the label tuples).
  for (std::size_t p = 0; p < snapshot.cell_count; ++p) {
    const std::int32_t id = cell_ids[snapshot.sorted_order[p]];
    if (!clusters.ids.empty() && clusters.ids.back() == id) continue;
    MUSTFM_ASSERT(clusters.ids.empty() || clusters.ids.back() < id,
                  "cluster " + level.label(id) + " is not contiguous in the sorted order");
    clusters.ids.push_back(id);
    clusters.offsets.push_back(static_cast<std::int64_t>(p));
  }
  clusters.offsets.push_back(static_cast<std::int64_t>(snapshot.cell_count));

  const std::size_t k = clusters.ids.size();
  clusters.counts.resize(k);
  clusters.labels.resize(k);
  for (std::size_t c = 0; c < k; ++c) {
    clusters.counts[c] = clusters.offsets[c + 1] - clusters.offsets[c];
    clusters.labels[c] = level.label(clusters.ids[c]);
  }
  return clusters;
}

// Local index of each cluster's parent: its parent's dataset id looked up among the ids of the
// level above (ascending, and the parent has cells because its child does).
void link_parents(const AnnotationLevel& level, const ClusterLevel& above, ClusterLevel& below) {
  below.parent.resize(below.cluster_count());
  for (std::size_t c = 0; c < below.cluster_count(); ++c) {
    const std::int32_t parent_id = level.parent[below.ids[c]];
    auto found = std::lower_bound(above.ids.begin(), above.ids.end(), parent_id);
    MUSTFM_ASSERT(found != above.ids.end() && *found == parent_id,
                  "parent of cluster " + below.labels[c] + " missing from its snapshot");
    below.parent[c] = static_cast<std::int32_t>(found - above.ids.begin());
  }
}

}  // namespace

SnapshotHierarchy build_snapshot_hierarchy(Context& context,
                                           const Dataset& dataset,
                                           std::size_t snapshot_index) {
  MUSTFM_ASSERT(snapshot_index < dataset.snapshots.size(), "snapshot index out of range");
  const Snapshot& snapshot = dataset.snapshots[snapshot_index];
  const std::size_t d = dataset.dimension;
  const std::size_t annotation_levels = dataset.annotation_levels();

  SnapshotHierarchy hierarchy;
  hierarchy.time = snapshot.time;
  for (std::size_t l = 0; l < annotation_levels; ++l)
    hierarchy.levels.push_back(annotation_level(dataset, snapshot, l));
  hierarchy.levels.push_back(cell_level(snapshot, d));

  for (std::size_t l = 0; l < annotation_levels; ++l) {
    ClusterLevel& level = hierarchy.levels[l];
    if (l == 0)
      level.parent.assign(level.cluster_count(), -1);
    else
      link_parents(dataset.levels[l], hierarchy.levels[l - 1], level);
  }

  // Each cell's parent is the finest annotation cluster whose range holds its position.
  ClusterLevel& cells = hierarchy.levels.back();
  cells.parent.assign(snapshot.cell_count, -1);
  if (annotation_levels > 0) {
    const ClusterLevel& finest = hierarchy.levels[annotation_levels - 1];
    for (std::size_t c = 0; c < finest.cluster_count(); ++c)
      for (std::int64_t p = finest.offsets[c]; p < finest.offsets[c + 1]; ++p)
        cells.parent[p] = static_cast<std::int32_t>(c);
  }

  // The cell level already holds weights and features in sorted order: the kernel's inputs.
  BackendInput<double> weights(context, cells.mass, "hierarchy: sorted cell weights");
  BackendInput<double> features(context, cells.centroids, "hierarchy: sorted cell features");
  for (std::size_t l = 0; l < annotation_levels; ++l) {
    ClusterLevel& level = hierarchy.levels[l];
    level.mass.resize(level.cluster_count());
    level.centroids.resize(level.cluster_count() * d);
    BackendInput<std::int64_t> offsets(context, level.offsets, "hierarchy: cluster offsets");
    BackendOutput mass(context, level.mass, "hierarchy: cluster masses");
    BackendOutput centroids(context, level.centroids, "hierarchy: cluster centroids");
    cluster_stats(context.exec(), offsets.view(), weights.view(), features.view(), d, mass.view(),
                  centroids.view());
    context.synchronize();
    mass.finish();
    centroids.finish();
  }
  return hierarchy;
}

Hierarchy build_hierarchy(Context& context, const Dataset& dataset) {
  Hierarchy hierarchy;
  hierarchy.dimension = dataset.dimension;
  for (std::size_t k = 0; k < dataset.snapshots.size(); ++k)
    hierarchy.snapshots.push_back(build_snapshot_hierarchy(context, dataset, k));
  return hierarchy;
}

}  // namespace mustfm
