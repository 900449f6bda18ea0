// SPDX-License-Identifier: MIT
// AVX-512 build of the exact column division (detail/column_division.hpp): the AVX2 kernel's
// rule, eight entries at a time (each lane's arithmetic is the same double estimate, FMA
// remainder and one correction). CMake compiles this file alone with AVX-512 flags; math.cpp
// calls it only when simd::active_backend() is avx512.
#include "simd/detail/avx512_intrinsics.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "consensus/detail/column_division.hpp"
#include "consensus/detail/entry_lanes_avx512.hpp"

namespace taocore::consensus::detail {

namespace {

// Two loads of four entries each, unpacked, put entries 0, 4, 1, 5, 2, 6, 3, 7 in lanes 0..7;
// the same unpacking of the table's (scale, divisor) pairs for columns c..c+7 gives that order
// too, and packing back restores the entries' order.
constexpr int entry_of_lane[8] = {0, 4, 1, 5, 2, 6, 3, 7};

struct Lanes {
    __m512i cols, col, a;  // cols: the entries' first quadwords; col: their columns
    std::size_t first;     // column of lane 0
    bool run;              // columns first..first+7, all in the table
    __mmask8 in_range;
};

inline Lanes load_lanes(const math::Entry* e, std::size_t columns) noexcept {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    const __m512i run_offsets = _mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7);
    const __m512i lo = _mm512_loadu_si512(e);
    const __m512i hi = _mm512_loadu_si512(e + 4);
    Lanes l;
    l.cols = _mm512_unpacklo_epi64(lo, hi);
    l.a = _mm512_unpackhi_epi64(lo, hi);
    l.col = _mm512_and_si512(l.cols, _mm512_set1_epi64(0xffff));
    l.in_range = _mm512_cmpgt_epi64_mask(_mm512_set1_epi64(static_cast<std::int64_t>(columns)), l.col);
    l.first = static_cast<std::size_t>(static_cast<std::uint16_t>(_mm_cvtsi128_si32(_mm512_castsi512_si128(l.col))));
    const __m512i run = _mm512_add_epi64(_mm512_set1_epi64(static_cast<std::int64_t>(l.first)), run_offsets);
    l.run = _mm512_cmpeq_epi64_mask(l.col, run) == 0xff && l.first + 8 <= columns;
    return l;
}

// The rule of detail/column_division.hpp on eight lanes, given scale = fl(2^32 / d) (NaN: not
// covered) and d: the quotients where `ok`, else a.
inline __m512i exact_quotient(__m512i a, __m512d scale, __m512d d, __mmask8& ok) noexcept {
    const __m512d two32 = _mm512_set1_pd(4294967296.0), limit = _mm512_set1_pd(1125899906842624.0);  // 2^50
    const __m512d zero_pd = _mm512_setzero_pd();
    const __m512i one = _mm512_set1_epi64(1);
    // 0 <= a < 2^52: converted exactly.
    const __mmask8 small = _mm512_cmpeq_epi64_mask(_mm512_srli_epi64(a, 52), _mm512_setzero_si512());
    const __m512d ad = _mm512_cvtepi64_pd(a);
    const __m512d x = _mm512_mul_pd(ad, scale);
    // A column outside the rule has a NaN scale, and fails x < 2^50.
    ok = small & _mm512_cmp_pd_mask(x, limit, _CMP_LT_OQ);
    const __m512d q0 = _mm512_roundscale_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512d r = _mm512_fnmadd_pd(q0, d, _mm512_mul_pd(ad, two32));
    __m512i q = _mm512_cvttpd_epi64(q0);
    q = _mm512_mask_add_epi64(q, _mm512_cmp_pd_mask(r, d, _CMP_GE_OQ), q, one);
    q = _mm512_mask_sub_epi64(q, _mm512_cmp_pd_mask(r, zero_pd, _CMP_LT_OQ), q, one);
    return _mm512_mask_blend_epi64(ok, a, q);
}

// The rule on the eight lanes of l with their columns' table entries: the quotients where `ok`,
// else a.
inline __m512i divide_lanes(const Lanes& l, const ColumnReciprocals& table, __mmask8& ok) noexcept {
    const __m512d zero_pd = _mm512_setzero_pd();
    __m512d scale, d;
    if (l.run) {
        const __m512d p0 = _mm512_loadu_pd(table.pairs + 2 * l.first), p1 = _mm512_loadu_pd(table.pairs + 2 * l.first + 8);
        scale = _mm512_unpacklo_pd(p0, p1);
        d = _mm512_unpackhi_pd(p0, p1);
    } else {
        const __m512i index = _mm512_slli_epi64(l.col, 1);
        scale = _mm512_mask_i64gather_pd(_mm512_set1_pd(std::numeric_limits<double>::quiet_NaN()), l.in_range, index,
                                         table.pairs, 8);
        d = _mm512_mask_i64gather_pd(zero_pd, l.in_range, index, table.pairs + 1, 8);
    }
    return exact_quotient(l.a, scale, d, ok);
}

// The lanes holding the first `lanes` entries of a group (entry_of_lane's order).
inline __mmask8 real_lanes(int lanes) noexcept {
    __mmask8 real = 0;
    for (int lane = 0; lane < 8; ++lane) real |= static_cast<__mmask8>((entry_of_lane[lane] < lanes ? 1 : 0) << lane);
    return real;
}

// The division of the group of entries at e (its first `lanes` real, l loaded from it): the
// quotients stored back in place and returned in lane order, the real lanes outside the rule
// given to the fallback; `divided` says whether there were none.
inline __m512i divide_group(math::Entry* e, int lanes, const Lanes& l, const ColumnReciprocals& table,
                            ColumnFallback fallback, const void* context, bool& divided) noexcept {
    __mmask8 ok;
    const __m512i value = divide_lanes(l, table, ok);
    _mm512_storeu_si512(e, _mm512_unpacklo_epi64(l.cols, value));
    _mm512_storeu_si512(e + 4, _mm512_unpackhi_epi64(l.cols, value));
    const auto missed = static_cast<unsigned>(real_lanes(lanes) & ~ok);
    divided = missed == 0;
    if (!divided) [[unlikely]] {
        for (int lane = 0; lane < 8; ++lane)
            if ((missed >> lane) & 1) fallback(e[entry_of_lane[lane]], context);
    }
    return value;
}

// v[col] for the lanes of l, in its lane order (0 in lanes whose column is past the table).
inline __m512i column_values_of(const std::int64_t* v, const Lanes& l) noexcept {
    const __m512i lane_order = _mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7);
    return l.run ? _mm512_permutexvar_epi64(lane_order, _mm512_loadu_si512(v + l.first))
                 : _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), l.in_range, l.col, v, 8);
}

