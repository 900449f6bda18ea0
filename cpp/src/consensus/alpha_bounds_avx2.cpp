// SPDX-License-Identifier: MIT
// The AVX2 liquid-alpha kernels (detail/alpha_bounds.hpp): the floating-point interval of α, four
// double lanes per vector and several vectors in flight, and the exact series for the entries it
// leaves open. The interval is the AVX-512 kernel's (alpha_bounds_avx512.cpp states why its ends
// bound the chain's series sum, σ and α); what differs, and is argued here, is how AVX2 does
// without the AVX-512 kernels' instructions: integer-double conversions, 64-bit and IFMA
// products, compress, scatter.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "detail/alpha_bounds.hpp"
#include "detail/alpha_series.hpp"

namespace taocore::consensus::detail {

namespace {

// Vectors in flight: each Horner or series step waits on the last. The interval's Horner chains
// need eight to keep both FMA ports busy (four-cycle latency); the series' steps, which mix
// integer and double work, gained nothing past four (measured).
constexpr std::size_t kGroup = 8;
constexpr std::size_t kSeriesGroup = 4;

// AVX2 converts neither way between 64-bit integers and doubles. For an integer 0 <= v < 2^52 the
// double 2^52 + v is exact and its bits are 2^52's with v in the low 52 (the mantissa field), so
// OR-ing v into 2^52's bits makes it without rounding and subtracting 2^52 (exact: the difference
// is v, representable) leaves v. Backwards, a double holding an integer 0 <= q < 2^51 plus
// 1.5·2^52 is exact too (the sum lies in [2^52, 2^53), where doubles are the integers), and its
// bits are 1.5·2^52's plus q: clearing those leaves q. The 1.5 keeps the sum in that binade even
// for a q slightly below 0 before rounding (the series step below relies on that).
// (Functions, not namespace-scope vector constants: those would run AVX instructions when the
// library loads, on any CPU.)
constexpr std::int64_t kRoundMagicBits = 0x4338000000000000;
inline __m256d round_magic() noexcept { return _mm256_set1_pd(0x1.8p52); }

inline __m256d small_to_double(__m256i v) noexcept {
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(v, _mm256_castpd_si256(two52))), two52);
}

// A double that is an integer in [0, 2^51) as a 64-bit integer.
inline __m256i whole_to_int(__m256d q) noexcept {
    return _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(q, round_magic())), _mm256_set1_epi64x(kRoundMagicBits));
}

inline __m256d floor_pd(__m256d v) noexcept { return _mm256_round_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }

// Lane masks (all ones or zero per lane) of the G vectors starting at entry k of count.
template <std::size_t G>
inline void group_lanes(std::size_t k, std::size_t count, __m256i (&lanes)[G]) noexcept {
    const __m256i index = _mm256_setr_epi64x(0, 1, 2, 3);
    for (std::size_t g = 0; g < G; ++g) {
        const std::size_t start = k + 4 * g;
        const auto left = static_cast<std::int64_t>(start < count ? count - start : 0);
        lanes[g] = _mm256_cmpgt_epi64(_mm256_set1_epi64x(left), index);
    }
}

inline unsigned lane_bits(__m256i mask) noexcept {
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(mask)));
}

// For each 4-bit set of lanes, the 32-bit permutation that moves those 64-bit lanes, in order,
// to the front: AVX2's stand-in for a compress.
struct PackTable {
    std::int32_t index[16][8];
};
constexpr PackTable make_pack_table() {
    PackTable t{};
    for (unsigned m = 0; m < 16; ++m) {
        int out = 0;
        for (int lane = 0; lane < 4; ++lane) {
            if (((m >> lane) & 1u) == 0) continue;
            t.index[m][2 * out] = 2 * lane;
            t.index[m][2 * out + 1] = 2 * lane + 1;
            ++out;
        }
    }
    return t;
}
constexpr PackTable kPack = make_pack_table();

