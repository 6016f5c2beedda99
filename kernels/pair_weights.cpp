// Entry points of kernels/pair_weights.h: input checks, the backend switch, and the fix-ups both
// backends share. Names as in kernels/pair_weights.h.
#include "kernels/pair_weights.h"

#include <string>

#include "kernels/common/error.h"
#include "kernels/pair_weights_backends.h"

namespace mustfm {
namespace {

void check_backend(const Exec& exec, const char* what) {
#ifndef MUSTFM_WITH_CUDA
  MUSTFM_EXPECTS(exec.backend == Backend::cpu, std::string(what) +
                                                   ": the CUDA backend was requested, but this "
                                                   "build has no CUDA");
#else
  (void)exec;
  (void)what;
#endif
}

}  // namespace

PairWeights pair_weights(const Exec& exec,
                         const CsrMatrix& structure,
                         View<const double> plan,
                         View<const double> a,
                         View<const double> b) {
  check_backend(exec, "pair weights");
  validate_csr(structure);
  const std::int64_t nnz = structure.nnz();
  MUSTFM_EXPECTS(plan.size == static_cast<std::size_t>(nnz),
                 "pair weights: " + std::to_string(plan.size) + " plan values for " +
                     std::to_string(nnz) + " stored entries");
  MUSTFM_EXPECTS(a.size == static_cast<std::size_t>(structure.rows) &&
                     b.size == static_cast<std::size_t>(structure.cols),
                 "pair weights: " + std::to_string(a.size) + " source and " +
                     std::to_string(b.size) + " target masses for a " +
                     std::to_string(structure.rows) + " x " + std::to_string(structure.cols) +
                     " structure");
  MUSTFM_EXPECTS(plan.space == MemorySpace::host && a.space == MemorySpace::host &&
                     b.space == MemorySpace::host,
                 "pair weights: the plan and the masses must be in host memory");

  CsrTranspose built;
  if (!structure.has_transpose()) built = transpose_of(structure);
  const CsrTranspose& transpose = structure.has_transpose() ? structure.transpose : built;

  PairWeights weights;
#ifdef MUSTFM_WITH_CUDA
  if (exec.backend == Backend::cuda)
    weights = detail::pair_weights_cuda(exec, structure, transpose, plan, a, b);
  else
    weights = detail::pair_weights_cpu(structure, transpose, plan, a, b);
#else
  weights = detail::pair_weights_cpu(structure, transpose, plan, a, b);
#endif
  // Rounding must not leave the last running sum below a uniform draw close to 1.
  if (!weights.cumulative.empty()) weights.cumulative.back() = 1.0;
  return weights;
}

std::vector<double> within_cluster_cumulative(const Exec& exec,
                                              const std::vector<std::int64_t>& offsets,
                                              View<const double> cluster_mass,
                                              View<const double> weights) {
  check_backend(exec, "within-cluster weights");
  MUSTFM_EXPECTS(!offsets.empty() && offsets.front() == 0 &&
                     offsets.back() == static_cast<std::int64_t>(weights.size),
                 "within-cluster weights: cluster offsets must run from 0 to the " +
                     std::to_string(weights.size) + " positions");
  for (std::size_t k = 0; k + 1 < offsets.size(); ++k)
    MUSTFM_EXPECTS(
        offsets[k] <= offsets[k + 1],
        "within-cluster weights: cluster offsets decrease at cluster " + std::to_string(k));
  MUSTFM_EXPECTS(cluster_mass.size + 1 == offsets.size(),
                 "within-cluster weights: " + std::to_string(cluster_mass.size) +
                     " cluster masses for " + std::to_string(offsets.size() - 1) + " clusters");
  MUSTFM_EXPECTS(cluster_mass.space == MemorySpace::host && weights.space == MemorySpace::host,
                 "within-cluster weights: the masses and weights must be in host memory");

  std::vector<double> within;
#ifdef MUSTFM_WITH_CUDA
  if (exec.backend == Backend::cuda)
    within = detail::within_cluster_cumulative_cuda(exec, offsets, cluster_mass, weights);
  else
    within = detail::within_cluster_cumulative_cpu(offsets, cluster_mass, weights);
#else
  within = detail::within_cluster_cumulative_cpu(offsets, cluster_mass, weights);
#endif
  // As above: the draw within a cluster must land inside it.
  for (std::size_t k = 0; k + 1 < offsets.size(); ++k)
    if (offsets[k + 1] > offsets[k]) within[offsets[k + 1] - 1] = 1.0;
  return within;
}

}  // namespace mustfm
