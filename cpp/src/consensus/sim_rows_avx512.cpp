// SPDX-License-Identifier: MIT
// The float32 row pass of the simulator's weight normalisation under AVX-512 (see
// normalise_row_avx512 in detail/sim_kernels.hpp). CMake compiles this file with the AVX-512
// flags and the dispatch reaches it only through the avx512 simulator table.
//
// Why by hand: the portable loops check a row, sum it and divide it in three passes, because GCC
// will not vectorise one loop that mixes float, integer and double lanes; and the raw weights
// arrive from memory once per epoch, where the hardware prefetcher stops at every 4 KB row. One
// pass here divides a row into its panels while it checks and sums the next one and asks for the
// bytes a few rows ahead, so the fetch streams under the arithmetic (the sums and the divisions
// of a block of rows in turn left memory idle during the divisions: ~15% of the normalisation);
// and the division, a long-latency instruction per sixteen weights, becomes a multiplication in
// double by the row's reciprocal, which gives the same bits (argument below).
#include "simd/detail/avx512_intrinsics.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "detail/sim_kernels.hpp"

namespace taocore::consensus::sim::detail {

namespace {

// The quotients: x / den rounded as float division rounds, as RN_f(RN_d(x * RN_d(1 / den))).
// Why that is the float quotient: write q = x / den. The double product differs from q by less
// than 2^-51.9 q (two double roundings). A float midpoint m near q (25 significant bits, odd
// last one) cannot equal q: x = den * m would give x's odd part >= den's odd part * (2^24 + 1) >
// 2^24. So |x - den m| is a nonzero multiple of the last bit of den * m, at least 2^-49 den m
// for a normal float quotient, i.e. |q - m| >= 2^-49 m: the double product lies on the same
// side of every midpoint as q, and rounding it to float gives q rounded. The argument needs a
// normal float quotient (below 2^-126 the grid is fixed and q can be a midpoint), so sixteen
// weights with any nonzero quotient under kTinyQuotient are divided the plain way (Careful);
// zero stays zero either way, and den = +inf gives a zero reciprocal and zero quotients, as the
// division. Whether any quotient can be that small follows from the row's smallest positive
// weight (the product is monotonic in the weight, roundings included), so the check of every
// sixteen weights, ~15% of the normalisation, runs only in rows where it can fire.
constexpr double kTinyQuotient = 0x1p-125;

// One pass over the m weights: Divide divides src into its panel rows at dst; Scan sums,
// checks and finds the smallest positive weight of next (the sums in the same eight double
// lanes, each adding its weights in index order, as sum_of; the same bit test as maybe_bad:
// sign bit set, or an all-ones exponent carried into it; the smallest positive weight as the
// smallest of bits - 1 as unsigned, where zero wraps to the top).
template <bool Divide, bool Careful, bool Scan>
RowScan row_pass(const float* src, std::size_t m, float den, float* dst, std::size_t panel_step, const float* next,
                 const char* ahead) {
    const __m512d recip = _mm512_set1_pd(1.0 / static_cast<double>(den));
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
    const __m512i exp_one = _mm512_set1_epi32(1 << 23), one = _mm512_set1_epi32(1);
    __m512i any = _mm512_setzero_si512(), least = _mm512_set1_epi32(-1);
    __m512d lanes = _mm512_setzero_pd();
    std::size_t j = 0;
    for (; j + 16 <= m; j += 16, dst += panel_step) {
        if (ahead) _mm_prefetch(ahead + j * sizeof(float), _MM_HINT_T1);
        if constexpr (Scan) {
            const __m512 x = _mm512_loadu_ps(next + j);
            const __m512i bits = _mm512_castps_si512(x);
            any = _mm512_ternarylogic_epi32(any, bits, _mm512_add_epi32(bits, exp_one), 0xFE);  // a | b | c
            least = _mm512_min_epu32(least, _mm512_sub_epi32(bits, one));
            lanes = _mm512_add_pd(lanes, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
            lanes = _mm512_add_pd(lanes, _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)));
        }
        if constexpr (Divide) _mm512_store_ps(dst, quotients(_mm512_loadu_ps(src + j)));
    }
    if constexpr (Divide) {
        if (j < m) {  // the zeros past m divide to zeros
            const __mmask16 rest = static_cast<__mmask16>((1u << (m - j)) - 1u);
            _mm512_store_ps(dst, quotients(_mm512_maskz_loadu_ps(rest, src + j)));
        }
    }
    RowScan scan{};
    if constexpr (Scan) {
        alignas(64) double lane[8];
        _mm512_store_pd(lane, lanes);
        std::uint32_t tail_bits = 0, tail_least = _mm512_reduce_min_epu32(least);
        for (; j < m; ++j) {
            std::uint32_t b;
            __builtin_memcpy(&b, next + j, sizeof b);
            tail_bits |= b | (b + (1u << 23));
            tail_least = std::min(tail_least, b - 1u);
            lane[j % 8] += static_cast<double>(next[j]);
        }
        scan.suspect = _mm512_movepi32_mask(any) != 0 || (tail_bits >> 31) != 0;
        const std::uint32_t least_bits = tail_least + 1u;  // 0 where no weight is positive
        scan.smallest =
            least_bits == 0 ? std::numeric_limits<float>::infinity() : std::bit_cast<float>(least_bits);
        scan.total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    }
    return scan;
}

template <bool Divide, bool Careful>
RowScan row_pass_of(const float* src, std::size_t m, float den, float* dst, std::size_t panel_step, const float* next,
                    const char* ahead) {
    return next ? row_pass<Divide, Careful, true>(src, m, den, dst, panel_step, next, ahead)
                : row_pass<Divide, Careful, false>(src, m, den, dst, panel_step, next, ahead);
}

}  // namespace

RowScan normalise_row_avx512(const float* src, std::size_t m, float den, float smallest, float* dst,
                             std::size_t panel_step, const float* next, const float* ahead) {
    const char* at = reinterpret_cast<const char*>(ahead);
    if (!src) return row_pass_of<false, false>(src, m, den, dst, panel_step, next, at);
    if (static_cast<double>(smallest) * (1.0 / static_cast<double>(den)) < kTinyQuotient)
        return row_pass_of<true, true>(src, m, den, dst, panel_step, next, at);
    return row_pass_of<true, false>(src, m, den, dst, panel_step, next, at);
}

}  // namespace taocore::consensus::sim::detail
