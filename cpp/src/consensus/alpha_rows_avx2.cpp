// SPDX-License-Identifier: MIT
// The AVX2 liquid-alpha row kernels (detail/alpha_bounds.hpp): the sigmoid's exponents of a
// bond-weight row and the moving average with per-entry α, four entries per vector. They are the
// AVX-512 kernels' rules (alpha_bounds_avx512.cpp argues that those give the scalar bits); what
// is argued here is how AVX2 does without 64-bit products, arithmetic shifts, 64-bit min/max,
// compress and scatter.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "detail/alpha_bounds.hpp"

namespace taocore::consensus::detail {

namespace {

// Four entries of a row (16 bytes each: the column in the low 16 bits of the first quadword, the
// value in the second) as a vector of columns and one of values, lanes in entry order; only the
// lanes in `lanes` are read (the others are 0). `full`: all four are (plain loads).
struct EntryLanes {
    __m256i col, value;
    bool run;           // the columns are first, first + 1, ...: per-column arrays take one plain load
    std::size_t first;  // the first lane's column
};

inline EntryLanes load_entries(const math::Entry* e, __m256i lanes, bool full) noexcept {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    // Entry j's two quadwords are read where lane j is (lanes 0, 1 for the first load, 2, 3 for
    // the second), so each load's mask repeats those lanes' mask bits pairwise.
    __m256i lo, hi;
    if (full) {
        lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e));
        hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e + 2));
    } else {
        lo = _mm256_maskload_epi64(reinterpret_cast<const long long*>(e), _mm256_permute4x64_epi64(lanes, 0x50));
        hi = _mm256_maskload_epi64(reinterpret_cast<const long long*>(e + 2), _mm256_permute4x64_epi64(lanes, 0xfa));
    }
    // unpack gives lanes in the order 0, 2, 1, 3; the permute restores 0, 1, 2, 3.
    EntryLanes r;
    r.col = _mm256_and_si256(_mm256_permute4x64_epi64(_mm256_unpacklo_epi64(lo, hi), 0xd8), _mm256_set1_epi64x(0xffff));
    r.value = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(lo, hi), 0xd8);
    r.first = static_cast<std::size_t>(_mm256_extract_epi64(r.col, 0));
    const __m256i run = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<std::int64_t>(r.first)),
                                         _mm256_setr_epi64x(0, 1, 2, 3));
    const __m256i off_run = _mm256_andnot_si256(_mm256_cmpeq_epi64(r.col, run), lanes);
    r.run = _mm256_testz_si256(off_run, off_run) != 0;
    return r;
}

// base[col] in each lane of `lanes` (0 elsewhere; `full`: all four).
inline __m256i column_values(const std::int64_t* base, const EntryLanes& e, __m256i lanes, bool full) noexcept {
    if (e.run && full) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + e.first));
    if (e.run) return _mm256_maskload_epi64(reinterpret_cast<const long long*>(base + e.first), lanes);
    return _mm256_mask_i64gather_epi64(_mm256_setzero_si256(), reinterpret_cast<const long long*>(base), e.col, lanes, 8);
}

inline __m256i tail_lanes(std::size_t k, std::size_t count) noexcept {
    const auto left = static_cast<std::int64_t>(count - k);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(left), _mm256_setr_epi64x(0, 1, 2, 3));
}

inline __m256i select(__m256i mask, __m256i if_set, __m256i if_clear) noexcept {
    return _mm256_blendv_epi8(if_clear, if_set, mask);
}

// v clamped to [0, 2^32] (signed).
inline __m256i clamp01(__m256i v) noexcept {
    const __m256i one = _mm256_set1_epi64x(std::int64_t{1} << 32);
    const __m256i capped = select(_mm256_cmpgt_epi64(v, one), one, v);
    return _mm256_andnot_si256(_mm256_cmpgt_epi64(_mm256_setzero_si256(), capped), capped);
}

