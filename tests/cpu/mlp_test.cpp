// Every hand-written backward pass of the dense layers and the MLP against central finite
// differences in double precision, plus the parameter layout, the initialization and the
// workspace bookkeeping.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <random>
#include <vector>

#include "kernels/activation.h"
#include "kernels/dense_cpu.h"
#include "nn/loss.h"
#include "nn/mlp.h"

namespace mustfm {
namespace {

// Central differences: truncation ~h^2 |f'''| ~ 1e-12 and rounding ~eps |f| / h ~ 1e-10 for the
// O(1) losses below, so an absolute 1e-8 plus 1e-6 relative has two orders of margin.
constexpr double kStep = 1e-6;
constexpr double kAbsoluteTolerance = 1e-8;
constexpr double kRelativeTolerance = 1e-6;

std::vector<double> random_values(std::size_t count, double low, double high, unsigned seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> distribution(low, high);
  std::vector<double> values(count);
  for (double& v : values) v = distribution(engine);
  return values;
}

// dL/dv_i by central differences; `loss` reads `values`, which is perturbed in place.
std::vector<double> finite_difference_gradient(std::vector<double>& values,
                                               const std::function<double()>& loss) {
  std::vector<double> gradient(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double saved = values[i];
    values[i] = saved + kStep;
    const double up = loss();
    values[i] = saved - kStep;
    const double down = loss();
    values[i] = saved;
    gradient[i] = (up - down) / (2 * kStep);
  }
  return gradient;
}

void expect_gradients_match(const std::vector<double>& analytic,
                            const std::vector<double>& numeric,
                            const std::string& what) {
  ASSERT_EQ(analytic.size(), numeric.size());
  for (std::size_t i = 0; i < analytic.size(); ++i)
    EXPECT_NEAR(analytic[i], numeric[i],
                kAbsoluteTolerance + kRelativeTolerance * std::fabs(numeric[i]))
        << what << ", entry " << i;
}

Exec cpu() {
  return Exec{};
}

TEST(DenseCpu, BiasLeakyReluForwardMatchesFormula) {
  const std::size_t rows = 7, cols = 5;
  const double slope = 0.2;
  std::vector<double> z = random_values(rows * cols, -1, 1, 1);
  const std::vector<double> bias = random_values(cols, -0.5, 0.5, 2);
  const std::vector<double> original = z;
  add_bias_leaky_relu_cpu(z.data(), bias.data(), rows, cols, slope);
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double pre = original[i] + bias[i % cols];
    EXPECT_DOUBLE_EQ(z[i], pre > 0 ? pre : slope * pre) << "entry " << i;
  }
}

TEST(DenseCpu, ActivationBackwardMatchesFiniteDifferences) {
  for (double slope : {0.01, 0.3, 0.0}) {
    const std::size_t count = 40;
    std::vector<double> z = random_values(count, -1, 1, 3);
    const std::vector<double> upstream = random_values(count, -1, 1, 4);
    auto loss = [&] {
      double sum = 0;
      for (std::size_t i = 0; i < count; ++i) sum += upstream[i] * leaky_relu(z[i], slope);
      return sum;
    };
    std::vector<double> output(count), analytic(count);
    for (std::size_t i = 0; i < count; ++i) output[i] = leaky_relu(z[i], slope);
    leaky_relu_backward_cpu(upstream.data(), output.data(), analytic.data(), count, slope);
    expect_gradients_match(analytic, finite_difference_gradient(z, loss),
                           "slope " + std::to_string(slope));
  }
}

TEST(DenseCpu, BiasGradientMatchesFiniteDifferences) {
  // 300 rows span three reduction chunks.
  const std::size_t rows = 300, cols = 3;
  const std::vector<double> z = random_values(rows * cols, -1, 1, 5);
  const std::vector<double> upstream = random_values(rows * cols, -1, 1, 6);
  std::vector<double> bias = random_values(cols, -1, 1, 7);
  auto loss = [&] {
    std::vector<double> shifted = z;
    add_bias_cpu(shifted.data(), bias.data(), rows, cols);
    double sum = 0;
    for (std::size_t i = 0; i < shifted.size(); ++i) sum += upstream[i] * shifted[i];
    return sum;
  };
  std::vector<double> analytic(cols, 99.0);
  bias_gradient_cpu(upstream.data(), rows, cols, analytic.data());
  // The loss is O(rows), so rounding in the differences grows accordingly.
  const std::vector<double> numeric = finite_difference_gradient(bias, loss);
  for (std::size_t j = 0; j < cols; ++j) EXPECT_NEAR(analytic[j], numeric[j], 1e-6) << "col " << j;
}

TEST(DenseCpu, BiasGradientDoesNotDependOnThreadCount) {
  const std::size_t rows = 5000, cols = 7;  // above the threshold for running in parallel
  const std::vector<double> values = random_values(rows * cols, -1, 1, 8);
  std::vector<double> one(cols), two(cols);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  bias_gradient_cpu(values.data(), rows, cols, one.data());
  omp_set_num_threads(2);
  bias_gradient_cpu(values.data(), rows, cols, two.data());
  omp_set_num_threads(saved);
  for (std::size_t j = 0; j < cols; ++j) {
    EXPECT_EQ(one[j], two[j]) << "col " << j;
    double reference = 0;
    for (std::size_t r = 0; r < rows; ++r) reference += values[r * cols + j];
    EXPECT_NEAR(one[j], reference, 1e-11) << "col " << j;
  }
}

TEST(Loss, GradientMatchesFiniteDifferences) {
  const std::size_t rows = 6, width = 3;
  std::vector<double> y = random_values(rows * width, -1, 1, 9);
  const std::vector<double> target = random_values(rows * width, -1, 1, 10);
  const std::vector<double> weight = random_values(rows, 0.1, 3, 11);
  std::vector<double> scratch(rows * width), analytic(rows * width);
  auto loss = [&] {
    return weighted_mse_cpu(y.data(), target.data(), weight.data(), rows, width, scratch.data());
  };
  const double value = weighted_mse_loss(
      cpu(), View<const double>{y.data(), y.size()}, {target.data(), target.size()},
      {weight.data(), weight.size()}, rows, width, {analytic.data(), analytic.size()});

  double expected = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    expected += weight[i / width] * (y[i] - target[i]) * (y[i] - target[i]);
  EXPECT_NEAR(value, expected / (rows * width), 1e-15);
  expect_gradients_match(analytic, finite_difference_gradient(y, loss), "loss");
}

TEST(Loss, RejectsMismatchedSizes) {
  std::vector<double> y(6), target(6), weight(3), grad(6);
  EXPECT_THROW(weighted_mse_loss(cpu(), View<const double>{y.data(), 6}, {target.data(), 6},
                                 {weight.data(), 3}, 3, 3, {grad.data(), 6}),
               InputError);
}

TEST(Mlp, ParameterLayoutFollowsTorchLinearOrder) {
  const Mlp<double> mlp({3, {5, 4}, 2, 0.01});
  ASSERT_EQ(mlp.layers().size(), 3u);
  EXPECT_EQ(mlp.parameter_count(), 3u * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
  EXPECT_EQ(mlp.layers()[0].weight_offset, 0u);
  EXPECT_EQ(mlp.layers()[0].bias_offset, 15u);
  EXPECT_EQ(mlp.layers()[1].weight_offset, 20u);
  EXPECT_EQ(mlp.layers()[1].bias_offset, 40u);
  EXPECT_EQ(mlp.layers()[2].weight_offset, 44u);
  EXPECT_EQ(mlp.layers()[2].bias_offset, 52u);
  EXPECT_TRUE(mlp.layers()[1].activated);
  EXPECT_FALSE(mlp.layers()[2].activated);
}

TEST(Mlp, RejectsBadShapes) {
  EXPECT_THROW(Mlp<float>({0, {4}, 2}), InputError);
  EXPECT_THROW(Mlp<float>({3, {4, 0}, 2}), InputError);
  EXPECT_THROW(Mlp<float>({3, {4}, 0}), InputError);
  EXPECT_THROW(Mlp<float>({3, {4}, 2, -0.1}), InputError);
}

// The network evaluated one multiply-add at a time, for comparison with the GEMM path.
std::vector<double> naive_forward(const Mlp<double>& mlp,
                                  const std::vector<double>& params,
                                  const std::vector<double>& input,
                                  std::size_t batch) {
  std::vector<double> current = input;
  for (const DenseLayer& layer : mlp.layers()) {
    std::vector<double> next(batch * layer.outputs);
    for (std::size_t r = 0; r < batch; ++r)
      for (std::size_t i = 0; i < layer.outputs; ++i) {
        double z = params[layer.bias_offset + i];
        for (std::size_t j = 0; j < layer.inputs; ++j)
          z += params[layer.weight_offset + i * layer.inputs + j] * current[r * layer.inputs + j];
        next[r * layer.outputs + i] = layer.activated ? (z > 0 ? z : mlp.shape().slope * z) : z;
      }
    current = std::move(next);
  }
  return current;
}

struct GradientCase {
  MlpShape shape;
  std::size_t batch;
};

void PrintTo(const GradientCase& c, std::ostream* os) {
  *os << c.shape.inputs << " -> [";
  for (std::size_t width : c.shape.hidden) *os << width << " ";
  *os << "] -> " << c.shape.outputs << ", slope " << c.shape.slope << ", batch " << c.batch;
}

class MlpGradient : public ::testing::TestWithParam<GradientCase> {};

TEST_P(MlpGradient, BackwardMatchesFiniteDifferences) {
  const GradientCase& c = GetParam();
  const Mlp<double> mlp(c.shape);
  Allocator allocator;
  MlpWorkspace<double> workspace(mlp, c.batch, allocator, MemorySpace::host, "test");
  const std::size_t out_size = c.batch * c.shape.outputs;

  std::vector<double> params(mlp.parameter_count());
  mlp.initialize({params.data(), params.size()}, 42, 0);
  const std::vector<double> input = random_values(c.batch * c.shape.inputs, -2, 2, 12);
  const std::vector<double> target = random_values(out_size, -1, 1, 13);
  const std::vector<double> weight = random_values(c.batch, 0.2, 2, 14);
  std::vector<double> grad_y(out_size);

  auto loss = [&] {
    mlp.forward(cpu(), {params.data(), params.size()}, {input.data(), input.size()}, c.batch,
                workspace);
    return weighted_mse_loss(cpu(), workspace.output(), {target.data(), out_size},
                             {weight.data(), c.batch}, c.batch, c.shape.outputs,
                             {grad_y.data(), out_size});
  };
  loss();

  // The GEMM path agrees with a plain loop (layout and transposes).
  const std::vector<double> naive = naive_forward(mlp, params, input, c.batch);
  for (std::size_t i = 0; i < out_size; ++i)
    EXPECT_NEAR(workspace.output()[i], naive[i], 1e-13) << "output " << i;

  std::vector<double> analytic(mlp.parameter_count(), 99.0);
  mlp.backward(cpu(), {params.data(), params.size()}, {input.data(), input.size()}, c.batch,
               workspace, {grad_y.data(), out_size}, {analytic.data(), analytic.size()});
  expect_gradients_match(analytic, finite_difference_gradient(params, loss),
                         "network with " + std::to_string(c.shape.hidden.size()) +
                             " hidden layers, slope " + std::to_string(c.shape.slope));
}

INSTANTIATE_TEST_SUITE_P(Shapes,
                         MlpGradient,
                         ::testing::Values(GradientCase{{3, {4, 5, 3}, 2, 0.01}, 5},
                                           GradientCase{{2, {}, 3, 0.01}, 4},
                                           GradientCase{{4, {6}, 1, 0.2}, 7},
                                           GradientCase{{5, {3, 3, 3, 3}, 4, 0.3}, 3},
                                           GradientCase{{1, {8, 2}, 2, 0.0}, 6},
                                           GradientCase{{3, {7, 7}, 2, 0.01}, 1}),
                         [](const ::testing::TestParamInfo<GradientCase>& info) {
                           return "case" + std::to_string(info.index);
                         });

TEST(Mlp, InitializationIsUniformAndReproducible) {
  const Mlp<double> mlp({64, {64}, 3, 0.01});
  std::vector<double> a(mlp.parameter_count()), b(a.size()), other(a.size());
  mlp.initialize({a.data(), a.size()}, 7, 1);
  mlp.initialize({b.data(), b.size()}, 7, 1);
  mlp.initialize({other.data(), other.size()}, 7, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);

  // The first layer's 64 x 64 weights: inside +-1/8, spread over the range, centred.
  const double bound = 1.0 / 8.0;
  double low = 1, high = -1, sum = 0;
  for (std::size_t i = 0; i < 64 * 64; ++i) {
    low = std::min(low, a[i]);
    high = std::max(high, a[i]);
    sum += a[i];
  }
  EXPECT_GE(low, -bound);
  EXPECT_LE(high, bound);
  EXPECT_LT(low, -0.99 * bound);
  EXPECT_GT(high, 0.99 * bound);
  // Standard deviation of the mean of 4096 draws is bound / sqrt(3 * 4096) ~ 0.009 bound.
  EXPECT_LT(std::fabs(sum / 4096), 0.05 * bound);

  // Float networks draw the same values, rounded.
  const Mlp<float> single({64, {64}, 3, 0.01});
  std::vector<float> f(single.parameter_count());
  single.initialize({f.data(), f.size()}, 7, 1);
  for (std::size_t i = 0; i < f.size(); ++i) ASSERT_EQ(f[i], static_cast<float>(a[i])) << i;
}

TEST(Mlp, WorkspaceMemoryMatchesItsDocumentation) {
  const Mlp<float> mlp({4, {16, 32, 8}, 2, 0.01});
  Allocator allocator;
  MlpWorkspace<float> workspace(mlp, 10, allocator, MemorySpace::host, "velocity");
  const auto usage = allocator.usage();
  EXPECT_EQ(usage.at("host:velocity activations").current_bytes,
            10 * (16 + 32 + 8 + 2) * sizeof(float));
  EXPECT_EQ(usage.at("host:velocity gradients").current_bytes, 2 * 10 * 32 * sizeof(float));
}

TEST(Mlp, BackwardNeedsTheMatchingForward) {
  const Mlp<double> mlp({2, {3}, 1, 0.01});
  Allocator allocator;
  MlpWorkspace<double> workspace(mlp, 4, allocator, MemorySpace::host, "test");
  std::vector<double> params(mlp.parameter_count()), input(8), grad_y(4), grad(params.size());
  mlp.initialize({params.data(), params.size()}, 1, 0);
  EXPECT_THROW(mlp.backward(cpu(), {params.data(), params.size()}, {input.data(), 8}, 4, workspace,
                            {grad_y.data(), 4}, {grad.data(), grad.size()}),
               InputError);
  mlp.forward(cpu(), {params.data(), params.size()}, {input.data(), 6}, 3, workspace);
  EXPECT_THROW(mlp.backward(cpu(), {params.data(), params.size()}, {input.data(), 8}, 4, workspace,
                            {grad_y.data(), 4}, {grad.data(), grad.size()}),
               InputError);
  // A batch larger than the workspace is a caller error too.
  std::vector<double> big(10);
  EXPECT_THROW(mlp.forward(cpu(), {params.data(), params.size()}, {big.data(), 10}, 5, workspace),
               InputError);
}

TEST(Mlp, FloatForwardAgreesWithDouble) {
  const MlpShape shape{3, {16, 16}, 2, 0.01};
  const Mlp<double> reference(shape);
  const Mlp<float> single(shape);
  const std::size_t batch = 9;
  Allocator allocator;
  MlpWorkspace<double> wd(reference, batch, allocator, MemorySpace::host, "double");
  MlpWorkspace<float> wf(single, batch, allocator, MemorySpace::host, "float");
  std::vector<double> pd(reference.parameter_count());
  std::vector<float> pf(single.parameter_count());
  reference.initialize({pd.data(), pd.size()}, 3, 0);
  single.initialize({pf.data(), pf.size()}, 3, 0);
  const std::vector<double> xd = random_values(batch * 3, -1, 1, 15);
  const std::vector<float> xf(xd.begin(), xd.end());
  reference.forward(cpu(), {pd.data(), pd.size()}, {xd.data(), xd.size()}, batch, wd);
  single.forward(cpu(), {pf.data(), pf.size()}, {xf.data(), xf.size()}, batch, wf);
  // Outputs are O(1) sums of 16 products per layer: float rounding stays below 1e-5.
  for (std::size_t i = 0; i < batch * 2; ++i)
    EXPECT_NEAR(wf.output()[i], wd.output()[i], 1e-5) << "output " << i;
}

}  // namespace
}  // namespace mustfm
