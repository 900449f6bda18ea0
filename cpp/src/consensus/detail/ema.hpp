// SPDX-License-Identifier: MIT
// The moving average of mat_ema_sparse (math.cpp's ema_rows) on AVX-512: each row is densified
// (every entry's fixed::mul(factor, value) added, wrapping, to its column) and then emitted (the
// positive columns as entries, in column order, added with saturation to the column sums, and
// the row zeroed). The scalar loops are the reference; the kernels give the same rows and sums.
#pragma once

#include <cstddef>
#include <cstdint>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

/// row[col] = fixed::add(row[col], fixed::mul(factor, value)) for each entry with col < columns.
using AccumulateRowFn = void (*)(const math::Entry* e, std::size_t count, std::int64_t factor, std::int64_t* row,
                                 std::size_t columns) noexcept;
/// For j < columns: (j, row[j]) written at w if row[j] > 0; with col_sum (whose sums are all >= 0)
/// col_sum[j] saturating-plus row[j] for those; row[j] = 0. Returns one past the last entry.
using EmitColumnsFn = math::Entry* (*)(std::int64_t* row, std::size_t columns, math::Entry* w,
                                       std::int64_t* col_sum) noexcept;

#if defined(TAOCORE_HAVE_AVX512)
void accumulate_row_avx512(const math::Entry* e, std::size_t count, std::int64_t factor, std::int64_t* row,
                           std::size_t columns) noexcept;
math::Entry* emit_columns_avx512(std::int64_t* row, std::size_t columns, math::Entry* w, std::int64_t* col_sum) noexcept;
#endif

}  // namespace taocore::consensus::detail
