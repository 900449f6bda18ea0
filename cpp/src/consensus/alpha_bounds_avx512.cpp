// SPDX-License-Identifier: MIT
// The AVX-512 liquid-alpha kernels (detail/alpha_bounds.hpp): the floating-point interval of α
// (F/DQ doubles) and the exact series for the entries it leaves open (IFMA integers), eight
// entries per vector and several vectors in flight.
#include "simd/detail/avx512_intrinsics.hpp"

#include <cstddef>
#include <cstdint>

#include "detail/alpha_bounds.hpp"
#include "detail/alpha_series.hpp"
#include "detail/series_exp_avx512.hpp"
#include "detail/entry_lanes_avx512.hpp"

namespace taocore::consensus::detail {

namespace {

struct Reciprocals {
    std::int64_t m[kTerms + 1];  // ceil(2^52 / i)
};
constexpr Reciprocals make_reciprocals() {
    Reciprocals r{};
    for (std::int64_t i = 1; i <= kTerms; ++i) r.m[i] = ((std::int64_t{1} << 52) + i - 1) / i;
    return r;
}
constexpr Reciprocals kReciprocal = make_reciprocals();

// d[v] = 2^64 / d[v] for the kernel's divisors (doubles between 2^31 and 2^62), to within a relative error
// below 2^-50, without a division (eight-lane divisions were most of the kernel's time). rcp14's
// estimate y0 has relative error |ε0| < 2^-14 (Intel's bound for VRCP14PD, for every normal d).
// A Newton step r = 1 − d·y, y' = y + y·r, as two FMAs (one rounding each, relative 2^-53),
// gives |ε'| <= ε² + 2·2^-53·(1 + ε): after two steps |ε| < 2^-28 + 2^-51, then below 2^-51.
// Multiplying by 2^64 is exact. The callers widen every rounded step by 2^-40, far above that
// error, so the bounds stay bounds exactly as with a correctly rounded division (2^-53).
// Each step runs for all N vectors before the next: one vector's steps are a chain of six
// dependent operations, and in this order the out-of-order window holds other vectors' steps
// to run meanwhile, where one vector's whole chain after another's filled it with waiting work
// (~3% of a 256-uid liquid-alpha epoch).
template <std::size_t N>
inline void two64_over_each(__m512d (&d)[N]) noexcept {
    const __m512d unit = _mm512_set1_pd(1.0);
    __m512d y[N];
    for (std::size_t v = 0; v < N; ++v) y[v] = _mm512_rcp14_pd(d[v]);
    for (int step = 0; step < 2; ++step)
        for (std::size_t v = 0; v < N; ++v) y[v] = _mm512_fmadd_pd(y[v], _mm512_fnmadd_pd(d[v], y[v], unit), y[v]);
    for (std::size_t v = 0; v < N; ++v) d[v] = _mm512_mul_pd(y[v], _mm512_set1_pd(0x1p64));
}

}  // namespace

namespace {

// floor(σ·span / 2^32) for σ < 2^32 and span <= 2^32 (α's step above low): a 32 × 32-bit product
// for span < 2^32 (exact in 64 bits), σ itself for span = 2^32 (`full`: all lanes set).
inline __m512i times_span(__m512i sigma, __m512i span, __mmask8 full) noexcept {
    return _mm512_mask_blend_epi64(full, _mm512_srli_epi64(_mm512_mul_epu32(sigma, span), 32), sigma);
}

}  // namespace

namespace {

// Vectors in flight: each Horner or series step waits on the last. The series steps are two
// IFMA multiplies, which one port runs: four vectors keep it busy. The interval's Horner steps
// are FMAs, which two ports run: eight vectors (at four its ~500 instructions a group left the
// FMA ports half idle and were more than the out-of-order window could overlap with the next).
constexpr std::size_t kGroup = 4;
constexpr std::size_t kBoundsGroup = 8;

// The loss bound's constant term for each lane's x: kLossTiers (detail/alpha_series.hpp).
inline __m512d steps_lost(__m512d x) noexcept {
    __m512d e0 = _mm512_set1_pd(kSeries.e[0]);
    for (const LossTier& t : kLossTiers)
        e0 = _mm512_mask_mov_pd(e0, _mm512_cmp_pd_mask(x, _mm512_set1_pd(t.below), _CMP_LT_OQ), _mm512_set1_pd(t.steps + 1.0));
    return e0;
}

// Lane masks of the G vectors starting at entry k of count.
template <std::size_t G>
inline void group_lanes(std::size_t k, std::size_t count, __mmask8 (&lanes)[G]) noexcept {
    for (std::size_t g = 0; g < G; ++g) {
        const std::size_t start = k + 8 * g;
        const std::size_t left = start < count ? count - start : 0;
        lanes[g] = static_cast<__mmask8>(left >= 8 ? 0xff : (1u << left) - 1);
    }
}

// chunk.template operator()<vectors>(k) if vectors is between 1 and Most.
template <std::size_t Most, class Chunk>
inline void group_of(std::size_t vectors, std::size_t k, Chunk& chunk) noexcept {
    if constexpr (Most > 0) {
        if (vectors == Most) return chunk.template operator()<Most>(k);
        group_of<Most - 1>(vectors, k, chunk);
    }
}

// chunk.template operator()<G>(k) over the entries [0, count): groups of Group vectors from
// k = 0 while more than Group + 2 vectors are left, then one group of exactly the vectors the
// rest needs (1 to Group + 2). The exact series runs on the few entries the interval leaves
// open, often a group and a vector of a row: that vector alone was a chain of thirty dependent
// series steps, and in the group before it, six vectors keep the multiplier as busy as four.
template <std::size_t Group, class Chunk>
inline void in_groups(std::size_t count, Chunk&& chunk) noexcept {
    std::size_t k = 0;
    for (; k + 8 * (Group + 2) < count; k += 8 * Group) chunk.template operator()<Group>(k);
    group_of<Group + 2>((count - k + 7) / 8, k, chunk);
}

}  // namespace

// The scalar rule (math.cpp's alpha_sigmoid_many): x = clamp01(w − c) if w >= b, else
// clamp01(b − w), with wrapping differences, and a = floor(factor·(x − ½) / 2^32). Split
// factor = h·2^32 + l, h = factor >> 32 (arithmetic) and 0 <= l < 2^32: then
// factor·d = h·d·2^32 + l·d for d = x − ½ in [−2^31, 2^31], and since h·d·2^32 is a multiple of
// 2^32, a = h·d + floor(l·d / 2^32). |l·d| < 2^63, so that product is exact and the arithmetic
// shift is its floor; h·d and the sum are taken modulo 2^64, which is the scalar rule's 128-bit
// value cast to 64 bits whatever the factor (and that value fits: |factor| < 2^57).
namespace {

// The rule above on eight lanes (c, w, b as I32F32 bits).
inline __m512i exponent_lanes(__m512i cv, __m512i wv, __m512i bv, __m512i high, __m512i low) noexcept {
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(std::int64_t{1} << 32);
    const __m512i half = _mm512_set1_epi64(std::int64_t{1} << 31);
    const __m512i buy = _mm512_max_epi64(_mm512_min_epi64(_mm512_sub_epi64(wv, cv), one), zero);
    const __m512i sell = _mm512_max_epi64(_mm512_min_epi64(_mm512_sub_epi64(bv, wv), one), zero);
    const __m512i d = _mm512_sub_epi64(_mm512_mask_blend_epi64(_mm512_cmpge_epi64_mask(wv, bv), sell, buy), half);
    return _mm512_add_epi64(_mm512_mullo_epi64(high, d), _mm512_srai_epi64(_mm512_mullo_epi64(low, d), 32));
}

}  // namespace

void alpha_exponents_avx512(const std::int64_t* c, const std::int64_t* w, const std::int64_t* b, std::size_t count,
                            std::int64_t factor, std::int64_t* a) noexcept {
    const __m512i high = _mm512_set1_epi64(factor >> 32), low = _mm512_set1_epi64(factor & 0xffffffff);
    for (std::size_t k = 0; k < count; k += 8) {
        const __mmask8 lanes = tail_lanes(k, count);
        const __m512i cv = _mm512_maskz_loadu_epi64(lanes, c + k), wv = _mm512_maskz_loadu_epi64(lanes, w + k);
        const __m512i bv = _mm512_maskz_loadu_epi64(lanes, b + k);
        _mm512_mask_storeu_epi64(a + k, lanes, exponent_lanes(cv, wv, bv, high, low));
    }
}

void alpha_row_exponents_avx512(const math::Entry* row, std::size_t count, const std::int64_t* c, const std::int64_t* b,
                                std::int64_t factor, std::int64_t* a) noexcept {
    const __m512i high = _mm512_set1_epi64(factor >> 32), low = _mm512_set1_epi64(factor & 0xffffffff);
    for (std::size_t k = 0; k < count; k += 8) {
        const __mmask8 lanes = tail_lanes(k, count);
        const EntryLanes e = load_entries(row + k, lanes);
        const __m512i cv = column_values(c, e, lanes), bv = column_values(b, e, lanes);
        _mm512_mask_storeu_epi64(a + k, lanes, exponent_lanes(cv, e.value, bv, high, low));
    }
}

// ema_alpha_entry's plain case: with α, new and old in [0, 2^32], the result is
// min(floor((2^32 − α)·old / 2^32) + floor(α·new / 2^32), 2^32). Both products are of operands
// below 2^52, which IFMA multiplies exactly (104-bit products): with one operand scaled by 2^19
// (at most 2^51) and the other by 2 (at most 2^33) the product is p·2^20, and its bits from 52 up
// (madd52hi) are floor(p·2^20 / 2^52) = floor(p / 2^32). The sum is at most 2^33 and the minimum
// is taken unsigned, as the scalar rule's. A result is kept when it is positive, so a result
// not kept is 0 and adding it to its column's sum changes nothing: every lane adds. The row's
// columns strictly increase, so the eight lanes' columns differ and one gather and scatter per
// vector add each column's value once, as the scalar loop does. The scalar rule's saturating
// column sums never saturate here: every value added is in [0, 2^32], and a column gets one per
// row, at most 2^16 rows, so the sums stay below 2^48 and the plain additions are the same.
std::size_t ema_alpha_row_avx512(const math::Entry* row, std::size_t count, const std::int64_t* alpha,
                                 const std::int64_t* old_value, std::int64_t* col_sum, math::Entry*& out) noexcept {
    const __m512i unit = _mm512_set1_epi64(std::int64_t{1} << 32), unit19 = _mm512_set1_epi64(std::int64_t{1} << 51);
    const __m512i zero = _mm512_setzero_si512();
    math::Entry* w = out;
    std::size_t k = 0;
    for (; k < count; k += 8) {
        const __mmask8 lanes = tail_lanes(k, count);
        const EntryLanes e = load_entries(row + k, lanes);
        const __m512i a = _mm512_maskz_loadu_epi64(lanes, alpha + k);
        const __m512i old = column_values(old_value, e, lanes);
        const __mmask8 plain = _mm512_cmple_epu64_mask(a, unit) & _mm512_cmple_epu64_mask(e.value, unit) &
                               _mm512_cmple_epu64_mask(old, unit);
        if ((plain & lanes) != lanes) break;
        const __m512i a19 = _mm512_slli_epi64(a, 19);
        const __m512i decayed = _mm512_madd52hi_epu64(zero, _mm512_sub_epi64(unit19, a19), _mm512_add_epi64(old, old));
        const __m512i increment = _mm512_madd52hi_epu64(zero, a19, _mm512_add_epi64(e.value, e.value));
        const __m512i v = _mm512_min_epu64(_mm512_add_epi64(decayed, increment), unit);
        const auto kept = static_cast<unsigned>(_mm512_cmpgt_epi64_mask(v, zero) & lanes);
        store_kept(w, e.col, v, kept);
        if (col_sum != nullptr) {
            if (e.run) {
                _mm512_mask_storeu_epi64(col_sum + e.first, lanes,
                                         _mm512_add_epi64(_mm512_maskz_loadu_epi64(lanes, col_sum + e.first), v));
            } else {
                const __m512i sums = _mm512_mask_i64gather_epi64(zero, lanes, e.col, col_sum, 8);
                _mm512_mask_i64scatter_epi64(col_sum, lanes, e.col, _mm512_add_epi64(sums, v), 8);
            }
        }
    }
    out = w;
    return k < count ? k : count;
}

std::size_t alpha_bounds_avx512(const std::int64_t* a, std::size_t count, std::int64_t low, std::int64_t span,
                                std::int64_t* alpha, std::int64_t* open_exponent, std::size_t* open_at) noexcept {
    static_assert(sizeof(std::size_t) == sizeof(std::int64_t));
    const __m512i bound = _mm512_set1_epi64(std::int64_t{20} << 32), one = _mm512_set1_epi64(std::int64_t{1} << 32);
    const __m512i lowv = _mm512_set1_epi64(low), spanv = _mm512_set1_epi64(span), unsettled = _mm512_set1_epi64(-1);
    const auto full_span = static_cast<__mmask8>(span == (std::int64_t{1} << 32) ? 0xff : 0);
    const __m512d two32 = _mm512_set1_pd(0x1p32);
    const __m512d scale = _mm512_set1_pd(0x1p-32), sigma_max = _mm512_set1_pd(0x1p32 - 1.0), unit = _mm512_set1_pd(1.0);
    // Relative widening for every rounded step: far above the double error (below 2^-46 for the
    // polynomials, 2^-53 per division), far below what moves σ by a unit.
    const __m512d up = _mm512_set1_pd(1.0 + 0x1p-40), down = _mm512_set1_pd(1.0 - 0x1p-40);
    const __m512i lane_index = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    std::size_t open = 0;
    in_groups<kBoundsGroup>(count, [&]<std::size_t G>(std::size_t k) {
        __mmask8 lanes[G];
        group_lanes(k, count, lanes);
        __m512i given[G], ak[G];
        __m512d x[G], p[G], loss[G];
        for (std::size_t g = 0; g < G; ++g) {
            given[g] = _mm512_maskz_loadu_epi64(lanes[g], a + k + 8 * g);
            ak[g] = _mm512_min_epi64(_mm512_max_epi64(given[g], _mm512_sub_epi64(_mm512_setzero_si512(), bound)), bound);
            x[g] = _mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_abs_epi64(ak[g])), scale);  // exact: below 2^37
        }
        __mmask8 near = 0xff;
        for (std::size_t g = 0; g < G; ++g) near &= _mm512_cmp_pd_mask(x[g], _mm512_set1_pd(kExpLimit), _CMP_LE_OQ);
        __m512d tail[G];
        if (near == 0xff) {
            for (std::size_t g = 0; g < G; ++g) series_by_exp(x[g], p[g], tail[g]);
        } else {
            series_by_horner(x, p, tail);
        }
        for (std::size_t g = 0; g < G; ++g)
            loss[g] = _mm512_fmadd_pd(_mm512_set1_pd(kSeries.loss_ratio), tail[g],
                                      _mm512_fmadd_pd(_mm512_set1_pd(kSeries.e[1]), x[g], steps_lost(x[g])));
        // The rest of the steps a stage at a time over the group's vectors (see two64_over_each).
        // The chain's series sum (bits) lies in [s_lo, s_hi]: sum[g] = s_hi, sum[G + g] = s_lo.
        __m512d sum[2 * G], inverse[2 * G];
        __mmask8 any_negative = 0;
        for (std::size_t g = 0; g < G; ++g) {
            sum[g] = _mm512_mul_pd(_mm512_mul_pd(p[g], two32), up);
            sum[G + g] = _mm512_sub_pd(_mm512_fmsub_pd(_mm512_mul_pd(p[g], two32), down, _mm512_mul_pd(loss[g], up)), unit);
            inverse[g] = sum[g];
            inverse[G + g] = sum[G + g];
            any_negative |= _mm512_movepi64_mask(ak[g]);
        }
        // One over the sum serves only negative exponents. Those need a weight or bond more than
        // half above the other (x > 1/2), which a subnet whose bonds follow its weights does not
        // have: its groups skip these divisions and the floors below.
        if (any_negative != 0) two64_over_each(inverse);
        // exp_safe: the sum itself, or one over it for a negative exponent, truncated to an
        // integer: floor is monotone, so the floors of the ends bound it (and mostly agree).
        // σ = floor(2^64 / (2^32 + e)) for e in [e_lo, e_hi]: quotient[g] from e_hi, quotient[G + g]
        // from e_lo.
        constexpr int floor_mode = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
        __m512d quotient[2 * G];
        for (std::size_t g = 0; g < G; ++g) {
            __m512d e_hi = sum[g], e_lo = sum[G + g];
            if (any_negative != 0) {
                const __mmask8 negative = _mm512_movepi64_mask(ak[g]);
                e_hi = _mm512_mask_roundscale_pd(e_hi, negative, _mm512_mul_pd(inverse[G + g], up), floor_mode);
                e_lo = _mm512_mask_roundscale_pd(e_lo, negative, _mm512_mul_pd(inverse[g], down), floor_mode);
            }
            quotient[g] = _mm512_add_pd(two32, e_hi);
            quotient[G + g] = _mm512_add_pd(two32, e_lo);
        }
        two64_over_each(quotient);
        for (std::size_t g = 0; g < G; ++g) {
            // σ is below 2^32 for every e the series can give (e >= 8), so truncating the
            // bounds converts exactly and σ·span fits 64 bits.
            const __m512d q_lo = _mm512_mul_pd(quotient[g], down);
            const __m512d q_hi = _mm512_min_pd(_mm512_mul_pd(quotient[G + g], up), sigma_max);
            const __m512i alpha_lo = times_span(_mm512_cvttpd_epu64(q_lo), spanv, full_span);
            const __m512i alpha_hi = times_span(_mm512_cvttpd_epu64(q_hi), spanv, full_span);
            const __mmask8 settled =
                _mm512_cmpeq_epi64_mask(alpha_lo, alpha_hi) & _mm512_cmpneq_epi64_mask(ak[g], one);
            const __m512i out = _mm512_mask_blend_epi64(settled, unsettled, _mm512_add_epi64(lowv, alpha_lo));
            // The open entries' exponents and places, packed to the front of the lists.
            const __mmask8 left = lanes[g] & static_cast<__mmask8>(~settled);
            const __m512i at = _mm512_add_epi64(_mm512_set1_epi64(static_cast<std::int64_t>(k + 8 * g)), lane_index);
            _mm512_storeu_si512(open_exponent + open, _mm512_maskz_compress_epi64(left, given[g]));
            _mm512_storeu_si512(open_at + open, _mm512_maskz_compress_epi64(left, at));
            open += static_cast<std::size_t>(__builtin_popcount(left));
            _mm512_mask_storeu_epi64(alpha + k + 8 * g, lanes[g], out);
        }
    });
    return open;
}

