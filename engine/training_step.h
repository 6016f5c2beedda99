// One optimizer step of flow-matching training (DESIGN.md section 8). A TrainingStep owns both
// networks (velocity [t, x] -> d and growth [t, x] -> 1), their parameters, gradients,
// workspaces, Adam states and moving averages, the cosine schedule, the intervals' pair
// distributions and the batch the fused sampler fills. step():
//   1. draws batch_size pairs from every interval (interval k fills rows k B .. (k + 1) B - 1)
//      with the sampler's random numbers at (seed, k, steps taken so far);
//   2. runs both networks forward on [t, x(s)];
//   3. forms loss = weighted MSE(v, u) + weighted MSE(g, q) and its output gradients (fused);
//   4. backward through both networks;
//   5. one Adam step each at the scheduled learning rate lr(steps taken), then the EMA update.
// All of it is queued on exec.stream and the losses land in device-side scratch. On CUDA the
// step number, learning rate and Adam scalars live in a device-resident clock
// (kernels/training_clock.h) that the sampler and Adam read through a pointer and a last small
// kernel advances, so nothing in a step depends on host values that change: capture_graph()
// records the whole step once, and from then on each step is one CUDA graph launch. advance()
// queues a step without waiting; step() also reads the losses, the only host synchronization.
// The CPU passes the same scalars, formed by the same functions, as arguments.
//
// Real is the network precision: float for training, double for gradient checks (the sampler
// always writes float; a double step converts the batch on the CPU, the only backend it runs
// on).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/sampler_setup.h"
#include "engine/training_state.h"
#include "io/job.h"
#include "kernels/common/backend.h"
#include "kernels/common/memory.h"
#include "kernels/pair_sampler.h"
#include "kernels/training_clock.h"
#include "nn/adam.h"
#include "nn/captured_work.h"
#include "nn/loss.h"
#include "nn/mlp.h"
#include "nn/schedule.h"

namespace mustfm {

// One network and everything its training needs.
template <class Real>
struct TrainedNetwork {
  TrainedNetwork(const std::string& name,
                 const MlpShape& shape,
                 std::size_t max_batch,
                 Allocator& allocator,
                 MemorySpace space);

  std::string name;
  Mlp<Real> mlp;
  Buffer<Real> parameters;
  Buffer<Real> gradients;
  // The parameter moving average used for prediction.
  Buffer<Real> average;
  // dL/d(output), max_batch x outputs.
  Buffer<Real> output_gradient;
  MlpWorkspace<Real> workspace;
  // The network's loss of the last pass, read once the step's work is queued.
  LossScratch loss;
  Adam<Real> adam;
};

struct TrainingLoss {
  double velocity = 0.0;
  double growth = 0.0;
  // The learning rate the step used (0 for a step that did not update).
  double learning_rate = 0.0;
  double total() const { return velocity + growth; }
};

// Philox streams of the two networks' initial parameters. Sampling uses stream = interval index,
// so these sit far above any interval count.
inline constexpr std::uint32_t kVelocityInitStream = 0x80000000u;
inline constexpr std::uint32_t kGrowthInitStream = 0x80000001u;

template <class Real>
class TrainingStep {
 public:
  // Networks from job.model, schedule, batch size and EMA decay from job.training, seed from
  // job.seed; one interval per element of `intervals`, all in exec's memory space and of one
  // dimension. Throws InputError for no intervals, mixed dimensions, intervals in the wrong
  // memory space, or a double-precision step on a backend other than the CPU.
  TrainingStep(const Exec& exec,
               Allocator& allocator,
               const Job& job,
               std::vector<PairSamplerData> intervals);
  ~TrainingStep();
  TrainingStep(const TrainingStep&) = delete;
  TrainingStep& operator=(const TrainingStep&) = delete;

  // One full training step (steps 1 to 5 above); returns the loss parts before the update.
  TrainingLoss step();
  // The same step, queued: returns without waiting for the device (a graph launch once
  // captured). last_loss() reads its losses.
  void advance();
  // The loss parts of the last step(), advance() or evaluate(); waits for queued work. The
  // learning rate is left 0.
  TrainingLoss last_loss() const;

