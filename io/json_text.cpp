#include "io/json_text.h"

#include <set>
#include <vector>

#include "kernels/common/error.h"

namespace mustfm::detail {

TextPosition position_of_offset(std::string_view text, std::size_t offset) {
  TextPosition position;
  const std::size_t end = std::min(offset, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      // UTF-8 continuation bytes belong to the character before them.
      ++position.column;
    }
  }
  return position;
}

namespace {

// Follows the parser through nested objects and arrays so that a repeated key can be reported
// with its JSON path ("coupling.delta", "data.prior_pairs[1].source").
class DuplicateKeyCheck {
 public:
  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
        frames_.push_back({false, {}, {}, 0});
        break;
      case Event::array_start:
        frames_.push_back({true, {}, {}, 0});
        break;
      case Event::key: {
        Frame& frame = frames_.back();
        frame.key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.key).second)
          throw InputError("duplicate key \"" + path() + "\"");
        break;
      }
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        element_done();
        break;
      case Event::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_array;
    std::set<std::string> keys;
    std::string key;
    std::size_t index;
  };

  void element_done() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().index;
  }

  std::string path() const {
    std::string result;
    for (const Frame& frame : frames_) {
      if (frame.is_array) {
        result += "[" + std::to_string(frame.index) + "]";
      } else {
        result += (result.empty() ? "" : ".") + frame.key;
      }
    }
    return result;
  }

  std::vector<Frame> frames_;
};

// The parser's reason without its "[json.exception...] parse error at line 2, column 3: " lead,
// since the location is reported from the byte offset in our own format.
std::string parser_reason(const std::string& what) {
  const std::size_t error = what.find("parse error");
  if (error == std::string::npos) return what;
  const std::size_t colon = what.find(": ", error);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text, DuplicateKeyCheck(), /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& error) {
    // `byte` counts from 1 and points at the last character read, the one that failed.
    const TextPosition at = position_of_offset(text, error.byte == 0 ? 0 : error.byte - 1);
    const std::string location =
        source.empty() ? "line " + std::to_string(at.line) + ", column " + std::to_string(at.column)
                       : source + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
    throw InputError(location + ": " + parser_reason(error.what()));
  } catch (const nlohmann::json::out_of_range& error) {
    // A number too large for a double ("1e400"); the parser names the token but no position,
    // so the token's first occurrence locates it.
    const std::string what = error.what();
    const std::size_t open = what.find('\'');
    const std::size_t close = what.rfind('\'');
    std::string location = source;
    if (open != std::string::npos && close > open) {
      const std::string token = what.substr(open + 1, close - open - 1);
      const std::size_t offset = text.find(token);
      if (offset != std::string::npos) {
        const TextPosition at = position_of_offset(text, offset);
        location += (source.empty() ? "line " : ":") + std::to_string(at.line) +
                    (source.empty() ? ", column " : ":") + std::to_string(at.column);
      }
      throw InputError(location + ": number " + token + " does not fit a double");
    }
    throw InputError(location + ": " + what);
  } catch (const InputError& error) {
    throw InputError((source.empty() ? "" : source + ": ") + error.what());
  }
}

}  // namespace mustfm::detail
