// The gradient a training step feeds to Adam, checked against central finite differences of the
// whole step's loss (sampling, both networks, both weighted losses) in double on tiny networks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "engine/training_step.h"
#include "test_support.h"
#include "training_problem.h"

namespace mustfm {
namespace {

// Central differences in double with h = 1e-6 (scaled by the parameter's size): the truncation
// error is O(h^2) ~ 1e-12 times the loss's third derivative, the rounding error ~ 1e-16 / h ~
// 1e-10 times the loss (O(1)). A LeakyReLU kink inside [p - h, p + h] would break the
// difference; with ~50 pre-activations per network spread over O(1) the chance is ~1e-4 and the
// fixed seed makes it reproducible. The bound below leaves two orders of margin.
constexpr double kStep = 1e-6;
constexpr double kAbsolute = 1e-8;
constexpr double kRelative = 1e-6;

void check_against_finite_differences(TrainingStep<double>& step) {
  step.evaluate();
  for (TrainedNetwork<double>* network : {&step.velocity(), &step.growth()}) {
    const std::vector<double> analytic(network->gradients.data(),
                                       network->gradients.data() + network->gradients.size());
    double largest = 0.0;
    for (std::size_t i = 0; i < analytic.size(); ++i) {
      double& p = network->parameters[i];
      const double original = p;
      const double h = kStep * std::max(1.0, std::abs(original));
      p = original + h;
      const double up = step.evaluate().total();
      p = original - h;
      const double down = step.evaluate().total();
      p = original;
      const double numeric = (up - down) / (2 * h);
      largest = std::max(largest, std::abs(numeric));
      EXPECT_NEAR(analytic[i], numeric, kAbsolute + kRelative * std::abs(numeric))
          << network->name << " parameter " << i << " of " << analytic.size();
    }
    // A vanishing gradient would pass trivially; the problem's targets are far from the
    // untrained networks' outputs.
    EXPECT_GT(largest, 1e-2) << network->name;
  }
}

TEST(TrainingGradient, MatchesFiniteDifferencesOfTheStepLoss) {
  Allocator allocator;
  // Two intervals with different lengths, shifts and mass ratios (growth targets of both
  // signs), weights m(s) / m0 away from 1, d = 2.
  TrainingStep<double> step(Exec{}, allocator, testing::training_job({4, 3}, {3}, 5, 10),
                            testing::shifted_grid_data(allocator, 2, 3, 2));
  check_against_finite_differences(step);
}

TEST(TrainingGradient, MatchesFiniteDifferencesAfterSomeSteps) {
  // After a few updates the parameters are no longer the initial draw and the batch is another
  // step's, so the check also covers parameters Adam has moved.
  Allocator allocator;
  TrainingStep<double> step(Exec{}, allocator, testing::training_job({3}, {4, 2}, 4, 10),
                            testing::shifted_grid_data(allocator, 1, 4, 3));
  for (int i = 0; i < 3; ++i) step.step();
  check_against_finite_differences(step);
}

}  // namespace
}  // namespace mustfm
