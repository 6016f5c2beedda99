#include "nn/mlp.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "kernels/common/error.h"
#include "kernels/common/random.h"
#include "kernels/dense_cpu.h"
#include "nn/compute_space.h"
#include "nn/dense_cuda.h"

namespace mustfm {
namespace {

std::string describe(const MlpShape& shape) {
  std::string text = std::to_string(shape.inputs) + " -> [";
  for (std::size_t l = 0; l < shape.hidden.size(); ++l)
    text += (l > 0 ? ", " : "") + std::to_string(shape.hidden[l]);
  return text + "] -> " + std::to_string(shape.outputs);
}

template <class T>
void expect_view(View<T> view, std::size_t size, MemorySpace space, const char* what) {
  MUSTFM_EXPECTS(view.space == space, std::string("MLP: ") + what + " is in " +
                                          detail::memory_space_name(view.space) +
                                          " memory, but the backend computes in " +
                                          detail::memory_space_name(space) + " memory");
  MUSTFM_EXPECTS(view.size >= size, std::string("MLP: ") + what + " holds " +
                                        std::to_string(view.size) + " values, needs " +
                                        std::to_string(size));
}

template <class Real>
void expect_workspace(const MlpWorkspace<Real>& workspace, MemorySpace space) {
  MUSTFM_EXPECTS(workspace.space() == space, std::string("MLP: the workspace is in ") +
                                                 detail::memory_space_name(workspace.space()) +
                                                 " memory, but the backend computes in " +
                                                 detail::memory_space_name(space) + " memory");
}

// The dense-layer steps on the backend of `exec`: the CPU twins of kernels/dense_cpu.h or the
// CUDA launchers of nn/dense_cuda.h, under the same contracts.

// c = op(a) op(b), assigned; row-major as in gemm_cpu.
template <class Real>
void gemm(const Exec& exec,
          bool transpose_a,
          bool transpose_b,
          std::size_t m,
          std::size_t n,
          std::size_t k,
          const Real* a,
          std::size_t lda,
          const Real* b,
          std::size_t ldb,
          Real* c,
          std::size_t ldc) {
  if (exec.backend == Backend::cpu) {
    gemm_cpu<Real>(transpose_a, transpose_b, m, n, k, Real(1), a, lda, b, ldb, Real(0), c, ldc);
    return;
  }
#ifdef MUSTFM_WITH_CUDA
  detail::gemm_cuda<Real>(exec, transpose_a, transpose_b, m, n, k, Real(1), a, lda, b, ldb, Real(0),
                          c, ldc);
#else
  MUSTFM_ASSERT(false, "CUDA dense layer in a build without CUDA");
#endif
}

template <class Real>
void add_bias_activation(const Exec& exec,
                         Real* z,
                         const Real* bias,
                         std::size_t rows,
                         std::size_t cols,
                         bool activated,
                         Real slope) {
  if (exec.backend == Backend::cpu) {
    if (activated)
      add_bias_leaky_relu_cpu(z, bias, rows, cols, slope);
    else
      add_bias_cpu(z, bias, rows, cols);
    return;
  }
#ifdef MUSTFM_WITH_CUDA
  detail::add_bias_activation_cuda(exec, z, bias, rows, cols, activated, slope);
#else
  MUSTFM_ASSERT(false, "CUDA dense layer in a build without CUDA");
#endif
}

// A layer's bias gradient from dL/d(its output); for a hidden layer (`output` not null) the
// gradient first goes through the activation, into grad_input. Contract of
// activation_bias_backward_cuda in nn/dense_cuda.h.
template <class Real>
void activation_bias_backward(const Exec& exec,
                              const Real* grad_output,
                              const Real* output,
                              Real* grad_input,
                              std::size_t rows,
                              std::size_t cols,
                              Real slope,
                              Real* grad_bias,
                              Real* partials) {
  if (exec.backend == Backend::cpu) {
    if (output != nullptr) {
      leaky_relu_backward_cpu(grad_output, output, grad_input, rows * cols, slope);
      bias_gradient_cpu(grad_input, rows, cols, grad_bias);
    } else {
      bias_gradient_cpu(grad_output, rows, cols, grad_bias);
    }
    return;
  }
#ifdef MUSTFM_WITH_CUDA
  detail::activation_bias_backward_cuda(exec, grad_output, output, grad_input, rows, cols, slope,
                                        grad_bias, partials);
#else
  (void)partials;
  MUSTFM_ASSERT(false, "CUDA dense layer in a build without CUDA");
#endif
}

}  // namespace

template <class Real>
Mlp<Real>::Mlp(MlpShape shape) : shape_(std::move(shape)) {
  MUSTFM_EXPECTS(shape_.inputs > 0 && shape_.outputs > 0,
                 "MLP " + describe(shape_) + ": input and output sizes must be positive");
  for (std::size_t width : shape_.hidden)
    MUSTFM_EXPECTS(width > 0, "MLP " + describe(shape_) + ": hidden widths must be positive");
  // The backward pass reads the activation's derivative from its output, valid for slope >= 0.
  MUSTFM_EXPECTS(
      std::isfinite(shape_.slope) && shape_.slope >= 0.0,
      "MLP LeakyReLU slope must be finite and >= 0, got " + std::to_string(shape_.slope));

  std::size_t inputs = shape_.inputs;
  for (std::size_t l = 0; l <= shape_.hidden.size(); ++l) {
    const bool hidden = l < shape_.hidden.size();
    DenseLayer layer;
    layer.inputs = inputs;
    layer.outputs = hidden ? shape_.hidden[l] : shape_.outputs;
    layer.weight_offset = parameter_count_;
    layer.bias_offset = parameter_count_ + layer.outputs * layer.inputs;
    layer.activated = hidden;
    parameter_count_ = layer.bias_offset + layer.outputs;
    inputs = layer.outputs;
    layers_.push_back(layer);
  }
}

template <class Real>
void Mlp<Real>::initialize(View<Real> parameters, std::uint64_t seed, std::uint32_t stream) const {
  MUSTFM_EXPECTS(parameters.size == parameter_count_,
                 "MLP parameters hold " + std::to_string(parameters.size) + " values, needs " +
                     std::to_string(parameter_count_));
  std::vector<Real> values(parameter_count_);
  for (const DenseLayer& layer : layers_) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer.inputs));
    const std::size_t end = layer.bias_offset + layer.outputs;
    for (std::size_t i = layer.weight_offset; i < end; ++i) {
      const RandomBits bits = random_bits(seed, stream, 0, i);
      // uniform_open_closed is in (0, 1], so the value lies in (-bound, bound].
      const double unit = uniform_open_closed(bits.v[0], bits.v[1]);
      values[i] = static_cast<Real>(bound * (2.0 * unit - 1.0));
    }
  }
  copy_bytes(parameters.data, parameters.space, values.data(), MemorySpace::host,
             parameter_count_ * sizeof(Real));
}