// Writes the lanes in `bits` of v, in order, at out (a whole vector is stored: out needs room for
// four values) and returns how many.
inline std::size_t pack_lanes(__m256i v, unsigned bits, std::int64_t* out) noexcept {
    const __m256i index = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kPack.index[bits]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permutevar8x32_epi32(v, index));
    return static_cast<std::size_t>(__builtin_popcount(bits));
}

// floor(σ·span / 2^32) for 0 <= σ < 2^32 and 0 <= span <= 2^32 (α's step above low). For
// span < 2^32 both operands fit the 32 × 32-bit product, exact in 64 bits; span = 2^32 (`full`,
// all lanes set) gives σ itself.
inline __m256i times_span(__m256i sigma, __m256i span, __m256i full) noexcept {
    const __m256i product = _mm256_srli_epi64(_mm256_mul_epu32(sigma, span), 32);
    return _mm256_castpd_si256(
        _mm256_blendv_pd(_mm256_castsi256_pd(product), _mm256_castsi256_pd(sigma), _mm256_castsi256_pd(full)));
}

inline __m256i select(__m256i mask, __m256i if_set, __m256i if_clear) noexcept {
    return _mm256_castpd_si256(
        _mm256_blendv_pd(_mm256_castsi256_pd(if_clear), _mm256_castsi256_pd(if_set), _mm256_castsi256_pd(mask)));
}

// The loss bound's constant term for each lane's x: kLossTiers (detail/alpha_series.hpp).
inline __m256d steps_lost(__m256d x) noexcept {
    __m256d e0 = _mm256_set1_pd(kSeries.e[0]);
    for (const LossTier& t : kLossTiers)
        e0 = _mm256_blendv_pd(e0, _mm256_set1_pd(t.steps + 1.0), _mm256_cmp_pd(x, _mm256_set1_pd(t.below), _CMP_LT_OQ));
    return e0;
}

}  // namespace