// fixed::mul(q, v) for quotients q of the rule and 0 <= v <= 2^32. The quotients are in
// [0, 2^50] (a >= 0, d > 0, and x < 2^50 is within 1/4 of the quotient). For v < 2^32, with
// q = h·2^32 + l (h < 2^18, l < 2^32), the floored product floor(q·v / 2^32) is
// h·v + floor(l·v / 2^32) (h·v·2^32 is a multiple of 2^32), two exact 32 × 32-bit products,
// below 2^51; for v = 2^32 it is q. (F and DQ only: this file is built without IFMA.)
inline __m512i times_fraction(__m512i q, __m512i v) noexcept {
    const __m512i unit = _mm512_set1_epi64(std::int64_t{1} << 32);
    return _mm512_mask_blend_epi64(
        _mm512_cmpeq_epi64_mask(v, unit),
        _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(q, 32), v), _mm512_srli_epi64(_mm512_mul_epu32(q, v), 32)), q);
}

}  // namespace

void divide_columns_avx512(math::Entry* entries, std::size_t count, const ColumnReciprocals& table,
                           ColumnFallback fallback, const void* context) {
    for_each_group<8>(entries, count, [&](math::Entry* e, int lanes) {
        bool divided;
        divide_group(e, lanes, load_lanes(e, table.columns), table, fallback, context, divided);
    });
}

