// A trained network run forward for prediction: the moving-average parameters of a checkpoint's
// network, in the memory of the context's backend, applied to host batches of any size in
// chunks of a fixed workspace (so a million particles never need a million-row workspace).
#pragma once

#include <cstddef>
#include <string>

#include "engine/context.h"
#include "engine/training_state.h"
#include "kernels/common/memory.h"
#include "nn/mlp.h"

namespace mustfm {

class NetworkEvaluator {
 public:
  // InputError naming `name` when the state's widths or parameter count do not describe a
  // network.
  NetworkEvaluator(Context& context,
                   const NetworkState& state,
                   const std::string& name,
                   std::size_t chunk_rows = 1 << 16);

  std::size_t inputs() const { return mlp_.shape().inputs; }
  std::size_t outputs() const { return mlp_.shape().outputs; }
  // outputs[rows x outputs()] = network(inputs[rows x inputs()]), both row-major host arrays.
  void evaluate(const float* inputs, std::size_t rows, float* outputs);

 private:
  Context* context_;
  std::string name_;
  Mlp<float> mlp_;
  std::size_t chunk_rows_;
  Buffer<float> parameters_;
  MlpWorkspace<float> workspace_;
  // Device backends only: the chunk's inputs in device memory.
  Buffer<float> device_inputs_;
};

}  // namespace mustfm
