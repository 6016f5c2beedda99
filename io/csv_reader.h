// A small CSV tokenizer for cell tables: a header row, comma-separated fields, double-quoted
// fields with "" escapes, LF or CRLF line ends (mixed too), an optional UTF-8 byte order mark,
// an optional final newline. Blank lines at the end are skipped; a blank line before the last
// row is a row with too few fields. Every row must have as many fields as the header.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mustfm {

class CsvTable {
 public:
  // Where the text came from, as shown in messages (usually the file path).
  const std::string& source() const { return source_; }
  // Column names with surrounding spaces removed.
  const std::vector<std::string>& header() const { return header_; }
  std::size_t column_count() const { return header_.size(); }
  std::size_t row_count() const { return row_lines_.size(); }

  // Data rows count from 0. A field's text is exactly as written: unquoted fields keep their
  // spaces, quoted fields lose their quotes and escapes.
  std::string_view field(std::size_t row, std::size_t column) const {
    const Span span = fields_[row * header_.size() + column];
    return std::string_view(text_).substr(span.offset, span.size);
  }
  // The 1-based line where the row starts (the header is line 1).
  std::size_t line(std::size_t row) const { return row_lines_[row]; }

  // Index of the column named `name`; nullopt when absent. InputError when it appears twice.
  std::optional<std::size_t> find_column(std::string_view name) const;

  // "cells.csv, line 5, column 'x1'": the prefix of every message about one field.
  std::string describe(std::size_t row, std::size_t column) const;

  // The field as a number (surrounding spaces allowed; inf and nan accepted, see parse_double).
  // InputError naming file, line, column and the text when the whole field is not a number.
  double number(std::size_t row, std::size_t column) const;

 private:
  friend CsvTable parse_csv(std::string text, std::string source);

  // Offsets rather than views into text_, so that moving the table cannot leave views dangling.
  struct Span {
    std::size_t offset = 0;
    std::size_t size = 0;
  };

  std::string source_;
  std::string text_;
  std::vector<std::string> header_;
  // Row-major row_count x column_count.
  std::vector<Span> fields_;
  std::vector<std::size_t> row_lines_;
};

// Tokenizes `text`; `source` names it in messages. Throws InputError for an empty text, a field
// count that differs from the header's, or an unterminated quote.
CsvTable parse_csv(std::string text, std::string source);

// Reads the whole file and tokenizes it. InputError when it is missing or unreadable.
CsvTable read_csv_file(const std::filesystem::path& path);

// `text` without the spaces and tabs around it.
std::string_view trim_spaces(std::string_view text);

// Parses the whole of `text` as a double, allowing spaces around it and a leading '+'. Accepts
// the spellings of infinity and NaN ("inf", "-Infinity", "nan"); a value too large for a double
// ("1e999") becomes an infinity, one too small ("1e-999") becomes zero or a subnormal. Returns
// nullopt when anything else is left over or nothing is there.
std::optional<double> parse_double(std::string_view text);

}  // namespace mustfm
