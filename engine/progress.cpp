#include "engine/progress.h"

#include <exception>

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace mustfm {

namespace {
std::string format_seconds(double seconds) {
  if (seconds < 60) return fmt::format("{:.0f}s", seconds);
  long whole = static_cast<long>(seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{:.1f}h", seconds / 3600);
}
}  // namespace

Progress::Progress(Logger& logger, std::string label, std::int64_t total, double interval_seconds)
    : logger_(logger),
      label_(std::move(label)),
      total_(total),
      interval_seconds_(interval_seconds),
      interactive_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_),
      uncaught_at_start_(std::uncaught_exceptions()) {}

double Progress::seconds_elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Progress::~Progress() {
  if (finished_) return;
  // Unwinding from an error or an interruption: say where the work stopped, not that it is
  // done.
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    if (interactive_) std::fprintf(stderr, "\r\033[K");
    // Time, not a count: the count is only as fresh as the last report.
    logger_.info("{}: stopped after {}", label_, format_seconds(seconds_elapsed()));
    return;
  }
  finish();
}

std::string Progress::format_line(std::int64_t done, const std::string& detail) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const std::int64_t shown = done_before_ + done;
  const std::int64_t shown_total = done_before_ + total_;
  std::string line = label_;
  if (!show_rate_ && total_ > 0)  // a count in such units means nothing either: the share only
    line += fmt::format(" {:.0f}%", 100.0 * shown / shown_total);
  else if (total_ > 0)
    line += fmt::format(" {}/{} ({:.0f}%)", shown, shown_total, 100.0 * shown / shown_total);
  else
    line += fmt::format(" {}", shown);
  if (show_rate_) line += fmt::format(", {:.3g}/s", rate);
  if (total_ > 0 && rate > 0 && done < total_)
    line += ", " + format_seconds(static_cast<double>(total_ - done) / rate) + " left";
  if (!detail.empty()) line += ", " + detail;
  return line;
}

void Progress::update(std::int64_t done, const std::string& detail) {
  last_done_ = done;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_report_).count();
  if (interactive_) {
    // A terminal can take frequent redraws, but not one per step of a fast loop.
    if (since < 0.1) return;
    std::fprintf(stderr, "\r\033[K%s", format_line(done, detail).c_str());
    std::fflush(stderr);
  } else {
    if (since < interval_seconds_) return;
    logger_.info("{}", format_line(done, detail));
  }
  last_report_ = now;
}

void Progress::finish(const std::string& detail) {
  finished_ = true;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (interactive_) std::fprintf(stderr, "\r\033[K");
  const std::string count =
      show_rate_ ? fmt::format(" {}", done_before_ + last_done_) : std::string();
  logger_.info("{}{} done in {}{}", label_, count, format_seconds(elapsed),
               detail.empty() ? "" : ", " + detail);
}

}  // namespace mustfm
