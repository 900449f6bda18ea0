// SPDX-License-Identifier: MIT
// AVX2 build of the exact column division (detail/column_division.hpp). CMake compiles this file
// alone with AVX2/FMA flags; math.cpp calls it only when simd::active_backend() allows.
#include <immintrin.h>

#include <cstddef>
#include <limits>

#include "consensus/detail/column_division.hpp"

namespace taocore::consensus::detail {

namespace {

// Four stored entries (16 bytes each: column in the first 8, value bits in the last 8) as
// vectors of columns and values, lanes in the order 0, 2, 1, 3; `store` undoes it.
struct Quad {
    __m256i cols, values;
};
inline Quad load(const math::Entry* e) noexcept {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e + 2));
    return {_mm256_unpacklo_epi64(lo, hi), _mm256_unpackhi_epi64(lo, hi)};
}
inline void store(math::Entry* e, __m256i cols, __m256i values) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(e), _mm256_unpacklo_epi64(cols, values));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(e + 2), _mm256_unpackhi_epi64(cols, values));
}

}  // namespace

void divide_columns_avx2(math::Entry* entries, std::size_t count, const ColumnReciprocals& table,
                         ColumnFallback fallback, const void* context) {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    const __m256i column_mask = _mm256_set1_epi64x(0xffff);
    const __m256i columns = _mm256_set1_epi64x(static_cast<std::int64_t>(table.columns));
    const __m256i zero = _mm256_setzero_si256();
    const __m256i run_offsets = _mm256_setr_epi64x(0, 2, 1, 3);
    const __m256d two32 = _mm256_set1_pd(4294967296.0), limit = _mm256_set1_pd(1125899906842624.0);  // 2^50
    const __m256d zero_pd = _mm256_setzero_pd(), nan = _mm256_set1_pd(std::numeric_limits<double>::quiet_NaN());
    const __m256d offset = _mm256_set1_pd(4503599627370496.0);  // 2^52: 2^52 + v holds a whole v < 2^52 in its low bits
    const __m256i offset_bits = _mm256_castpd_si256(offset);
    // Vector lanes 0, 1, 2, 3 hold entries 0, 2, 1, 3.
    constexpr int entry_of_lane[4] = {0, 2, 1, 3};
    auto step = [&](math::Entry* e, int lanes) {
        const Quad quad = load(e);
        const __m256i col = _mm256_and_si256(quad.cols, column_mask);
        const __m256i a = quad.values;
        const __m256d in_range = _mm256_castsi256_pd(_mm256_cmpgt_epi64(columns, col));
        __m256d scale, d;
        // Columns c, c+1, c+2, c+3 in the table: the two loads give the same lane order as the
        // entries'; other columns are gathered.
        const auto c = static_cast<std::size_t>(_mm256_cvtsi256_si32(col));
        const __m256i run = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<std::int64_t>(c)), run_offsets);
        if (_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(col, run))) == 0xf && c + 4 <= table.columns) {
            const __m256d lo = _mm256_loadu_pd(table.pairs + 2 * c), hi = _mm256_loadu_pd(table.pairs + 2 * c + 4);
            scale = _mm256_unpacklo_pd(lo, hi);
            d = _mm256_unpackhi_pd(lo, hi);
        } else {
            const __m256i index = _mm256_slli_epi64(col, 1);
            scale = _mm256_mask_i64gather_pd(nan, table.pairs, index, in_range, 8);
            d = _mm256_mask_i64gather_pd(zero_pd, table.pairs + 1, index, in_range, 8);
        }
        // 0 <= a < 2^52 (the epoch's values: fractions, and whole u16 bonds): a | bits(2^52) is
        // the double 2^52 + a exactly.
        const __m256i small = _mm256_cmpeq_epi64(_mm256_srli_epi64(a, 52), zero);
        const __m256d ad = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(a, offset_bits)), offset);
        const __m256d x = _mm256_mul_pd(ad, scale);
        // A column outside the rule has a NaN scale, and fails x < 2^50.
        const __m256d ok = _mm256_and_pd(_mm256_castsi256_pd(small), _mm256_cmp_pd(x, limit, _CMP_LT_OQ));
        const __m256d q0 = _mm256_round_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m256d r = _mm256_fnmadd_pd(q0, d, _mm256_mul_pd(ad, two32));
        // q0 < 2^50 as an integer (the same trick backwards), then the correction: the
        // comparisons' all-ones lanes are -1.
        const __m256i q0i = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(q0, offset)), offset_bits);
        const __m256i qi = _mm256_add_epi64(_mm256_sub_epi64(q0i, _mm256_castpd_si256(_mm256_cmp_pd(r, d, _CMP_GE_OQ))),
                                            _mm256_castpd_si256(_mm256_cmp_pd(r, zero_pd, _CMP_LT_OQ)));
        store(e, quad.cols, _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(a), _mm256_castsi256_pd(qi), ok)));
        const int done = _mm256_movemask_pd(ok);
        if (done != 0xf) [[unlikely]] {
            for (int lane = 0; lane < 4; ++lane)
                if (((done >> lane) & 1) == 0 && entry_of_lane[lane] < lanes) fallback(e[entry_of_lane[lane]], context);
        }
    };
    for_each_group<4>(entries, count, step);
}

}  // namespace taocore::consensus::detail
