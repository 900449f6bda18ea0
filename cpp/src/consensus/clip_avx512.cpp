// SPDX-License-Identifier: MIT
// AVX-512 build of the consensus clip over one row (detail/clip.hpp): eight entries at a time
// where the AVX2 build takes four, with the same conditions for the vector path. CMake compiles
// this file alone with AVX-512 flags; math.cpp calls it only when simd::active_backend() allows.
#include "simd/detail/avx512_intrinsics.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>

#include "consensus/detail/clip.hpp"

namespace taocore::consensus::detail {

math::Entry* clip_row_avx512(const math::Entry* in, std::size_t count, math::Entry* out, ClipRow& row,
                             ClipEntryFn scalar) noexcept {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    constexpr std::int64_t one = std::int64_t{1} << 32;
    // Entries are (column, value) pairs of 64-bit words: these gather eight columns, eight
    // values, and interleave them back, in entry order.
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    const __m512i first = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i second = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i run_offsets = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i column_mask = _mm512_set1_epi64(0xffff);
    const __m512i zero = _mm512_setzero_si512(), one_v = _mm512_set1_epi64(one), positive = _mm512_set1_epi64(1);
    const __m512i max = _mm512_set1_epi64(std::numeric_limits<std::int64_t>::max());
    const std::int64_t f = row.factor;
    // The products need 0 <= factor <= 2^32; a row without column sums multiplies nothing.
    const bool multiply = f != 0;
    const bool vector_ok = !multiply || (f > 0 && f <= one);
    const __m512i factor = _mm512_set1_epi64(f);
    __m512i row_sum = zero;
    std::size_t k = 0;
    for (; k + 8 <= count; k += 8) {
        const math::Entry* e = in + k;
        const __m512i lo = _mm512_loadu_si512(e), hi = _mm512_loadu_si512(e + 4);
        const __m512i cols = _mm512_permutex2var_epi64(lo, even, hi), values = _mm512_permutex2var_epi64(lo, odd, hi);
        const auto c = static_cast<std::size_t>(static_cast<std::uint16_t>(_mm512_cvtsi512_si32(cols)));
        const __m512i run = _mm512_add_epi64(_mm512_set1_epi64(static_cast<std::int64_t>(c)), run_offsets);
        bool ok = vector_ok && c + 8 <= row.columns &&
                  _mm512_cmpeq_epi64_mask(_mm512_and_si512(cols, column_mask), run) == 0xFF;
        if (ok) {
            const __m512i t = _mm512_loadu_si512(row.threshold + c);
            const __m512i clipped = _mm512_min_epi64(values, t);
            // Thresholds > 0 and 0 <= clipped <= 2^32.
            ok = (_mm512_cmplt_epi64_mask(t, positive) | _mm512_cmplt_epi64_mask(clipped, zero) |
                  _mm512_cmpgt_epi64_mask(clipped, one_v)) == 0;
            if (ok) {
                _mm512_storeu_si512(out, _mm512_permutex2var_epi64(cols, first, clipped));
                _mm512_storeu_si512(out + 4, _mm512_permutex2var_epi64(cols, second, clipped));
                out += 8;
                row_sum = _mm512_add_epi64(row_sum, clipped);
                if (multiply) {
                    __m512i p = _mm512_srli_epi64(_mm512_mul_epu32(clipped, factor), 32);
                    p = _mm512_mask_mov_epi64(p, _mm512_cmpeq_epi64_mask(clipped, one_v), factor);
                    if (f == one) p = clipped;
                    std::int64_t* const m = row.matmul + c;
                    const __m512i sums = _mm512_loadu_si512(m);
                    const __m512i s = _mm512_add_epi64(sums, p);
                    // Overflow: a non-negative sum plus p >= 0 came out negative.
                    const __mmask8 overflow = _mm512_cmplt_epi64_mask(_mm512_andnot_si512(sums, s), zero);
                    _mm512_storeu_si512(m, _mm512_mask_mov_epi64(s, overflow, max));
                }
            }
        }
        if (!ok)
            for (int l = 0; l < 8; ++l) out = scalar(e[l], out, row);
    }
    for (; k < count; ++k) out = scalar(in[k], out, row);
    row.row_sum = static_cast<std::int64_t>(static_cast<std::uint64_t>(row.row_sum) +
                                            static_cast<std::uint64_t>(_mm512_reduce_add_epi64(row_sum)));
    return out;
}

}  // namespace taocore::consensus::detail