// Each term by times_fraction where its entry is divided by the rule and 0 <= v <= 2^32. The
// row's additions wrap (fixed::add), so lane sums in any order and the fallback's terms give the
// same total.
std::int64_t normalized_row_dot_avx512(const math::Entry* row, std::size_t count, const ColumnReciprocals& table,
                                       const std::int64_t* v, RowDotFallback fallback, const void* context) {
    const __m512i unit = _mm512_set1_epi64(std::int64_t{1} << 32);
    __m512i acc = _mm512_setzero_si512();
    std::uint64_t rest = 0;
    auto step = [&](const math::Entry* e, int lanes) {
        const Lanes l = load_lanes(e, table.columns);
        __mmask8 ok;
        const __m512i q = divide_lanes(l, table, ok);
        const __m512i vv = column_values_of(v, l);
        ok &= l.in_range & _mm512_cmple_epu64_mask(vv, unit);
        acc = _mm512_mask_add_epi64(acc, ok, acc, times_fraction(q, vv));
        if (ok != 0xff) [[unlikely]] {
            for (int lane = 0; lane < 8; ++lane)
                if (((ok >> lane) & 1) == 0 && entry_of_lane[lane] < lanes)
                    rest += static_cast<std::uint64_t>(fallback(e[entry_of_lane[lane]], context));
        }
    };
    std::size_t k = 0;
    for (; k + 8 <= count; k += 8) step(row + k, 8);
    if (k < count) {
        // The last entries through a zeroed copy (column 0, value 0: a zero product or a lane
        // the fallback skips).
        math::Entry last[8] = {};
        const auto lanes = static_cast<int>(count - k);
        for (int l = 0; l < lanes; ++l) last[l] = row[k + static_cast<std::size_t>(l)];
        step(last, lanes);
    }
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(_mm512_reduce_add_epi64(acc)) + rest);
}

// divide_columns_avx512's step, then normalized_row_dot_avx512's terms and sum (all terms in
// [0, 2^50]: fewer than 2^12 of them cannot reach 2^63, so the plain sum is the saturating one).
// A run's maxima are one load and store in lane order; other columns may repeat within eight
// entries, so they are raised one entry at a time.
bool divide_max_dot_avx512(math::Entry* row, std::size_t count, const ColumnReciprocals& table, ColumnFallback fallback,
                           const void* context, const std::int64_t* v, std::int64_t* col_max, std::int64_t* dot) {
    const __m512i unit = _mm512_set1_epi64(std::int64_t{1} << 32);
    const __m512i lane_order = _mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7);
    const __m512i column_order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);  // lane_order's inverse
    __m512i acc = _mm512_setzero_si512();
    bool plain = count <= kMaxDotEntries;
    auto step = [&](math::Entry* e, int lanes) {
        const Lanes l = load_lanes(e, table.columns);
        bool divided;
        const __m512i q = divide_group(e, lanes, l, table, fallback, context, divided);
        plain = plain && divided;
        if (!plain) return;
        const __mmask8 real = real_lanes(lanes);
        const __m512i vv = column_values_of(v, l);
        if ((l.in_range & _mm512_cmple_epu64_mask(vv, unit) & real) != real) {
            plain = false;
            return;
        }
        acc = _mm512_mask_add_epi64(acc, real, acc, times_fraction(q, vv));
        if (l.run && lanes == 8) {
            std::int64_t* m = col_max + l.first;
            const __m512i raised = _mm512_max_epi64(_mm512_permutexvar_epi64(lane_order, _mm512_loadu_si512(m)), q);
            _mm512_storeu_si512(m, _mm512_permutexvar_epi64(column_order, raised));
        } else {
            for (int k = 0; k < lanes; ++k) {
                std::int64_t& m = col_max[e[k].col];
                m = std::max(m, e[k].value.bits);
            }
        }
    };
    for_each_group<8>(row, count, step);
    *dot = _mm512_reduce_add_epi64(acc);
    return plain;
}