// floor(v / 2^32) for any 64-bit v: the high half, sign-extended (the high halves of the 32-bit
// arithmetic shift by 31 are each lane's sign).
inline __m256i shift_down_32(__m256i v) noexcept {
    return _mm256_blend_epi32(_mm256_srli_epi64(v, 32), _mm256_srai_epi32(v, 31), 0xaa);
}

// alpha_exponents_avx512's rule, a = h·d + floor(l·d / 2^32) with d = x − ½, factor = h·2^32 + l
// (0 <= l < 2^32), on four lanes. h·d modulo 2^64 from 32-bit halves: with h = h1·2^32 + h0 and
// d = d1·2^32 + d0 (two's complement, halves unsigned), h·d ≡ h0·d0 + (h1·d0 + h0·d1)·2^32, each
// product 32 × 32 bits and exact. l·d: |d| <= 2^31 fits 32 bits, so l·|d| < 2^63 is one exact
// product, negated back for d < 0 (still in the i64 range), and its floor by 2^32 is
// shift_down_32.
inline __m256i exponent_lanes(__m256i cv, __m256i wv, __m256i bv, __m256i high, __m256i low) noexcept {
    const __m256i zero = _mm256_setzero_si256(), half = _mm256_set1_epi64x(std::int64_t{1} << 31);
    const __m256i buy = clamp01(_mm256_sub_epi64(wv, cv)), sell = clamp01(_mm256_sub_epi64(bv, wv));
    const __m256i d = _mm256_sub_epi64(select(_mm256_cmpgt_epi64(bv, wv), sell, buy), half);
    const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(high, 32), d),
                                           _mm256_mul_epu32(high, _mm256_srli_epi64(d, 32)));
    const __m256i hd = _mm256_add_epi64(_mm256_mul_epu32(high, d), _mm256_slli_epi64(cross, 32));
    const __m256i sign = _mm256_cmpgt_epi64(zero, d);
    const __m256i magnitude = _mm256_sub_epi64(_mm256_xor_si256(d, sign), sign);
    const __m256i ld = _mm256_sub_epi64(_mm256_xor_si256(_mm256_mul_epu32(low, magnitude), sign), sign);
    return _mm256_add_epi64(hd, shift_down_32(ld));
}

// floor(f·v / 2^32) for f, v in [0, 2^32]: one 32 × 32-bit product when both are below 2^32, and
// the other operand when either is 2^32 (whose low half, all the product reads, is 0).
inline __m256i unit_product(__m256i f, __m256i v) noexcept {
    const __m256i one = _mm256_set1_epi64x(std::int64_t{1} << 32);
    const __m256i p = _mm256_srli_epi64(_mm256_mul_epu32(f, v), 32);
    return select(_mm256_cmpeq_epi64(f, one), v, select(_mm256_cmpeq_epi64(v, one), f, p));
}

}  // namespace

void alpha_exponents_avx2(const std::int64_t* c, const std::int64_t* w, const std::int64_t* b, std::size_t count,
                          std::int64_t factor, std::int64_t* a) noexcept {
    const __m256i high = _mm256_set1_epi64x(factor >> 32), low = _mm256_set1_epi64x(factor & 0xffffffff);
    for (std::size_t k = 0; k < count; k += 4) {
        const __m256i lanes = tail_lanes(k, count);
        const auto load = [&](const std::int64_t* p) {
            return _mm256_maskload_epi64(reinterpret_cast<const long long*>(p + k), lanes);
        };
        _mm256_maskstore_epi64(reinterpret_cast<long long*>(a + k), lanes, exponent_lanes(load(c), load(w), load(b), high, low));
    }
}

void alpha_row_exponents_avx2(const math::Entry* row, std::size_t count, const std::int64_t* c, const std::int64_t* b,
                              std::int64_t factor, std::int64_t* a) noexcept {
    const __m256i high = _mm256_set1_epi64x(factor >> 32), low = _mm256_set1_epi64x(factor & 0xffffffff);
    for (std::size_t k = 0; k < count; k += 4) {
        const bool full = k + 4 <= count;
        const __m256i lanes = tail_lanes(k, count);
        const EntryLanes e = load_entries(row + k, lanes, full);
        const __m256i cv = column_values(c, e, lanes, full), bv = column_values(b, e, lanes, full);
        const __m256i v = exponent_lanes(cv, e.value, bv, high, low);
        if (full)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + k), v);
        else
            _mm256_maskstore_epi64(reinterpret_cast<long long*>(a + k), lanes, v);
    }
}

