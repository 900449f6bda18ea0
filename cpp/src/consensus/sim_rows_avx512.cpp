// SPDX-License-Identifier: MIT
// Float32 row passes of the simulator under AVX-512: the weight normalisation's (see
// normalise_row_avx512 in detail/sim_kernels.hpp) and Yuma 3's liquid-alpha bond update (see
// liquid_yuma3_rows_avx512 there). CMake compiles this file with the AVX-512 flags and the
// dispatch reaches it only through the avx512 simulator table.
//
// Why the normalisation by hand: the portable loops check a row, sum it and divide it in three
// passes, because GCC will not vectorise one loop that mixes float, integer and double lanes;
// and the raw weights arrive from memory once per epoch, where the hardware prefetcher stops at
// every 4 KB row. One pass here divides a row into its panels while it checks and sums the next
// one and asks for the bytes a few rows ahead, so the fetch streams under the arithmetic (the
// sums and the divisions of a block of rows in turn left memory idle during the divisions: ~15%
// of the normalisation); and the division, a long-latency instruction per sixteen weights,
// becomes a product by the row's reciprocal and a fused correction, which gives the same bits
// (argument below).
#include "simd/detail/avx512_intrinsics.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "detail/sim_kernels.hpp"

namespace taocore::consensus::sim::detail {

namespace {

// The quotients: x / den rounded as float division rounds, by Markstein's correction of a
// product: with y = RN(1 / den) and q0 = RN(x y), the remainder r = x - den q0 is exact in a
// fused multiply-add and RN(q0 + r y) is RN(x / den), where nothing underflows (the theorem's
// hypotheses: y within half an ulp of 1 / den, q0 within one ulp of x / den). y is formed in
// double and rounded to float, which gives RN(1 / den): 1 / den is no float midpoint and no
// closer to one than 2^-49 of itself, far beyond the double's error. Underflow: the remainder
// is a multiple of ulp(den) ulp(q0), about x 2^-46, which a float holds exactly where x >=
// 2^-103; with a margin the fused path takes rows whose smallest positive weight is at least
// 2^-100 and whose smallest quotient is a normal float, den <= 2^126 (y normal, finite), and no
// -0.0 (the correction would give +0); other rows divide (vdivps). Checked against vdivps over
// every float significand of x in [1, 2) and [2^-75, 2^-74), for 30,000 significands of den
// (the 64 nearest 1 and 2 among them) in three binades: 1.5e12 quotients, no mismatch; at x
// near 2^-103, where the remainder underflows, some appear. Three instructions instead of
// twelve (the conversions to double and back): the row pass over a 256 x 1024 epoch in cache
// went from 134k to 112k cycles of the time stamp counter; in the simulator, where the raw rows
// come from memory, the normalisation's share fell by ~4%.
constexpr float kFusedSmallest = 0x1p-100f;
constexpr double kFusedQuotient = 0x1p-125;
constexpr float kFusedDen = 0x1p126f;

// One pass over the m weights: Divide divides src into its panel rows at dst; Scan sums,
// checks and finds the smallest positive weight of next (the sums in the same eight double
// lanes, each adding its weights in index order, as sum_of; the same bit test as maybe_bad:
// sign bit set, or an all-ones exponent carried into it; the smallest positive weight as the
// smallest of bits - 1 as unsigned, where zero wraps to the top).
template <bool Divide, bool Fused, bool Scan>
RowScan row_pass(const float* src, std::size_t m, float den, float* dst, std::size_t panel_step, const float* next,
                 const char* ahead) {
    const __m512 vden = _mm512_set1_ps(den);
    const __m512 recip = _mm512_set1_ps(static_cast<float>(1.0 / static_cast<double>(den)));
    auto quotients = [&](__m512 x) {
        if constexpr (!Fused) return _mm512_div_ps(x, vden);
        const __m512 q0 = _mm512_mul_ps(x, recip);
        return _mm512_fmadd_ps(_mm512_fnmadd_ps(q0, vden, x), recip, q0);
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

template <bool Divide, bool Fused>
RowScan row_pass_of(const float* src, std::size_t m, float den, float* dst, std::size_t panel_step, const float* next,
                    const char* ahead) {
    return next ? row_pass<Divide, Fused, true>(src, m, den, dst, panel_step, next, ahead)
                : row_pass<Divide, Fused, false>(src, m, den, dst, panel_step, next, ahead);
}

}  // namespace

RowScan normalise_row_avx512(const float* src, std::size_t m, float den, float smallest, float* dst,
                             std::size_t panel_step, const float* next, const float* ahead) {
    const char* at = reinterpret_cast<const char*>(ahead);
    if (!src) return row_pass_of<false, false>(src, m, den, dst, panel_step, next, at);
    const bool fused = den <= kFusedDen && smallest >= kFusedSmallest &&
                       static_cast<double>(smallest) / static_cast<double>(den) >= kFusedQuotient;
    if (fused) return row_pass_of<true, true>(src, m, den, dst, panel_step, next, at);
    return row_pass_of<true, false>(src, m, den, dst, panel_step, next, at);
}

namespace {

// The liquid alpha of a panel row, as the portable liquid_alpha computes it, in two
// instructions fewer, both of which AVX-512 has and GCC does not emit from the portable code:
// VREDUCEPS gives r = z - RN(z) directly, where the portable code rounds z by adding and
// subtracting 1.5 * 2^23 (both exact, ties to even, as VREDUCEPS's rounding); and VSCALEFPS
// scales 2^r by 2^n, exactly (normal in and out for |n| <= 124), so that one rounding of
// p 2^n + 1 is the portable fused multiply-add's, where that code builds 2^n from the integer
// bits. Liquid alpha is about half of a liquid-alpha epoch's panel pass; these two
// instructions were 8% of a row's liquid alpha in isolation. A zero r of either sign gives the
// same p and n.
__m512 liquid_alpha(__m512 w, __m512 b_old, __m512 c, const LiquidSigmoid<float>& k) {
    const __m512 gap = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(w, b_old, _CMP_GE_OQ), _mm512_sub_ps(b_old, w),
                                            _mm512_sub_ps(w, c));
    // the clamp on the bits, as clamp_bits: signed max with gap_low, then min with gap_high
    const __m512i low = _mm512_set1_epi32(std::bit_cast<std::int32_t>(k.gap_low));
    const __m512i high = _mm512_set1_epi32(std::bit_cast<std::int32_t>(k.gap_high));
    const __m512 clamped = _mm512_castsi512_ps(_mm512_min_epi32(_mm512_max_epi32(_mm512_castps_si512(gap), low), high));
    const __m512 z = _mm512_fmadd_ps(clamped, _mm512_set1_ps(k.gap_scale), _mm512_set1_ps(k.gap_shift));
    const __m512 r = _mm512_reduce_ps(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 p = _mm512_set1_ps(kPow2Poly[0]);
    for (std::size_t i = 1; i < std::size(kPow2Poly); ++i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kPow2Poly[i]));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 d = _mm512_add_ps(_mm512_scalef_ps(p, _mm512_sub_ps(z, r)), one);
    const __m512 alpha = _mm512_fmadd_ps(_mm512_div_ps(one, d), _mm512_set1_ps(k.alpha_span), _mm512_set1_ps(k.alpha_low));
    const __m512i high_alpha = _mm512_set1_epi32(std::bit_cast<std::int32_t>(k.alpha_high));
    return _mm512_castsi512_ps(_mm512_min_epi32(_mm512_castps_si512(alpha), high_alpha));  // min_bits
}

}  // namespace

void liquid_yuma3_rows_avx512(const float* w, float* b, const float* c, std::size_t rows,
                              const LiquidSigmoid<float>& coefficients) {
    // A local copy: no store to b can change it, so its broadcasts stay out of the loop.
    const LiquidSigmoid<float> k = coefficients;
    const __m512 vc = _mm512_loadu_ps(c);
    for (std::size_t i = 0; i < rows; ++i, w += kPanel, b += kPanel) {
        const __m512 x = _mm512_loadu_ps(w), bo = _mm512_loadu_ps(b);
        // liquid_yuma3_bond: b + alpha (w - b)
        _mm512_storeu_ps(b, _mm512_fmadd_ps(liquid_alpha(x, bo, vc, k), _mm512_sub_ps(x, bo), bo));
    }
}

}  // namespace taocore::consensus::sim::detail
