// SPDX-License-Identifier: MIT
// The liquid-alpha interval kernel's series sum and the loss bound's tail (alpha_bounds_avx512.cpp),
// by the exponential or by Horner's rule, for AVX-512 F translation units;
// tests/cpp/series_exp_check.cpp checks both against the series.
#pragma once

#include "simd/detail/avx512_intrinsics.hpp"

#include <cstddef>

#include "consensus/detail/alpha_series.hpp"

namespace taocore::consensus::detail {

// P(x) = Σ_{i<=31} x^i/i! for 0 <= x <= kExpLimit as e^x, in 17 operations where Horner's rule
// takes 31 (the common case: at the default steepness |a| <= 5 always). There the terms past 31
// sum to at most 2·x^32/32! (each is under half the one before), below 2^-49.5 of e^x. And e^x
// is formed to within 2^-50: x = n·ln 2 + r with n = round(x·log2 e) <= 8 and r = x − n·ln2_hi
// − n·ln2_lo (ln2_hi has 42 significant bits and x is a multiple of 2^-32 below 8, so n·ln2_hi
// and x − n·ln2_hi are exact; hi + lo is ln 2 to 2^-101; |r| <= 0.35 after one rounding of
// 2^-53·|r|), e^r by its Taylor polynomial of degree 12 (the remainder is below 2^-51.2 of e^r,
// Horner's roundings below 2^-51.1, the coefficients' far less), 2^n·e^r by vscalefpd, exact.
// So P is within 2^-48.8 of the result, under the 2^-46 the kernel's margins (2^-40 per step)
// allow the polynomials; and P − 1 − x, the loss bound's tail, is within 2^-41.5 (P <= 149),
// which times loss_ratio is far under the margin the loss itself gets in the sums (2^-40 of a
// loss of at least 6 units, 2^-37.4).
inline constexpr double kExpLimit = 5.0;
static_assert(kTerms == 31);

/// P(x) into p and the loss bound's tail P − 1 − x into tail, as above.
inline void series_by_exp(__m512d x, __m512d& p, __m512d& tail) noexcept {
    const __m512d ln2_hi = _mm512_set1_pd(0x1.62e42fefa38p-1), ln2_lo = _mm512_set1_pd(0x1.ef35793c7673p-45);
    const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(0x1.71547652b82fep0)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512d r = _mm512_fnmadd_pd(n, ln2_lo, _mm512_fnmadd_pd(n, ln2_hi, x));
    __m512d q = _mm512_set1_pd(kSeries.p[12]);
    for (int i = 11; i >= 0; --i) q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(kSeries.p[i]));
    p = _mm512_scalef_pd(q, n);
    tail = _mm512_sub_pd(_mm512_sub_pd(p, _mm512_set1_pd(1.0)), x);
}

/// P(x) and its tail for any 0 <= x <= 20 (the clamp), G vectors at a time (each step of the
/// chain waits on the last: the group's vectors fill the gaps). Horner's rule down to p[2] gives
/// R(x) = Σ_{i>=2} p[i] x^(i−2), and its last two steps P(x); x²·R(x) = P(x) − 1 − x is the tail
/// (see SeriesCoefficients). Every term is positive, so the roundings (one per step, and the
/// coefficients' own, each built by at most 31 correctly rounded divisions) each move a sum of
/// positive terms by a relative 2^-53: P and the tail are within 64·2^-53 = 2^-47 relative,
/// under the 2^-46 the kernel's margins allow (the loss takes the tail's relative error).
template <std::size_t G>
inline void series_by_horner(const __m512d (&x)[G], __m512d (&p)[G], __m512d (&tail)[G]) noexcept {
    for (std::size_t g = 0; g < G; ++g) p[g] = _mm512_set1_pd(kSeries.p[kTerms]);
#pragma GCC unroll 32
    for (int i = kTerms - 1; i >= 2; --i) {
        const __m512d c = _mm512_set1_pd(kSeries.p[i]);
        for (std::size_t g = 0; g < G; ++g) p[g] = _mm512_fmadd_pd(p[g], x[g], c);
    }
    for (std::size_t g = 0; g < G; ++g) {
        tail[g] = _mm512_mul_pd(_mm512_mul_pd(p[g], x[g]), x[g]);
        p[g] = _mm512_fmadd_pd(_mm512_fmadd_pd(p[g], x[g], _mm512_set1_pd(kSeries.p[1])), x[g], _mm512_set1_pd(kSeries.p[0]));
    }
}

}  // namespace taocore::consensus::detail
