// SPDX-License-Identifier: MIT
// AVX2 build of the consensus clip over one row (detail/clip.hpp). CMake compiles this file
// alone with AVX2 flags; math.cpp calls it only when simd::active_backend() allows.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <limits>

#include "consensus/detail/clip.hpp"

namespace taocore::consensus::detail {

math::Entry* clip_row_avx2(const math::Entry* in, std::size_t count, math::Entry* out, ClipRow& row,
                           ClipEntryFn scalar) noexcept {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    constexpr std::int64_t one = std::int64_t{1} << 32;
    const __m256i column_mask = _mm256_set1_epi64x(0xffff);
    const __m256i run_offsets = _mm256_setr_epi64x(0, 2, 1, 3);  // lanes hold entries 0, 2, 1, 3
    const __m256i zero = _mm256_setzero_si256();
    const __m256i one_v = _mm256_set1_epi64x(one), positive = _mm256_set1_epi64x(1);
    const __m256i max = _mm256_set1_epi64x(std::numeric_limits<std::int64_t>::max());
    const std::int64_t f = row.factor;
    // The products need 0 <= factor <= 2^32; a row without column sums multiplies nothing.
    const bool multiply = f != 0;
    const bool vector_ok = !multiply || (f > 0 && f <= one);
    const __m256i factor = _mm256_set1_epi64x(f);
    const __m256i factor_is_one = _mm256_set1_epi64x(f == one ? -1 : 0);
    __m256i row_sum = zero;
    std::size_t k = 0;
    for (; k + 4 <= count; k += 4) {
        const math::Entry* e = in + k;
        const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e));
        const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e + 2));
        const __m256i cols = _mm256_unpacklo_epi64(lo, hi), values = _mm256_unpackhi_epi64(lo, hi);
        const auto c = static_cast<std::size_t>(static_cast<std::uint16_t>(_mm256_cvtsi256_si32(cols)));
        const __m256i run = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<std::int64_t>(c)), run_offsets);
        bool ok = vector_ok && c + 4 <= row.columns &&
                  _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(cols, column_mask), run))) ==
                      0xf;
        if (ok) {
            // Thresholds of columns c..c+3 in the lanes' order.
            const __m256i t = _mm256_permute4x64_epi64(
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row.threshold + c)), 0xD8);
            const __m256i clipped = _mm256_blendv_epi8(values, t, _mm256_cmpgt_epi64(values, t));
            // Thresholds > 0 and 0 <= clipped <= 2^32.
            const __m256i bad = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpgt_epi64(positive, t), _mm256_cmpgt_epi64(zero, clipped)),
                _mm256_cmpgt_epi64(clipped, one_v));
            ok = _mm256_testz_si256(bad, bad) != 0;
            if (ok) {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_unpacklo_epi64(cols, clipped));
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2), _mm256_unpackhi_epi64(cols, clipped));
                out += 4;
                row_sum = _mm256_add_epi64(row_sum, clipped);
                if (multiply) {
                    const __m256i clipped_is_one = _mm256_cmpeq_epi64(clipped, one_v);
                    __m256i p = _mm256_srli_epi64(_mm256_mul_epu32(clipped, factor), 32);
                    p = _mm256_blendv_epi8(p, factor, clipped_is_one);
                    p = _mm256_blendv_epi8(p, clipped, factor_is_one);
                    std::int64_t* const m = row.matmul + c;
                    const __m256i sums = _mm256_permute4x64_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(m)), 0xD8);
                    const __m256i s = _mm256_add_epi64(sums, p);
                    // Overflow: a non-negative sum plus p >= 0 came out negative.
                    const __m256i overflow = _mm256_cmpgt_epi64(zero, _mm256_andnot_si256(sums, s));
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(m),
                                        _mm256_permute4x64_epi64(_mm256_blendv_epi8(s, max, overflow), 0xD8));
                }
            }
        }
        if (!ok)
            for (int l = 0; l < 4; ++l) out = scalar(e[l], out, row);
    }
    for (; k < count; ++k) out = scalar(in[k], out, row);
    alignas(32) std::int64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), row_sum);
    row.row_sum = static_cast<std::int64_t>(static_cast<std::uint64_t>(row.row_sum) + static_cast<std::uint64_t>(lanes[0]) +
                                            static_cast<std::uint64_t>(lanes[1]) + static_cast<std::uint64_t>(lanes[2]) +
                                            static_cast<std::uint64_t>(lanes[3]));
    return out;
}

}  // namespace taocore::consensus::detail
