// The MLP, loss, gradient, Adam, cosine schedule and EMA against PyTorch (float64) values from
// tools/golden/make_mlp_golden.py, run in double (the check precision) and float (the
// training precision).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "nn/adam.h"
#include "nn/loss.h"
#include "nn/mlp.h"
#include "nn/schedule.h"
#include "test_support.h"

namespace mustfm {
namespace {

// Tolerances, as |engine - torch| <= absolute + relative |torch|. All compared quantities are
// O(1) or smaller. Adam divides each gradient entry by its own running magnitude, so an entry's
// relative error, not its absolute one, moves the parameters: the smallest gradient entry
// (~7e-4, a difference of O(0.1) terms) has the largest relative error, and through it each step
// can shift a parameter by up to lr (<= 1e-2) times that relative error.
struct Tolerance {
  double absolute;
  double relative;
};
// double against torch's float64: the same operations with another summation order. Rounding is
// a few 1e-16 (observed <= 4e-16); the Adam path adds at most 10 steps x 1e-2 x (1e-16 / 7e-4)
// ~ 1e-14. 1e-12 bounds both with margin.
constexpr Tolerance kDouble{1e-12, 1e-12};
// float (the training precision) against float64: inputs and parameters rounded to float32 (unit
// roundoff 6e-8) and three layers of dot products of at most 5 terms give ~1e-7 absolute on
// outputs, loss and gradients (worst case ~1e-6). That is up to ~1e-4 relative on the smallest
// gradient entry, so ten Adam steps may move a parameter by 10 x 1e-2 x 1e-4 = 1e-5 in the worst
// case (observed 1.4e-7). 2e-5 covers the worst case.
constexpr Tolerance kFloat{2e-5, 2e-5};

nlohmann::json load_golden() {
  const std::filesystem::path path = testing::source_dir() / "tests/golden/mlp_golden.json";
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot open " << path;
  return nlohmann::json::parse(file);
}

template <class Real>
std::vector<Real> values(const nlohmann::json& array) {
  std::vector<Real> out;
  for (double v : array) out.push_back(static_cast<Real>(v));
  return out;
}

template <class Real>
void expect_close(const std::vector<Real>& engine,
                  const nlohmann::json& torch,
                  Tolerance tolerance,
                  const std::string& what) {
  ASSERT_EQ(engine.size(), torch.size()) << what;
  for (std::size_t i = 0; i < engine.size(); ++i) {
    const double reference = torch[i];
    EXPECT_NEAR(engine[i], reference,
                tolerance.absolute + tolerance.relative * std::fabs(reference))
        << what << ", entry " << i;
  }
}

template <class Real>
void check_against_torch(Tolerance tolerance) {
  const nlohmann::json golden = load_golden();
  const nlohmann::json& net = golden["network"];
  const std::size_t batch = golden["batch"];
  const Mlp<Real> mlp(
      {net["inputs"], net["hidden"].get<std::vector<std::size_t>>(), net["outputs"], net["slope"]});
  const std::size_t outputs = mlp.shape().outputs;
  const Exec cpu;
  Allocator allocator;
  MlpWorkspace<Real> workspace(mlp, batch, allocator, MemorySpace::host, "golden");

  std::vector<Real> params = values<Real>(golden["parameters"]);
  const std::vector<Real> input = values<Real>(golden["input"]);
  const std::vector<Real> target = values<Real>(golden["target"]);
  const std::vector<Real> weight = values<Real>(golden["weight"]);
  ASSERT_EQ(params.size(), mlp.parameter_count());
  std::vector<Real> grad_y(batch * outputs), grad(params.size());

  // Forward, loss and gradient at the starting parameters; returns the loss.
  auto evaluate = [&] {
    mlp.forward(cpu, {params.data(), params.size()}, {input.data(), input.size()}, batch,
                workspace);
    const double loss = weighted_mse_loss(cpu, workspace.output(), {target.data(), target.size()},
                                          {weight.data(), weight.size()}, batch, outputs,
                                          {grad_y.data(), grad_y.size()});
    mlp.backward(cpu, {params.data(), params.size()}, {input.data(), input.size()}, batch,
                 workspace, {grad_y.data(), grad_y.size()}, {grad.data(), grad.size()});
    return loss;
  };
  const double loss = evaluate();
  const View<const Real> output = workspace.output();
  expect_close(std::vector<Real>(output.begin(), output.end()), golden["output"], tolerance,
               "output");
  const double torch_loss = golden["loss"];
  EXPECT_NEAR(loss, torch_loss, tolerance.absolute + tolerance.relative * torch_loss);
  expect_close(grad, golden["gradient"], tolerance, "gradient");

  // Ten Adam steps under the cosine schedule, the EMA following the parameters.
  const nlohmann::json& a = golden["adam"];
  const CosineSchedule schedule(a["lr0"], a["lr_final"], a["steps"]);
  Adam<Real> adam(allocator, params.size(), MemorySpace::host, "golden",
                  {a["beta1"], a["beta2"], a["eps"]});
  std::vector<Real> ema = params;
  const std::int64_t steps = a["steps"];
  for (std::int64_t t = 0; t < steps; ++t) {
    const double step_loss = t == 0 ? loss : evaluate();
    const double torch_step_loss = a["losses"][t];
    EXPECT_NEAR(step_loss, torch_step_loss,
                tolerance.absolute + tolerance.relative * torch_step_loss)
        << "step " << t;
    // The schedule is double on every path; only the closed versus recursive form differs.
    const double lr = schedule.learning_rate(t);
    const double torch_lr = a["learning_rates"][t];
    EXPECT_NEAR(lr, torch_lr, 1e-15 * torch_lr) << "step " << t;
    adam.step(cpu, {params.data(), params.size()}, {grad.data(), grad.size()}, lr);
    ema_update(cpu, View<Real>{ema.data(), ema.size()}, {params.data(), params.size()},
               a["ema_decay"]);
  }
  expect_close(params, a["parameters"], tolerance, "parameters after Adam");
  expect_close(ema, a["ema"], tolerance, "EMA after Adam");
}

TEST(MlpGolden, FileNamesItsGenerator) {
  const nlohmann::json golden = load_golden();
  EXPECT_EQ(golden["generator"], "tools/golden/make_mlp_golden.py");
  EXPECT_FALSE(golden["torch_version"].get<std::string>().empty());
  EXPECT_EQ(golden["dtype"], "float64");
}

TEST(MlpGolden, DoubleMatchesTorch) {
  check_against_torch<double>(kDouble);
}

TEST(MlpGolden, FloatMatchesTorch) {
  check_against_torch<float>(kFloat);
}

}  // namespace
}  // namespace mustfm
