// JSON text to a JSON value, with errors a person can act on: a syntax error names
// file:line:column and the parser's reason; a key written twice in one object is an error.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mustfm::detail {

// Parses JSON text with // and /* */ comments allowed. A syntax error throws InputError
// "<source>:<line>:<column>: <reason>" ("line <l>, column <c>: <reason>" when `source` is empty,
// for text that came from no file). A repeated key throws too, because with a plain parse the
// later value would silently win.
nlohmann::json parse_json_text(const std::string& text, const std::string& source);

// 1-based line and column (counting characters, not bytes) of the byte at `offset` in `text`.
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 1;
};
TextPosition position_of_offset(std::string_view text, std::size_t offset);

}  // namespace mustfm::detail