// The AVX-512 kernel's interval, operation for operation (the loss bound's constant term from
// kLossTiers as there), except for two changes that only tighten what its margins were sized for:
// - its reciprocal estimates (relative error below 2^-50) are correctly rounded vdivpd quotients
//   here (2^-53), so each rounded step is still far inside the 2^-40 widening; the sum 2^32 + e
//   before the second division rounds too (2^-53), and q_lo = fl(fl(2^64 / fl(2^32 + e_hi))·down)
//   is at most the real 2^64 / (2^32 + e_hi) times (1 + 2^-53)^3·(1 − 2^-40) < 1, so below it
//   (and q_hi, likewise, above its quotient);
// - the conversions are the exact magic-number ones above: |a| <= 20·2^32 < 2^37 on the way in,
//   and on the way out the floors of q_lo, q_hi, which are whole and in [0, 2^32 − 1] (q_lo > 0:
//   every sum bound is positive, s_lo >= 2^32(1 − 2^-40) − 31 at x = 0; q_hi is capped).
// The Horner chains are the same FMAs on the same coefficients (detail/alpha_series.hpp), so the
// 2^-46 bound on P's relative error holds unchanged, and the loss bound is the same expression.
// So alpha_lo <= the chain's α <= alpha_hi as there, and a lane is settled only where they agree.
std::size_t alpha_bounds_avx2(const std::int64_t* a, std::size_t count, std::int64_t low, std::int64_t span,
                              std::int64_t* alpha, std::int64_t* open_exponent, std::size_t* open_at) noexcept {
    static_assert(sizeof(std::size_t) == sizeof(std::int64_t));
    const __m256i bound = _mm256_set1_epi64x(std::int64_t{20} << 32), one = _mm256_set1_epi64x(std::int64_t{1} << 32);
    const __m256i neg_bound = _mm256_set1_epi64x(-(std::int64_t{20} << 32)), zero_i = _mm256_setzero_si256();
    const __m256i lowv = _mm256_set1_epi64x(low), spanv = _mm256_set1_epi64x(span), unsettled = _mm256_set1_epi64x(-1);
    const __m256i full_span = _mm256_set1_epi64x(span == (std::int64_t{1} << 32) ? -1 : 0);
    const __m256d two32 = _mm256_set1_pd(0x1p32), two64 = _mm256_set1_pd(0x1p64);
    const __m256d scale = _mm256_set1_pd(0x1p-32), sigma_max = _mm256_set1_pd(0x1p32 - 1.0), unit = _mm256_set1_pd(1.0);
    // Relative widening for every rounded step: far above the double error (below 2^-46 for the
    // polynomials, 2^-53 per division or addition), far below what moves σ by a unit.
    const __m256d up = _mm256_set1_pd(1.0 + 0x1p-40), down = _mm256_set1_pd(1.0 - 0x1p-40);
    const __m256i lane_index = _mm256_setr_epi64x(0, 1, 2, 3);
    std::size_t open = 0;
    for (std::size_t k = 0; k < count; k += 4 * kGroup) {
        __m256i lanes[kGroup];
        group_lanes(k, count, lanes);
        __m256i given[kGroup], ak[kGroup], negative[kGroup];
        __m256d x[kGroup], p[kGroup], loss[kGroup];
        for (std::size_t g = 0; g < kGroup; ++g) {
            given[g] = _mm256_maskload_epi64(reinterpret_cast<const long long*>(a + k + 4 * g), lanes[g]);
            const __m256i above = _mm256_cmpgt_epi64(given[g], bound), below = _mm256_cmpgt_epi64(neg_bound, given[g]);
            ak[g] = select(above, bound, select(below, neg_bound, given[g]));
            negative[g] = _mm256_cmpgt_epi64(zero_i, ak[g]);
            const __m256i magnitude = _mm256_sub_epi64(_mm256_xor_si256(ak[g], negative[g]), negative[g]);
            x[g] = _mm256_mul_pd(small_to_double(magnitude), scale);  // exact: a power-of-two scaling
            p[g] = _mm256_set1_pd(kSeries.p[kTerms]);
        }
#pragma GCC unroll 32
        for (int i = kTerms - 1; i >= 2; --i) {
            const __m256d c = _mm256_set1_pd(kSeries.p[i]);
            for (std::size_t g = 0; g < kGroup; ++g) p[g] = _mm256_fmadd_pd(p[g], x[g], c);
        }
        for (std::size_t g = 0; g < kGroup; ++g) {
            const __m256d tail = _mm256_mul_pd(_mm256_mul_pd(p[g], x[g]), x[g]);
            loss[g] = _mm256_fmadd_pd(_mm256_set1_pd(kSeries.loss_ratio), tail,
                                      _mm256_fmadd_pd(_mm256_set1_pd(kSeries.e[1]), x[g], steps_lost(x[g])));
            p[g] = _mm256_fmadd_pd(_mm256_fmadd_pd(p[g], x[g], _mm256_set1_pd(kSeries.p[1])), x[g],
                                   _mm256_set1_pd(kSeries.p[0]));
        }
        for (std::size_t g = 0; g < kGroup; ++g) {
            const __m256d s_hi = _mm256_mul_pd(_mm256_mul_pd(p[g], two32), up);
            const __m256d s_lo =
                _mm256_sub_pd(_mm256_fmsub_pd(_mm256_mul_pd(p[g], two32), down, _mm256_mul_pd(loss[g], up)), unit);
            const __m256d inv_lo = floor_pd(_mm256_mul_pd(_mm256_div_pd(two64, s_hi), down));
            const __m256d inv_hi = floor_pd(_mm256_mul_pd(_mm256_div_pd(two64, s_lo), up));
            const __m256d neg = _mm256_castsi256_pd(negative[g]);
            const __m256d e_lo = _mm256_blendv_pd(s_lo, inv_lo, neg), e_hi = _mm256_blendv_pd(s_hi, inv_hi, neg);
            const __m256d q_lo = _mm256_mul_pd(_mm256_div_pd(two64, _mm256_add_pd(two32, e_hi)), down);
            const __m256d q_hi = _mm256_min_pd(_mm256_mul_pd(_mm256_div_pd(two64, _mm256_add_pd(two32, e_lo)), up), sigma_max);
            const __m256i alpha_lo = times_span(whole_to_int(floor_pd(q_lo)), spanv, full_span);
            const __m256i alpha_hi = times_span(whole_to_int(floor_pd(q_hi)), spanv, full_span);
            const __m256i settled =
                _mm256_andnot_si256(_mm256_cmpeq_epi64(ak[g], one), _mm256_cmpeq_epi64(alpha_lo, alpha_hi));
            const __m256i out = select(settled, _mm256_add_epi64(lowv, alpha_lo), unsettled);
            _mm256_maskstore_epi64(reinterpret_cast<long long*>(alpha + k + 4 * g), lanes[g], out);
            const unsigned left = lane_bits(_mm256_andnot_si256(settled, lanes[g]));
            if (left == 0) continue;
            const __m256i at = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<std::int64_t>(k + 4 * g)), lane_index);
            pack_lanes(given[g], left, open_exponent + open);
            open += pack_lanes(at, left, reinterpret_cast<std::int64_t*>(open_at + open));
        }
    }
    return open;
}

