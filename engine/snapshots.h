// Snapshots: the cells of a CellTable grouped by time, with their weights (absolute masses) and
// their annotation clusters. Every source of cells (CSV, NPY, the built-in benchmark) reaches the
// engine through build_dataset, so they all obey the same rules:
//  * one snapshot per distinct time value (exact equality), ascending; at least two;
//  * a cell's mass is its weight; a snapshot listed in DataSettings::population_sizes has its
//    weights rescaled so that they sum to the given size; snapshots are never normalized to 1;
//  * a level-l cluster is the tuple of a cell's labels at levels 0..l (DESIGN.md section 3), so
//    clusters nest by construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/cell_table.h"
#include "io/job.h"

namespace mustfm {

// The clusters of one annotation level over the whole dataset. Ids are shared by all snapshots
// (the same label tuple has the same id at every time) and ordered by their label tuples, labels
// compared as numbers when both parse as numbers and as text otherwise. Consequently, sorting
// cells by their finest id also makes every coarser cluster a contiguous range.
struct AnnotationLevel {
  // The level's column name ("scale1").
  std::string name;
  // tuples[id]: the labels at levels 0..l of cluster id.
  std::vector<std::vector<std::string>> tuples;
  // parent[id]: the id at level l - 1 of the tuple without its last label; -1 at level 0.
  std::vector<std::int32_t> parent;

  std::size_t size() const { return tuples.size(); }
  // "2/7": the tuple joined with '/', for output and messages.
  std::string label(std::int32_t id) const;
};

struct Snapshot {
  double time = 0.0;
  std::size_t cell_count = 0;
  // cell_count x dimension, row-major, cells in table order.
  std::vector<double> features;
  // Absolute cell masses (after population-size rescaling).
  std::vector<double> weights;
  // table_rows[i]: row of cell i in the CellTable.
  std::vector<std::int64_t> table_rows;
  // cluster_ids[l][i]: AnnotationLevel id of cell i at annotation level l.
  std::vector<std::vector<std::int32_t>> cluster_ids;
  // prior_ids[l][i]: index into Dataset::prior_values[l] of cell i's transition-prior label at
  // annotation level l; empty when the table has no prior columns.
  std::vector<std::vector<std::int32_t>> prior_ids;
  // sorted_order[p]: the cell at position p when cells are stably sorted by finest cluster id;
  // every finest (and coarser) cluster is a contiguous range of positions. Identity when there
  // are no annotation levels.
  std::vector<std::int64_t> sorted_order;

  double total_mass() const;
};

struct Dataset {
  // Where the cells came from, for messages.
  std::string source;
  std::size_t dimension = 0;
  std::vector<std::string> feature_names;
  // Coarsest first.
  std::vector<AnnotationLevel> levels;
  // The prior columns ("prior0", ...), one per annotation level, or none; prior_values[l] holds
  // the distinct prior labels of level l in order of first appearance in the table.
  std::vector<std::string> prior_names;
  std::vector<std::vector<std::string>> prior_values;
  // Ascending in time.
  std::vector<Snapshot> snapshots;

  std::size_t annotation_levels() const { return levels.size(); }
};

// Groups the table's cells into snapshots. Throws InputError for fewer than two distinct times,
// a non-finite time, a negative or non-finite weight, a population size for a time with no
// cells, a time listed twice in population_sizes, a non-positive size, or a size for a snapshot
// whose weights sum to zero.
Dataset build_dataset(const CellTable& table, const DataSettings& settings);

namespace detail {
// Strict weak order of annotation labels: numbers (as parsed) before text, text by characters.
bool label_less(std::string_view a, std::string_view b);
}  // namespace detail

}  // namespace mustfm