  // CUDA: records one whole step (steps 1 to 5 and the clock's advance) as a CUDA graph without
  // running it; step() and advance() then replay it. Parameters, state() and restore() keep
  // working as before, since the graph reads and writes the step's own buffers. Throws
  // InputError on the CPU backend or when a graph is already captured.
  void capture_graph();
  bool graph_captured() const { return graph_ != nullptr; }
  // Steps 1 to 4 only: the gradients of the current step's loss are left in each network's
  // `gradients`; parameters and the step count do not change.
  TrainingLoss evaluate();

  std::int64_t steps_taken() const { return steps_taken_; }
  std::size_t dimension() const { return dimension_; }
  std::size_t batch_rows() const { return batch_rows_; }
  std::uint64_t seed() const { return seed_; }
  const CosineSchedule& schedule() const { return schedule_; }
  const Exec& exec() const { return exec_; }

  TrainedNetwork<Real>& velocity() { return velocity_; }
  TrainedNetwork<Real>& growth() { return growth_; }
  const TrainedNetwork<Real>& velocity() const { return velocity_; }
  const TrainedNetwork<Real>& growth() const { return growth_; }

  // The batch of the last evaluate() or step(), in exec's memory space (float, as the sampler
  // writes it): rows x (1 + d) inputs [t, x], rows x d targets u, rows targets q, rows weights.
  View<const float> batch_inputs() const { return sample_inputs_.cview(); }
  View<const float> batch_velocity_targets() const { return sample_velocity_.cview(); }
  View<const float> batch_growth_targets() const { return sample_growth_.cview(); }
  View<const float> batch_weights() const { return sample_weights_.cview(); }
  // Pairs the sampler could not use since construction. Waits for queued work.
  std::int64_t dropped_pairs() const;

  // Copies the state to the host (waits for queued work).
  TrainingState state() const;
  // Continues from `state`. Throws InputError naming `origin` when the precision, seed or a
  // network's shape differs from this step's, or a value array has the wrong length.
  void restore(const TrainingState& state, const std::string& origin);

 private:
  void sample_batch();
  // Steps 1 to 4, queued; the losses stay in the networks' scratch.
  void queue_loss_and_gradients();
  // Step 5 and, on CUDA, the clock's advance, queued.
  void queue_update();
  // Whole steps may be queued while the sampler's 32-bit step counter holds the step.
  void expect_step_in_range() const;
  bool on_device() const { return space_ == MemorySpace::device; }
  // The device clock's fields (CUDA only).
  const std::int64_t* device_step() const;
  const AdamCoefficients<Real>* device_adam_scalars(int network) const;
  void upload_clock();
  TrainingLoss read_losses() const;
  View<const Real> network_input() const;
  View<const Real> velocity_target() const;
  View<const Real> growth_target() const;
  View<const Real> loss_weight() const;

  Exec exec_;
  Allocator* allocator_ = nullptr;
  MemorySpace space_ = MemorySpace::host;
  std::uint64_t seed_ = 0;
  double ema_decay_ = 0.0;
  CosineSchedule schedule_;
  std::size_t dimension_ = 0;
  std::size_t batch_size_ = 0;
  std::size_t batch_rows_ = 0;
  std::int64_t steps_taken_ = 0;

  std::vector<PairSamplerData> intervals_;
  Buffer<float> sample_inputs_;
  Buffer<float> sample_velocity_;
  Buffer<float> sample_growth_;
  Buffer<float> sample_weights_;
  Buffer<int> dropped_;
  // The batch converted to Real; empty when Real is float.
  Buffer<Real> real_inputs_;
  Buffer<Real> real_velocity_;
  Buffer<Real> real_growth_;
  Buffer<Real> real_weights_;

  TrainedNetwork<Real> velocity_;
  TrainedNetwork<Real> growth_;

  // CUDA only: the device clock (one TrainingClock<Real>, as bytes), the cuBLAS workspace every
  // queued step binds, and the captured step.
  TrainingClockSettings clock_settings_;
  Buffer<unsigned char> clock_;
  Buffer<unsigned char> cublas_workspace_;
  std::unique_ptr<CapturedWork> graph_;
};

extern template class TrainingStep<float>;
extern template class TrainingStep<double>;

}  // namespace mustfm
