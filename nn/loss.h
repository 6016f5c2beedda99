// The weighted flow-matching loss of one network output (DESIGN.md section 8), fused with the
// gradient that starts the network's backward pass. With y the output and target the velocity
// or growth target (rows x width, row-major) and w one loss weight m(s) / m0 per row:
//   loss      = sum_{r,j} w_r (y_rj - target_rj)^2 / (rows width)
//   dL/dy_rj  = 2 w_r (y_rj - target_rj) / (rows width)
// The per-entry formula is kernels/weighted_mse.h on both backends; the sum is taken in double,
// in a fixed order, so a backend gives the same bits on every run.
//
// Every view lives in the memory of exec's backend (host for the CPU, device for CUDA). Two
// forms:
//  * weighted_mse_loss(..., LossScratch&) leaves the loss in the scratch. On CUDA it queues two
//    kernels on exec.stream and returns without waiting: the loss is read later with
//    LossScratch::read(), or used on the device through value(). It neither allocates nor
//    synchronizes, so it may be captured in a CUDA graph with the rest of a training step; each
//    replay rewrites value().
//  * weighted_mse_loss(...) returning the loss is a convenience that waits for the result; on
//    CUDA it allocates a small scratch per call (cudaMalloc and cudaFree synchronize the device),
//    so it is meant for tests and one-off evaluations, not for training loops or capture.
#pragma once

#include <cstddef>
#include <string>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

namespace detail {
struct LossScratchAccess;
}  // namespace detail

// Where the loss of weighted_mse_loss lands: one double, plus the partial sums of the CUDA
// reduction (about 8 KiB in device memory; nothing more on the host).
class LossScratch {
 public:
  // A device scratch needs the CUDA backend (RuntimeFailure from the allocator otherwise).
  LossScratch(Allocator& allocator, MemorySpace space, const std::string& purpose);

  MemorySpace space() const { return value_.space(); }
  // The loss of the last call: one double in space().
  View<const double> value() const { return value_.cview(); }
  // Copies value() to the host; waits for the work queued on the device.
  double read() const;

 private:
  friend struct detail::LossScratchAccess;
  Buffer<double> partials_;
  Buffer<double> value_;
};

// Assigns dL/dy to grad_y (which may share memory with y) and the loss to scratch.value().
void weighted_mse_loss(const Exec& exec,
                       View<const float> y,
                       View<const float> target,
                       View<const float> weight,
                       std::size_t rows,
                       std::size_t width,
                       View<float> grad_y,
                       LossScratch& scratch);
void weighted_mse_loss(const Exec& exec,
                       View<const double> y,
                       View<const double> target,
                       View<const double> weight,
                       std::size_t rows,
                       std::size_t width,
                       View<double> grad_y,
                       LossScratch& scratch);

// Returns the loss and assigns dL/dy to grad_y (which may share memory with y); waits for it.
double weighted_mse_loss(const Exec& exec,
                         View<const float> y,
                         View<const float> target,
                         View<const float> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<float> grad_y);
double weighted_mse_loss(const Exec& exec,
                         View<const double> y,
                         View<const double> target,
                         View<const double> weight,
                         std::size_t rows,
                         std::size_t width,
                         View<double> grad_y);

}  // namespace mustfm
