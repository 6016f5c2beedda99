// The CPU training step on small fixed problems (tests/cpu/training_problem.h): the batch holds
// every interval's rows in order, one step equals the Adam and EMA formulas applied by hand to
// the gradients evaluate() reports, and a few hundred steps fit the flow-matching targets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <numbers>
#include <numeric>
#include <vector>

#include "engine/training_step.h"
#include "test_support.h"
#include "training_problem.h"

namespace mustfm {
namespace {

using testing::interval_length;
using testing::interval_start;
using testing::shifted_grid_data;
using testing::training_job;

template <class Real>
std::vector<double> host_values(View<const Real> view) {
  return std::vector<double>(view.begin(), view.end());
}

TEST(TrainingStep, BatchConcatenatesIntervalsInOrder) {
  Allocator allocator;
  constexpr std::size_t kIntervals = 3, kDim = 2;
  constexpr int kBatch = 50;
  TrainingStep<float> step(Exec{}, allocator, training_job({8}, {8}, kBatch, 10),
                           shifted_grid_data(allocator, kIntervals, 4, kDim));
  ASSERT_EQ(step.batch_rows(), kIntervals * kBatch);
  step.evaluate();

  // Row r belongs to interval r / kBatch, whose times are [t_k, t_k + dt_k].
  const View<const float> inputs = step.batch_inputs();
  const View<const float> weights = step.batch_weights();
  for (std::size_t r = 0; r < step.batch_rows(); ++r) {
    const std::size_t k = r / kBatch;
    const double t = inputs[r * (1 + kDim)];
    EXPECT_GE(t, interval_start(k)) << "row " << r;
    EXPECT_LE(t, interval_start(k) + interval_length(k)) << "row " << r;
    EXPECT_GT(weights[r], 0.0f) << "row " << r;
  }
  EXPECT_EQ(step.dropped_pairs(), 0);
}

TEST(TrainingStep, StepAppliesAdamAtTheScheduledRateThenTheMovingAverage) {
  Allocator allocator;
  Job job = training_job({6, 5}, {4}, 16, 40);
  job.training.learning_rate = 3e-3;
  job.training.final_learning_rate = 1e-4;
  job.training.ema_decay = 0.9;
  TrainingStep<double> step(Exec{}, allocator, job, shifted_grid_data(allocator, 2, 3, 2));

  // Move to step 7, so the schedule and Adam's bias corrections are away from their first values
  // and the moments are non-zero.
  for (int i = 0; i < 7; ++i) step.step();
  const std::int64_t t = step.steps_taken() + 1;
  const double lr = step.schedule().learning_rate(step.steps_taken());
  const double lr_expected =
      1e-4 + 0.5 * (3e-3 - 1e-4) * (1.0 + std::cos(std::numbers::pi * 7.0 / 40.0));
  ASSERT_NEAR(lr, lr_expected, 1e-15);

  // evaluate() and step() draw the same batch, because the step count has not moved.
  const TrainingLoss evaluated = step.evaluate();
  struct Before {
    std::vector<double> parameters, average, gradients, m, v;
  };
  std::vector<Before> before;
  for (const TrainedNetwork<double>* network : {&step.velocity(), &step.growth()})
    before.push_back(
        {host_values(network->parameters.cview()), host_values(network->average.cview()),
         host_values(network->gradients.cview()), host_values(network->adam.first_moment()),
         host_values(network->adam.second_moment())});
  const TrainingLoss stepped = step.step();
  EXPECT_EQ(stepped.total(), evaluated.total());
  EXPECT_EQ(stepped.learning_rate, lr);

  // PyTorch's Adam (torch.optim.Adam docs), then ema <- 0.9 ema + 0.1 p, written out directly.
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const TrainedNetwork<double>* networks[] = {&step.velocity(), &step.growth()};
  for (std::size_t n = 0; n < 2; ++n) {
    const Before& b = before[n];
    const std::vector<double> after = host_values(networks[n]->parameters.cview());
    const std::vector<double> average = host_values(networks[n]->average.cview());
    for (std::size_t i = 0; i < after.size(); ++i) {
      const double g = b.gradients[i];
      const double m = beta1 * b.m[i] + (1 - beta1) * g;
      const double v = beta2 * b.v[i] + (1 - beta2) * g * g;
      const double m_hat = m / (1 - std::pow(beta1, t));
      const double v_hat = v / (1 - std::pow(beta2, t));
      const double p = b.parameters[i] - lr * m_hat / (std::sqrt(v_hat) + eps);
      // Double rounding in a different association: a few ulps of the O(1) values.
      EXPECT_NEAR(after[i], p, 1e-13) << networks[n]->name << " parameter " << i;
      EXPECT_NEAR(average[i], 0.9 * b.average[i] + 0.1 * p, 1e-13)
          << networks[n]->name << " average " << i;
    }
  }
}

TEST(TrainingStep, LossFallsOnAShiftedGrid) {
  Allocator allocator;
  constexpr int kSteps = 300;
  Job job = training_job({32, 32}, {32}, 64, kSteps);
  job.training.final_learning_rate = 1e-4;
  TrainingStep<float> step(Exec{}, allocator, job, shifted_grid_data(allocator, 1, 8, 2));

  std::vector<double> losses;
  for (int i = 0; i < kSteps; ++i) {
    const TrainingLoss loss = step.step();
    ASSERT_TRUE(std::isfinite(loss.total())) << "step " << i;
    losses.push_back(loss.total());
  }
  // Every batch is new, so compare means over the first and the last 20 steps. The targets are
  // smooth (|u| ~ 1.1, q ~ 0.4): an untrained network's loss is O(0.1 to 1), a fitted one's is
  // set by the network's residual error. A factor 20 is far above what noise between batches can
  // give and far below what fitting gives (observed: 0.33 -> 6.0e-4, a factor 540).
  const double first = std::accumulate(losses.begin(), losses.begin() + 20, 0.0) / 20;
  const double last = std::accumulate(losses.end() - 20, losses.end(), 0.0) / 20;
  EXPECT_LT(last, first / 20) << "first 20 steps: " << first << ", last 20: " << last;
  EXPECT_EQ(step.steps_taken(), kSteps);
}

TEST(TrainingStep, AdvanceThenLastLossIsAStep) {
  Allocator allocator;
  const Job job = training_job({8}, {8}, 16, 10);
  TrainingStep<float> a(Exec{}, allocator, job, shifted_grid_data(allocator, 2, 3, 2));
  TrainingStep<float> b(Exec{}, allocator, job, shifted_grid_data(allocator, 2, 3, 2));
  for (int i = 0; i < 3; ++i) {
    const TrainingLoss stepped = a.step();
    b.advance();
    const TrainingLoss advanced = b.last_loss();
    EXPECT_EQ(advanced.velocity, stepped.velocity) << "step " << i;
    EXPECT_EQ(advanced.growth, stepped.growth) << "step " << i;
  }
  EXPECT_EQ(b.steps_taken(), 3);
  EXPECT_EQ(b.velocity().adam.steps(), 3);
  EXPECT_EQ(host_values(a.velocity().parameters.cview()),
            host_values(b.velocity().parameters.cview()));
}

TEST(TrainingStep, GraphCaptureNeedsCuda) {
  Allocator allocator;
  TrainingStep<float> step(Exec{}, allocator, training_job({4}, {4}, 8, 10),
                           shifted_grid_data(allocator, 1, 3, 2));
  EXPECT_TRUE(testing::throws_input_error([&] { step.capture_graph(); }, {"CUDA backend"}));
  EXPECT_FALSE(step.graph_captured());
}

TEST(TrainingStep, RejectsInconsistentIntervals) {
  Allocator allocator;
  const Job job = training_job({4}, {4}, 8, 10);
  EXPECT_TRUE(testing::throws_input_error([&] { TrainingStep<float>(Exec{}, allocator, job, {}); },
                                          {"at least one interval"}));

  std::vector<PairSamplerData> mixed = shifted_grid_data(allocator, 1, 3, 2);
  std::vector<PairSamplerData> wider = shifted_grid_data(allocator, 1, 3, 3);
  mixed.push_back(std::move(wider.front()));
  EXPECT_TRUE(testing::throws_input_error(
      [&] { TrainingStep<float>(Exec{}, allocator, job, std::move(mixed)); },
      {"interval 1 has 3 features", "interval 0 has 2"}));
}

}  // namespace
}  // namespace mustfm
