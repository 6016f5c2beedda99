// Portable exp-sum loop and the run-time choice between it and the AVX2 one.
#include "kernels/exp_sum_cpu.h"

namespace mustfm::detail {

double exp_sum_gather_portable(const std::int32_t* index,
                               const double* cost,
                               const double* partner,
                               std::int64_t count,
                               double inv_eps,
                               double shift) {
  // Two accumulators, like the vector version, so both round alike on short lines.
  double sum0 = 0.0;
  double sum1 = 0.0;
  std::int64_t k = 0;
  for (; k + 1 < count; k += 2) {
    sum0 += cpu_exp(partner[index[k]] - shift - cost[k] * inv_eps);
    sum1 += cpu_exp(partner[index[k + 1]] - shift - cost[k + 1] * inv_eps);
  }
  if (k < count) sum0 += cpu_exp(partner[index[k]] - shift - cost[k] * inv_eps);
  return sum0 + sum1;
}

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
#else
  return false;
#endif
}

double exp_sum_gather(const std::int32_t* index,
                      const double* cost,
                      const double* partner,
                      std::int64_t count,
                      double inv_eps,
                      double shift) {
  if (cpu_has_avx2_fma()) return exp_sum_gather_avx2(index, cost, partner, count, inv_eps, shift);
  return exp_sum_gather_portable(index, cost, partner, count, inv_eps, shift);
}

}  // namespace mustfm::detail
