#include "engine/training_step.h"

#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/training_clock_cuda.h"
#include "kernels/common/error.h"
#include "nn/dense_cuda.h"

namespace mustfm {
namespace {

MemorySpace compute_space(const Exec& exec) {
  return exec.backend == Backend::cuda ? MemorySpace::device : MemorySpace::host;
}

std::size_t interval_dimension(const std::vector<PairSamplerData>& intervals, MemorySpace space) {
  MUSTFM_EXPECTS(!intervals.empty(), "training needs at least one interval of training pairs");
  const int dimension = intervals.front().dimension;
  MUSTFM_EXPECTS(dimension >= 1, "training pairs must have at least one feature");
  for (std::size_t k = 0; k < intervals.size(); ++k) {
    MUSTFM_EXPECTS(intervals[k].dimension == dimension,
                   "training interval " + std::to_string(k) + " has " +
                       std::to_string(intervals[k].dimension) + " features, interval 0 has " +
                       std::to_string(dimension));
    MUSTFM_EXPECTS(intervals[k].space == space,
                   "training interval " + std::to_string(k) +
                       " is not in the memory space of the training backend");
  }
  return static_cast<std::size_t>(dimension);
}

std::size_t checked_batch_size(int batch_size) {
  MUSTFM_EXPECTS(batch_size >= 1,
                 "training.batch_size must be at least 1, got " + std::to_string(batch_size));
  return static_cast<std::size_t>(batch_size);
}

MlpShape network_shape(std::size_t inputs,
                       const std::vector<int>& hidden,
                       std::size_t outputs,
                       double slope,
                       const char* key) {
  MlpShape shape;
  shape.inputs = inputs;
  for (int width : hidden) {
    MUSTFM_EXPECTS(width >= 1, std::string(key) + " holds a width of " + std::to_string(width) +
                                   "; widths must be at least 1");
    shape.hidden.push_back(static_cast<std::size_t>(width));
  }
  shape.outputs = outputs;
  shape.slope = slope;
  return shape;
}

template <class Real>
void upload(View<Real> destination, const std::vector<Real>& host) {
  MUSTFM_ASSERT(destination.size == host.size(), "upload of a mismatched length");
  copy_bytes(destination.data, destination.space, host.data(), MemorySpace::host,
             host.size() * sizeof(Real));
}

template <class Real>
void upload_doubles(View<Real> destination, const std::vector<double>& values) {
  upload(destination, std::vector<Real>(values.begin(), values.end()));
}

template <class Real>
std::vector<double> download_doubles(View<const Real> source) {
  std::vector<Real> host(source.size);
  copy_bytes(host.data(), MemorySpace::host, source.data, source.space, source.size * sizeof(Real));
  return std::vector<double>(host.begin(), host.end());
}

// Widths as a NetworkState stores them: inputs, hidden, outputs.
std::vector<std::uint64_t> widths_of(const MlpShape& shape) {
  std::vector<std::uint64_t> widths{shape.inputs};
  for (std::size_t width : shape.hidden) widths.push_back(width);
  widths.push_back(shape.outputs);
  return widths;
}

const char* precision_name(std::size_t scalar_bytes) {
  return scalar_bytes == 4 ? "float" : scalar_bytes == 8 ? "double" : "unknown-precision";
}

template <class Real>
void check_network_state(const TrainedNetwork<Real>& network,
                         const NetworkState& state,
                         const std::string& origin) {
  const std::vector<std::uint64_t> expected = widths_of(network.mlp.shape());
  MUSTFM_EXPECTS(state.widths == expected,
                 origin + ": the " + network.name + " network is " + describe_widths(state.widths) +
                     " in the checkpoint but " + describe_widths(expected) + " in the job");
  MUSTFM_EXPECTS(state.slope == network.mlp.shape().slope,
                 origin + ": the " + network.name + " network's LeakyReLU slope is " +
                     std::to_string(state.slope) + " in the checkpoint but " +
                     std::to_string(network.mlp.shape().slope) + " in the job");
  const std::size_t count = network.mlp.parameter_count();
  const std::pair<const char*, const std::vector<double>*> arrays[] = {
      {"parameters", &state.parameters},
      {"moving average", &state.average},
      {"Adam first moment", &state.adam_first},
      {"Adam second moment", &state.adam_second}};
  for (const auto& [what, values] : arrays)
    MUSTFM_EXPECTS(values->size() == count, origin + ": the " + network.name + " network's " +
                                                what + " hold " + std::to_string(values->size()) +
                                                " values, the network has " +
                                                std::to_string(count));
  MUSTFM_EXPECTS(state.adam_steps >= 0, origin + ": the " + network.name +
                                            " network's Adam step count is negative (" +
                                            std::to_string(state.adam_steps) + ")");
}

template <class Real>
void restore_adam(TrainedNetwork<Real>& network, const NetworkState& state) {
  const std::vector<Real> first(state.adam_first.begin(), state.adam_first.end());
  const std::vector<Real> second(state.adam_second.begin(), state.adam_second.end());
  network.adam.restore({first.data(), first.size()}, {second.data(), second.size()},
                       state.adam_steps);
}

template <class Real>
NetworkState network_state(const TrainedNetwork<Real>& network) {
  NetworkState state;
  state.widths = widths_of(network.mlp.shape());
  state.slope = network.mlp.shape().slope;
  state.adam_steps = network.adam.steps();
  state.parameters = download_doubles(network.parameters.cview());
  state.average = download_doubles(network.average.cview());
  state.adam_first = download_doubles(network.adam.first_moment());
  state.adam_second = download_doubles(network.adam.second_moment());
  return state;
}

// cuBLAS's recommended workspace on Hopper; enough for every GEMM of a step.
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

template <class Real>
TrainingClockSettings clock_settings(const CosineSchedule& schedule,
                                     const Adam<Real>& velocity,
                                     const Adam<Real>& growth) {
  TrainingClockSettings settings;
  settings.lr0 = schedule.lr0();
  settings.lr_final = schedule.lr_final();
  settings.total_steps = schedule.total_steps();
  const Adam<Real>* adams[kClockNetworks] = {&velocity, &growth};
  for (int n = 0; n < kClockNetworks; ++n) {
    settings.beta1[n] = adams[n]->options().beta1;
    settings.beta2[n] = adams[n]->options().beta2;
    settings.eps[n] = adams[n]->options().eps;
  }
  return settings;
}

}  // namespace

template <class Real>
TrainedNetwork<Real>::TrainedNetwork(const std::string& name_,
                                     const MlpShape& shape,
                                     std::size_t max_batch,
                                     Allocator& allocator,
                                     MemorySpace space)
    : name(name_),
      mlp(shape),
      parameters(allocator, mlp.parameter_count(), space, name_ + " parameters"),
      gradients(allocator, mlp.parameter_count(), space, name_ + " gradients"),
      average(allocator, mlp.parameter_count(), space, name_ + " moving average"),
      output_gradient(allocator, max_batch * shape.outputs, space, name_ + " output gradient"),
      workspace(mlp, max_batch, allocator, space, name_ + " workspace"),
      loss(allocator, space, name_ + " loss"),
      adam(allocator, mlp.parameter_count(), space, name_) {}

template <class Real>
TrainingStep<Real>::TrainingStep(const Exec& exec,
                                 Allocator& allocator,
                                 const Job& job,
                                 std::vector<PairSamplerData> intervals)
    : exec_(exec),
      allocator_(&allocator),
      space_(compute_space(exec)),
      seed_(job.seed),
      ema_decay_(job.training.ema_decay),
      schedule_(job.training.learning_rate, job.training.final_learning_rate, job.training.steps),
      dimension_(interval_dimension(intervals, compute_space(exec))),
      batch_size_(checked_batch_size(job.training.batch_size)),
      batch_rows_(batch_size_ * intervals.size()),
      intervals_(std::move(intervals)),
      sample_inputs_(allocator, batch_rows_ * (1 + dimension_), space_, "training batch inputs"),
      sample_velocity_(allocator, batch_rows_ * dimension_, space_, "training velocity targets"),
      sample_growth_(allocator, batch_rows_, space_, "training growth targets"),
      sample_weights_(allocator, batch_rows_, space_, "training loss weights"),
      dropped_(allocator, 1, space_, "training dropped pairs"),
      velocity_("velocity",
                network_shape(1 + dimension_,
                              job.model.velocity_hidden,
                              dimension_,
                              job.model.leaky_relu_slope,
                              "model.velocity_hidden"),
                batch_rows_,
                allocator,
                space_),
      growth_("growth",
              network_shape(1 + dimension_,
                            job.model.growth_hidden,
                            1,
                            job.model.leaky_relu_slope,
                            "model.growth_hidden"),
              batch_rows_,
              allocator,
              space_) {
  constexpr bool converts = !std::is_same_v<Real, float>;
  MUSTFM_EXPECTS(!converts || exec.backend == Backend::cpu,
                 "double-precision training runs on the CPU backend only");
  MUSTFM_EXPECTS(ema_decay_ >= 0.0 && ema_decay_ <= 1.0,
                 "training.ema_decay must lie in [0, 1], got " + std::to_string(ema_decay_));
  if constexpr (converts) {
    real_inputs_ = Buffer<Real>(allocator, sample_inputs_.size(), space_, "training inputs (Real)");
    real_velocity_ =
        Buffer<Real>(allocator, sample_velocity_.size(), space_, "training velocity (Real)");
    real_growth_ = Buffer<Real>(allocator, batch_rows_, space_, "training growth (Real)");
    real_weights_ = Buffer<Real>(allocator, batch_rows_, space_, "training weights (Real)");
  }

  upload(dropped_.view(), std::vector<int>{0});
  velocity_.mlp.initialize(velocity_.parameters.view(), seed_, kVelocityInitStream);
  growth_.mlp.initialize(growth_.parameters.view(), seed_, kGrowthInitStream);
  velocity_.average.copy_from(velocity_.parameters.cview());
  growth_.average.copy_from(growth_.parameters.cview());

  clock_settings_ = clock_settings(schedule_, velocity_.adam, growth_.adam);
  if (on_device()) {
    clock_ =
        Buffer<unsigned char>(allocator, sizeof(TrainingClock<Real>), space_, "training clock");
    cublas_workspace_ = Buffer<unsigned char>(allocator, kCublasWorkspaceBytes, space_,
                                              "training cuBLAS workspace");
    upload_clock();
  }
}

template <class Real>
TrainingStep<Real>::~TrainingStep() {
#ifdef MUSTFM_WITH_CUDA
  // The handle outlives this step; it must not keep pointing at the workspace freed next.
  if (on_device()) {
    try {
      detail::reset_cublas_workspace(exec_);
    } catch (...) {
    }
  }
#endif
}

template <class Real>
void TrainingStep<Real>::upload_clock() {
#ifdef MUSTFM_WITH_CUDA
  detail::set_training_clock_cuda(exec_, reinterpret_cast<TrainingClock<Real>*>(clock_.data()),
                                  steps_taken_, velocity_.adam.steps(), growth_.adam.steps(),
                                  clock_settings_);
#endif
}

template <class Real>
const std::int64_t* TrainingStep<Real>::device_step() const {
  const auto* clock = reinterpret_cast<const TrainingClock<Real>*>(clock_.data());
  return &clock->steps_taken;
}

template <class Real>
const AdamCoefficients<Real>* TrainingStep<Real>::device_adam_scalars(int network) const {
  const auto* clock = reinterpret_cast<const TrainingClock<Real>*>(clock_.data());
  return &clock->adam[network];
}

template <class Real>
void TrainingStep<Real>::expect_step_in_range() const {
  MUSTFM_EXPECTS(steps_taken_ <= std::numeric_limits<std::uint32_t>::max(),
                 "training step " + std::to_string(steps_taken_) +
                     " is beyond the sampler's 32-bit step counter");
}

template <class Real>
void TrainingStep<Real>::sample_batch() {
  expect_step_in_range();
  PairBatchView batch;
  batch.space = space_;
  batch.rows = static_cast<std::int64_t>(batch_rows_);
  batch.dimension = static_cast<int>(dimension_);
  batch.inputs = sample_inputs_.data();
  batch.velocity = sample_velocity_.data();
  batch.growth = sample_growth_.data();
  batch.weights = sample_weights_.data();
  batch.dropped = dropped_.data();

  const auto step = static_cast<std::uint32_t>(steps_taken_);
  const auto count = static_cast<std::int64_t>(batch_size_);
  for (std::size_t k = 0; k < intervals_.size(); ++k) {
    const auto interval = static_cast<std::uint32_t>(k);
    const std::int64_t offset = static_cast<std::int64_t>(k) * count;
    if (on_device())
      sample_pairs_at_device_step(exec_, intervals_[k].view(), seed_, interval, device_step(),
                                  count, offset, batch);
    else
      sample_pairs(exec_, intervals_[k].view(), seed_, interval, step, count, offset, batch);
  }

  if constexpr (!std::is_same_v<Real, float>) {
    const std::pair<const Buffer<float>*, Buffer<Real>*> conversions[] = {
        {&sample_inputs_, &real_inputs_},
        {&sample_velocity_, &real_velocity_},
        {&sample_growth_, &real_growth_},
        {&sample_weights_, &real_weights_}};
    for (const auto& [from, to] : conversions) {
      const float* source = from->data();
      Real* destination = to->data();
      const auto size = static_cast<std::ptrdiff_t>(from->size());
#pragma omp parallel for schedule(static)
      for (std::ptrdiff_t i = 0; i < size; ++i) destination[i] = static_cast<Real>(source[i]);
    }
  }
}

template <class Real>
View<const Real> TrainingStep<Real>::network_input() const {
  if constexpr (std::is_same_v<Real, float>) return sample_inputs_.cview();
  return real_inputs_.cview();
}

template <class Real>
View<const Real> TrainingStep<Real>::velocity_target() const {
  if constexpr (std::is_same_v<Real, float>) return sample_velocity_.cview();
  return real_velocity_.cview();
}

template <class Real>
View<const Real> TrainingStep<Real>::growth_target() const {
  if constexpr (std::is_same_v<Real, float>) return sample_growth_.cview();
  return real_growth_.cview();
}

template <class Real>
View<const Real> TrainingStep<Real>::loss_weight() const {
  if constexpr (std::is_same_v<Real, float>) return sample_weights_.cview();
  return real_weights_.cview();
}

template <class Real>
void TrainingStep<Real>::queue_loss_and_gradients() {
#ifdef MUSTFM_WITH_CUDA
  // The same workspace for direct and captured calls keeps cuBLAS's kernel choice, and so the
  // bits, the same in both.
  if (on_device())
    detail::bind_cublas_workspace(exec_, cublas_workspace_.data(), cublas_workspace_.size());
#endif
  sample_batch();
  const View<const Real> input = network_input();
  velocity_.mlp.forward(exec_, velocity_.parameters.cview(), input, batch_rows_,
                        velocity_.workspace);
  growth_.mlp.forward(exec_, growth_.parameters.cview(), input, batch_rows_, growth_.workspace);

  weighted_mse_loss(exec_, velocity_.workspace.output(), velocity_target(), loss_weight(),
                    batch_rows_, dimension_, velocity_.output_gradient.view(), velocity_.loss);
  weighted_mse_loss(exec_, growth_.workspace.output(), growth_target(), loss_weight(), batch_rows_,
                    1, growth_.output_gradient.view(), growth_.loss);

  for (TrainedNetwork<Real>* network : {&velocity_, &growth_})
    network->mlp.backward(exec_, network->parameters.cview(), input, batch_rows_,
                          network->workspace, network->output_gradient.cview(),
                          network->gradients.view());
}

template <class Real>
TrainingLoss TrainingStep<Real>::read_losses() const {
  TrainingLoss loss;
  loss.velocity = velocity_.loss.read();
  loss.growth = growth_.loss.read();
  return loss;
}

template <class Real>
TrainingLoss TrainingStep<Real>::evaluate() {
  queue_loss_and_gradients();
  return read_losses();
}

template <class Real>
void TrainingStep<Real>::queue_update() {
  if (!on_device()) {
    const double learning_rate = schedule_.learning_rate(steps_taken_);
    for (TrainedNetwork<Real>* network : {&velocity_, &growth_}) {
      network->adam.step(exec_, network->parameters.view(), network->gradients.cview(),
                         learning_rate);
      ema_update(exec_, network->average.view(), network->parameters.cview(), ema_decay_);
    }
    return;
  }
  TrainedNetwork<Real>* networks[kClockNetworks] = {&velocity_, &growth_};
  for (int n = 0; n < kClockNetworks; ++n) {
    networks[n]->adam.step_with_device_scalars(exec_, networks[n]->parameters.view(),
                                               networks[n]->gradients.cview(),
                                               device_adam_scalars(n));
    ema_update(exec_, networks[n]->average.view(), networks[n]->parameters.cview(), ema_decay_);
  }
#ifdef MUSTFM_WITH_CUDA
  detail::advance_training_clock_cuda(exec_, reinterpret_cast<TrainingClock<Real>*>(clock_.data()),
                                      clock_settings_);
#endif
}

template <class Real>
void TrainingStep<Real>::advance() {
  expect_step_in_range();
  if (graph_ != nullptr) {
    graph_->replay();
  } else {
    queue_loss_and_gradients();
    queue_update();
  }
  // The host's counters follow the device clock without reading it.
  ++steps_taken_;
  if (on_device())
    for (TrainedNetwork<Real>* network : {&velocity_, &growth_}) network->adam.count_steps(1);
}

template <class Real>
TrainingLoss TrainingStep<Real>::last_loss() const {
  return read_losses();
}

template <class Real>
TrainingLoss TrainingStep<Real>::step() {
  const double learning_rate = schedule_.learning_rate(steps_taken_);
  advance();
  TrainingLoss loss = read_losses();
  loss.learning_rate = learning_rate;
  return loss;
}

template <class Real>
void TrainingStep<Real>::capture_graph() {
  MUSTFM_EXPECTS(on_device(), "a CUDA graph of the training step needs the CUDA backend");
  MUSTFM_EXPECTS(graph_ == nullptr, "the training step's CUDA graph is already captured");
  graph_ = std::make_unique<CapturedWork>(exec_, [this] {
    queue_loss_and_gradients();
    queue_update();
  });
}

template <class Real>
std::int64_t TrainingStep<Real>::dropped_pairs() const {
  int count = 0;
  copy_bytes(&count, MemorySpace::host, dropped_.data(), dropped_.space(), sizeof(int));
  return count;
}

template <class Real>
TrainingState TrainingStep<Real>::state() const {
  if (on_device()) {
    // The device clock is what the next step reads; the host counters must agree with it.
    TrainingClock<Real> clock;
    copy_bytes(&clock, MemorySpace::host, clock_.data(), clock_.space(), sizeof(clock));
    MUSTFM_ASSERT(clock.steps_taken == steps_taken_ &&
                      clock.adam_steps[0] == velocity_.adam.steps() &&
                      clock.adam_steps[1] == growth_.adam.steps(),
                  "the device training clock disagrees with the host's step counters");
  }
  TrainingState state;
  state.scalar_bytes = sizeof(Real);
  state.seed = seed_;
  state.steps_taken = steps_taken_;
  state.velocity = network_state(velocity_);
  state.growth = network_state(growth_);
  return state;
}

template <class Real>
void TrainingStep<Real>::restore(const TrainingState& state, const std::string& origin) {
  MUSTFM_EXPECTS(state.scalar_bytes == sizeof(Real),
                 origin + ": the checkpoint holds " + precision_name(state.scalar_bytes) +
                     " values, this training runs in " + precision_name(sizeof(Real)));
  MUSTFM_EXPECTS(state.seed == seed_, origin + ": the checkpoint was trained with seed " +
                                          std::to_string(state.seed) + ", the job has seed " +
                                          std::to_string(seed_));
  MUSTFM_EXPECTS(state.steps_taken >= 0, origin + ": the checkpoint's step count is negative (" +
                                             std::to_string(state.steps_taken) + ")");
  check_network_state(velocity_, state.velocity, origin);
  check_network_state(growth_, state.growth, origin);
  // Each Adam step belongs to one training step.
  for (const NetworkState* network : {&state.velocity, &state.growth})
    MUSTFM_EXPECTS(network->adam_steps <= state.steps_taken,
                   origin + ": an Adam step count of " + std::to_string(network->adam_steps) +
                       " exceeds the " + std::to_string(state.steps_taken) + " training steps");

  // Everything is checked before anything changes, so a rejected state leaves this step as is.
  const std::pair<TrainedNetwork<Real>*, const NetworkState*> networks[] = {
      {&velocity_, &state.velocity}, {&growth_, &state.growth}};
  for (const auto& [network, saved] : networks) {
    upload_doubles(network->parameters.view(), saved->parameters);
    upload_doubles(network->average.view(), saved->average);
    restore_adam(*network, *saved);
  }
  steps_taken_ = state.steps_taken;
  if (on_device()) upload_clock();
}

template struct TrainedNetwork<float>;
template struct TrainedNetwork<double>;
template class TrainingStep<float>;
template class TrainingStep<double>;

}  // namespace mustfm
