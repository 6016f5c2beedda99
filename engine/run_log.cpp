#include "engine/run_log.h"

#include <fstream>

#include "kernels/common/error.h"

namespace mustfm {

namespace {
// Messages logged before the run folder exists: the resolved job and the data summary, a few
// hundred lines at most.
constexpr std::size_t kEarlyMessages = 4096;
constexpr const char* kFilePattern = "[%Y-%m-%d %H:%M:%S.%e] %l %v";
}  // namespace

RunLog::RunLog(Context& context)
    : context_(context),
      early_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(kEarlyMessages)) {
  early_->set_pattern(kFilePattern);
  context_.add_log_sink(early_);
}

RunLog::~RunLog() {
  context_.remove_log_sink(early_);
  if (file_) context_.remove_log_sink(file_);
}

void RunLog::attach_file(const std::filesystem::path& path) {
  {
    std::ofstream out(path, std::ios::app);
    if (!out) throw RuntimeFailure("cannot open the log file " + path.string());
    for (const std::string& line : early_->last_formatted()) out << line;
  }
  context_.remove_log_sink(early_);
  file_ = make_file_sink(path.string());
  context_.add_log_sink(file_);
}

void RunLog::record_in_file(const std::string& text) {
  if (!context_.log().should_log(spdlog::level::info)) return;
  const spdlog::details::log_msg message(context_.log().name(), spdlog::level::info, text);
  if (file_)
    file_->log(message);
  else
    early_->log(message);
}

}  // namespace mustfm
