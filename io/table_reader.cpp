#include "io/table_reader.h"

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "io/csv_reader.h"
#include "io/npy.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

// Where each kind of data sits in the CSV's header.
struct ColumnLayout {
  std::size_t time = 0;
  std::vector<std::size_t> features;
  std::vector<std::size_t> levels;
  std::vector<std::size_t> priors;
  std::optional<std::size_t> weight;
};

std::string header_location(const CsvTable& table) {
  return fmt::format("{}, line 1 (header)", table.source());
}

std::string columns_found(const CsvTable& table) {
  return fmt::format("columns found: {}", fmt::join(table.header(), ", "));
}

std::vector<std::string> names_of(const CsvTable& table, const std::vector<std::size_t>& indices) {
  std::vector<std::string> names;
  names.reserve(indices.size());
  for (std::size_t index : indices) names.push_back(table.header()[index]);
  return names;
}

// The number n when `name` is <prefix>n with n written without leading zeros.
std::optional<std::size_t> column_number(std::string_view name, std::string_view prefix) {
  if (prefix.empty() || !name.starts_with(prefix)) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size());
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  std::size_t number = 0;
  const char* end = digits.data() + digits.size();
  const std::from_chars_result result = std::from_chars(digits.data(), end, number);
  if (result.ec != std::errc() || result.ptr != end) return std::nullopt;
  return number;
}

// Columns <prefix><first>, <prefix><first + 1>, ... in number order. The numbering must have no
// gap, since a gap almost always means a column was lost on the way.
std::vector<std::size_t> numbered_columns(const CsvTable& table,
                                          std::string_view prefix,
                                          std::size_t first,
                                          std::string_view gap_description) {
  std::map<std::size_t, std::size_t> column_by_number;
  for (std::size_t column = 0; column < table.column_count(); ++column) {
    const std::optional<std::size_t> number = column_number(table.header()[column], prefix);
    if (!number) continue;
    if (*number < first) {
      throw InputError(fmt::format("{}: column '{}' is numbered below {}{}, where numbering starts",
                                   header_location(table), table.header()[column], prefix, first));
    }
    const auto [existing, inserted] = column_by_number.emplace(*number, column);
    if (!inserted) {
      throw InputError(fmt::format("{}: column '{}' appears twice (columns {} and {})",
                                   header_location(table), table.header()[column],
                                   existing->second + 1, column + 1));
    }
  }

  std::vector<std::size_t> columns;
  std::size_t expected = first;
  for (const auto& [number, column] : column_by_number) {
    if (number != expected) {
      std::vector<std::string> present;
      for (const auto& entry : column_by_number) present.push_back(table.header()[entry.second]);
      throw InputError(fmt::format("{}: {}: '{}{}' is missing (found {})", header_location(table),
                                   gap_description, prefix, expected, fmt::join(present, ", ")));
    }
    columns.push_back(column);
    ++expected;
  }
  return columns;
}

std::vector<std::size_t> listed_columns(const CsvTable& table,
                                        const std::vector<std::string>& names,
                                        std::string_view kind) {
  std::vector<std::size_t> columns;
  columns.reserve(names.size());
  for (const std::string& name : names) {
    const std::optional<std::size_t> column = table.find_column(name);
    if (!column) {
      throw InputError(fmt::format("{}: no {} column '{}'; {}", header_location(table), kind, name,
                                   columns_found(table)));
    }
    columns.push_back(*column);
  }
  return columns;
}

ColumnLayout locate_columns(const CsvTable& table,
                            const TableColumns& settings,
                            bool features_in_table) {
  ColumnLayout layout;

  const std::optional<std::size_t> time = table.find_column(settings.time_column);
  if (!time) {
    throw InputError(fmt::format("{}: no time column '{}'; {}", header_location(table),
                                 settings.time_column, columns_found(table)));
  }
  layout.time = *time;

  if (features_in_table) {
    layout.features =
        settings.feature_columns.empty()
            ? numbered_columns(table, settings.feature_prefix, 1, "feature columns skip a number")
            : listed_columns(table, settings.feature_columns, "feature");
    if (layout.features.empty()) {
      throw InputError(fmt::format("{}: no feature columns ({}1, {}2, ...); {}",
                                   header_location(table), settings.feature_prefix,
                                   settings.feature_prefix, columns_found(table)));
    }
  }

  layout.levels =
      settings.level_columns.empty()
          ? numbered_columns(table, settings.level_prefix, 0, "annotation columns skip a level")
          : listed_columns(table, settings.level_columns, "annotation level");
  layout.priors =
      settings.prior_columns.empty()
          ? numbered_columns(table, settings.prior_prefix, 0, "prior columns skip a level")
          : listed_columns(table, settings.prior_columns, "prior");
  if (!layout.priors.empty() && layout.priors.size() != layout.levels.size()) {
    throw InputError(fmt::format(
        "{}: {} prior column(s) ({}) but {} annotation level column(s) ({}); give one prior "
        "column per level",
        header_location(table), layout.priors.size(),
        fmt::join(names_of(table, layout.priors), ", "), layout.levels.size(),
        fmt::join(names_of(table, layout.levels), ", ")));
  }

  if (!settings.weight_column.empty()) layout.weight = table.find_column(settings.weight_column);
  // The default weight column is optional; a column the user named on purpose is not, so a
  // misspelling cannot silently make every weight 1.
  if (!layout.weight && settings.weight_column != TableColumns{}.weight_column) {
    throw InputError(fmt::format(
        "{}: no weight column '{}' (data.columns.weight_column); columns "
        "found: {}",
        header_location(table), settings.weight_column, fmt::join(table.header(), ", ")));
  }
  return layout;
}

