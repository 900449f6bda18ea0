// SPDX-License-Identifier: MIT
// Row moves between stored u16 rows, math::Entry rows and dense per-column arrays, on AVX-512
// (rows_avx512.cpp). The scalar loops in epoch.cpp and math.hpp are the reference.
#pragma once

#include <cstddef>
#include <cstdint>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

/// out[k] = (col[k], u16_proportion_to_fixed(value[k])) if proportion, else
/// (col[k], u16_to_fixed(value[k])), for k < count.
using LoadU16RowFn = void (*)(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, bool proportion,
                              math::Entry* out) noexcept;
/// For each entry in order with col < columns: dense[col] = value (zero: 0).
using ScatterRowFn = void (*)(const math::Entry* e, std::size_t count, std::int64_t* dense, std::size_t columns,
                              bool zero) noexcept;

#if defined(TAOCORE_HAVE_AVX512)
/// out[k] = math::row_hadamard_entry(e[k], factor) for the leading entries, four at a time, up
/// to the first group of four holding a value outside [0, 2^32) or the last full group; returns
/// how many it wrote (a multiple of 4). For a factor in [0, 2^32) only; out may be e.
std::size_t hadamard_row_avx512(const math::Entry* e, std::size_t count, std::int64_t factor, math::Entry* out) noexcept;
void load_u16_row_avx512(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, bool proportion,
                         math::Entry* out) noexcept;
void scatter_row_avx512(const math::Entry* e, std::size_t count, std::int64_t* dense, std::size_t columns,
                        bool zero) noexcept;
#endif

}  // namespace taocore::consensus::detail
