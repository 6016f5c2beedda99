// LeakyReLU, shared by the CPU and CUDA dense layers: a(z) = z for z > 0, slope * z otherwise.
// The backward pass reads the stored output a instead of the pre-activation z: for slope >= 0,
// a > 0 exactly when z > 0, so only one array per layer is kept. At z = 0 the derivative is
// taken as `slope`, the same convention as PyTorch.
#pragma once

#include "kernels/common/host_device.h"

namespace mustfm {

// Written as max(z, 0) + slope min(z, 0), equal to the two-branch form for every finite z
// (including -0), because compilers turn max and min into vector instructions, whereas a
// conditional product stays a scalar branch that mispredicts on the random signs of a layer's
// pre-activations.
template <class Real>
MUSTFM_HD Real leaky_relu(Real z, Real slope) {
  const Real positive = z > Real(0) ? z : Real(0);
  const Real negative = z < Real(0) ? z : Real(0);
  return positive + slope * negative;
}

// da/dz, from the pre-activation z.
template <class Real>
MUSTFM_HD Real leaky_relu_derivative(Real z, Real slope) {
  return z > Real(0) ? Real(1) : slope;
}

// da/dz, from the output a = leaky_relu(z, slope); requires slope >= 0.
// dL/dz = dL/da * da/dz, from the output a = leaky_relu(z, slope); requires slope >= 0. Formed
// as a sum of two selections for the same reason as leaky_relu: g or slope g exactly (up to the
// sign of a zero).
template <class Real>
MUSTFM_HD Real leaky_relu_gradient_from_output(Real grad_output, Real a, Real slope) {
  const Real passed = a > Real(0) ? grad_output : Real(0);
  const Real scaled = a > Real(0) ? Real(0) : grad_output;
  return passed + slope * scaled;
}

}  // namespace mustfm
