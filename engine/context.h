// The Context owns everything a computation needs from its surroundings: the backend (CPU, or a
// CUDA device with its stream and library handles), the allocator with its per-purpose byte
// counts, the seed of the counter-based random numbers, and the logger. There is no global
// state, so a host program may create several contexts.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/log.h"
#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

struct ContextOptions {
  // "auto" (CUDA when compiled and a device is present, else CPU), "cpu" or "cuda".
  std::string device = "auto";
  int device_index = 0;
  // OpenMP threads for the CPU backend; 0 keeps the OpenMP default (all cores).
  int cpu_threads = 0;
  std::uint64_t seed = 0;
  // Where log messages go; stderr when null.
  std::shared_ptr<LogSink> log_sink;
  std::string log_level = "info";
};

class Context {
 public:
  // Throws InputError for an unknown device name or when "cuda" is asked for but unavailable.
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Backend backend() const { return exec_.backend; }
  const Exec& exec() const { return exec_; }
  Allocator& allocator() { return allocator_; }
  Logger& log() { return *logger_; }
  std::uint64_t seed() const { return seed_; }
  // Memory space where this backend's kernels read and write.
  MemorySpace compute_space() const {
    return exec_.backend == Backend::cuda ? MemorySpace::device : MemorySpace::host;
  }

  // Adds a second destination for log messages (e.g. the run folder's log file).
  void add_log_sink(std::shared_ptr<LogSink> sink);
  void remove_log_sink(const std::shared_ptr<LogSink>& sink);
  // A flag the caller sets to ask long work (training, prediction) to stop at its next safe
  // point; null (the default) never stops. The flag must outlive the context's use.
  void set_stop_flag(const std::atomic<bool>* flag) { stop_flag_ = flag; }
  bool stop_requested() const {
    return stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed);
  }

  // Waits for all queued work on this context's stream (no-op on the CPU).
  void synchronize();
  // One line: backend, device and thread count.
  std::string describe() const;

 private:
  void create_cuda_resources();
  void destroy_cuda_resources() noexcept;

  Exec exec_;
  Allocator allocator_;
  std::shared_ptr<Logger> logger_;
  std::uint64_t seed_ = 0;
  int cpu_threads_ = 0;
  const std::atomic<bool>* stop_flag_ = nullptr;
};

}  // namespace mustfm