namespace {

// Each step of the chain is t = floor(floor(t·x / 2^32) / i). Below the limit x < 2^36 and
// u = floor(t·x / 2^32) < 2^47 at every step (u ≈ i·x^i/i! · 2^32 <= max_i 10^i/(i−1)! · 2^32 < 2^47,
// and the floors only lower it), so t < 2^47 too and t·x is the 52-bit IFMA halves' 104-bit
// product. The division by i is a multiply-high: with m = ceil(2^52 / i) = (2^52 + ε) / i, ε < i,
// u·m / 2^52 = u/i + u·ε/(i·2^52) and u·ε < 2^52, so the floor is floor(u / i) for every u < 2^47.
// floor(t·x / 2^32) is one multiply-high: with t·2^4 < 2^51 and x·2^16 < 2^52 (x <= 10·2^32 <
// 2^35.4), both within IFMA's 52-bit inputs, their product t·x·2^20 is exact in 104 bits and its
// bits from 52 up are floor(t·x·2^20 / 2^52) = floor(t·x / 2^32).
// sum[g] = 1 + x + Σ t_i for the magnitudes x[g] (0 in a lane gives 1).
template <std::size_t G>
inline void series_sums(const __m512i (&xv)[G], __m512i (&sum)[G]) noexcept {
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(std::int64_t{1} << 32);
    __m512i term[G], x16[G];
    for (std::size_t g = 0; g < G; ++g) {
        term[g] = xv[g];
        x16[g] = _mm512_slli_epi64(xv[g], 16);
        sum[g] = _mm512_add_epi64(xv[g], one);
    }
    for (std::size_t i = 2; i <= kTerms; ++i) {
        const __m512i m = _mm512_set1_epi64(kReciprocal.m[i]);
        __m512i any = zero;
        for (std::size_t g = 0; g < G; ++g) {
            const __m512i u = _mm512_madd52hi_epu64(zero, _mm512_slli_epi64(term[g], 4), x16[g]);
            term[g] = _mm512_madd52hi_epu64(zero, u, m);
            sum[g] = _mm512_add_epi64(sum[g], term[g]);
            any = _mm512_or_si512(any, term[g]);
        }
        if (_mm512_test_epi64_mask(any, any) == 0) break;  // every later term is zero too
    }
}

// floor(2^64 / d) for 2^32 < d < 2^48 (so the quotient Q is below 2^32). two64_over_each's estimate
// is within Q·2^-51 < 2^-19 of Q, so its truncation q is floor(Q) − 1, floor(Q) or floor(Q) + 1.
// The remainder 2^64 − q·d then lies in [−d, 2d), well inside the i64 range, so 64-bit wrapping
// arithmetic gives it exactly: a negative one means q was one too many, one of d or more one
// too few.
// d[v] is replaced by its quotient, each step for all N vectors before the next (as
// two64_over_each).
template <std::size_t N>
inline void reciprocal_floor_each(__m512i (&d)[N]) noexcept {
    __m512d estimate[N];
    for (std::size_t v = 0; v < N; ++v) estimate[v] = _mm512_cvtepu64_pd(d[v]);
    two64_over_each(estimate);
    const __m512i unit = _mm512_set1_epi64(1);
    for (std::size_t v = 0; v < N; ++v) {
        const __m512i q = _mm512_cvttpd_epu64(estimate[v]);
        const __m512i r = _mm512_sub_epi64(_mm512_setzero_si512(), _mm512_mullo_epi64(q, d[v]));
        const __m512i low = _mm512_mask_add_epi64(q, _mm512_cmpge_epi64_mask(r, d[v]), q, unit);
        d[v] = _mm512_mask_sub_epi64(low, _mm512_movepi64_mask(r), low, unit);
    }
}

}  // namespace

