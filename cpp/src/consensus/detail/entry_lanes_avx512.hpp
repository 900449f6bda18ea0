// SPDX-License-Identifier: MIT
// Rows of math::Entry (16 bytes: the column in the low 16 bits of the first quadword, the value
// in the second) as eight-lane vectors, for the AVX-512 translation units only (AVX-512 F and DQ,
// which is all the column division's file is built with).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

// For the four entries of half a vector (a 4-bit lane mask), each entry's two quadwords' mask bits.
inline constexpr std::uint8_t entry_pairs[16] = {0x00, 0x03, 0x0c, 0x0f, 0x30, 0x33, 0x3c, 0x3f,
                                                 0xc0, 0xc3, 0xcc, 0xcf, 0xf0, 0xf3, 0xfc, 0xff};

inline __mmask8 tail_lanes(std::size_t k, std::size_t count) noexcept {
    return static_cast<__mmask8>(count - k >= 8 ? 0xff : (1u << (count - k)) - 1);
}

// Eight entries of a row (math::Entry: the column in the low 16 bits of the first quadword, the
// value in the second) as a vector of columns and one of values; lanes outside `lanes` are 0.
struct EntryLanes {
    __m512i col, value;
    // Whether the lanes' columns are the run col[0], col[0] + 1, ...: then per-column arrays are
    // read with one plain load at col[0] instead of a gather.
    bool run;
    std::size_t first;
};

inline EntryLanes load_entries(const math::Entry* e, __mmask8 lanes) noexcept {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    const __m512i lo = _mm512_maskz_loadu_epi64(entry_pairs[lanes & 0xfu], e);
    const __m512i hi = _mm512_maskz_loadu_epi64(entry_pairs[lanes >> 4], e + 4);
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    EntryLanes r;
    r.col = _mm512_and_si512(_mm512_permutex2var_epi64(lo, even, hi), _mm512_set1_epi64(0xffff));
    r.value = _mm512_permutex2var_epi64(lo, odd, hi);
    r.first = static_cast<std::size_t>(_mm_cvtsi128_si64(_mm512_castsi512_si128(r.col)));
    const __m512i run = _mm512_add_epi64(_mm512_set1_epi64(static_cast<std::int64_t>(r.first)),
                                         _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    r.run = (_mm512_cmpeq_epi64_mask(r.col, run) & lanes) == lanes;
    return r;
}

// base[col] in each lane of `lanes` (0 elsewhere).
inline __m512i column_values(const std::int64_t* base, const EntryLanes& e, __mmask8 lanes) noexcept {
    if (e.run) return _mm512_maskz_loadu_epi64(lanes, base + e.first);
    return _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), lanes, e.col, base, 8);
}

// Stores the entries (col[l], value[l]) of the lanes in `kept`, in lane order, at w and advances
// it; nothing is written past the last one. Eight kept lanes (the usual case) are two plain
// stores, and the next stores' address does not wait on counting them.
inline void store_kept(math::Entry*& w, __m512i col, __m512i value, unsigned kept) noexcept {
    const __m512i first_half = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i second_half = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i first = _mm512_permutex2var_epi64(col, first_half, value);
    const __m512i second = _mm512_permutex2var_epi64(col, second_half, value);
    if (kept == 0xffu) {
        _mm512_storeu_si512(w, first);
        _mm512_storeu_si512(w + 4, second);
        w += 8;
        return;
    }
    const auto low_kept = static_cast<unsigned>(__builtin_popcount(kept & 0xfu));
    const auto high_kept = static_cast<unsigned>(__builtin_popcount(kept >> 4));
    _mm512_mask_storeu_epi64(w, static_cast<__mmask8>((1u << (2 * low_kept)) - 1),
                             _mm512_maskz_compress_epi64(entry_pairs[kept & 0xfu], first));
    w += low_kept;
    _mm512_mask_storeu_epi64(w, static_cast<__mmask8>((1u << (2 * high_kept)) - 1),
                             _mm512_maskz_compress_epi64(entry_pairs[kept >> 4], second));
    w += high_kept;
}

}  // namespace taocore::consensus::detail