// The row's total S (0 < S < 2^31 here, else nullptr: the caller's scalar rule) is the divisor
// of every entry: floor(v·2^32 / S) is the rule above with a = v < 2^16 and d = S, exact in
// doubles, where x = v·fl(2^32 / S) < 2^49 always passes its limit. The sums are of u16 values
// in 32-bit lanes, at most count / 16 < 2^12 of them per lane: no overflow.
math::Entry* whole_row_normalize_avx512(const std::uint16_t* col, const std::uint16_t* value, std::size_t count,
                                        std::size_t self, math::Entry* out) noexcept {
    std::uint64_t total = 0;
    std::size_t k = 0;
    __m512i lanes32 = _mm512_setzero_si512();
    const __m512i self32 = _mm512_set1_epi32(static_cast<int>(self < 65536 ? self : 65536));
    for (; k + 16 <= count; k += 16) {
        const __m512i j = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + k)));
        const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(value + k)));
        lanes32 = _mm512_add_epi32(lanes32, _mm512_maskz_mov_epi32(_mm512_cmpneq_epi32_mask(j, self32), v));
    }
    total = static_cast<std::uint32_t>(_mm512_reduce_add_epi32(lanes32));
    for (std::size_t t = k; t < count; ++t) total += col[t] != self ? value[t] : 0;
    if (total == 0 || total >= (std::uint64_t{1} << 31)) return nullptr;
    const __m512d d = _mm512_set1_pd(static_cast<double>(total));
    const __m512d scale = _mm512_set1_pd(4294967296.0 / static_cast<double>(total));
    const __m512i self64 = _mm512_set1_epi64(static_cast<std::int64_t>(self));
    k = 0;
    for (; k + 8 <= count; k += 8) {
        const __m512i j = _mm512_cvtepu16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(col + k)));
        const __m512i v = _mm512_cvtepu16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(value + k)));
        __mmask8 ok;
        const __m512i q = exact_quotient(v, scale, d, ok);
        store_kept(out, j, q, static_cast<unsigned>(_mm512_cmpneq_epi64_mask(j, self64)));
    }
    for (; k < count; ++k) {
        if (col[k] == self) continue;
        *out++ = {col[k], fixed::I32F32::from_bits(static_cast<std::int64_t>((std::uint64_t{value[k]} << 32) / total))};
    }
    return out;
}

// math::fixed_proportion_to_u16 on eight lanes: with x clamped to [0, 2^32], floor(x·65535 / 2^32)
// = ((x << 16) − x) >> 32 gives 0 for x <= 0, 65535 for x >= 2^32 and the plain rule between.
void entries_to_u16_avx512(const math::Entry* e, std::size_t count, std::uint16_t* col, std::uint16_t* value) noexcept {
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    const __m512i zero = _mm512_setzero_si512(), unit = _mm512_set1_epi64(std::int64_t{1} << 32);
    std::size_t k = 0;
    for (; k + 8 <= count; k += 8) {
        const __m512i lo = _mm512_loadu_si512(e + k), hi = _mm512_loadu_si512(e + k + 4);
        const __m512i j = _mm512_permutex2var_epi64(lo, even, hi);
        const __m512i x = _mm512_min_epi64(_mm512_max_epi64(_mm512_permutex2var_epi64(lo, odd, hi), zero), unit);
        const __m512i u = _mm512_srli_epi64(_mm512_sub_epi64(_mm512_slli_epi64(x, 16), x), 32);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(col + k), _mm512_cvtepi64_epi16(j));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(value + k), _mm512_cvtepi64_epi16(u));
    }
    for (; k < count; ++k) {
        col[k] = e[k].col;
        value[k] = math::fixed_proportion_to_u16(e[k].value);
    }
}

}  // namespace taocore::consensus::detail
