// SPDX-License-Identifier: MIT
// AVX-512 build of the weighted-median partition (detail/partition.hpp): eight votes per step,
// compared with the pivot as 64-bit integers, each side's votes packed to the front by
// vpcompressq (where AVX2 looks up a lane permutation per mask) and stored at that side's end.
// Integer-only, so the lists and (plain) sums are exactly the scalar loop's. CMake compiles this
// file alone with AVX-512 flags; math.cpp calls it only when simd::active_backend() allows.
#include "simd/detail/avx512_intrinsics.hpp"

#include <bit>

#include "consensus/detail/partition.hpp"

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

}  // namespace taocore::consensus::detail
