// Everything that decides how training continues, copied to host memory: both networks'
// parameters, their moving averages and Adam moments, and the position in the run. A checkpoint
// (engine/checkpoint.h) is this state plus the job that produced it. Values are held in double
// whatever the training precision; a float round-trips through double exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mustfm {

struct NetworkState {
  // inputs, hidden widths (first to last), outputs.
  std::vector<std::uint64_t> widths;
  double slope = 0.0;
  std::int64_t adam_steps = 0;
  // Each holds the network's parameter count of values, in the Mlp parameter layout.
  std::vector<double> parameters;
  std::vector<double> average;
  std::vector<double> adam_first;
  std::vector<double> adam_second;
};

struct TrainingState {
  // Bytes per training scalar: 4 (float) or 8 (double).
  std::uint32_t scalar_bytes = 4;
  // The sampler's random numbers are addressed by (seed, interval, step), so the seed and the
  // number of steps taken are the whole random-number position.
  std::uint64_t seed = 0;
  std::int64_t steps_taken = 0;
  NetworkState velocity;
  NetworkState growth;
};

// "3 -> [256, 256] -> 2" for messages.
std::string describe_widths(const std::vector<std::uint64_t>& widths);

}  // namespace mustfm
