// SPDX-License-Identifier: MIT
// AVX-512 build of the row moves (detail/rows.hpp). CMake compiles this file alone with AVX-512
// flags; math.cpp calls it only when simd::active_backend() is avx512.
#include "simd/detail/avx512_intrinsics.hpp"

#include <cstddef>
#include <cstdint>

#include "detail/entry_lanes_avx512.hpp"
#include "detail/rows.hpp"

namespace taocore::consensus::detail {

// u16_proportion_to_fixed(x) = x·65537 + (x == 65535) = (x << 16) + x + (x == 65535) and
// u16_to_fixed(x) = x·2^32: both exact in 64-bit lanes.
void load_u16_row_avx512(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, bool proportion,
                         math::Entry* out) noexcept {
    const __m512i top = _mm512_set1_epi64(65535), unit = _mm512_set1_epi64(1);
    std::size_t k = 0;
    for (; k + 8 <= count; k += 8) {
        const __m512i j = _mm512_cvtepu16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(col + k)));
        const __m512i x = _mm512_cvtepu16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(value + k)));
        const __m512i p = _mm512_add_epi64(_mm512_slli_epi64(x, 16), x);
        const __m512i v = proportion ? _mm512_mask_add_epi64(p, _mm512_cmpeq_epi64_mask(x, top), p, unit)
                                     : _mm512_slli_epi64(x, 32);
        math::Entry* w = out + k;
        store_kept(w, j, v, 0xffu);
    }
    for (; k < count; ++k)
        out[k] = {col[k], proportion ? math::u16_proportion_to_fixed(value[k]) : math::u16_to_fixed(value[k])};
}

// Four entries per vector as they lie (column quadword, value quadword): with the factor and
// every value in [0, 2^32), as the epoch's normalised weights and stakes are, the product is
// below 2^64 and vpmuludq forms it exactly from the low halves, so its top 64 bits are the
// floored fixed-point product; the column quadwords pass through. The caller (math.cpp) takes
// every other entry by the scalar rule.
std::size_t hadamard_row_avx512(const math::Entry* e, std::size_t count, std::int64_t factor, math::Entry* out) noexcept {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    const __m512i f = _mm512_set1_epi64(factor);
    const __m512i high = _mm512_set1_epi64(static_cast<std::int64_t>(0xFFFFFFFF00000000ull));
    constexpr __mmask8 values = 0xAA;  // the odd quadwords
    std::size_t k = 0;
    for (; k + 4 <= count; k += 4) {
        const __m512i x = _mm512_loadu_si512(e + k);
        if (_mm512_mask_test_epi64_mask(values, x, high) != 0) break;  // a value outside [0, 2^32)
        const __m512i product = _mm512_srli_epi64(_mm512_mul_epu32(x, f), 32);
        _mm512_storeu_si512(out + k, _mm512_mask_mov_epi64(x, values, product));
    }
    return k;
}

// A run of eight consecutive columns (below `columns`) is one store. Otherwise a scatter of the
// lanes below `columns`: a scatter's writes are ordered from the lowest lane up, even to the
// same address, so a repeated column keeps its last entry's value, as the scalar loop does.
void scatter_row_avx512(const math::Entry* e, std::size_t count, std::int64_t* dense, std::size_t columns,
                        bool zero) noexcept {
    const __m512i limit = _mm512_set1_epi64(static_cast<std::int64_t>(columns));
    for (std::size_t k = 0; k < count; k += 8) {
        const __mmask8 lanes = tail_lanes(k, count);
        const EntryLanes l = load_entries(e + k, lanes);
        const __m512i v = zero ? _mm512_setzero_si512() : l.value;
        if (l.run && l.first + 8 <= columns) {
            _mm512_mask_storeu_epi64(dense + l.first, lanes, v);
        } else {
            _mm512_mask_i64scatter_epi64(dense, lanes & _mm512_cmplt_epi64_mask(l.col, limit), l.col, v, 8);
        }
    }
}

}  // namespace taocore::consensus::detail
