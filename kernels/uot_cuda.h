// CUDA backend of the unbalanced transport solvers (kernels/uot_solver.h), for the dispatch in
// kernels/uot_solver.cpp and for benchmarks. A plain C++ header: the device state sits behind a
// pointer to an implementation defined in kernels/uot_sinkhorn.cu. Names as in
// kernels/uot_solver.h.
#pragma once

#ifdef MUSTFM_WITH_CUDA

#include <memory>

#include "kernels/common/backend.h"
#include "kernels/uot_cpu.h"

namespace mustfm::detail {

// Both take a prepared problem in host memory (its transpose may be null), run on exec.stream
// and return once the raw result is back on the host. The iteration and stopping rules are
// those of sinkhorn_cpu and mm_cpu.
UotRaw sinkhorn_cuda(const Exec& exec, const UotPrepared& problem, const UotOptions& options);
UotRaw mm_cuda(const Exec& exec, const UotPrepared& problem, const UotOptions& options);

// The Sinkhorn passes on a problem uploaded once, with potentials from the options' warm start
// (or 0): what sinkhorn_cuda iterates, exposed so a benchmark can time one pass pair alone.
// The problem must outlive the object.
class SinkhornCudaPasses {
 public:
  SinkhornCudaPasses(const Exec& exec, const UotPrepared& problem, const UotOptions& options);
  ~SinkhornCudaPasses();
  SinkhornCudaPasses(const SinkhornCudaPasses&) = delete;
  SinkhornCudaPasses& operator=(const SinkhornCudaPasses&) = delete;

  // One column pass then one row pass at `eps` (queued on the stream, no synchronization).
  void pass_pair(double eps);
  // Waits for the queued passes.
  void synchronize();

  // The device state, defined in kernels/uot_sinkhorn.cu.
  struct State;

 private:
  friend UotRaw sinkhorn_cuda(const Exec&, const UotPrepared&, const UotOptions&);
  std::unique_ptr<State> state_;
};

}  // namespace mustfm::detail

#endif  // MUSTFM_WITH_CUDA
