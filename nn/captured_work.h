// Records the work a function queues on the CUDA stream of an Exec as a CUDA graph and replays
// it with one launch: how a whole training step (TrainingStep::capture_graph) runs without
// paying for each kernel launch. A replay reads and writes the very buffers the recorded work
// used, so new inputs are written into those buffers before each replay. The work must only queue
// launches: no host copy (copy_bytes synchronizes the device), no allocation, no read-back such as
// LossScratch::read(), and not the MUSTFM_SYNC_LAUNCH_CHECKS debugging build, which synchronizes
// after every launch. A plain C++ header.
#pragma once

#include <functional>

#include "kernels/common/backend.h"

namespace mustfm {

class CapturedWork {
 public:
  // Runs `work` with exec.stream capturing: nothing executes, every launch is recorded. Throws
  // InputError for the CPU backend, the legacy default stream or a build without CUDA; an
  // exception from `work` ends the capture and propagates.
  CapturedWork(const Exec& exec, const std::function<void()>& work);
  ~CapturedWork();
  CapturedWork(const CapturedWork&) = delete;
  CapturedWork& operator=(const CapturedWork&) = delete;

  // Queues one run of the recorded work on the captured stream; returns without waiting.
  void replay() const;

 private:
  // cudaStream_t, cudaGraph_t and cudaGraphExec_t, type-erased so this header needs no CUDA.
  void* stream_ = nullptr;
  void* graph_ = nullptr;
  void* instance_ = nullptr;
};

}  // namespace mustfm
