#include "io/table_writer.h"

#include <fmt/format.h>

#include "io/atomic_file.h"

namespace mustfm {

namespace {
// Quotes a label only when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}
// Appends ',' and the field. (Spelled out: GCC 12 warns falsely on `"," + std::string`.)
void append_field(std::string& text, const std::string& field) {
  text.push_back(',');
  text += csv_field(field);
}

}  // namespace

std::string cell_table_to_csv(const CellTable& table) {
  std::string text = "samples";
  for (const std::string& name : table.feature_names) append_field(text, name);
  for (const std::string& name : table.level_names) append_field(text, name);
  for (const std::string& name : table.prior_names) append_field(text, name);
  text += ",cell_weight\n";

  // "{}" prints the shortest text that reads back as the same double.
  for (std::size_t i = 0; i < table.cell_count; ++i) {
    text += fmt::format("{}", table.time[i]);
    for (std::size_t k = 0; k < table.dimension; ++k)
      text += fmt::format(",{}", table.features[i * table.dimension + k]);
    for (const auto& level : table.levels) append_field(text, level[i]);
    for (const auto& prior : table.priors) append_field(text, prior[i]);
    text += fmt::format(",{}\n", table.weight.empty() ? 1.0 : table.weight[i]);
  }
  return text;
}

void write_cell_table_csv(const std::filesystem::path& path, const CellTable& table) {
  write_text_file_atomic(path, cell_table_to_csv(table));
}

}  // namespace mustfm
