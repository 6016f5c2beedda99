// Readers that turn a table file into a CellTable (io/cell_table.h): a CSV holding everything, or
// an NPY embedding (rows = cells) plus a CSV holding the rest. Which column holds what comes from
// TableColumns; columns may appear in any order and unknown columns are ignored.
//
// Every problem with the input is an InputError naming the file, the line (the header is line 1)
// and the column: a missing or empty file, a missing time column, gaps in numbered columns
// (x1, x2, x4; scale0, scale2), priors that do not match the levels, non-numeric or non-finite
// times and coordinates, empty labels, negative or non-finite weights, no data rows.
#pragma once

#include <filesystem>

#include "io/cell_table.h"

namespace mustfm {

CellTable read_cell_table_csv(const std::filesystem::path& path, const TableColumns& columns);

// Features come from `embedding_npy` (a 2-D array of any supported dtype, one row per cell),
// named <feature_prefix>1..<feature_prefix>d unless `columns.feature_columns` names them; time,
// labels, priors and weights come from `labels_csv`, whose data rows are the same cells in the
// same order. Feature columns in the CSV, if any, are ignored.
CellTable read_cell_table_npy(const std::filesystem::path& embedding_npy,
                              const std::filesystem::path& labels_csv,
                              const TableColumns& columns);

}  // namespace mustfm