namespace {

// Exactly floor(2^64 / d) for integers 2^32 < d < 2^52 held in doubles (so the quotient Q is below
// 2^32). fl(2^64 / d) is correctly rounded, and rounding is monotone and leaves integers alone,
// so its floor q is floor(Q), or floor(Q) + 1 when Q lies just below an integer. The remainder
// 2^64 − q·d is then in [−d, d), an integer below 2^52 in magnitude: the FMA forms the exact
// product and one rounding of a representable result is that result, so its sign is exact, and
// a negative one means q was one too many.
inline __m256d quotient_floor(__m256d d) noexcept {
    const __m256d two64 = _mm256_set1_pd(0x1p64);
    const __m256d q = floor_pd(_mm256_div_pd(two64, d));
    const __m256d remainder = _mm256_fnmadd_pd(q, d, two64);
    return _mm256_sub_pd(q, _mm256_and_pd(_mm256_cmp_pd(remainder, _mm256_setzero_pd(), _CMP_LT_OQ), _mm256_set1_pd(1.0)));
}

struct Reciprocals {
    double r[kTerms + 1];  // fl(1 / i)
};
constexpr Reciprocals make_reciprocals() {
    Reciprocals t{};
    for (int i = 1; i <= kTerms; ++i) t.r[i] = 1.0 / i;
    return t;
}
constexpr Reciprocals kReciprocal = make_reciprocals();

// The chain's series sum 1 + x + Σ_{i=2..31} t_i (bits), exactly, where t_1 = x and
// t_i = floor(floor(t_{i−1}·x / 2^32) / i), for magnitudes 0 <= x < 2^32 (|a| < 1; not `wide`)
// or 0 <= x <= exp_series_limit (`wide`).
// The product: below the limit every u = floor(t·x / 2^32) and t is below 2^47
// (alpha_exact_avx512's bound). With x < 2^32 every term is below 2^32 too (t_i <= x^i/i!·2^32),
// so t·x < 2^64 is one exact 32 × 32-bit product and u its high half. `wide` splits
// t = t_h·2^32 + t_l and x = x_h·2^32 + x_l into 32-bit halves (t_h < 2^15, x_h <= 10): then
// u = t_h·x_h·2^32 + t_h·x_l + t_l·x_h + floor(t_l·x_l / 2^32), since all but the last part are
// whole; four exact 32 × 32-bit products, and every partial sum is below 2^48.
// The division by i runs in doubles: u < 2^47 is exact there, and y = fma(u, fl(1/i), δ − ½)
// with δ = 2^-6 is u/i − ½ + δ + ε where |ε| <= 2^-7 + 2^-8 (fl(1/i)'s relative error 2^-53 on
// u/i < 2^46, and the FMA's one rounding of a value below 2^46, half a unit of 2^-7). Write
// u/i = n + j/i with 0 <= j <= i − 1: then y − n lies in (−½, ½ − 1/i + δ + |ε|] ⊂ (−½, ½),
// because |ε| < δ and δ + |ε| < 0.028 < 1/31 <= 1/i; so adding 1.5·2^52 rounds y to n without a
// tie, in whole_to_int's binade, and the bits of that sum are the magic's plus n. Every term
// past the first zero one is zero, so the steps stop once all lanes reach it.
template <bool wide, std::size_t G>
inline void series_sums(const __m256i (&xv)[G], __m256i (&sum)[G]) noexcept {
    const __m256i one = _mm256_set1_epi64x(std::int64_t{1} << 32), magic = _mm256_set1_epi64x(kRoundMagicBits);
    const __m256d bias = _mm256_set1_pd(0x1p-6 - 0.5);
    __m256i term[G], x_high[G];
    for (std::size_t g = 0; g < G; ++g) {
        term[g] = xv[g];
        x_high[g] = _mm256_srli_epi64(xv[g], 32);
        sum[g] = _mm256_add_epi64(xv[g], one);
    }
    for (int i = 2; i <= kTerms; ++i) {
        const __m256d r = _mm256_set1_pd(kReciprocal.r[i]);
        __m256i any = _mm256_setzero_si256();
        for (std::size_t g = 0; g < G; ++g) {
            __m256i u = _mm256_srli_epi64(_mm256_mul_epu32(term[g], xv[g]), 32);
            if constexpr (wide) {
                const __m256i t_high = _mm256_srli_epi64(term[g], 32);
                const __m256i whole = _mm256_add_epi64(_mm256_slli_epi64(_mm256_mul_epu32(t_high, x_high[g]), 32),
                                                       _mm256_mul_epu32(t_high, xv[g]));
                u = _mm256_add_epi64(u, _mm256_add_epi64(whole, _mm256_mul_epu32(term[g], x_high[g])));
            }
            const __m256d y = _mm256_fmadd_pd(small_to_double(u), r, bias);
            term[g] = _mm256_xor_si256(_mm256_castpd_si256(_mm256_add_pd(y, round_magic())), magic);
            sum[g] = _mm256_add_epi64(sum[g], term[g]);
            any = _mm256_or_si256(any, term[g]);
        }
        if (_mm256_testz_si256(any, any)) break;
    }
}

// One pass of alpha_exact_avx2 over the kernel's exponents with |a| < 1 (not `wide`) or
// |a| <= exp_series_limit (`wide`), as that function describes; returns how many are left.
template <bool wide>
std::size_t exact_pass(std::int64_t* a, std::int64_t* where_list, std::size_t count, std::int64_t low,
                       std::int64_t span, std::int64_t* alpha) noexcept {
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(std::int64_t{1} << 32);
    const __m256i limit = _mm256_set1_epi64x(wide ? exp_series_limit + 1 : std::int64_t{1} << 32);
    const __m256i lowv = _mm256_set1_epi64x(low), spanv = _mm256_set1_epi64x(span);
    const __m256i full_span = _mm256_set1_epi64x(span == (std::int64_t{1} << 32) ? -1 : 0);
    const __m256d two32 = _mm256_set1_pd(0x1p32);
    std::size_t left = 0;
    for (std::size_t k = 0; k < count; k += 4 * kSeriesGroup) {
        __m256i lanes[kSeriesGroup], series[kSeriesGroup], given[kSeriesGroup], where[kSeriesGroup], xv[kSeriesGroup], s[kSeriesGroup];
        // Every load of the pass before any store: the entries left over are packed to the
        // front of the same lists, never past entry k + 4·kSeriesGroup.
        group_lanes(k, count, lanes);
        for (std::size_t g = 0; g < kSeriesGroup; ++g) {
            given[g] = _mm256_maskload_epi64(reinterpret_cast<const long long*>(a + k + 4 * g), lanes[g]);
            where[g] = _mm256_maskload_epi64(reinterpret_cast<const long long*>(where_list + k + 4 * g), lanes[g]);
            const __m256i sign = _mm256_cmpgt_epi64(zero, given[g]);
            const __m256i magnitude = _mm256_sub_epi64(_mm256_xor_si256(given[g], sign), sign);
            // 0 < |a| < limit, a != 1 (the magnitude of −2^63 wraps negative and is left out too).
            const __m256i taken = _mm256_andnot_si256(_mm256_cmpeq_epi64(given[g], one),
                                                      _mm256_and_si256(_mm256_cmpgt_epi64(magnitude, zero),
                                                                       _mm256_cmpgt_epi64(limit, magnitude)));
            series[g] = _mm256_and_si256(lanes[g], taken);
            xv[g] = _mm256_and_si256(series[g], magnitude);  // other lanes run x = 0: s = 1
        }
        series_sums<wide>(xv, s);
        for (std::size_t g = 0; g < kSeriesGroup; ++g) {
            const __m256d sum = small_to_double(s[g]);
            const __m256d e = _mm256_blendv_pd(sum, quotient_floor(sum), _mm256_castsi256_pd(given[g]));
            const __m256i sigma = whole_to_int(quotient_floor(_mm256_add_pd(two32, e)));
            const __m256i value = _mm256_add_epi64(lowv, times_span(sigma, spanv, full_span));
            const unsigned taken = lane_bits(series[g]);
            if (taken != 0) {  // no scatter in AVX2
                alignas(32) std::int64_t v[4], w[4];
                _mm256_store_si256(reinterpret_cast<__m256i*>(v), value);
                _mm256_store_si256(reinterpret_cast<__m256i*>(w), where[g]);
                for (unsigned l = 0; l < 4; ++l)
                    if ((taken >> l) & 1u) alpha[w[l]] = v[l];
            }
            const unsigned rest = lane_bits(_mm256_andnot_si256(series[g], lanes[g]));
            if (rest == 0) continue;
            pack_lanes(given[g], rest, a + left);
            left += pack_lanes(where[g], rest, where_list + left);
        }
    }
    return left;
}

}  // namespace

// The scalar path's steps for the open exponents with 0 < |a| <= exp_series_limit, a != 1 (the
// same entries as alpha_exact_avx512's, and the same steps): s = the series sum of |a|, with
// 2^32 < s < 2^47; e = s, or floor(2^64 / s) for a < 0; σ = floor(2^64 / (2^32 + e)), whose
// divisor is in (2^32, 2^48); α = low + floor(σ·span / 2^32), within [low, low + span], so neither
// the scalar path's saturations nor its clamp act. Both quotients are quotient_floor's, on
// integers below 2^48 converted exactly. The open entries are nearly all at |a| < 1, whose terms
// fit one 32-bit product, so a first pass takes those alone and a second the rest.
std::size_t alpha_exact_avx2(std::int64_t* a, std::size_t* at, std::size_t count, std::int64_t low, std::int64_t span,
                             std::int64_t* alpha) noexcept {
    static_assert(sizeof(std::size_t) == sizeof(std::int64_t));
    std::int64_t* const where = reinterpret_cast<std::int64_t*>(at);
    const std::size_t left = exact_pass<false>(a, where, count, low, span, alpha);
    return exact_pass<true>(a, where, left, low, span, alpha);
}

}  // namespace taocore::consensus::detail
