#include "engine/context.h"

#include <omp.h>

#include <algorithm>

#include <fmt/format.h>

namespace mustfm {

Context::Context(const ContextOptions& options) : seed_(options.seed) {
  auto sink = options.log_sink ? options.log_sink : make_stderr_sink();
  logger_ = std::make_shared<Logger>("mustfm", sink);
  logger_->set_level(parse_log_level(options.log_level));
  logger_->flush_on(spdlog::level::info);

  MUSTFM_EXPECTS(options.cpu_threads >= 0,
                 "backend.threads must be 0 (all cores) or positive, got " +
                     std::to_string(options.cpu_threads));
  if (options.cpu_threads > 0) omp_set_num_threads(options.cpu_threads);
  cpu_threads_ = omp_get_max_threads();

  if (options.device == "cpu") {
    exec_.backend = Backend::cpu;
  } else if (options.device == "cuda" || options.device == "auto") {
    int devices = cuda_device_count();
    bool usable = devices > options.device_index;
    if (options.device == "cuda" && !usable)
      throw InputError(
          "backend.device is \"cuda\" but " + cuda_device_summary() +
          (devices > 0 ? " (device_index " + std::to_string(options.device_index) + " out of range)"
                       : ""));
    exec_.backend = usable ? Backend::cuda : Backend::cpu;
  } else {
    throw InputError("backend.device must be \"auto\", \"cpu\" or \"cuda\", got \"" +
                     options.device + "\"");
  }
  exec_.device = options.device_index;
  if (exec_.backend == Backend::cuda) create_cuda_resources();
}

Context::~Context() {
  if (exec_.backend == Backend::cuda) destroy_cuda_resources();
}

void Context::add_log_sink(std::shared_ptr<LogSink> sink) {
  logger_->sinks().push_back(std::move(sink));
}

void Context::remove_log_sink(const std::shared_ptr<LogSink>& sink) {
  auto& sinks = logger_->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
}

std::string Context::describe() const {
  if (exec_.backend == Backend::cuda)
    return fmt::format("backend cuda, device {} ({})", exec_.device, cuda_device_summary());
  return fmt::format("backend cpu, {} OpenMP threads", cpu_threads_);
}

#ifndef MUSTFM_WITH_CUDA
void Context::create_cuda_resources() {
  MUSTFM_ASSERT(false, "CUDA backend selected in a build without CUDA");
}
void Context::destroy_cuda_resources() noexcept {}
void Context::synchronize() {}
#endif

}  // namespace mustfm
