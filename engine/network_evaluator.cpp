#include "engine/network_evaluator.h"

#include <algorithm>
#include <vector>

#include "kernels/common/error.h"

namespace mustfm {
namespace {

MlpShape shape_of(const NetworkState& state, const std::string& name) {
  MUSTFM_EXPECTS(state.widths.size() >= 2,
                 "the " + name + " network of the checkpoint has no layers");
  MlpShape shape;
  shape.inputs = state.widths.front();
  shape.outputs = state.widths.back();
  for (std::size_t l = 1; l + 1 < state.widths.size(); ++l) shape.hidden.push_back(state.widths[l]);
  shape.slope = state.slope;
  return shape;
}

}  // namespace

NetworkEvaluator::NetworkEvaluator(Context& context,
                                   const NetworkState& state,
                                   const std::string& name,
                                   std::size_t chunk_rows)
    : context_(&context),
      name_(name),
      mlp_(shape_of(state, name)),
      chunk_rows_(std::max<std::size_t>(chunk_rows, 1)),
      parameters_(context.allocator(),
                  mlp_.parameter_count(),
                  context.compute_space(),
                  name + " network: averaged parameters"),
      workspace_(mlp_,
                 chunk_rows_,
                 context.allocator(),
                 context.compute_space(),
                 name + " network: prediction workspace") {
  MUSTFM_EXPECTS(state.average.size() == mlp_.parameter_count(),
                 "the " + name + " network of the checkpoint holds " +
                     std::to_string(state.average.size()) + " averaged parameters; its layers " +
                     describe_widths(state.widths) + " need " +
                     std::to_string(mlp_.parameter_count()));
  const std::vector<float> narrow(state.average.begin(), state.average.end());
  parameters_.copy_from(View<const float>{narrow.data(), narrow.size(), MemorySpace::host});
  if (context.compute_space() == MemorySpace::device)
    device_inputs_ = Buffer<float>(context.allocator(), chunk_rows_ * inputs(), MemorySpace::device,
                                   name + " network: prediction inputs");
}

void NetworkEvaluator::evaluate(const float* inputs, std::size_t rows, float* outputs) {
  const bool on_device = context_->compute_space() == MemorySpace::device;
  for (std::size_t start = 0; start < rows; start += chunk_rows_) {
    const std::size_t count = std::min(chunk_rows_, rows - start);
    const float* chunk = inputs + start * this->inputs();
    View<const float> input{chunk, count * this->inputs(), MemorySpace::host};
    if (on_device) {
      copy_bytes(device_inputs_.data(), MemorySpace::device, chunk, MemorySpace::host,
                 count * this->inputs() * sizeof(float));
      input = View<const float>{device_inputs_.data(), count * this->inputs(), MemorySpace::device};
    }
    mlp_.forward(context_->exec(), parameters_.cview(), input, count, workspace_);
    context_->synchronize();
    const View<const float> result = workspace_.output();
    copy_bytes(outputs + start * this->outputs(), MemorySpace::host, result.data, result.space,
               count * this->outputs() * sizeof(float));
  }
}

}  // namespace mustfm
