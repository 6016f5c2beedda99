#include "engine/training_state.h"

namespace mustfm {

std::string describe_widths(const std::vector<std::uint64_t>& widths) {
  if (widths.empty()) return "(no layers)";
  std::string text = std::to_string(widths.front()) + " -> [";
  for (std::size_t l = 1; l + 1 < widths.size(); ++l)
    text += (l > 1 ? ", " : "") + std::to_string(widths[l]);
  return text + "] -> " + std::to_string(widths.back());
}

}  // namespace mustfm
