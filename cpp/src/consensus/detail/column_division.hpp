// SPDX-License-Identifier: MIT
// The column normalisations' division (math.cpp: every entry divided by its column's divisor,
// saturating_div, a zero divisor leaving the entry) in floating point, four (AVX2) or eight
// (AVX-512) entries at a time, for the entries where that gives the exact truncated quotient:
//
// For 0 <= a < 2^52 and d > 0 exact in a double, q = floor(a·2^32 / d) is estimated as
// x = a · fl(2^32 / d) (two roundings: relative error below 2^-52). With x < 2^50 the estimate is
// within 1/4 of the quotient, so q0 = trunc(x) is floor(a·2^32 / d) - 1, + 0 or + 1. The remainder
// r = a·2^32 - q0·d is then an integer in [-d, 2d), and one fused multiply-add gives it exactly
// (its inputs are exact and the result is representable: below 2^53 for d < 2^52, and a
// multiple of 2^32 below 2^63 for a whole d < 2^62, since a·2^32 and q0·d are multiples of 2^32
// then). q = q0 + (r >= d) - (r < 0) is the exact quotient, which is the chain's: below 2^50 it
// neither truncates towards zero differently from floor nor saturates.
//
// Entries outside that (negative, 2^52 or more, quotient of 2^50 or more, divisor not in the
// table, column out of range) go to the caller's scalar rule one by one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

/// Per column j: pairs[2j] = 2^32 / d (scale) and pairs[2j + 1] = d (divisor) as doubles where
/// the vector rule applies to the column's divisor d (see above), scale = NaN where it does not.
/// Interleaved so that four consecutive columns (a full row's usual run) are two loads.
struct ColumnReciprocals {
    const double* pairs;
    std::size_t columns;
};

/// Whether the vector rule covers divisor bits d, and its table entries.
inline bool column_reciprocal(std::int64_t d, double* pair) noexcept {
    const bool exact = d > 0 && (d < (std::int64_t{1} << 52) || ((d & 0xffffffff) == 0 && d < (std::int64_t{1} << 62)));
    pair[1] = static_cast<double>(d);
    pair[0] = exact ? 4294967296.0 / pair[1] : std::numeric_limits<double>::quiet_NaN();
    return exact;
}

/// The scalar rule for one entry the vector rule leaves.
using ColumnFallback = void (*)(math::Entry& e, const void* context);

/// Runs a W-lane kernel step(e, lanes) over entries[0..count) in groups of W; the last one to
/// W - 1 entries go through a zeroed copy (column 0, value 0: a lane the vector rule divides or
/// the fallback skips) and are copied back. Each vector kernel passes its own step.
template <std::size_t W, class Step>
void for_each_group(math::Entry* entries, std::size_t count, const Step& step) {
    std::size_t k = 0;
    for (; k + W <= count; k += W) step(entries + k, static_cast<int>(W));
    if (k < count) {
        math::Entry rest[W] = {};
        const auto lanes = static_cast<int>(count - k);
        for (int l = 0; l < lanes; ++l) rest[l] = entries[k + static_cast<std::size_t>(l)];
        step(rest, lanes);
        for (int l = 0; l < lanes; ++l) entries[k + static_cast<std::size_t>(l)] = rest[l];
    }
}

using DivideColumnsFn = void (*)(math::Entry* entries, std::size_t count, const ColumnReciprocals& table,
                                 ColumnFallback fallback, const void* context);

#if defined(TAOCORE_HAVE_AVX2)
void divide_columns_avx2(math::Entry* entries, std::size_t count, const ColumnReciprocals& table,
                         ColumnFallback fallback, const void* context);
#endif
/// One entry's term of a normalised row dot product (math.cpp's col_normalized_row_dot), as bits.
using RowDotFallback = std::int64_t (*)(const math::Entry& e, const void* context);
using RowDotFn = std::int64_t (*)(const math::Entry* row, std::size_t count, const ColumnReciprocals& table,
                                  const std::int64_t* v, RowDotFallback fallback, const void* context);

#if defined(TAOCORE_HAVE_AVX512)
/// Σ fixed::mul(divided value, v[col]) over a row's entries (wrapping additions), the division
/// being the rule above with the table's divisors; entries outside the rule, with a column past
/// the table, or with v[col] outside [0, 2^32] give fallback(e, context) instead. v has room for
/// every column of the table.
std::int64_t normalized_row_dot_avx512(const math::Entry* row, std::size_t count, const ColumnReciprocals& table,
                                       const std::int64_t* v, RowDotFallback fallback, const void* context);
/// Rows of at most this many entries may take DivideMaxDotFn: the sum of its terms (each at most
/// 2^50, see there) stays below 2^62, so plain additions are the saturating ones.
inline constexpr std::size_t kMaxDotEntries = 4096;
/// divide_columns_avx512 over one row of count <= kMaxDotEntries entries which also raises
/// col_max[col] to each quotient (signed maximum) and sets *dot to the row's saturating sum of
/// fixed::mul(v[col], quotient), where every entry is plain: divided by the rule (not the
/// fallback), col < table.columns and 0 <= v[col] <= 2^32 (all terms non-negative). Otherwise
/// returns false: the row is divided all the same, and col_max may already be raised by some of
/// its entries, which the caller's scalar walk of the divided row raising it again leaves as it
/// is. v and col_max have room for every column of the table.
using DivideMaxDotFn = bool (*)(math::Entry* row, std::size_t count, const ColumnReciprocals& table,
                                ColumnFallback fallback, const void* context, const std::int64_t* v,
                                std::int64_t* col_max, std::int64_t* dot);
bool divide_max_dot_avx512(math::Entry* row, std::size_t count, const ColumnReciprocals& table, ColumnFallback fallback,
                           const void* context, const std::int64_t* v, std::int64_t* col_max, std::int64_t* dot);
/// The epoch's weight row of whole u16 values (uids col[k], values value[k]) without uid `self`,
/// each divided by the row's total S as inplace_whole_row_normalize does (floor(v·2^32 / S)), into
/// out in order; returns one past the last entry, or nullptr (nothing written) unless
/// 0 < S < 2^31, where that division applies.
math::Entry* whole_row_normalize_avx512(const std::uint16_t* col, const std::uint16_t* value, std::size_t count,
                                        std::size_t self, math::Entry* out) noexcept;
/// col[k] = e[k].col and value[k] = math::fixed_proportion_to_u16(e[k].value) for k < count.
void entries_to_u16_avx512(const math::Entry* e, std::size_t count, std::uint16_t* col, std::uint16_t* value) noexcept;
/// The same rule, eight entries at a time (column_division_avx512.cpp).
void divide_columns_avx512(math::Entry* entries, std::size_t count, const ColumnReciprocals& table,
                           ColumnFallback fallback, const void* context);
#endif

}  // namespace taocore::consensus::detail
