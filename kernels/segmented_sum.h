// The combining rule of a segmented running sum, shared by the device scan
// (kernels/deterministic_scan.cu) and the CPU tests of its tiling. A run of consecutive positions
// is summarized by the sum since the last segment start within it and whether a start lies in
// it; combining a run with the run that follows it is associative with {0, 0} as the identity,
// so segmented sums can be computed by any scan that only needs an associative operator.
#pragma once

#include "kernels/common/host_device.h"

namespace mustfm {

struct SegmentedValue {
  double value;
  int head;
};

// The summary of `left` followed by `right`: a start in `right` discards what came before it.
MUSTFM_HD SegmentedValue segmented_plus(const SegmentedValue& left, const SegmentedValue& right) {
  return {right.head != 0 ? right.value : left.value + right.value, left.head | right.head};
}

}  // namespace mustfm
