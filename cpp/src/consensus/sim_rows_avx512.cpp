// SPDX-License-Identifier: MIT
// The float32 row steps of the simulator's weight normalisation under AVX-512 (see
// row_total_avx512 and divide_row_avx512 in detail/sim_kernels.hpp). CMake compiles this file
// with the AVX-512 flags and the dispatch reaches it only through the avx512 simulator table.
//
// Why by hand: the portable loops check a row, sum it and divide it in three passes, because GCC
// will not vectorise one loop that mixes float, integer and double lanes; and the raw weights
// arrive from memory once per epoch, where the hardware prefetcher stops at every 4 KB row. One
// pass here checks and sums while it asks for the bytes a few rows ahead, so the fetch streams
// under the arithmetic; and the division, a long-latency instruction per sixteen weights, becomes
// a multiplication in double by the row's reciprocal, which gives the same bits (argument below).
#include "simd/detail/avx512_intrinsics.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "detail/sim_kernels.hpp"

namespace taocore::consensus::sim::detail {

double row_total_avx512(const float* row, std::size_t m, const float* ahead, bool& suspect, float& smallest) {
    // The same eight double lanes, each adding its weights in index order, as sum_of; the same
    // bit test as maybe_bad (sign bit set, or an all-ones exponent carried into it). The
    // smallest positive weight is the smallest of bits - 1 as unsigned (zero wraps to the top).
    const __m512i exp_one = _mm512_set1_epi32(1 << 23), one = _mm512_set1_epi32(1);
    __m512i any = _mm512_setzero_si512(), least = _mm512_set1_epi32(-1);
    __m512d lanes = _mm512_setzero_pd();
    const char* next = reinterpret_cast<const char*>(ahead);
    std::size_t i = 0;
    for (; i + 16 <= m; i += 16) {
        if (next) _mm_prefetch(next + i * sizeof(float), _MM_HINT_T1);
        const __m512 x = _mm512_loadu_ps(row + i);
        const __m512i bits = _mm512_castps_si512(x);
        any = _mm512_ternarylogic_epi32(any, bits, _mm512_add_epi32(bits, exp_one), 0xFE);  // a | b | c
        least = _mm512_min_epu32(least, _mm512_sub_epi32(bits, one));
        lanes = _mm512_add_pd(lanes, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
        lanes = _mm512_add_pd(lanes, _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
    }
    alignas(64) double lane[8];
    _mm512_store_pd(lane, lanes);
    std::uint32_t tail_bits = 0, tail_least = _mm512_reduce_min_epu32(least);
    for (; i < m; ++i) {
        std::uint32_t b;
        __builtin_memcpy(&b, row + i, sizeof b);
        tail_bits |= b | (b + (1u << 23));
        tail_least = std::min(tail_least, b - 1u);
        lane[i % 8] += static_cast<double>(row[i]);
    }
    suspect = _mm512_movepi32_mask(any) != 0 || (tail_bits >> 31) != 0;
    const std::uint32_t least_bits = tail_least + 1u;  // 0 where no weight is positive
    smallest = least_bits == 0 ? std::numeric_limits<float>::infinity() : std::bit_cast<float>(least_bits);
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// dst[j] = src[j] / den, rounded as float division rounds, as RN_f(RN_d(src[j] * RN_d(1 / den))).
// Why that is the float quotient: write q = src[j] / den. The double product differs from q by
// less than 2^-51.9 q (two double roundings). A float midpoint m near q (25 significant bits,
// odd last one) cannot equal q: src = den * m would give src's odd part >= den's odd part *
// (2^24 + 1) > 2^24. So |src - den m| is a nonzero multiple of the last bit of den * m, at least
// 2^-49 den m for a normal float quotient, i.e. |q - m| >= 2^-49 m: the double product lies on
// the same side of every midpoint as q, and rounding it to float gives q rounded. The argument
// needs a normal float quotient (below 2^-126 the grid is fixed and q can be a midpoint), so
// sixteen weights with any nonzero quotient under 2^-125 are divided the plain way; zero stays
// zero either way, and den = +inf gives a zero reciprocal and zero quotients, as the division.
// Whether any quotient can be that small follows from the row's smallest positive weight (the
// product is monotonic in the weight, roundings included): the check of every sixteen weights,
// ~15% of the normalisation, runs only in rows where it can fire.
namespace {

constexpr double kTinyQuotient = 0x1p-125;  // below it a quotient may be subnormal: divided the plain way

template <bool Careful>
void divide_into_panels(const float* src, std::size_t m, float den, double recip_d, float* dst,
                        std::size_t panel_step) {
    const __m512d recip = _mm512_set1_pd(recip_d);
    auto quotients = [&](__m512 x) {
        const __m512d lo = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(x)), recip);
        const __m512d hi = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)), recip);
        const __m512 q = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
        if constexpr (Careful) {
            const __m512d tiny = _mm512_set1_pd(kTinyQuotient), zero = _mm512_setzero_pd();
            const __mmask8 small = static_cast<__mmask8>(_mm512_cmp_pd_mask(lo, tiny, _CMP_LT_OQ) &
                                                         _mm512_cmp_pd_mask(lo, zero, _CMP_NEQ_UQ)) |
                                   static_cast<__mmask8>(_mm512_cmp_pd_mask(hi, tiny, _CMP_LT_OQ) &
                                                         _mm512_cmp_pd_mask(hi, zero, _CMP_NEQ_UQ));
            if (small) return _mm512_div_ps(x, _mm512_set1_ps(den));
        }
        return q;
    };
    std::size_t j = 0;
    for (; j + 16 <= m; j += 16, dst += panel_step) _mm512_store_ps(dst, quotients(_mm512_loadu_ps(src + j)));
    if (j < m) {  // the zeros past m divide to zeros
        const __mmask16 rest = static_cast<__mmask16>((1u << (m - j)) - 1u);
        _mm512_store_ps(dst, quotients(_mm512_maskz_loadu_ps(rest, src + j)));
    }
}

}  // namespace

void divide_row_avx512(const float* src, std::size_t m, float den, float smallest, float* dst,
                       std::size_t panel_step) {
    const double recip = 1.0 / static_cast<double>(den);
    if (static_cast<double>(smallest) * recip < kTinyQuotient)
        divide_into_panels<true>(src, m, den, recip, dst, panel_step);
    else
        divide_into_panels<false>(src, m, den, recip, dst, panel_step);
}

}  // namespace taocore::consensus::sim::detail
