// The CUDA MLP (cuBLAS products, our bias, activation and bias-gradient kernels) against the CPU
// backend on random inputs: every layer's output of forward() and the parameter gradients of
// backward(), in float and double, over shapes with and without hidden layers, widths that are
// not multiples of 32, batch 1 and batches that split the bias gradient into many chunks.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/dense_cpu.h"
#include "nn/mlp.h"
#include "nn_gpu_support.h"
#include "test_support.h"

namespace mustfm {
namespace {

using testing::expect_close_normwise;
using testing::host_view;
using testing::random_vector;
using testing::to_device;
using testing::to_host;

// Both sides sum the same products in different orders (cuBLAS vs OpenBLAS tiling, chunked
// column sums). The rounding of a sum of k random-signed terms grows like sqrt(k) eps relative
// to the sum: for the k <= 1000 of the float cases ~2e-6, for the double cases (k up to 300000)
// ~6e-14. Errors grow mildly through four layers, so the bounds below, relative to the largest
// value of each array, keep a wide margin, while any layout or indexing mistake gives
// differences of the order of the values themselves.
template <class Real>
constexpr double kTolerance = 0.0;
template <>
constexpr double kTolerance<double> = 1e-10;
template <>
constexpr double kTolerance<float> = 1e-4;

struct Case {
  std::size_t inputs;
  std::vector<std::size_t> hidden;
  std::size_t outputs;
  std::size_t batch;
  std::uint64_t seed;
};

std::string describe(const Case& c) {
  std::string text = std::to_string(c.inputs) + " -> [";
  for (std::size_t l = 0; l < c.hidden.size(); ++l)
    text += (l > 0 ? ", " : "") + std::to_string(c.hidden[l]);
  return text + "] -> " + std::to_string(c.outputs) + ", batch " + std::to_string(c.batch) +
         ", seed " + std::to_string(c.seed);
}

// Batch 300 and 1000 split the bias gradient into several 64-row chunks (129 into uneven ones).
const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {3, {}, 2, 1, 1},
      {3, {}, 5, 300, 2},
      {4, {37}, 3, 1, 3},
      {4, {37}, 3, 129, 4},
      {3, {64, 33, 96}, 2, 1000, 5},
      {2, {256, 256}, 1, 70, 6},
  };
  return all;
}

// 300000 rows reach the limit of 4096 chunks, so a chunk holds more than 64 rows. Double only:
// the chunking does not depend on the type, and a float sum of 300000 terms would need a
// tolerance too loose to say much.
const Case kLargeBatch = {5, {8}, 1, 300000, 7};

// The state of one forward and backward pass, read back to the host.
template <class Real>
struct Pass {
  std::vector<std::vector<Real>> layer_outputs;
  std::vector<Real> gradient;
};

template <class Real>
std::vector<std::vector<Real>> read_layer_outputs(const Mlp<Real>& mlp,
                                                  const MlpWorkspace<Real>& workspace) {
  std::vector<std::vector<Real>> outputs;
  for (std::size_t l = 0; l < mlp.layers().size(); ++l)
    outputs.push_back(to_host(workspace.layer_output(l)));
  return outputs;
}

template <class Real>
Pass<Real> run_cpu(const Mlp<Real>& mlp,
                   const std::vector<Real>& parameters,
                   const std::vector<Real>& input,
                   const std::vector<Real>& grad_output,
                   std::size_t batch) {
  Allocator allocator;
  MlpWorkspace<Real> workspace(mlp, batch, allocator, MemorySpace::host, "test: cpu mlp");
  const Exec cpu;
  Pass<Real> pass;
  pass.gradient.assign(mlp.parameter_count(), Real(0));
  mlp.forward(cpu, host_view(parameters), host_view(input), batch, workspace);
  mlp.backward(cpu, host_view(parameters), host_view(input), batch, workspace,
               host_view(grad_output), host_view(pass.gradient));
  pass.layer_outputs = read_layer_outputs(mlp, workspace);
  return pass;
}

