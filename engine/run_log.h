// The log of one run: messages are kept in memory from the start of the run and go to the run
// folder's mustfm.log once the folder exists (it is created only after the input checks pass),
// so the file holds the whole run, from the resolved job on.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/context.h"

namespace mustfm {

class RunLog {
 public:
  // Starts keeping the context's messages in memory.
  explicit RunLog(Context& context);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  // Appends the kept messages to `path` and sends every later message there too.
  void attach_file(const std::filesystem::path& path);

  // An info message for the log file only: long texts (the resolved job) that would push the
  // terminal's useful lines out of sight.
  void record_in_file(const std::string& text);

 private:
  Context& context_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> early_;
  std::shared_ptr<LogSink> file_;
};

}  // namespace mustfm
