// SPDX-License-Identifier: MIT
// AVX-512 build of the exact column division (detail/column_division.hpp): the AVX2 kernel's
// rule, eight entries at a time (each lane's arithmetic is the same double estimate, FMA
// remainder and one correction). CMake compiles this file alone with AVX-512 flags; math.cpp
// calls it only when simd::active_backend() is avx512.
#include "simd/detail/avx512_intrinsics.hpp"

#include <cstddef>
#include <limits>

#include "consensus/detail/column_division.hpp"

namespace taocore::consensus::detail {

void divide_columns_avx512(math::Entry* entries, std::size_t count, const ColumnReciprocals& table,
                           ColumnFallback fallback, const void* context) {
    static_assert(sizeof(math::Entry) == 16 && offsetof(math::Entry, value) == 8);
    const __m512i column_mask = _mm512_set1_epi64(0xffff);
    const __m512i columns = _mm512_set1_epi64(static_cast<std::int64_t>(table.columns));
    // Two loads of four entries each, unpacked, put entries 0, 4, 1, 5, 2, 6, 3, 7 in lanes 0..7;
    // the same unpacking of the table's (scale, divisor) pairs for columns c..c+7 gives that
    // order too, and packing back restores the entries' order.
    const __m512i run_offsets = _mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7);
    constexpr int entry_of_lane[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    const __m512d two32 = _mm512_set1_pd(4294967296.0), limit = _mm512_set1_pd(1125899906842624.0);  // 2^50
    const __m512d zero_pd = _mm512_setzero_pd();
    const __m512i one = _mm512_set1_epi64(1);
    auto step = [&](math::Entry* e, int lanes) {
        const __m512i lo = _mm512_loadu_si512(e);
        const __m512i hi = _mm512_loadu_si512(e + 4);
        const __m512i cols = _mm512_unpacklo_epi64(lo, hi), a = _mm512_unpackhi_epi64(lo, hi);
        const __m512i col = _mm512_and_si512(cols, column_mask);
        const __mmask8 in_range = _mm512_cmpgt_epi64_mask(columns, col);
        __m512d scale, d;
        const auto c = static_cast<std::size_t>(static_cast<std::uint16_t>(_mm_cvtsi128_si32(_mm512_castsi512_si128(col))));
        const __m512i run = _mm512_add_epi64(_mm512_set1_epi64(static_cast<std::int64_t>(c)), run_offsets);
        if (_mm512_cmpeq_epi64_mask(col, run) == 0xff && c + 8 <= table.columns) {
            const __m512d p0 = _mm512_loadu_pd(table.pairs + 2 * c), p1 = _mm512_loadu_pd(table.pairs + 2 * c + 8);
            scale = _mm512_unpacklo_pd(p0, p1);
            d = _mm512_unpackhi_pd(p0, p1);
        } else {
            const __m512i index = _mm512_slli_epi64(col, 1);
            scale = _mm512_mask_i64gather_pd(_mm512_set1_pd(std::numeric_limits<double>::quiet_NaN()), in_range, index,
                                             table.pairs, 8);
            d = _mm512_mask_i64gather_pd(zero_pd, in_range, index, table.pairs + 1, 8);
        }
        // 0 <= a < 2^52: converted exactly.
        const __mmask8 small = _mm512_cmpeq_epi64_mask(_mm512_srli_epi64(a, 52), _mm512_setzero_si512());
        const __m512d ad = _mm512_cvtepi64_pd(a);
        const __m512d x = _mm512_mul_pd(ad, scale);
        // A column outside the rule has a NaN scale, and fails x < 2^50.
        const __mmask8 ok = small & _mm512_cmp_pd_mask(x, limit, _CMP_LT_OQ);
        const __m512d q0 = _mm512_roundscale_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m512d r = _mm512_fnmadd_pd(q0, d, _mm512_mul_pd(ad, two32));
        __m512i q = _mm512_cvttpd_epi64(q0);
        q = _mm512_mask_add_epi64(q, _mm512_cmp_pd_mask(r, d, _CMP_GE_OQ), q, one);
        q = _mm512_mask_sub_epi64(q, _mm512_cmp_pd_mask(r, zero_pd, _CMP_LT_OQ), q, one);
        const __m512i value = _mm512_mask_blend_epi64(ok, a, q);
        _mm512_storeu_si512(e, _mm512_unpacklo_epi64(cols, value));
        _mm512_storeu_si512(e + 4, _mm512_unpackhi_epi64(cols, value));
        if (ok != 0xff) [[unlikely]] {
            for (int lane = 0; lane < 8; ++lane)
                if (((ok >> lane) & 1) == 0 && entry_of_lane[lane] < lanes) fallback(e[entry_of_lane[lane]], context);
        }
    };
    for_each_group<8>(entries, count, step);
}

}  // namespace taocore::consensus::detail