// ema_alpha_row_avx512's rule on whole vectors of four: min(floor((2^32 − α)·old / 2^32) +
// floor(α·new / 2^32), 2^32) where α, new and old are all in [0, 2^32] (tested unsigned, as the
// scalar rule does, by flipping the sign bit for a signed compare); the products are
// unit_product's. A result not kept is 0, so every lane adds to its column's sum, and the sums
// never saturate (ema_alpha_row_avx512 says why). Without a scatter, a vector whose columns are
// not a run adds lane by lane, in order (the columns differ, so the order is immaterial anyway).
// The tail of fewer than four entries is left to the caller.
std::size_t ema_alpha_row_avx2(const math::Entry* row, std::size_t count, const std::int64_t* alpha,
                               const std::int64_t* old_value, std::int64_t* col_sum, math::Entry*& out) noexcept {
    const __m256i unit = _mm256_set1_epi64x(std::int64_t{1} << 32), zero = _mm256_setzero_si256();
    const __m256i flip = _mm256_set1_epi64x(INT64_MIN), unit_flipped = _mm256_xor_si256(unit, flip);
    const __m256i all = _mm256_set1_epi64x(-1);
    const auto above_unit = [&](__m256i v) { return _mm256_cmpgt_epi64(_mm256_xor_si256(v, flip), unit_flipped); };
    math::Entry* w = out;
    std::size_t k = 0;
    for (; k + 4 <= count; k += 4) {
        const EntryLanes e = load_entries(row + k, all, true);
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(alpha + k));
        const __m256i old = column_values(old_value, e, all, true);
        const __m256i outside = _mm256_or_si256(above_unit(a), _mm256_or_si256(above_unit(e.value), above_unit(old)));
        if (!_mm256_testz_si256(outside, outside)) break;
        const __m256i sum = _mm256_add_epi64(unit_product(_mm256_sub_epi64(unit, a), old), unit_product(a, e.value));
        const __m256i v = select(_mm256_cmpgt_epi64(sum, unit), unit, sum);
        const auto kept = static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(v, zero))));
        if (kept == 0xfu) {
            // (col, value) pairs in entry order: unpack pairs lanes 0, 2 and 1, 3; the 128-bit
            // permutes put entries 0, 1 then 2, 3 together.
            const __m256i even = _mm256_unpacklo_epi64(e.col, v), odd = _mm256_unpackhi_epi64(e.col, v);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(w), _mm256_permute2x128_si256(even, odd, 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + 2), _mm256_permute2x128_si256(even, odd, 0x31));
            w += 4;
        } else {
            alignas(32) std::int64_t vs[4], cs[4];
            _mm256_store_si256(reinterpret_cast<__m256i*>(vs), v);
            _mm256_store_si256(reinterpret_cast<__m256i*>(cs), e.col);
            for (unsigned l = 0; l < 4; ++l) {
                if (((kept >> l) & 1u) == 0) continue;
                *w = {static_cast<std::uint16_t>(cs[l]), fixed::I32F32::from_bits(vs[l])};
                ++w;
            }
        }
        if (col_sum == nullptr) continue;
        if (e.run) {
            auto* sums = reinterpret_cast<__m256i*>(col_sum + e.first);
            _mm256_storeu_si256(sums, _mm256_add_epi64(_mm256_loadu_si256(sums), v));
        } else {
            alignas(32) std::int64_t vs[4], cs[4];
            _mm256_store_si256(reinterpret_cast<__m256i*>(vs), v);
            _mm256_store_si256(reinterpret_cast<__m256i*>(cs), e.col);
            for (unsigned l = 0; l < 4; ++l) col_sum[cs[l]] += vs[l];
        }
    }
    out = w;
    return k;
}

}  // namespace taocore::consensus::detail