template <class Real>
Pass<Real> run_cuda(Context& gpu,
                    const Mlp<Real>& mlp,
                    const std::vector<Real>& parameters,
                    const std::vector<Real>& input,
                    const std::vector<Real>& grad_output,
                    std::size_t batch) {
  Buffer<Real> d_parameters = to_device(gpu, parameters, "test: parameters");
  Buffer<Real> d_input = to_device(gpu, input, "test: input");
  Buffer<Real> d_grad_output = to_device(gpu, grad_output, "test: output gradient");
  Buffer<Real> d_gradient(gpu.allocator(), mlp.parameter_count(), MemorySpace::device,
                          "test: parameter gradient");
  MlpWorkspace<Real> workspace(mlp, batch, gpu.allocator(), MemorySpace::device, "test: mlp");
  mlp.forward(gpu.exec(), d_parameters.cview(), d_input.cview(), batch, workspace);
  mlp.backward(gpu.exec(), d_parameters.cview(), d_input.cview(), batch, workspace,
               d_grad_output.cview(), d_gradient.view());
  gpu.synchronize();
  return {read_layer_outputs(mlp, workspace), to_host(d_gradient.cview())};
}

// The backward pass from given layer outputs with the CPU primitives of kernels/dense_cpu.h.
// Fed the CUDA forward pass's outputs, it takes the same LeakyReLU branch as the CUDA backward
// at every unit: a pre-activation within rounding of zero may land on different sides on the
// two backends, which changes that unit's derivative from 1 to the slope and says nothing
// about either backend.
template <class Real>
std::vector<Real> reference_backward(const Mlp<Real>& mlp,
                                     const std::vector<Real>& parameters,
                                     const std::vector<Real>& input,
                                     const std::vector<std::vector<Real>>& layer_outputs,
                                     const std::vector<Real>& grad_output,
                                     std::size_t batch) {
  const Real slope = static_cast<Real>(mlp.shape().slope);
  std::vector<Real> gradient(mlp.parameter_count());
  std::vector<Real> g = grad_output;  // dL/dz of layer l
  for (std::size_t l = mlp.layers().size(); l-- > 0;) {
    const DenseLayer& layer = mlp.layers()[l];
    const std::vector<Real>& x = l == 0 ? input : layer_outputs[l - 1];
    gemm_cpu<Real>(true, false, layer.outputs, layer.inputs, batch, Real(1), g.data(),
                   layer.outputs, x.data(), layer.inputs, Real(0),
                   gradient.data() + layer.weight_offset, layer.inputs);
    bias_gradient_cpu(g.data(), batch, layer.outputs, gradient.data() + layer.bias_offset);
    if (l == 0) break;
    std::vector<Real> next(batch * layer.inputs);
    gemm_cpu<Real>(false, false, batch, layer.inputs, layer.outputs, Real(1), g.data(),
                   layer.outputs, parameters.data() + layer.weight_offset, layer.inputs, Real(0),
                   next.data(), layer.inputs);
    leaky_relu_backward_cpu(next.data(), x.data(), next.data(), next.size(), slope);
    g = std::move(next);
  }
  return gradient;
}

template <class Real>
void check_case(Context& gpu, const Case& c) {
  const std::string case_text = describe(c) + (sizeof(Real) == 4 ? ", float" : ", double");
  const Mlp<Real> mlp(MlpShape{c.inputs, c.hidden, c.outputs, 0.01});
  std::vector<Real> parameters(mlp.parameter_count());
  mlp.initialize(host_view(parameters), c.seed, 0);
  const std::vector<Real> input = random_vector<Real>(c.batch * c.inputs, -2, 2, c.seed + 100);
  const std::vector<Real> grad_output =
      random_vector<Real>(c.batch * c.outputs, -1, 1, c.seed + 200);

  const Pass<Real> cpu = run_cpu(mlp, parameters, input, grad_output, c.batch);
  const Pass<Real> cuda = run_cuda(gpu, mlp, parameters, input, grad_output, c.batch);

  for (std::size_t l = 0; l < mlp.layers().size(); ++l)
    expect_close_normwise(cuda.layer_outputs[l], cpu.layer_outputs[l], kTolerance<Real>,
                          "layer " + std::to_string(l) + " output (" + case_text + ")");
  const std::vector<Real> reference =
      reference_backward(mlp, parameters, input, cuda.layer_outputs, grad_output, c.batch);
  expect_close_normwise(cuda.gradient, reference, kTolerance<Real>,
                        "parameter gradient (" + case_text + ")");
  // In double a pre-activation lands within rounding (~1e-13) of zero with negligible
  // probability, so the CPU backend's own backward pass is a valid reference as well.
  if constexpr (sizeof(Real) == 8)
    expect_close_normwise(cuda.gradient, cpu.gradient, kTolerance<Real>,
                          "parameter gradient vs CPU backward (" + case_text + ")");
}

