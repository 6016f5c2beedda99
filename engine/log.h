// A levelled logger (spdlog) owned by the Context, never registered globally, so a host program
// can embed several engines and route each one's messages to its own sink.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>

namespace mustfm {

using Logger = spdlog::logger;
using LogSink = spdlog::sinks::sink;

// Coloured stderr sink; the default for the command-line program.
std::shared_ptr<LogSink> make_stderr_sink();

// Appends to `path` (created if missing); for the run folder's log file.
std::shared_ptr<LogSink> make_file_sink(const std::string& path);

// Parses "trace", "debug", "info", "warn", "error", "off"; throws InputError naming the value.
spdlog::level::level_enum parse_log_level(const std::string& name);

}  // namespace mustfm
