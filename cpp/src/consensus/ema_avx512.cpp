// SPDX-License-Identifier: MIT
// AVX-512 build of the moving average's row passes (detail/ema.hpp). CMake compiles this file
// alone with AVX-512 flags; math.cpp calls it only when simd::active_backend() is avx512.
#include "simd/detail/avx512_intrinsics.hpp"

#include <limits>

#include "detail/ema.hpp"
#include "detail/entry_lanes_avx512.hpp"
#include "taocore/fixed.hpp"

namespace taocore::consensus::detail {

// Eight entries whose columns are the run c..c+7 (below `columns`: distinct, so one load and
// store of row[c..c+7] adds each once), with factor and values in [0, 2^32]: fixed::mul is then
// floor(f·v / 2^32) of non-negative operands, which IFMA forms exactly as in the liquid-alpha EMA
// (f·2^19 <= 2^51 and v·2 <= 2^33 below its 52-bit inputs: the bits from 52 up of their product
// are floor(f·v / 2^32)), and fixed::add wraps, as the vector addition does. Any other vector of
// entries takes the scalar rule, entry by entry; wrapping additions to a column give the same sum
// in any order.
void accumulate_row_avx512(const math::Entry* e, std::size_t count, std::int64_t factor, std::int64_t* row,
                           std::size_t columns) noexcept {
    constexpr std::int64_t unit = std::int64_t{1} << 32;
    const bool vector = factor >= 0 && factor <= unit;
    const __m512i f19 = _mm512_set1_epi64(factor << 19), unit_v = _mm512_set1_epi64(unit);
    const __m512i zero = _mm512_setzero_si512();
    const fixed::I32F32 f = fixed::I32F32::from_bits(factor);
    for (std::size_t k = 0; k < count; k += 8) {
        const __mmask8 lanes = tail_lanes(k, count);
        if (vector && lanes == 0xff) {
            const EntryLanes l = load_entries(e + k, lanes);
            if (l.run && l.first + 8 <= columns && _mm512_cmple_epu64_mask(l.value, unit_v) == 0xff) {
                const __m512i product = _mm512_madd52hi_epu64(zero, f19, _mm512_add_epi64(l.value, l.value));
                _mm512_storeu_si512(row + l.first, _mm512_add_epi64(_mm512_loadu_si512(row + l.first), product));
                continue;
            }
        }
        for (std::size_t t = k; t < count && t < k + 8; ++t) {
            if (e[t].col >= columns) continue;
            row[e[t].col] = fixed::add(fixed::I32F32::from_bits(row[e[t].col]), fixed::mul(f, e[t].value)).bits;
        }
    }
}

// Eight columns at a time. The sums are never negative and only positive values are added, so a
// saturating addition overflows exactly when the wrapped sum comes out negative (it is then the
// maximum), as in the consensus clip.
math::Entry* emit_columns_avx512(std::int64_t* row, std::size_t columns, math::Entry* w, std::int64_t* col_sum) noexcept {
    const __m512i zero = _mm512_setzero_si512(), max = _mm512_set1_epi64(std::numeric_limits<std::int64_t>::max());
    const __m512i lane_index = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    for (std::size_t j = 0; j < columns; j += 8) {
        const __mmask8 lanes = tail_lanes(j, columns);
        const __m512i v = _mm512_maskz_loadu_epi64(lanes, row + j);
        const __mmask8 kept = _mm512_cmpgt_epi64_mask(v, zero) & lanes;
        store_kept(w, _mm512_add_epi64(_mm512_set1_epi64(static_cast<std::int64_t>(j)), lane_index), v, kept);
        if (col_sum != nullptr) {
            const __m512i sum = _mm512_add_epi64(_mm512_maskz_loadu_epi64(lanes, col_sum + j), _mm512_maskz_mov_epi64(kept, v));
            _mm512_mask_storeu_epi64(col_sum + j, lanes, _mm512_mask_blend_epi64(_mm512_movepi64_mask(sum), sum, max));
        }
        _mm512_mask_storeu_epi64(row + j, lanes, zero);
    }
    return w;
}

}  // namespace taocore::consensus::detail
