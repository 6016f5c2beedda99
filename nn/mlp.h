// A multilayer perceptron: dense layers with LeakyReLU after every hidden layer and none on the
// output (DESIGN.md section 8). The Mlp object only describes the layout and runs the passes;
// parameters, inputs and gradients live in caller-owned buffers, activations in an
// MlpWorkspace.
//
// Parameter layout: one contiguous vector; for each layer l in order, its weight W_l
// (out_l x in_l, row-major, so W_l[i][j] couples input j to output i) followed by its bias b_l
// (out_l). This is PyTorch's nn.Linear order, so a flattened torch.nn.Sequential matches it.
//
// Batches are row-major: input batch x inputs, output batch x outputs.
//
// Backends: every view and the workspace live in the memory of exec's backend (host for the
// CPU, device for CUDA); a view elsewhere is an InputError. On CUDA the dense products run on
// cuBLAS (exec.cublas) and the bias, activation and bias-gradient steps in kernels of our own
// (nn/dense_cuda.h); forward() and backward() queue their work on exec.stream and return without
// waiting, so results are ready after a synchronization of that stream.
//
// CUDA graphs: for a fixed workspace, batch and set of buffers, forward() and backward() issue
// the same launches with the same pointers every time and never synchronize or allocate, so a
// training step can be captured with CapturedWork (nn/captured_work.h) and replayed after new
// inputs are written into the same buffers. cuBLAS takes the capture's
// workspace from its stream-ordered allocator (CUDA 12.2 and later), or from one the caller
// binds with cublasSetWorkspace before capturing; the handle is rebound only when it is bound to
// another stream, which would drop such a workspace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common/backend.h"
#include "kernels/common/memory.h"

namespace mustfm {

struct MlpShape {
  std::size_t inputs = 0;
  std::vector<std::size_t> hidden;  // widths of the hidden layers, first to last
  std::size_t outputs = 0;
  double slope = 0.01;  // LeakyReLU negative slope; must be >= 0
};

// One dense layer's place in the parameter vector.
struct DenseLayer {
  std::size_t inputs = 0;
  std::size_t outputs = 0;
  std::size_t weight_offset = 0;
  std::size_t bias_offset = 0;
  bool activated = false;  // LeakyReLU after the bias (hidden layers)
};

template <class Real>
class MlpWorkspace;

template <class Real>
class Mlp {
 public:
  // Throws InputError when a size is zero or the slope is negative or not finite.
  explicit Mlp(MlpShape shape);

  const MlpShape& shape() const { return shape_; }
  const std::vector<DenseLayer>& layers() const { return layers_; }
  std::size_t parameter_count() const { return parameter_count_; }

  // Uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)] for every weight and bias; parameter number i
  // draws Philox block (seed, stream, step 0, index i), so every backend, precision and thread
  // count gets the same values (up to rounding to Real). `stream` tells networks apart.
  void initialize(View<Real> parameters, std::uint64_t seed, std::uint32_t stream) const;

  // Runs the network on `batch` rows of `input`; the result is workspace.output().
  void forward(const Exec& exec,
               View<const Real> parameters,
               View<const Real> input,
               std::size_t batch,
               MlpWorkspace<Real>& workspace) const;

  // Given grad_output = dL/d(output) (batch x outputs) after forward() on the same parameters
  // and input, assigns dL/d(parameters) to grad_parameters (same layout as the parameters).
  void backward(const Exec& exec,
                View<const Real> parameters,
                View<const Real> input,
                std::size_t batch,
                MlpWorkspace<Real>& workspace,
                View<const Real> grad_output,
                View<Real> grad_parameters) const;

 private:
  MlpShape shape_;
  std::vector<DenseLayer> layers_;
  std::size_t parameter_count_ = 0;
};

// What forward() keeps for backward(). Memory, in elements of Real:
//   activations: max_batch * (sum of hidden widths + outputs), every layer's output;
//   gradients:   2 * max_batch * (widest hidden layer), two buffers the backward pass
//                alternates between (none without hidden layers);
//   in device memory also the bias-gradient partial sums,
//                min(ceil(max_batch / 64), 4096) * (widest layer), none for max_batch <= 64.
template <class Real>
class MlpWorkspace {
 public:
  MlpWorkspace(const Mlp<Real>& mlp,
               std::size_t max_batch,
               Allocator& allocator,
               MemorySpace space,
               const std::string& purpose);

  std::size_t max_batch() const { return max_batch_; }
  MemorySpace space() const { return activations_.space(); }
  // Rows of the last forward pass (0 before the first).
  std::size_t batch() const { return batch_; }
  // Output of the last forward pass: batch() x outputs, row-major.
  View<const Real> output() const { return layer_output(layer_offsets_.size() - 1); }
  // Output of layer l (after its activation) from the last forward pass.
  View<const Real> layer_output(std::size_t layer) const;

 private:
  friend class Mlp<Real>;
  Real* layer_data(std::size_t layer) const;

  std::size_t max_batch_ = 0;
  std::size_t batch_ = 0;
  std::vector<std::size_t> layer_offsets_;  // start of each layer's output, for max_batch rows
  std::vector<std::size_t> layer_widths_;
  std::size_t gradient_width_ = 0;
  Buffer<Real> activations_;
  Buffer<Real> gradients_;
  Buffer<Real> bias_partials_;  // scratch of the CUDA bias gradient
};

}  // namespace mustfm
