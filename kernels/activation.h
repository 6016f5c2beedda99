// LeakyReLU, shared by the CPU and CUDA dense layers: a(z) = z for z > 0, slope * z otherwise.
// The backward pass reads the stored output a instead of the pre-activation z: for slope >= 0,
// a > 0 exactly when z > 0, so only one array per layer is kept. At z = 0 the derivative is
// taken as `slope`, the same convention as PyTorch.
#pragma once

#include "kernels/common/host_device.h"

namespace mustfm {

template <class Real>
MUSTFM_HD Real leaky_relu(Real z, Real slope) {
  return z > Real(0) ? z : slope * z;
}

// da/dz, from the pre-activation z.
template <class Real>
MUSTFM_HD Real leaky_relu_derivative(Real z, Real slope) {
  return z > Real(0) ? Real(1) : slope;
}

// da/dz, from the output a = leaky_relu(z, slope); requires slope >= 0.
template <class Real>
MUSTFM_HD Real leaky_relu_derivative_from_output(Real a, Real slope) {
  return a > Real(0) ? Real(1) : slope;
}

}  // namespace mustfm
