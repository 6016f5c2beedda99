// Counter-based random numbers (Philox4x32-10 from Random123), identical on host and device.
// A draw is addressed by (seed, stream, step, index): the same address gives the same bits on the
// CPU and on the GPU, in any order and on any number of threads.
#pragma once

#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

#include "kernels/common/host_device.h"

namespace mustfm {

struct RandomBits {
  std::uint32_t v[4];
};

MUSTFM_HD RandomBits random_bits(std::uint64_t seed,
                                 std::uint32_t stream,
                                 std::uint32_t step,
                                 std::uint64_t index) {
  r123::Philox4x32 generator;
  r123::Philox4x32::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  r123::Philox4x32::ctr_type counter = {
      {stream, step, static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32)}};
  r123::Philox4x32::ctr_type out = generator(counter, key);
  return {{out.v[0], out.v[1], out.v[2], out.v[3]}};
}

// Uniform in (0, 1]: never 0, so log() of it is finite. 53 random bits from two words.
MUSTFM_HD double uniform_open_closed(std::uint32_t high, std::uint32_t low) {
  std::uint64_t bits = (static_cast<std::uint64_t>(high) << 21) ^ (low >> 11);
  bits &= (std::uint64_t{1} << 53) - 1;
  return (static_cast<double>(bits) + 1.0) * (1.0 / 9007199254740992.0);
}

// Uniform in [0, 1) from 24 bits, for float use.
MUSTFM_HD float uniform_float(std::uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

// Two independent standard normals (Box-Muller) from one Philox block.
MUSTFM_HD void standard_normal_pair(const RandomBits& bits, double& z0, double& z1) {
  const double two_pi = 6.283185307179586476925286766559;
  double u0 = uniform_open_closed(bits.v[0], bits.v[1]);
  double u1 = uniform_open_closed(bits.v[2], bits.v[3]);
  double radius = sqrt(-2.0 * log(u0));
  z0 = radius * cos(two_pi * u1);
  z1 = radius * sin(two_pi * u1);
}

}  // namespace mustfm
