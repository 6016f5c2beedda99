// The inner loop of the CPU Sinkhorn passes: for one row (or one column of the transpose),
//   sum_k exp(partner[index[k]] - cost[k] * inv_eps - shift),
// with partner = g / eps + log b (row pass) or f / eps + log a (column pass), -inf for partners
// that cannot carry mass. The caller picks `shift` near the result's log (the previous LSE of
// the line), so the sum stays near 1 and no per-term maximum is needed; when the sum leaves a
// safe range it redoes the line with the exact streaming LSE (kernels/lse.h).
//
// Terms below exp(kNegligibleExponent) = 1.6e-28 may be left out (the AVX2 loop skips groups
// of eight such terms): callers trust a sum only when it is at least kTrustedSumLow, so the
// terms left out change it by at most count * 1.6e-24 relative.
//
// Two implementations: a portable one and an AVX2/FMA one (x86-64, chosen at run time when the
// processor has both). Both evaluate exp with the same argument reduction and polynomial
// (cpu_exp below), accurate to about 2 ulp.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace mustfm::detail {

inline constexpr double kNegligibleExponent = -64.0;
inline constexpr double kTrustedSumLow = 1e-4;

// exp(x) = 2^n exp(r), n = round(x / ln 2), |r| <= ln 2 / 2; exp(r) by a degree-11 polynomial
// interpolating exp at the Chebyshev nodes of that interval (relative error 1.7e-17, below
// double rounding). x is first clamped to [lowest, highest]: below, the result is the smallest
// normal number instead of a subnormal or 0 (harmless in a sum of terms near 1, and it keeps
// subnormal arithmetic out of the loop); above, a number beyond every sum the caller trusts.
// The clamps keep NaN (max and min return their NaN argument here).
struct CpuExpConstants {
  static constexpr double log2e = 1.4426950408889634;
  static constexpr double ln2_hi = 6.93147180369123816490e-01;  // ln 2 with 11 zero low bits
  static constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln 2 - ln2_hi
  static constexpr double shifter = 6755399441055744.0;         // 1.5 * 2^52: rounds to integers
  static constexpr double lowest = -708.3964185322641;          // exp(lowest) = smallest normal
  static constexpr double highest = 709.0;
  static constexpr int degree = 11;
};

// Coefficients of r^11 down to r^0, for Horner's scheme.
inline constexpr double kCpuExpPolynomial[CpuExpConstants::degree + 1] = {0x1.af631d0059becp-26,
                                                                          0x1.28b4057f44145p-22,
                                                                          0x1.71ddf5749d126p-19,
                                                                          0x1.a01991ac8730ap-16,
                                                                          0x1.a01a01b14378fp-13,
                                                                          0x1.6c16c187fbe02p-10,
                                                                          0x1.111111110f225p-7,
                                                                          0x1.555555554f0cfp-5,
                                                                          0x1.555555555555ap-3,
                                                                          0x1.0000000000011p-1,
                                                                          0x1.0p+0,
                                                                          0x1.0p+0};

inline double cpu_exp(double x) {
  using K = CpuExpConstants;
  x = x < K::lowest ? K::lowest : x;  // -inf too; NaN compares false and passes
  x = x > K::highest ? K::highest : x;
  const double shifted = x * K::log2e + K::shifter;
  const double n = shifted - K::shifter;
  double r = x - n * K::ln2_hi;
  r = r - n * K::ln2_lo;
  double p = kCpuExpPolynomial[0];
  for (int k = 1; k <= K::degree; ++k) p = p * r + kCpuExpPolynomial[k];
  std::int64_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  // The low bits of `shifted` hold n (two's complement); shifted into the exponent field they
  // give 2^n once the bias is added.
  const std::uint64_t scale_bits = static_cast<std::uint64_t>(bits + 1023) << 52;
  double scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

double exp_sum_gather_portable(const std::int32_t* index,
                               const double* cost,
                               const double* partner,
                               std::int64_t count,
                               double inv_eps,
                               double shift);

// Requires cpu_has_avx2_fma().
double exp_sum_gather_avx2(const std::int32_t* index,
                           const double* cost,
                           const double* partner,
                           std::int64_t count,
                           double inv_eps,
                           double shift);

bool cpu_has_avx2_fma();

// The fastest implementation this processor runs.
double exp_sum_gather(const std::int32_t* index,
                      const double* cost,
                      const double* partner,
                      std::int64_t count,
                      double inv_eps,
                      double shift);

}  // namespace mustfm::detail
