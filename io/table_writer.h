// Writes a CellTable as the CSV table format the readers accept (samples, x1..xd, scale0..,
// prior0.., cell_weight), with every number printed so that it reads back exactly.
#pragma once

#include <filesystem>
#include <string>

#include "io/cell_table.h"

namespace mustfm {

std::string cell_table_to_csv(const CellTable& table);

// Atomic: the file appears complete or not at all.
void write_cell_table_csv(const std::filesystem::path& path, const CellTable& table);

}  // namespace mustfm