template <class Real>
void Mlp<Real>::forward(const Exec& exec,
                        View<const Real> parameters,
                        View<const Real> input,
                        std::size_t batch,
                        MlpWorkspace<Real>& workspace) const {
  const MemorySpace space = detail::nn_compute_space(exec, "MLP forward");
  MUSTFM_EXPECTS(batch > 0 && batch <= workspace.max_batch(),
                 "MLP batch of " + std::to_string(batch) + " rows; the workspace holds 1 to " +
                     std::to_string(workspace.max_batch()));
  expect_workspace(workspace, space);
  expect_view(parameters, parameter_count_, space, "parameters");
  expect_view(input, batch * shape_.inputs, space, "input");
  const Real slope = static_cast<Real>(shape_.slope);

  const Real* layer_input = input.data;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    const Real* weight = parameters.data + layer.weight_offset;
    const Real* bias = parameters.data + layer.bias_offset;
    Real* z = workspace.layer_data(l);

    // z = input W^T (batch x out), then bias and activation in place.
    gemm<Real>(exec, false, true, batch, layer.outputs, layer.inputs, layer_input, layer.inputs,
               weight, layer.inputs, z, layer.outputs);
    add_bias_activation(exec, z, bias, batch, layer.outputs, layer.activated, slope);
    layer_input = z;
  }
  workspace.batch_ = batch;
}

