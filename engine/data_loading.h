// Turns a job's data section into the engine's data model: the cell table (from a file or the
// built-in generator), the snapshots and the hierarchy. Every check on the input happens here,
// before a run writes anything.
#pragma once

#include <filesystem>

#include "engine/context.h"
#include "engine/hierarchy.h"
#include "engine/snapshots.h"
#include "io/cell_table.h"
#include "io/job.h"

namespace mustfm {

struct LoadedData {
  CellTable table;
  Dataset dataset;
  Hierarchy hierarchy;
};

// "builtin:multiscale" / "builtin:multiscale-growth", or a CSV table / NPY embedding chosen by
// data.format (or, for "auto", by the file's extension). InputError for an unknown builtin name,
// an unsupported extension, or an NPY job without data.labels_path.
CellTable load_cell_table(const Job& job);

LoadedData load_data(Context& context, const Job& job);

}  // namespace mustfm
