// SPDX-License-Identifier: MIT
// AVX-512 build of the weighted-median partition (detail/partition.hpp): eight votes per step,
// compared with the pivot as 64-bit integers, each side's votes packed to the front by
// vpcompressq (where AVX2 looks up a lane permutation per mask) and stored at that side's end.
// Integer-only, so the lists and (plain) sums are exactly the scalar loop's. CMake compiles this
// file alone with AVX-512 flags; math.cpp calls it only when simd::active_backend() allows.
#include "simd/detail/avx512_intrinsics.hpp"

#include <bit>
#include <cstring>

#include "consensus/detail/partition.hpp"
#include "consensus/detail/rows.hpp"

namespace taocore::consensus::detail {

PartitionSums partition_plain_avx512(const std::int64_t* score, const std::int64_t* stake, std::size_t n,
                                     std::int64_t pivot, VoteList below, VoteList above) noexcept {
    const __m512i pv = _mm512_set1_epi64(pivot);
    __m512i below_sum = _mm512_setzero_si512(), above_sum = _mm512_setzero_si512();
    std::size_t nb = 0, na = 0;
    auto step = [&](__m512i s, __m512i t, __mmask8 valid) {
        const __mmask8 lt = _mm512_mask_cmplt_epi64_mask(valid, s, pv);
        const __mmask8 gt = _mm512_mask_cmpgt_epi64_mask(valid, s, pv);
        _mm512_storeu_si512(below.score + nb, _mm512_maskz_compress_epi64(lt, s));
        _mm512_storeu_si512(below.stake + nb, _mm512_maskz_compress_epi64(lt, t));
        _mm512_storeu_si512(above.score + na, _mm512_maskz_compress_epi64(gt, s));
        _mm512_storeu_si512(above.stake + na, _mm512_maskz_compress_epi64(gt, t));
        nb += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(lt)));
        na += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(gt)));
        below_sum = _mm512_mask_add_epi64(below_sum, lt, below_sum, t);
        above_sum = _mm512_mask_add_epi64(above_sum, gt, above_sum, t);
    };
    std::size_t p = 0;
    for (; p + 8 <= n; p += 8) step(_mm512_loadu_si512(score + p), _mm512_loadu_si512(stake + p), 0xFF);
    if (p < n) {  // the tail: masked loads never touch memory past the list
        const auto valid = static_cast<__mmask8>((1u << (n - p)) - 1u);
        step(_mm512_maskz_loadu_epi64(valid, score + p), _mm512_maskz_loadu_epi64(valid, stake + p), valid);
    }
    return {nb, na, _mm512_reduce_add_epi64(below_sum), _mm512_reduce_add_epi64(above_sum)};
}

namespace {

// Rows r0..r7 of an 8 × 8 block in, its columns out: pairs of rows interleaved, then pairs of
// those, then halves (24 shuffles for 64 values).
inline void transpose8(__m512i (&r)[8]) noexcept {
    __m512i t[8], u[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm512_unpacklo_epi64(r[2 * i], r[2 * i + 1]);      // columns 0, 2, 4, 6 of the pair
        t[2 * i + 1] = _mm512_unpackhi_epi64(r[2 * i], r[2 * i + 1]);  // columns 1, 3, 5, 7
    }
    const __m512i even = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), odd = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int h = 0; h < 2; ++h) {      // rows 0-3, rows 4-7
        for (int c = 0; c < 2; ++c) {  // from the unpacklo (columns 0, 2, 4, 6) or unpackhi pairs
            u[4 * h + c] = _mm512_permutex2var_epi64(t[4 * h + c], even, t[4 * h + c + 2]);      // columns c, c + 4
            u[4 * h + c + 2] = _mm512_permutex2var_epi64(t[4 * h + c], odd, t[4 * h + c + 2]);  // columns c + 2, c + 6
        }
    }
    for (int c = 0; c < 4; ++c) {
        r[c] = _mm512_shuffle_i64x2(u[c], u[4 + c], 0x44);
        r[c + 4] = _mm512_shuffle_i64x2(u[c], u[4 + c], 0xee);
    }
}

}  // namespace

void column_scores_avx512(const math::ConstRow* rows, std::size_t k, std::size_t columns, std::size_t stride,
                          std::int64_t* scores, std::int64_t* group) noexcept {
    for (std::size_t p0 = 0; p0 < k; p0 += 8) {
        std::memset(group, 0, 8 * columns * sizeof(std::int64_t));
        for (std::size_t r = 0; r < 8 && p0 + r < k; ++r)
            scatter_row_avx512(rows[p0 + r].data(), rows[p0 + r].size(), group + r * columns, columns, false);
        std::size_t c = 0;
        for (; c + 8 <= columns; c += 8) {
            __m512i block[8];
            for (int r = 0; r < 8; ++r) block[r] = _mm512_loadu_si512(group + static_cast<std::size_t>(r) * columns + c);
            transpose8(block);
            for (int q = 0; q < 8; ++q) _mm512_storeu_si512(scores + (c + static_cast<std::size_t>(q)) * stride + p0, block[q]);
        }
        for (; c < columns; ++c)
            for (std::size_t r = 0; r < 8; ++r) scores[c * stride + p0 + r] = group[r * columns + c];
    }
}

}  // namespace taocore::consensus::detail
