// SPDX-License-Identifier: MIT
// The epoch's consensus clip over one row (math.cpp, col_clip_sums_sparse): every entry clipped
// to its column's consensus (clip_entry; dropped when clipped to a threshold <= 0), its value
// added to the row sum (wrapping I32F32 additions: validator trust) and, for a row with a nonzero
// stake factor, floor(factor · value) added with saturation to its column's sum (the incentive's
// matmul).
//
// The scalar rule (clip_row_entry in math.cpp) is the reference; the AVX2 kernel takes four
// entries at a time (the AVX-512 one eight) where that gives the same results without branches,
// and hands every other entry to the scalar rule, in entry order:
// - four (eight) consecutive columns c.. below `columns`, whose thresholds are all > 0: nothing is
//   dropped, and the clipped values are min(value, threshold);
// - clipped values and the factor in [0, 2^32]: the I32F32 product floor(a·b / 2^32) is then
//   b if a = 2^32, a if b = 2^32, and otherwise the high half of the 32 × 32-bit product of the
//   low words (a, b < 2^32);
// - the products are then >= 0, so a saturating addition overflows exactly when the sum of a
//   non-negative column sum and the product comes out negative (the result is then the maximum).
// Each column's additions keep the scalar order: quads and single entries go in entry order,
// and the four columns of a quad differ. Wrapping additions of the row sum are associative, so
// the kernel's lane sums added to the scalar rule's give the same row sum.
#pragma once

#include <cstddef>
#include <cstdint>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

/// One row's clip state, as I32F32 bits.
struct ClipRow {
    const std::int64_t* threshold;  // per column
    std::size_t columns;
    std::int64_t factor;   // the row's stake; 0: no column sums
    std::int64_t* matmul;  // per column, the saturating sums
    std::int64_t row_sum;  // wrapping
};

/// The scalar rule for one entry: writes the clipped entry to *w and returns w advanced past it
/// if it is kept.
using ClipEntryFn = math::Entry* (*)(const math::Entry& e, math::Entry* w, ClipRow& row) noexcept;

#if defined(TAOCORE_HAVE_AVX512)
/// The same with eight entries (eight consecutive columns) where the AVX2 build takes four.
math::Entry* clip_row_avx512(const math::Entry* in, std::size_t count, math::Entry* out, ClipRow& row,
                             ClipEntryFn scalar) noexcept;
#endif
#if defined(TAOCORE_HAVE_AVX2)
/// The row's `count` entries from `in`, clipped into `out` (which may trail `in` but not overlap
/// it ahead); returns one past the last entry kept.
math::Entry* clip_row_avx2(const math::Entry* in, std::size_t count, math::Entry* out, ClipRow& row,
                           ClipEntryFn scalar) noexcept;
#endif

}  // namespace taocore::consensus::detail
