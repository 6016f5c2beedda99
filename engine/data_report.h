// Tables a person opens to check what the engine made of the input: one row per snapshot, and
// one row per cluster per snapshot and annotation level.
#pragma once

#include <string>

#include "engine/hierarchy.h"
#include "engine/snapshots.h"

namespace mustfm {

// Columns: time, cells, mass.
std::string snapshots_csv(const Dataset& dataset);

// Columns: time, level, cluster, parent, cells, mass, then the centroid (one column per
// feature, named after it).
std::string clusters_csv(const Dataset& dataset, const Hierarchy& hierarchy);

// A few lines for a terminal: snapshots with cell counts and masses, clusters per level.
std::string dataset_summary(const Dataset& dataset, const Hierarchy& hierarchy);

}  // namespace mustfm
