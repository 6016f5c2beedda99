#include "engine/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "kernels/common/error.h"

namespace mustfm {

std::shared_ptr<LogSink> make_stderr_sink() {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern("[%H:%M:%S.%e] %^%l%$ %v");
  return sink;
}

std::shared_ptr<LogSink> make_file_sink(const std::string& path) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l %v");
  return sink;
}

spdlog::level::level_enum parse_log_level(const std::string& name) {
  static const char* names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  for (int level = 0; level < 7; ++level)
    if (name == names[level]) return static_cast<spdlog::level::level_enum>(level);
  throw InputError("unknown log level \"" + name +
                   "\" (expected trace, debug, info, warn, error, critical or off)");
}

}  // namespace mustfm
