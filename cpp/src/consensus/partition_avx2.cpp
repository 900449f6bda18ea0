// SPDX-License-Identifier: MIT
// AVX2 build of the weighted-median partition (detail/partition.hpp): four votes per step,
// compared with the pivot as 64-bit integers, each side's votes packed to the front by a lane
// permutation and stored at that side's end. Integer-only, so the lists and (plain) sums are
// exactly the scalar loop's. CMake compiles this file alone with AVX2 flags; math.cpp calls it
// only when simd::active_backend() allows.
#include <immintrin.h>

#include <array>

#include "consensus/detail/partition.hpp"

namespace taocore::consensus::detail {
namespace {

// For each 4-bit lane mask: the 32-bit lane indices that move the selected 64-bit lanes, in
// order, to the front.
struct Compress {
    alignas(32) std::int32_t index[16][8];
    std::uint8_t count[16];
};

constexpr Compress make_compress() {
    Compress c{};
    for (int mask = 0; mask < 16; ++mask) {
        int out = 0;
        for (int lane = 0; lane < 4; ++lane) {
            if ((mask >> lane) & 1) {
                c.index[mask][2 * out] = 2 * lane;
                c.index[mask][2 * out + 1] = 2 * lane + 1;
                ++out;
            }
        }
        c.count[mask] = static_cast<std::uint8_t>(out);
    }
    return c;
}

constexpr Compress compress = make_compress();

}  // namespace

PartitionSums partition_plain_avx2(const std::int64_t* score, const std::int64_t* stake, std::size_t n,
                                   std::int64_t pivot, VoteList below, VoteList above) noexcept {
    const __m256i pv = _mm256_set1_epi64x(pivot);
    __m256i below_sum = _mm256_setzero_si256(), above_sum = _mm256_setzero_si256();
    std::size_t nb = 0, na = 0;
    auto step = [&](__m256i s, __m256i t, __m256i valid) {
        const __m256i lt = _mm256_and_si256(_mm256_cmpgt_epi64(pv, s), valid);
        const __m256i gt = _mm256_and_si256(_mm256_cmpgt_epi64(s, pv), valid);
        const int mb = _mm256_movemask_pd(_mm256_castsi256_pd(lt));
        const int ma = _mm256_movemask_pd(_mm256_castsi256_pd(gt));
        const __m256i ib = _mm256_load_si256(reinterpret_cast<const __m256i*>(compress.index[mb]));
        const __m256i ia = _mm256_load_si256(reinterpret_cast<const __m256i*>(compress.index[ma]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(below.score + nb), _mm256_permutevar8x32_epi32(s, ib));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(below.stake + nb), _mm256_permutevar8x32_epi32(t, ib));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(above.score + na), _mm256_permutevar8x32_epi32(s, ia));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(above.stake + na), _mm256_permutevar8x32_epi32(t, ia));
        nb += compress.count[mb];
        na += compress.count[ma];
        below_sum = _mm256_add_epi64(below_sum, _mm256_and_si256(t, lt));
        above_sum = _mm256_add_epi64(above_sum, _mm256_and_si256(t, gt));
    };
    const __m256i all = _mm256_set1_epi64x(-1);
    std::size_t p = 0;
    for (; p + 4 <= n; p += 4) {
        step(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(score + p)),
             _mm256_loadu_si256(reinterpret_cast<const __m256i*>(stake + p)), all);
    }
    if (p < n) {
        // The tail: masked loads never touch memory past the list.
        const auto rest = static_cast<std::int64_t>(n - p);
        const __m256i valid = _mm256_cmpgt_epi64(_mm256_set1_epi64x(rest), _mm256_setr_epi64x(0, 1, 2, 3));
        step(_mm256_maskload_epi64(reinterpret_cast<const long long*>(score + p), valid),
             _mm256_maskload_epi64(reinterpret_cast<const long long*>(stake + p), valid), valid);
    }
    alignas(32) std::int64_t b[4], a[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(b), below_sum);
    _mm256_store_si256(reinterpret_cast<__m256i*>(a), above_sum);
    return {nb, na, b[0] + b[1] + b[2] + b[3], a[0] + a[1] + a[2] + a[3]};
}

}  // namespace taocore::consensus::detail
