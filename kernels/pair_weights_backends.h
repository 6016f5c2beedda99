// The two backends of kernels/pair_weights.h, for its dispatch in kernels/pair_weights.cpp. Their
// inputs are checked there (sizes match, offsets well formed, the transpose built), and the
// dispatch sets the final running sums to exactly 1 afterwards. Names as in
// kernels/pair_weights.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/backend.h"
#include "kernels/pair_weights.h"

namespace mustfm::detail {

PairWeights pair_weights_cpu(const CsrMatrix& structure,
                             const CsrTranspose& transpose,
                             View<const double> plan,
                             View<const double> a,
                             View<const double> b);

std::vector<double> within_cluster_cumulative_cpu(const std::vector<std::int64_t>& offsets,
                                                  View<const double> cluster_mass,
                                                  View<const double> weights);

#ifdef MUSTFM_WITH_CUDA
// Upload, compute on exec.stream, and return once the results are back on the host.
PairWeights pair_weights_cuda(const Exec& exec,
                              const CsrMatrix& structure,
                              const CsrTranspose& transpose,
                              View<const double> plan,
                              View<const double> a,
                              View<const double> b);

std::vector<double> within_cluster_cumulative_cuda(const Exec& exec,
                                                   const std::vector<std::int64_t>& offsets,
                                                   View<const double> cluster_mass,
                                                   View<const double> weights);
#endif

}  // namespace mustfm::detail