template <class Real>
void Mlp<Real>::backward(const Exec& exec,
                         View<const Real> parameters,
                         View<const Real> input,
                         std::size_t batch,
                         MlpWorkspace<Real>& workspace,
                         View<const Real> grad_output,
                         View<Real> grad_parameters) const {
  const MemorySpace space = detail::nn_compute_space(exec, "MLP backward");
  MUSTFM_EXPECTS(batch > 0 && batch == workspace.batch(),
                 "MLP backward on " + std::to_string(batch) +
                     " rows must follow a forward pass on the same rows (last forward: " +
                     std::to_string(workspace.batch()) + ")");
  expect_workspace(workspace, space);
  expect_view(parameters, parameter_count_, space, "parameters");
  expect_view(input, batch * shape_.inputs, space, "input");
  expect_view(grad_output, batch * shape_.outputs, space, "output gradient");
  expect_view(grad_parameters, parameter_count_, space, "parameter gradient");
  const Real slope = static_cast<Real>(shape_.slope);
  Real* partials = workspace.bias_partials_.data();

  // The output layer has no activation: its bias gradient is the column sums of grad_output.
  const DenseLayer& last = layers_.back();
  activation_bias_backward<Real>(exec, grad_output.data, nullptr, nullptr, batch, last.outputs,
                                 slope, grad_parameters.data + last.bias_offset, partials);

  // g = dL/dz of the current layer (pre-activation); it alternates between two buffers.
  const Real* g = grad_output.data;
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const DenseLayer& layer = layers_[l];
    const Real* layer_input = l == 0 ? input.data : workspace.layer_data(l - 1);

    // dW = g^T input (out x in).
    gemm<Real>(exec, true, false, layer.outputs, layer.inputs, batch, g, layer.outputs, layer_input,
               layer.inputs, grad_parameters.data + layer.weight_offset, layer.inputs);
    if (l == 0) break;

    // dL/d(input) = g W (batch x in), then through the previous layer's activation, which also
    // gives that layer's bias gradient.
    Real* next = workspace.gradients_.data() +
                 ((layers_.size() - 1 - l) % 2) * workspace.max_batch() * workspace.gradient_width_;
    gemm<Real>(exec, false, false, batch, layer.inputs, layer.outputs, g, layer.outputs,
               parameters.data + layer.weight_offset, layer.inputs, next, layer.inputs);
    activation_bias_backward<Real>(exec, next, layer_input, next, batch, layer.inputs, slope,
                                   grad_parameters.data + layers_[l - 1].bias_offset, partials);
    g = next;
  }
}

template <class Real>
MlpWorkspace<Real>::MlpWorkspace(const Mlp<Real>& mlp,
                                 std::size_t max_batch,
                                 Allocator& allocator,
                                 MemorySpace space,
                                 const std::string& purpose)
    : max_batch_(max_batch) {
  MUSTFM_EXPECTS(max_batch > 0, "MLP workspace for " + purpose + " needs a positive batch size");
  std::size_t total = 0;
  for (const DenseLayer& layer : mlp.layers()) {
    layer_offsets_.push_back(total);
    layer_widths_.push_back(layer.outputs);
    total += max_batch * layer.outputs;
    if (layer.activated) gradient_width_ = std::max(gradient_width_, layer.outputs);
  }
  activations_ = Buffer<Real>(allocator, total, space, purpose + " activations");
  gradients_ =
      Buffer<Real>(allocator, 2 * max_batch * gradient_width_, space, purpose + " gradients");
  if (space == MemorySpace::device) {
    const std::size_t widest = *std::max_element(layer_widths_.begin(), layer_widths_.end());
    bias_partials_ = Buffer<Real>(allocator, detail::bias_gradient_partial_count(max_batch, widest),
                                  space, purpose + " bias gradient partials");
  }
}

template <class Real>
View<const Real> MlpWorkspace<Real>::layer_output(std::size_t layer) const {
  MUSTFM_ASSERT(layer < layer_offsets_.size(), "layer index out of range");
  return {activations_.data() + layer_offsets_[layer], batch_ * layer_widths_[layer],
          activations_.space()};
}

template <class Real>
Real* MlpWorkspace<Real>::layer_data(std::size_t layer) const {
  return activations_.data() + layer_offsets_[layer];
}

template class Mlp<float>;
template class Mlp<double>;
template class MlpWorkspace<float>;
template class MlpWorkspace<double>;

}  // namespace mustfm