TEST(MlpGpu, ForwardAndBackwardMatchCpuInFloat) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (const Case& c : cases()) check_case<float>(gpu, c);
}

TEST(MlpGpu, ForwardAndBackwardMatchCpuInDouble) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  for (const Case& c : cases()) check_case<double>(gpu, c);
  check_case<double>(gpu, kLargeBatch);
}

TEST(MlpGpu, RepeatedPassesGiveIdenticalBits) {
  // cuBLAS products are reproducible on one device and stream, and the bias gradient sums in a
  // fixed order without atomics, so two passes must agree exactly.
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const Case c{6, {100, 45}, 3, 2000, 11};
  const Mlp<float> mlp(MlpShape{c.inputs, c.hidden, c.outputs, 0.01});
  std::vector<float> parameters(mlp.parameter_count());
  mlp.initialize(host_view(parameters), c.seed, 0);
  const std::vector<float> input = random_vector<float>(c.batch * c.inputs, -2, 2, 12);
  const std::vector<float> grad_output = random_vector<float>(c.batch * c.outputs, -1, 1, 13);
  const Pass<float> first = run_cuda(gpu, mlp, parameters, input, grad_output, c.batch);
  const Pass<float> second = run_cuda(gpu, mlp, parameters, input, grad_output, c.batch);
  ASSERT_EQ(first.gradient.size(), second.gradient.size());
  for (std::size_t i = 0; i < first.gradient.size(); ++i)
    ASSERT_EQ(first.gradient[i], second.gradient[i]) << "gradient index " << i;
}

TEST(MlpGpu, SmallerBatchReusesALargerWorkspace) {
  // A workspace sized for 500 rows runs 70 rows: the layer outputs and the bias partials are
  // laid out for the larger batch and must still give the 70-row result.
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const Mlp<double> mlp(MlpShape{3, {40, 20}, 2, 0.01});
  std::vector<double> parameters(mlp.parameter_count());
  mlp.initialize(host_view(parameters), 21, 0);
  const std::size_t batch = 70;
  const std::vector<double> input = random_vector<double>(batch * 3, -2, 2, 22);
  const std::vector<double> grad_output = random_vector<double>(batch * 2, -1, 1, 23);
  const Pass<double> cpu = run_cpu(mlp, parameters, input, grad_output, batch);

  Buffer<double> d_parameters = to_device(gpu, parameters, "test: parameters");
  Buffer<double> d_input = to_device(gpu, input, "test: input");
  Buffer<double> d_grad_output = to_device(gpu, grad_output, "test: output gradient");
  Buffer<double> d_gradient(gpu.allocator(), mlp.parameter_count(), MemorySpace::device,
                            "test: parameter gradient");
  MlpWorkspace<double> workspace(mlp, 500, gpu.allocator(), MemorySpace::device, "test: mlp");
  mlp.forward(gpu.exec(), d_parameters.cview(), d_input.cview(), batch, workspace);
  mlp.backward(gpu.exec(), d_parameters.cview(), d_input.cview(), batch, workspace,
               d_grad_output.cview(), d_gradient.view());
  gpu.synchronize();
  expect_close_normwise(to_host(workspace.output()), cpu.layer_outputs.back(), kTolerance<double>,
                        "output");
  expect_close_normwise(to_host(d_gradient.cview()), cpu.gradient, kTolerance<double>,
                        "parameter gradient");
}

TEST(MlpGpu, HostViewsAreRefusedOnTheCudaBackend) {
  MUSTFM_SKIP_WITHOUT_CUDA();
  Context gpu = testing::make_quiet_context("cuda");
  const Mlp<float> mlp(MlpShape{2, {4}, 1, 0.01});
  std::vector<float> parameters(mlp.parameter_count()), input(2);
  MlpWorkspace<float> workspace(mlp, 1, gpu.allocator(), MemorySpace::device, "test: mlp");
  EXPECT_TRUE(testing::throws_input_error(
      [&] { mlp.forward(gpu.exec(), host_view(parameters), host_view(input), 1, workspace); },
      {"parameters", "host memory", "device memory"}));
}

}  // namespace
}  // namespace mustfm
