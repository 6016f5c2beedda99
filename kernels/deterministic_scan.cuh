// A running sum of doubles on the device that gives the same bits on every run. CUB's DeviceScan
// passes partial sums between tiles by decoupled look-back, which adds them in an order that
// depends on thread timing, so its floating-point results may differ run to run (its
// documentation says so). Here the tiles are reduced, their totals scanned and the tiles scanned
// again from those prefixes (reduce, then scan), every step with CUB block primitives in a
// fixed order. Included by .cu files only.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mustfm::detail {

// sums[p] = values[s] + ... + values[p], where s is the last position <= p with heads[s] != 0
// (0 when there is none); heads may be null (one segment). Queued on `stream`; scratch is
// allocated and freed in stream order. sums must not alias values or heads.
void deterministic_inclusive_sum(const double* values,
                                 const std::uint8_t* heads,
                                 std::int64_t count,
                                 double* sums,
                                 cudaStream_t stream);

}  // namespace mustfm::detail