std::string label_at(const CsvTable& table, std::size_t row, std::size_t column) {
  const std::string_view label = trim_spaces(table.field(row, column));
  if (label.empty()) throw InputError(fmt::format("{}: empty label", table.describe(row, column)));
  return std::string(label);
}

// Fills everything but the features from the CSV rows.
void fill_rows(const CsvTable& table, const ColumnLayout& layout, CellTable& cells) {
  const std::size_t count = table.row_count();
  if (count == 0) {
    throw InputError(fmt::format("{}: no data rows (only the header)", table.source()));
  }
  cells.source = table.source();
  cells.cell_count = count;
  cells.level_names = names_of(table, layout.levels);
  cells.prior_names = names_of(table, layout.priors);
  cells.time.resize(count);
  cells.weight.assign(count, 1.0);
  cells.line.resize(count);
  cells.levels.assign(layout.levels.size(), std::vector<std::string>(count));
  cells.priors.assign(layout.priors.size(), std::vector<std::string>(count));

  for (std::size_t row = 0; row < count; ++row) {
    cells.line[row] = table.line(row);

    const double time = table.number(row, layout.time);
    if (!std::isfinite(time)) {
      throw InputError(fmt::format("{}: time must be finite, found '{}'",
                                   table.describe(row, layout.time),
                                   trim_spaces(table.field(row, layout.time))));
    }
    cells.time[row] = time;

    for (std::size_t level = 0; level < layout.levels.size(); ++level) {
      cells.levels[level][row] = label_at(table, row, layout.levels[level]);
    }
    for (std::size_t level = 0; level < layout.priors.size(); ++level) {
      cells.priors[level][row] = label_at(table, row, layout.priors[level]);
    }

    if (layout.weight) {
      const double weight = table.number(row, *layout.weight);
      if (!std::isfinite(weight) || weight < 0.0) {
        throw InputError(fmt::format("{}: cell weight must be finite and >= 0, found '{}'",
                                     table.describe(row, *layout.weight),
                                     trim_spaces(table.field(row, *layout.weight))));
      }
      cells.weight[row] = weight;
    }
  }
}

void fill_features_from_table(const CsvTable& table, const ColumnLayout& layout, CellTable& cells) {
  const std::size_t dimension = layout.features.size();
  cells.dimension = dimension;
  cells.feature_names = names_of(table, layout.features);
  cells.features.resize(cells.cell_count * dimension);

  for (std::size_t row = 0; row < cells.cell_count; ++row) {
    double* out = cells.features.data() + row * dimension;
    for (std::size_t k = 0; k < dimension; ++k) {
      const double value = table.number(row, layout.features[k]);
      if (!std::isfinite(value)) {
        throw InputError(fmt::format("{}: coordinate must be finite, found '{}'",
                                     table.describe(row, layout.features[k]),
                                     trim_spaces(table.field(row, layout.features[k]))));
      }
      out[k] = value;
    }
  }
}

}  // namespace

CellTable read_cell_table_csv(const std::filesystem::path& path, const TableColumns& columns) {
  const CsvTable table = read_csv_file(path);
  const ColumnLayout layout = locate_columns(table, columns, /*features_in_table=*/true);
  CellTable cells;
  fill_rows(table, layout, cells);
  fill_features_from_table(table, layout, cells);
  return cells;
}

CellTable read_cell_table_npy(const std::filesystem::path& embedding_npy,
                              const std::filesystem::path& labels_csv,
                              const TableColumns& columns) {
  NpyArray embedding = read_npy(embedding_npy);
  if (embedding.shape.size() != 2) {
    throw InputError(fmt::format("{}: expected a 2-D array (cells x features), found shape {}",
                                 embedding_npy.string(), format_shape(embedding.shape)));
  }
  const std::size_t rows = embedding.shape[0];
  const std::size_t dimension = embedding.shape[1];
  if (dimension == 0) {
    throw InputError(fmt::format("{}: no feature columns (shape {})", embedding_npy.string(),
                                 format_shape(embedding.shape)));
  }

  const CsvTable table = read_csv_file(labels_csv);
  const ColumnLayout layout = locate_columns(table, columns, /*features_in_table=*/false);
  if (table.row_count() != rows) {
    throw InputError(fmt::format(
        "{} has {} rows but {} has {} data rows; they must list the same cells in the same order",
        embedding_npy.string(), rows, labels_csv.string(), table.row_count()));
  }
  CellTable cells;
  fill_rows(table, layout, cells);

  if (!columns.feature_columns.empty() && columns.feature_columns.size() != dimension) {
    throw InputError(fmt::format("{}: {} feature names are given but the embedding has {} columns",
                                 embedding_npy.string(), columns.feature_columns.size(),
                                 dimension));
  }
  cells.dimension = dimension;
  cells.feature_names = columns.feature_columns;
  const std::string prefix = columns.feature_prefix.empty() ? "x" : columns.feature_prefix;
  for (std::size_t k = cells.feature_names.size(); k < dimension; ++k) {
    cells.feature_names.push_back(prefix + std::to_string(k + 1));
  }

  for (std::size_t i = 0; i < embedding.values.size(); ++i) {
    if (!std::isfinite(embedding.values[i])) {
      throw InputError(fmt::format("{}: row {}, column {} (counting from 0) is not finite ({})",
                                   embedding_npy.string(), i / dimension, i % dimension,
                                   embedding.values[i]));
    }
  }
  cells.features = std::move(embedding.values);
  return cells;
}

}  // namespace mustfm