void exp_series_avx512(const std::int64_t* x, std::size_t count, std::int64_t* sum) noexcept {
    in_groups<kGroup>(count, [&]<std::size_t G>(std::size_t k) {
        __mmask8 lanes[G];
        group_lanes(k, count, lanes);
        __m512i xv[G], result[G];
        for (std::size_t g = 0; g < G; ++g) xv[g] = _mm512_maskz_loadu_epi64(lanes[g], x + k + 8 * g);
        series_sums(xv, result);
        for (std::size_t g = 0; g < G; ++g) _mm512_mask_storeu_epi64(sum + k + 8 * g, lanes[g], result[g]);
    });
}

// The scalar path's steps for an exponent a with 0 < |a| <= exp_series_limit and a != 1 (the
// entries exp_safe_many sends to the series): s = the series sum of |a| (2^32 < s < 2^47, since
// exp(10) < 2^15), e = s, or floor(2^64 / s) = one_over(s) for a < 0 (then 2^17 < e < 2^32);
// σ = one_over_saturating(1 + e) = floor(2^64 / (2^32 + e)), whose divisor is in (2^32, 2^48)
// and which is below 2^32; α = low + saturating_mul(σ, span) = low + floor(σ·span / 2^32): the
// product is below 2^64 and non-negative, and α stays within [low, low + span], so neither the
// saturations nor the final clamp to [low, high] can act (the caller's bounds: 0 <= low,
// low + span <= 1). Both quotients are reciprocal_floor's.
std::size_t alpha_exact_avx512(std::int64_t* a, std::size_t* at, std::size_t count, std::int64_t low, std::int64_t span,
                               std::int64_t* alpha) noexcept {
    static_assert(sizeof(std::size_t) == sizeof(std::int64_t));
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(std::int64_t{1} << 32);
    const __m512i limit = _mm512_set1_epi64(exp_series_limit), lowv = _mm512_set1_epi64(low),
                  spanv = _mm512_set1_epi64(span);
    const auto full_span = static_cast<__mmask8>(span == (std::int64_t{1} << 32) ? 0xff : 0);
    std::size_t left = 0;
    in_groups<kGroup>(count, [&]<std::size_t G>(std::size_t k) {
        __mmask8 lanes[G], series[G];
        group_lanes(k, count, lanes);
        __m512i given[G], where[G], xv[G], s[G];
        // Every load of the pass before any store: the entries left over are packed to the
        // front of the same lists, never past entry k + 8·G.
        for (std::size_t g = 0; g < G; ++g) {
            given[g] = _mm512_maskz_loadu_epi64(lanes[g], a + k + 8 * g);
            where[g] = _mm512_maskz_loadu_epi64(lanes[g], reinterpret_cast<const std::int64_t*>(at + k + 8 * g));
            const __m512i magnitude = _mm512_abs_epi64(given[g]);
            series[g] = lanes[g] & _mm512_cmpneq_epi64_mask(given[g], zero) & _mm512_cmpneq_epi64_mask(given[g], one) &
                        _mm512_cmple_epi64_mask(magnitude, limit);
            xv[g] = _mm512_maskz_mov_epi64(series[g], magnitude);  // other lanes run x = 0: s = 1
        }
        series_sums(xv, s);
        // e = s, or one over it for a negative exponent; then σ = floor(2^64 / (2^32 + e)).
        __m512i e[G];
        for (std::size_t g = 0; g < G; ++g) e[g] = s[g];
        reciprocal_floor_each(e);
        for (std::size_t g = 0; g < G; ++g)
            e[g] = _mm512_add_epi64(one, _mm512_mask_mov_epi64(s[g], _mm512_movepi64_mask(given[g]), e[g]));
        reciprocal_floor_each(e);
        for (std::size_t g = 0; g < G; ++g) {
            const __m512i value = _mm512_add_epi64(lowv, times_span(e[g], spanv, full_span));
            _mm512_mask_i64scatter_epi64(alpha, series[g], where[g], value, 8);
            const __mmask8 rest = lanes[g] & static_cast<__mmask8>(~series[g]);
            _mm512_storeu_si512(a + left, _mm512_maskz_compress_epi64(rest, given[g]));
            _mm512_storeu_si512(at + left, _mm512_maskz_compress_epi64(rest, where[g]));
            left += static_cast<std::size_t>(__builtin_popcount(rest));
        }
    });
    return left;
}

}  // namespace taocore::consensus::detail
