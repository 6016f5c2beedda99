#include "io/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "io/atomic_file.h"
#include "kernels/common/error.h"

namespace mustfm {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_space_or_line_end(char c) {
  return is_blank(c) || c == '\r' || c == '\n';
}

// Long fields are cut in messages so that one bad cell cannot flood a terminal.
std::string quote_for_message(std::string_view text) {
  constexpr std::size_t kLongest = 60;
  if (text.size() <= kLongest) return fmt::format("'{}'", text);
  return fmt::format("'{}...'", text.substr(0, kLongest));
}

// Splits text into records of field spans. Quoted fields are unescaped in place: the unescaped
// text is never longer than the quoted text, so writing it over the input is safe.
class Tokenizer {
 public:
  struct Span {
    std::size_t offset = 0;
    std::size_t size = 0;
  };

  Tokenizer(std::string& text,
            std::size_t start,
            std::size_t content_end,
            const std::string& source)
      : text_(text), pos_(start), content_end_(content_end), source_(source) {}

  bool has_record() const { return pos_ < content_end_; }
  std::size_t line() const { return line_; }

  // Reads one record: one line, or several when a quoted field holds line breaks.
  void read_record(std::vector<Span>& fields) {
    fields.clear();
    while (true) {
      fields.push_back(pos_ < text_.size() && text_[pos_] == '"' ? read_quoted_field()
                                                                 : read_plain_field());
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      // At '\n' or the end of the text; a '\r' before the '\n' was consumed by the field.
      if (pos_ < text_.size()) {
        ++pos_;
        ++line_;
      }
      return;
    }
  }

 private:
  Span read_plain_field() {
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') ++pos_;
    std::size_t end = pos_;
    const bool at_line_end = pos_ == text_.size() || text_[pos_] == '\n';
    if (at_line_end && end > begin && text_[end - 1] == '\r') --end;
    return {begin, end - begin};
  }

  Span read_quoted_field() {
    const std::size_t opening_line = line_;
    ++pos_;
    const std::size_t begin = pos_;
    std::size_t write = pos_;
    while (true) {
      if (pos_ == text_.size()) {
        throw InputError(fmt::format("{}, line {}: a quoted field is never closed (no ending '\"')",
                                     source_, opening_line));
      }
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          text_[write++] = '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '\n') ++line_;
      text_[write++] = c;
      ++pos_;
    }

    // Only spaces may follow the closing quote before the separator or the line end.
    while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
    const bool carriage_return_ends_line = pos_ < text_.size() && text_[pos_] == '\r' &&
                                           (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n');
    if (carriage_return_ends_line) ++pos_;
    if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
      throw InputError(fmt::format(
          "{}, line {}: unexpected text after the closing quote of a field", source_, line_));
    }
    return {begin, write - begin};
  }

  std::string& text_;
  std::size_t pos_;
  std::size_t content_end_;
  const std::string& source_;
  std::size_t line_ = 1;
};

}  // namespace

CsvTable parse_csv(std::string text, std::string source) {
  CsvTable table;
  table.source_ = std::move(source);
  table.text_ = std::move(text);
  const std::string& text_ref = table.text_;

  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  const std::size_t start = std::string_view(text_ref).starts_with(kByteOrderMark) ? 3 : 0;

  // Blank lines at the end are not rows: stop reading at the end of the last line that holds
  // anything but spaces.
  std::size_t last_visible = text_ref.size();
  while (last_visible > start && is_space_or_line_end(text_ref[last_visible - 1])) --last_visible;
  if (last_visible == start) {
    throw InputError(fmt::format("{}: the file is empty (no header row)", table.source_));
  }
  const std::size_t newline_after = text_ref.find('\n', last_visible);
  const std::size_t content_end =
      newline_after == std::string::npos ? text_ref.size() : newline_after;

  Tokenizer tokenizer(table.text_, start, content_end, table.source_);
  std::vector<Tokenizer::Span> record;
  tokenizer.read_record(record);
  table.header_.reserve(record.size());
  for (const Tokenizer::Span& span : record) {
    table.header_.emplace_back(
        trim_spaces(std::string_view(table.text_).substr(span.offset, span.size)));
  }

  const std::size_t columns = table.header_.size();
  const std::size_t line_breaks =
      static_cast<std::size_t>(std::count(table.text_.begin(), table.text_.end(), '\n'));
  table.fields_.reserve(line_breaks * columns);
  table.row_lines_.reserve(line_breaks);

  while (tokenizer.has_record()) {
    const std::size_t line = tokenizer.line();
    tokenizer.read_record(record);
    if (record.size() != columns) {
      const bool blank =
          record.size() == 1 &&
          trim_spaces(std::string_view(table.text_).substr(record[0].offset, record[0].size))
              .empty();
      throw InputError(fmt::format("{}, line {}: expected {} fields as in the header, found {}{}",
                                   table.source_, line, columns, record.size(),
                                   blank ? " (a blank line)" : ""));
    }
    for (const Tokenizer::Span& span : record) table.fields_.push_back({span.offset, span.size});
    table.row_lines_.push_back(line);
  }
  return table;
}

CsvTable read_csv_file(const std::filesystem::path& path) {
  return parse_csv(read_file_bytes(path), path.string());
}

std::optional<std::size_t> CsvTable::find_column(std::string_view name) const {
  std::optional<std::size_t> found;
  for (std::size_t column = 0; column < header_.size(); ++column) {
    if (header_[column] != name) continue;
    if (found) {
      throw InputError(fmt::format("{}, line 1: column '{}' appears twice (columns {} and {})",
                                   source_, name, *found + 1, column + 1));
    }
    found = column;
  }
  return found;
}

std::string CsvTable::describe(std::size_t row, std::size_t column) const {
  return fmt::format("{}, line {}, column '{}'", source_, line(row), header_[column]);
}

double CsvTable::number(std::size_t row, std::size_t column) const {
  const std::string_view text = field(row, column);
  const std::optional<double> value = parse_double(text);
  if (!value) {
    throw InputError(fmt::format("{}: expected a number, found {}", describe(row, column),
                                 quote_for_message(text)));
  }
  return *value;
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<double> parse_double(std::string_view text) {
  text = trim_spaces(text);
  // from_chars rejects a leading '+', which spreadsheets sometimes write.
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) return std::nullopt;
  }
  if (text.empty()) return std::nullopt;

  double value = 0.0;
  const char* end = text.data() + text.size();
  const std::from_chars_result result = std::from_chars(text.data(), end, value);
  if (result.ptr != end) return std::nullopt;
  if (result.ec == std::errc()) return value;
  if (result.ec != std::errc::result_out_of_range) return std::nullopt;

  // Out of range leaves `value` untouched and does not say in which direction; strtod does
  // (+-HUGE_VAL for overflow, a subnormal or zero for underflow). The text is known to be a
  // well-formed number here, so strtod reads all of it.
  const std::string copy(text);
  return std::strtod(copy.c_str(), nullptr);
}

}  // namespace mustfm
