// Progress for long loops. On a terminal: one line on stderr, rewritten in place. Otherwise (log
// files, CI): a plain log line at most every `interval_seconds`, plus one at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/log.h"

namespace mustfm {

class Progress {
 public:
  // `total` may be 0 when unknown (no time estimate then).
  Progress(Logger& logger, std::string label, std::int64_t total, double interval_seconds = 10.0);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();

  // Reports that `done` units are finished; `detail` is appended (e.g. "loss 0.013").
  void update(std::int64_t done, const std::string& detail = "");
  // Final line; called by the destructor if not called before.
  void finish(const std::string& detail = "");

  // Overrides terminal detection (tests, embedding programs).
  void set_interactive(bool interactive) { interactive_ = interactive; }
  // Leaves the rate and the count out of the line, for units that mean nothing to a reader (a
  // share of a time span, say): the line shows the percentage and the time left.
  void hide_rate() { show_rate_ = false; }
  // Work done before this Progress began (a resumed run): lines count from it, while the rate
  // and the time left come from the work done since.
  void set_done_before(std::int64_t done) { done_before_ = done; }

 private:
  std::string format_line(std::int64_t done, const std::string& detail) const;
  double seconds_elapsed() const;

  Logger& logger_;
  std::string label_;
  std::int64_t total_;
  double interval_seconds_;
  bool interactive_;
  bool finished_ = false;
  bool show_rate_ = true;
  std::int64_t done_before_ = 0;
  std::int64_t last_done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
  int uncaught_at_start_ = 0;
};

}  // namespace mustfm
