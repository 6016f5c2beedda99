#include "engine/data_report.h"

#include <fmt/format.h>

namespace mustfm {

std::string snapshots_csv(const Dataset& dataset) {
  std::string text = "time,cells,mass\n";
  for (const Snapshot& snapshot : dataset.snapshots)
    text += fmt::format("{},{},{}\n", snapshot.time, snapshot.cell_count, snapshot.total_mass());
  return text;
}

std::string clusters_csv(const Dataset& dataset, const Hierarchy& hierarchy) {
  std::string text = "time,level,cluster,parent,cells,mass";
  for (const std::string& name : dataset.feature_names) text += "," + name;
  text += "\n";

  for (const SnapshotHierarchy& snapshot : hierarchy.snapshots) {
    // The annotation levels only: the cell level is the input itself.
    for (std::size_t l = 0; l + 1 < snapshot.levels.size(); ++l) {
      const ClusterLevel& level = snapshot.levels[l];
      for (std::size_t c = 0; c < level.cluster_count(); ++c) {
        std::string parent =
            level.parent[c] < 0 ? "" : snapshot.levels[l - 1].labels[level.parent[c]];
        text += fmt::format("{},{},{},{},{},{}", snapshot.time, level.name, level.labels[c], parent,
                            level.counts[c], level.mass[c]);
        for (std::size_t k = 0; k < hierarchy.dimension; ++k)
          text += fmt::format(",{}", level.centroids[c * hierarchy.dimension + k]);
        text += "\n";
      }
    }
  }
  return text;
}

std::string dataset_summary(const Dataset& dataset, const Hierarchy& hierarchy) {
  std::string text =
      fmt::format("{}: {} snapshots, {} feature(s), {} annotation level(s)\n", dataset.source,
                  dataset.snapshots.size(), dataset.dimension, dataset.annotation_levels());
  for (std::size_t s = 0; s < dataset.snapshots.size(); ++s) {
    const Snapshot& snapshot = dataset.snapshots[s];
    text += fmt::format("  t = {:<8} {:>9} cells, mass {:.6g}", snapshot.time, snapshot.cell_count,
                        snapshot.total_mass());
    const SnapshotHierarchy& levels = hierarchy.snapshots[s];
    for (std::size_t l = 0; l + 1 < levels.levels.size(); ++l)
      text +=
          fmt::format(", {} {} clusters", levels.levels[l].cluster_count(), levels.levels[l].name);
    text += "\n";
  }
  return text;
}

}  // namespace mustfm
