// A loaded cell table: one row per cell with its time, features, annotation labels per level,
// transition-prior labels per level and weight. This is the file-format-neutral result of every
// reader (CSV table, NPY embedding plus labels CSV); the engine builds snapshots from it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mustfm {

// Which columns of a table hold what. Empty lists mean "detect by prefix": features are
// <feature_prefix>1, <feature_prefix>2, ... (contiguous from 1); levels are <level_prefix>0,
// <level_prefix>1, ... (contiguous from 0, coarsest first); priors likewise.
struct TableColumns {
  std::string time_column = "samples";
  std::vector<std::string> feature_columns;
  std::string feature_prefix = "x";
  std::vector<std::string> level_columns;
  std::string level_prefix = "scale";
  std::vector<std::string> prior_columns;
  std::string prior_prefix = "prior";
  // Optional; every weight is 1 when the column is absent.
  std::string weight_column = "cell_weight";
};

struct CellTable {
  // Where the rows came from, for messages ("cells.csv").
  std::string source;
  std::size_t cell_count = 0;
  std::size_t dimension = 0;
  std::vector<std::string> feature_names;
  std::vector<std::string> level_names;
  std::vector<std::string> prior_names;

  // Per cell, in file order.
  std::vector<double> time;
  // Row-major cell_count x dimension.
  std::vector<double> features;
  // levels[l][i]: label of cell i at annotation level l (0 = coarsest), as written in the file.
  std::vector<std::vector<std::string>> levels;
  // priors[l][i]: transition-prior label of cell i's level-l cluster; empty when no prior columns.
  std::vector<std::vector<std::string>> priors;
  std::vector<double> weight;
  // 1-based line of each cell in its file (the header is line 1), for error messages.
  std::vector<std::size_t> line;
};

}  // namespace mustfm
