// AVX2/FMA exp-sum loop (kernels/exp_sum_cpu.h). This file alone is compiled with -mavx2
// -mfma; it is only called after cpu_has_avx2_fma() said yes. Same argument reduction and
// polynomial as cpu_exp, four lanes at a time, with two accumulators to hide FMA latency. It
// must not call inline functions that other files also use: the linker could keep this file's
// AVX2 copy for them.
#include "kernels/exp_sum_cpu.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace mustfm::detail {
namespace {

// Evaluated at compile time, so no out-of-line numeric_limits code is emitted here.
constexpr double kInf = std::numeric_limits<double>::infinity();

// Four partners by scalar loads: on the processors this was measured on (AMD Zen), the AVX2
// gather instruction is microcoded and slower than four loads.
inline __m256d load4(const double* partner, const std::int32_t* index) {
  return _mm256_set_pd(partner[index[3]], partner[index[2]], partner[index[1]], partner[index[0]]);
}

inline __m256d exp4(__m256d x) {
  using K = CpuExpConstants;
  // Operand order matters: max/min return their second operand when either is NaN.
  x = _mm256_max_pd(_mm256_set1_pd(K::lowest), x);
  x = _mm256_min_pd(_mm256_set1_pd(K::highest), x);
  const __m256d shifted = _mm256_fmadd_pd(x, _mm256_set1_pd(K::log2e), _mm256_set1_pd(K::shifter));
  const __m256d n = _mm256_sub_pd(shifted, _mm256_set1_pd(K::shifter));
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(K::ln2_hi), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(K::ln2_lo), r);
  __m256d p = _mm256_set1_pd(kCpuExpPolynomial[0]);
  for (int k = 1; k <= K::degree; ++k)
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kCpuExpPolynomial[k]));
  const __m256i bits = _mm256_add_epi64(_mm256_castpd_si256(shifted), _mm256_set1_epi64x(1023));
  return _mm256_mul_pd(p, _mm256_castsi256_pd(_mm256_slli_epi64(bits, 52)));
}

}  // namespace

double exp_sum_gather_avx2(const std::int32_t* index,
                           const double* cost,
                           const double* partner,
                           std::int64_t count,
                           double inv_eps,
                           double shift) {
  const __m256d inv_eps4 = _mm256_set1_pd(inv_eps);
  const __m256d shift4 = _mm256_set1_pd(shift);
  __m256d sum0 = _mm256_setzero_pd();
  __m256d sum1 = _mm256_setzero_pd();
  std::int64_t k = 0;
  const __m256d negligible = _mm256_set1_pd(kNegligibleExponent);
  for (; k + 8 <= count; k += 8) {
    const __m256d h0 = _mm256_sub_pd(load4(partner, index + k), shift4);
    const __m256d h1 = _mm256_sub_pd(load4(partner, index + k + 4), shift4);
    const __m256d x0 = _mm256_fnmadd_pd(_mm256_loadu_pd(cost + k), inv_eps4, h0);
    const __m256d x1 = _mm256_fnmadd_pd(_mm256_loadu_pd(cost + k + 4), inv_eps4, h1);
    // "Not <= threshold" is also true for NaN, so a NaN term is never skipped.
    const __m256d keep = _mm256_or_pd(_mm256_cmp_pd(x0, negligible, _CMP_NLE_UQ),
                                      _mm256_cmp_pd(x1, negligible, _CMP_NLE_UQ));
    if (_mm256_movemask_pd(keep) == 0) continue;
    sum0 = _mm256_add_pd(sum0, exp4(x0));
    sum1 = _mm256_add_pd(sum1, exp4(x1));
  }
  // The last entries go through the same vector code, padded with -inf (terms of 0), so this
  // file calls no inline function shared with files compiled without AVX2.
  while (k < count) {
    alignas(32) double x[4];
    for (int lane = 0; lane < 4; ++lane, ++k)
      x[lane] = k < count ? partner[index[k]] - shift - cost[k] * inv_eps : -kInf;
    sum0 = _mm256_add_pd(sum0, exp4(_mm256_load_pd(x)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(sum0, sum1));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

}  // namespace mustfm::detail

#else

#include "kernels/common/error.h"

namespace mustfm::detail {

double exp_sum_gather_avx2(
    const std::int32_t*, const double*, const double*, std::int64_t, double, double) {
  MUSTFM_ASSERT(false, "the AVX2 exp-sum loop was called in a build without AVX2 code");
  return 0.0;
}

}  // namespace mustfm::detail

#endif
