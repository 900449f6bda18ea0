// SPDX-License-Identifier: MIT
// The float32 consensus selection for sixteen servers at once under AVX2 (see block_quantiles in
// detail/sim_kernels.hpp): the column-parallel selection of sim_quantile_avx512.cpp for CPUs
// without AVX-512 (AMD Zen 2/3 among them). CMake compiles this file with the AVX2 flags and the
// dispatch reaches it only through the avx2 simulator table.
//
// Each lane of a pair of ymm registers is one server; the weights arrive as the simulator's panel,
// one 64-byte row slice per validator, one after another. Rounds narrow
// every server's band [lo, hi] around its quantile with float stake sums, deciding a side only
// when a sum is farther from kappa than its rounding error can reach, so a decision is never
// wrong. Then one pass marks the band's weights and sums the stakes above and in each band, in
// float, and where a band holds at most kFew weights the quantile is picked from those few, in
// float too (the rounds stop early, as on AVX-512, once the few servers still open hold at most
// kMid weights each; those are picked the same way), deciding only where every candidate's stake
// is farther from kappa than the float rounding bound (then the reference's double sums fall on
// the same side, so the pick is the reference's). Where that is not sure, the block's sums are
// redone in double and the band picked in double (as the reference sums, in another order); a
// server whose band does not shrink to kFew weights, or whose double sums disagree with the float
// ones, is handed to the reference selection. Every result is therefore the reference's (up to
// the order of its double additions, as on the AVX-512 backend).
// Two steering rules beyond the AVX-512 kernel's (they choose pivots and never decide alone):
// the first round also sums the stake above each server's smallest weight, which settles
// mostly-zero columns at once, and a lane that misses on one side twice running moves its
// target toward that side. Without them such columns ran out of rounds and went to the
// reference: 5-7x the time on 70%-zero or x^8-skewed weights.
//
// Without mask registers a masked add is a compare mask ANDed into the addend (x + 0.0 is x for
// the non-negative sums here, so the sums are the masked ones), a count is the compare mask
// subtracted as an integer (-1 per hit), and a lane update is a blend. The band's rows leave
// the vector pass as movemask bytes and reach each server as a bitmap (a shift and a byte
// movemask per 32 rows); the few rows in a band are read back with scalar loads, not gathers,
// which are slow on the AMD cores this backend is for.
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "detail/sim_kernels.hpp"

namespace taocore::consensus::sim::detail {

namespace {

constexpr std::size_t kHalves = 2;      // ymm registers per block row (8 servers each)
constexpr std::size_t kLanes = 8 * kHalves;
static_assert(kLanes == kPanel, "a panel row is one block row");
constexpr std::size_t kFew = 16;        // band size the exact step takes once the rounds run out
constexpr std::size_t kMid = kSelectionMid;  // the early stop (see sim_kernels.hpp)
constexpr int kMidServers = kSelectionMidServers;
constexpr int kMaxRounds = static_cast<int>(BlockScratch::kSelectionRounds);  // rounds before the reference takes over
constexpr float kMargin = 2.0f;         // pivot margin, in standard errors of the interpolation

/// The exact quantile of one server from its band's m <= kFew weights x (as doubles) and stakes
/// st (entries from m on are ignored): the largest candidate whose stake at or above it (the
/// stake above the band plus the candidates >= it, in double) reaches kappa. Returns false if
/// none does, which the earlier checks make possible only where the order of the double
/// additions changes a rounding; the reference then decides. Candidate k's sum is built in lane
/// k, one broadcast candidate j at a time (compare, AND its stake, add); entries past m become
/// -inf weights with zero stakes, which gain nothing and give nothing, so every loop has a fixed
/// count (a data-dependent exit mispredicts once a server).
bool pick_from_band(double* x, double* st, std::size_t m, double above, double kappa, float& out) {
    constexpr std::size_t kVecs = kFew / 4;
    const __m256d none = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
    const __m256i vm = _mm256_set1_epi64x(static_cast<long long>(m));
    __m256d xv[kVecs], gain[kVecs];
    for (std::size_t v = 0; v < kVecs; ++v) {
        const __m256i idx = _mm256_setr_epi64x(4 * v, 4 * v + 1, 4 * v + 2, 4 * v + 3);
        const __m256d valid = _mm256_castsi256_pd(_mm256_cmpgt_epi64(vm, idx));
        xv[v] = _mm256_blendv_pd(none, _mm256_load_pd(x + 4 * v), valid);
        _mm256_store_pd(x + 4 * v, xv[v]);
        _mm256_store_pd(st + 4 * v, _mm256_and_pd(_mm256_load_pd(st + 4 * v), valid));
        gain[v] = _mm256_setzero_pd();
    }
    for (std::size_t j = 0; j < kFew; ++j) {
        const __m256d xj = _mm256_broadcast_sd(x + j), sj = _mm256_broadcast_sd(st + j);
        for (std::size_t v = 0; v < kVecs; ++v)
            gain[v] = _mm256_add_pd(gain[v], _mm256_and_pd(_mm256_cmp_pd(xv[v], xj, _CMP_LE_OQ), sj));
    }
    const __m256d base = _mm256_set1_pd(above), vk = _mm256_set1_pd(kappa);
    __m256d best = none;
    for (std::size_t v = 0; v < kVecs; ++v) {
        const __m256d reach = _mm256_cmp_pd(_mm256_add_pd(base, gain[v]), vk, _CMP_GE_OQ);
        best = _mm256_max_pd(best, _mm256_blendv_pd(none, xv[v], reach));
    }
    best = _mm256_max_pd(best, _mm256_permute2f128_pd(best, best, 1));
    best = _mm256_max_pd(best, _mm256_shuffle_pd(best, best, 0b0101));
    const double top = _mm256_cvtsd_f64(best);
    // Weights are non-negative: -inf means no candidate (padding is -inf) reached kappa.
    if (top == -std::numeric_limits<double>::infinity()) return false;
    out = static_cast<float>(top);
    return true;
}

/// pick_from_band in float for server k, whose band's m <= Cap weights lie in the tile's rows
/// rows[0..m) (Cap entries readable), deciding only what the float sums decide surely: reach and
/// short_of lie beyond kappa by the rounding bound of the candidates' sums (above plus the
/// candidates >= it), so a sum of reach or more surely reaches kappa and one below short_of
/// surely falls short, and the reference's double sums then fall on the same side. Returns false
/// unless every candidate is sure and one reaches. Cap is kFew or kMid; two sets of accumulators,
/// so that the adds per lane are two chains of Cap / 2.
template <std::size_t Cap>
bool pick_sure(const float* tile, const float* s, const std::int32_t* rows, std::size_t k, std::size_t m, float above,
               float reach, float short_of, float& out) {
    constexpr std::size_t kVecs = Cap / 8;
    alignas(32) float x[Cap], st[Cap];
    for (std::size_t p = 0; p < Cap; ++p) {
        const auto r = static_cast<std::size_t>(rows[p]);
        x[p] = tile[r * kLanes + k];
        st[p] = s[r];
    }
    const __m256 k_hi = _mm256_set1_ps(reach), k_lo = _mm256_set1_ps(short_of);
    const __m256 none = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    const __m256i vm = _mm256_set1_epi32(static_cast<int>(m));
    __m256 xv[kVecs], sv[kVecs], valid[kVecs], g0[kVecs], g1[kVecs];
    for (std::size_t v = 0; v < kVecs; ++v) {
        const __m256i idx = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32(static_cast<int>(8 * v)));
        valid[v] = _mm256_castsi256_ps(_mm256_cmpgt_epi32(vm, idx));
        xv[v] = _mm256_blendv_ps(none, _mm256_load_ps(x + 8 * v), valid[v]);
        sv[v] = _mm256_and_ps(_mm256_load_ps(st + 8 * v), valid[v]);
        g0[v] = g1[v] = _mm256_setzero_ps();
    }
    alignas(32) float xs[Cap], ss[Cap];
    for (std::size_t v = 0; v < kVecs; ++v) {
        _mm256_store_ps(xs + 8 * v, xv[v]);
        _mm256_store_ps(ss + 8 * v, sv[v]);
    }
    for (std::size_t j = 0; j < Cap; j += 2) {
        const __m256 xa = _mm256_set1_ps(xs[j]), sa = _mm256_set1_ps(ss[j]);
        const __m256 xb = _mm256_set1_ps(xs[j + 1]), sb = _mm256_set1_ps(ss[j + 1]);
        for (std::size_t v = 0; v < kVecs; ++v) {
            g0[v] = _mm256_add_ps(g0[v], _mm256_and_ps(_mm256_cmp_ps(xv[v], xa, _CMP_LE_OQ), sa));
            g1[v] = _mm256_add_ps(g1[v], _mm256_and_ps(_mm256_cmp_ps(xv[v], xb, _CMP_LE_OQ), sb));
        }
    }
    const __m256 base = _mm256_set1_ps(above);
    __m256 best = none;
    std::uint32_t reach_bits = 0, sure_bits = 0;
    for (std::size_t v = 0; v < kVecs; ++v) {
        const __m256 sum = _mm256_add_ps(base, _mm256_add_ps(g0[v], g1[v]));
        const __m256 reaches = _mm256_and_ps(valid[v], _mm256_cmp_ps(sum, k_hi, _CMP_GE_OQ));
        const __m256 falls_short = _mm256_cmp_ps(sum, k_lo, _CMP_LT_OQ);
        reach_bits |= static_cast<std::uint32_t>(_mm256_movemask_ps(reaches)) << (8 * v);
        sure_bits |=
            static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_and_ps(valid[v], _mm256_or_ps(reaches, falls_short))))
            << (8 * v);
        best = _mm256_max_ps(best, _mm256_blendv_ps(none, xv[v], reaches));
    }
    if (reach_bits == 0 || sure_bits != static_cast<std::uint32_t>((std::uint64_t{1} << m) - 1u)) return false;
    best = _mm256_max_ps(best, _mm256_permute2f128_ps(best, best, 1));
    best = _mm256_max_ps(best, _mm256_shuffle_ps(best, best, _MM_SHUFFLE(1, 0, 3, 2)));
    best = _mm256_max_ps(best, _mm256_shuffle_ps(best, best, _MM_SHUFFLE(2, 3, 0, 1)));
    out = _mm256_cvtss_f32(best);
    return true;
}

// kRowsOf.idx[b] lists the set bits of the byte b, lowest first (zero-padded): the row offsets
// of a bitmap byte's validators.
struct RowTable {
    alignas(32) std::int32_t idx[256][8];
};
constexpr RowTable make_row_table() {
    RowTable t{};
    for (int b = 0; b < 256; ++b) {
        int k = 0;
        for (int bit = 0; bit < 8; ++bit)
            if ((b >> bit) & 1) t.idx[b][k++] = bit;
    }
    return t;
}
constexpr RowTable kRowsOf = make_row_table();

__m256 ulp_up(__m256 x) { return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(1))); }
__m256 ulp_down(__m256 x) { return _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(1))); }
__m256 blend(__m256 a, __m256 b, __m256 m) { return _mm256_blendv_ps(a, b, m); }
__m256i blend(__m256i a, __m256i b, __m256 m) {
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
}

}  // namespace

void block_quantiles_avx2(const float* tile, std::size_t n, std::size_t width, const float* s, const double* sd,
                          double stake_total, double kappa, float* out, BlockScratch& sc) {
    const float inf = std::numeric_limits<float>::infinity();
    // Each server's smallest and largest weight (lanes past width hold zeros, discarded at the end).
    __m256 vmin[kHalves], vmax[kHalves];
    __m256i load_mask[kHalves];  // the live lanes, below width
    for (std::size_t h = 0; h < kHalves; ++h) {
        vmin[h] = _mm256_set1_ps(inf);
        vmax[h] = _mm256_set1_ps(-inf);
        const __m256i lane = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                              _mm256_set1_epi32(static_cast<int>(8 * h)));
        load_mask[h] = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(width)), lane);
    }
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256 x = _mm256_load_ps(tile + i * kLanes + 8 * h);
            vmin[h] = _mm256_min_ps(vmin[h], x);
            vmax[h] = _mm256_max_ps(vmax[h], x);
        }
    alignas(32) float lane_out[kLanes];
    auto store_out = [&](const __m256* v) {
        for (std::size_t h = 0; h < kHalves; ++h) _mm256_store_ps(lane_out + 8 * h, v[h]);
        std::memcpy(out, lane_out, width * sizeof(float));
    };
    if (kappa <= 0.0) {  // the first weight from the top already reaches kappa
        store_out(vmax);
        return;
    }
    if (stake_total < kappa) {  // the stake never reaches kappa: the smallest weight
        store_out(vmin);
        return;
    }

    // Per server: the band [lo, hi] holds the quantile; `above` (float, steering only) is the
    // stake above hi and `inside` the band's stake; n_above / n_from_lo count the weights above
    // hi and at or above lo. went_up / went_down: the last round found the quantile beyond its
    // upper / lower pivot; again_up / again_down: the last two rounds did.
    __m256 lo[kHalves], hi[kHalves], above[kHalves], inside[kHalves], open[kHalves];
    __m256 went_up[kHalves], went_down[kHalves], again_up[kHalves], again_down[kHalves];
    __m256i n_above[kHalves], n_from_lo[kHalves];
    // A float sum of n positive stakes is within n * 2^-24 * total of the exact sum; twice that
    // keeps every decision on the safe side.
    const double err = static_cast<double>(n) * 0x1p-23 * stake_total;
    const __m256 k_hi = _mm256_set1_ps(std::nextafter(static_cast<float>(kappa + err), INFINITY));
    const __m256 k_lo = _mm256_set1_ps(std::nextafter(static_cast<float>(kappa - err), -INFINITY));
    const __m256 fkappa = _mm256_set1_ps(static_cast<float>(kappa));
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f);
    const __m256i few_plus_one = _mm256_set1_epi32(static_cast<int>(kFew) + 1);
    auto settled = [&](std::size_t h) {
        const __m256i small = _mm256_cmpgt_epi32(few_plus_one, _mm256_sub_epi32(n_from_lo[h], n_above[h]));
        return _mm256_or_ps(_mm256_castsi256_ps(small), _mm256_cmp_ps(lo[h], hi[h], _CMP_EQ_OQ));
    };
    int open_bits = 0;
    for (std::size_t h = 0; h < kHalves; ++h) {
        lo[h] = vmin[h];
        hi[h] = vmax[h];
        above[h] = zero;
        went_up[h] = went_down[h] = again_up[h] = again_down[h] = zero;
        inside[h] = _mm256_set1_ps(static_cast<float>(stake_total));
        n_above[h] = _mm256_setzero_si256();
        n_from_lo[h] = _mm256_set1_epi32(static_cast<int>(n));
        open[h] = _mm256_andnot_ps(settled(h), _mm256_castsi256_ps(load_mask[h]));
        open_bits |= _mm256_movemask_ps(open[h]) << (8 * h);
    }
    // The rounds end once every open server's band holds at most kMid weights and few of them
    // are left (the float pick takes them at up to kMid candidates): most panels had two or
    // three servers at 17 to 24 weights after the second round, and ran a third round over all
    // validators for them.
    const __m256i mid = _mm256_set1_epi32(static_cast<int>(kMid));
    auto rounds_done = [&] {
        int wide_bits = 0;
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256i wide = _mm256_cmpgt_epi32(_mm256_sub_epi32(n_from_lo[h], n_above[h]), mid);
            wide_bits |= _mm256_movemask_ps(_mm256_and_ps(open[h], _mm256_castsi256_ps(wide))) << (8 * h);
        }
        return wide_bits == 0 && std::popcount(static_cast<unsigned>(open_bits)) <= kMidServers;
    };
    for (int round = 0; !rounds_done() && round < kMaxRounds; ++round) {
        __m256 p_up[kHalves], p_down[kHalves];
        for (std::size_t h = 0; h < kHalves; ++h) {
            // Two pivots around where the stake would reach kappa if the band's weights were
            // spread evenly over [lo, hi], kMargin standard errors apart. A lane that missed on
            // the same side twice running has weights bunched toward the band's far end (skewed
            // columns; regula falsi stalls there): its target moves halfway to that end (the
            // Illinois step). Pivots only steer, so none of this touches exactness.
            const __m256 count = _mm256_cvtepi32_ps(_mm256_sub_epi32(n_from_lo[h], n_above[h]));
            __m256 q =
                _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(_mm256_sub_ps(fkappa, above[h]), inside[h]), zero), one);
            q = blend(q, _mm256_mul_ps(q, half), again_up[h]);
            q = blend(q, _mm256_fmadd_ps(q, half, half), again_down[h]);
            const __m256 var = _mm256_div_ps(_mm256_mul_ps(q, _mm256_sub_ps(one, q)), count);
            const __m256 d = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(kMargin), _mm256_sqrt_ps(var)),
                                           _mm256_div_ps(one, count));
            const __m256 span = _mm256_sub_ps(hi[h], lo[h]);
            const __m256 q_up = _mm256_max_ps(_mm256_sub_ps(q, d), zero);
            const __m256 q_down = _mm256_min_ps(_mm256_add_ps(q, d), one);
            // p_up >= p_down, both inside [lo, hi].
            p_up[h] = _mm256_max_ps(_mm256_min_ps(_mm256_fnmadd_ps(q_up, span, hi[h]), hi[h]), lo[h]);
            p_down[h] = _mm256_min_ps(_mm256_max_ps(_mm256_fnmadd_ps(q_down, span, hi[h]), lo[h]), p_up[h]);
        }

        // stake > p_up, stake >= p_down (the error bound above holds in any order of addition),
        // and in the first round the stake above the smallest weight. The halves are independent
        // chains, so one row per step keeps the adders busy.
        __m256 stake_up[kHalves], stake_down[kHalves], stake_over_min[kHalves];
        __m256i c_up[kHalves], c_down[kHalves];
        for (std::size_t h = 0; h < kHalves; ++h) {
            stake_up[h] = stake_down[h] = stake_over_min[h] = zero;
            c_up[h] = c_down[h] = _mm256_setzero_si256();
        }
        auto count_rows = [&](auto first) {
            for (std::size_t i = 0; i < n; ++i) {
                const __m256 st = _mm256_broadcast_ss(s + i);
                for (std::size_t h = 0; h < kHalves; ++h) {
                    const __m256 x = _mm256_load_ps(tile + i * kLanes + 8 * h);
                    const __m256 gt = _mm256_cmp_ps(x, p_up[h], _CMP_GT_OQ);
                    const __m256 ge = _mm256_cmp_ps(x, p_down[h], _CMP_GE_OQ);
                    stake_up[h] = _mm256_add_ps(stake_up[h], _mm256_and_ps(gt, st));
                    stake_down[h] = _mm256_add_ps(stake_down[h], _mm256_and_ps(ge, st));
                    c_up[h] = _mm256_sub_epi32(c_up[h], _mm256_castps_si256(gt));
                    c_down[h] = _mm256_sub_epi32(c_down[h], _mm256_castps_si256(ge));
                    if constexpr (decltype(first)::value) {
                        const __m256 over = _mm256_cmp_ps(x, vmin[h], _CMP_GT_OQ);
                        stake_over_min[h] = _mm256_add_ps(stake_over_min[h], _mm256_and_ps(over, st));
                    }
                }
            }
        };
        if (round == 0)
            count_rows(std::true_type{});
        else
            count_rows(std::false_type{});
        open_bits = 0;
        for (std::size_t h = 0; h < kHalves; ++h) {
            // Sure outcomes only: the quantile is above p_up when stake > p_up surely reaches
            // kappa; below p_down when stake >= p_down surely does not.
            const __m256 up_reaches = _mm256_cmp_ps(stake_up[h], k_hi, _CMP_GE_OQ);
            const __m256 up_short = _mm256_cmp_ps(stake_up[h], k_lo, _CMP_LT_OQ);
            const __m256 down_reaches = _mm256_cmp_ps(stake_down[h], k_hi, _CMP_GE_OQ);
            const __m256 down_short = _mm256_cmp_ps(stake_down[h], k_lo, _CMP_LT_OQ);
            const __m256 stake_from_lo = _mm256_add_ps(above[h], inside[h]);
            // Quantile > p_up: raise lo past p_up.
            const __m256 go_up = _mm256_and_ps(open[h], up_reaches);
            lo[h] = blend(lo[h], ulp_up(p_up[h]), go_up);
            n_from_lo[h] = blend(n_from_lo[h], c_up[h], go_up);
            // Quantile < p_down: lower hi below p_down (weights are non-negative, so p_down > 0
            // there and its predecessor is one ulp down).
            const __m256 go_down = _mm256_and_ps(open[h], down_short);
            hi[h] = blend(hi[h], ulp_down(p_down[h]), go_down);
            above[h] = blend(above[h], stake_down[h], go_down);
            n_above[h] = blend(n_above[h], c_down[h], go_down);
            // Otherwise keep [p_down, p_up], each side only where it is sure.
            const __m256 middle = _mm256_andnot_ps(_mm256_or_ps(go_up, go_down), open[h]);
            const __m256 cut_top = _mm256_and_ps(middle, up_short);
            const __m256 cut_bottom = _mm256_and_ps(middle, down_reaches);
            hi[h] = blend(hi[h], p_up[h], cut_top);
            above[h] = blend(above[h], stake_up[h], cut_top);
            n_above[h] = blend(n_above[h], c_up[h], cut_top);
            lo[h] = blend(lo[h], p_down[h], cut_bottom);
            n_from_lo[h] = blend(n_from_lo[h], c_down[h], cut_bottom);
            const __m256 new_from_lo = blend(stake_from_lo, stake_up[h], go_up);
            inside[h] = blend(inside[h], _mm256_sub_ps(blend(new_from_lo, stake_down[h], cut_bottom), above[h]),
                              open[h]);
            if (round == 0) {
                // The smallest weight is the quantile when the stake above it surely falls short
                // of kappa (the total reaches it): mostly-zero columns, common in real weights,
                // which the interpolation would only approach by shrinking hi a fraction a round.
                const __m256 at_min = _mm256_and_ps(open[h], _mm256_cmp_ps(stake_over_min[h], k_lo, _CMP_LT_OQ));
                lo[h] = blend(lo[h], vmin[h], at_min);
                hi[h] = blend(hi[h], vmin[h], at_min);
                above[h] = blend(above[h], stake_over_min[h], at_min);
            }
            again_up[h] = _mm256_and_ps(go_up, went_up[h]);
            again_down[h] = _mm256_and_ps(go_down, went_down[h]);
            went_up[h] = go_up;
            went_down[h] = go_down;
            open[h] = _mm256_andnot_ps(settled(h), open[h]);
            open_bits |= _mm256_movemask_ps(open[h]) << (8 * h);
        }
    }

    // One pass: which weights lie in each band (per validator one movemask byte per half, in two
    // planes: servers 0-7, servers 8-15), and the stakes above and in it, in float.
    const std::size_t plane = sc.masks.size();  // bytes per plane: n rounded up to 32, zero beyond n
    std::uint8_t* planes = reinterpret_cast<std::uint8_t*>(sc.masks.data());
    __m256 above_f[kHalves], band_f[kHalves];
    __m256i n_gt[kHalves];  // how many stakes each above_f adds
    for (std::size_t h = 0; h < kHalves; ++h) {
        above_f[h] = band_f[h] = zero;
        n_gt[h] = _mm256_setzero_si256();
    }
    for (std::size_t i = 0; i < n; ++i) {
        const __m256 st = _mm256_broadcast_ss(s + i);
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256 x = _mm256_load_ps(tile + i * kLanes + 8 * h);
            const __m256 gt = _mm256_cmp_ps(x, hi[h], _CMP_GT_OQ);
            const __m256 in = _mm256_and_ps(_mm256_cmp_ps(x, lo[h], _CMP_GE_OQ), _mm256_cmp_ps(x, hi[h], _CMP_LE_OQ));
            planes[h * plane + i] = static_cast<std::uint8_t>(_mm256_movemask_ps(in));
            above_f[h] = _mm256_add_ps(above_f[h], _mm256_and_ps(gt, st));
            band_f[h] = _mm256_add_ps(band_f[h], _mm256_and_ps(in, st));
            n_gt[h] = _mm256_sub_epi32(n_gt[h], _mm256_castps_si256(gt));
        }
    }
    alignas(32) float above_k[kLanes], from_lo_k[kLanes], lo_k[kLanes], hi_k[kLanes];
    alignas(32) std::int32_t terms_above[kLanes];
    for (std::size_t h = 0; h < kHalves; ++h) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(terms_above + 8 * h), n_gt[h]);
        _mm256_store_ps(above_k + 8 * h, above_f[h]);
        _mm256_store_ps(from_lo_k + 8 * h, _mm256_add_ps(above_f[h], band_f[h]));
        _mm256_store_ps(lo_k + 8 * h, lo[h]);
        _mm256_store_ps(hi_k + 8 * h, hi[h]);
    }
    const float k_hi_s = _mm256_cvtss_f32(k_hi);  // for a band of one value, whose stake from lo up can have any count
    alignas(32) float reach[kLanes], short_of[kLanes];  // each server's sure thresholds (see the picks)
    sure_thresholds(terms_above, kFew, from_lo_k, width, n, stake_total, kappa, reach, short_of);

    // Each server's band as a bitmap over the validators: bit k of every byte of its plane moved
    // to the byte's top bit by a 16-bit shift (the shift brings the low byte's bits into the high
    // byte's low bits only), then a byte movemask, 32 validators at a time.
    const std::size_t chunks = (n + 31) / 32;
    std::uint32_t* bits = sc.bits.data();
    for (std::size_t c = 0; c < chunks; ++c)
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(planes + h * plane + c * 32));
            for (std::size_t b = 0; b < 8 && 8 * h + b < width; ++b)
                bits[(8 * h + b) * chunks + c] = static_cast<std::uint32_t>(
                    _mm256_movemask_epi8(_mm256_sll_epi16(v, _mm_cvtsi32_si128(static_cast<int>(7 - b)))));
        }

    alignas(32) double above_d[kLanes], band_d[kLanes];
    bool have_double = false;
    auto double_sums = [&] {
        __m256d acc_above[kHalves][2], acc_band[kHalves][2];
        for (std::size_t h = 0; h < kHalves; ++h)
            for (std::size_t q = 0; q < 2; ++q) acc_above[h][q] = acc_band[h][q] = _mm256_setzero_pd();
        for (std::size_t i = 0; i < n; ++i) {
            const __m256 st = _mm256_broadcast_ss(s + i);
            for (std::size_t h = 0; h < kHalves; ++h) {
                const __m256 x = _mm256_load_ps(tile + i * kLanes + 8 * h);
                const __m256 sg = _mm256_and_ps(_mm256_cmp_ps(x, hi[h], _CMP_GT_OQ), st);
                const __m256 si = _mm256_and_ps(
                    _mm256_and_ps(_mm256_cmp_ps(x, lo[h], _CMP_GE_OQ), _mm256_cmp_ps(x, hi[h], _CMP_LE_OQ)), st);
                acc_above[h][0] = _mm256_add_pd(acc_above[h][0], _mm256_cvtps_pd(_mm256_castps256_ps128(sg)));
                acc_above[h][1] = _mm256_add_pd(acc_above[h][1], _mm256_cvtps_pd(_mm256_extractf128_ps(sg, 1)));
                acc_band[h][0] = _mm256_add_pd(acc_band[h][0], _mm256_cvtps_pd(_mm256_castps256_ps128(si)));
                acc_band[h][1] = _mm256_add_pd(acc_band[h][1], _mm256_cvtps_pd(_mm256_extractf128_ps(si, 1)));
            }
        }
        for (std::size_t h = 0; h < kHalves; ++h)
            for (std::size_t q = 0; q < 2; ++q) {
                _mm256_store_pd(above_d + 8 * h + 4 * q, acc_above[h][q]);
                _mm256_store_pd(band_d + 8 * h + 4 * q, acc_band[h][q]);
            }
    };
    for (std::size_t k = 0; k < width; ++k) {
        const std::uint32_t* row_bits = bits + k * chunks;
        std::size_t in_band = 0;
        for (std::size_t c = 0; c < chunks; ++c) in_band += static_cast<std::size_t>(std::popcount(row_bits[c]));
        // The band's rows, in order: for each nonzero byte of the bitmap (found 32 at a time by
        // a byte compare), its set bits' offsets from kRowsOf plus the byte's first row, stored
        // at once; unused entries stay valid rows (0 or a table pad).
        alignas(32) std::int32_t rows[kMid + 8] = {};
        std::size_t m = 0;
        if (in_band <= kMid) {
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(row_bits);
            const std::size_t nbytes = 4 * chunks;
            for (std::size_t g = 0; g < nbytes; g += 32) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes + g));
                std::uint32_t nz =
                    ~static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
                if (nbytes - g < 32) nz &= (1u << (nbytes - g)) - 1u;  // the next server's bytes
                for (; nz != 0; nz &= nz - 1) {
                    const std::size_t b = g + static_cast<std::size_t>(std::countr_zero(nz));
                    const __m256i at =
                        _mm256_add_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(kRowsOf.idx[bytes[b]])),
                                         _mm256_set1_epi32(static_cast<int>(8 * b)));
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(rows + m), at);
                    m += static_cast<std::size_t>(std::popcount(bytes[b]));
                }
            }
        }
        // Float first: the stake above the band surely short of kappa, and the rest sure, with
        // this server's own rounding margin (at most the stakes above the band and kFew more,
        // none more than the total from lo up): the rounds' n-based one left a quarter of the
        // servers unsure at 1000 validators.
        const float kh = reach[k], kl = short_of[k];
        if (above_k[k] < kl) {
            if (lo_k[k] == hi_k[k] && from_lo_k[k] >= k_hi_s) {
                out[k] = lo_k[k];
                continue;
            }
            if (in_band <= kFew && pick_sure<kFew>(tile, s, rows, k, m, above_k[k], kh, kl, out[k])) continue;
        }
        // A band the rounds left at up to kMid weights: the same float pick, with the margin of
        // kMid extra terms.
        float reach_mid, short_of_mid;
        if (mid_pick_thresholds(in_band, kFew, lo_k[k], hi_k[k], terms_above[k], from_lo_k[k], above_k[k], n, stake_total,
                                kappa, reach_mid, short_of_mid) &&
            pick_sure<kMid>(tile, s, rows, k, m, above_k[k], reach_mid, short_of_mid, out[k]))
            continue;
        // Not sure in float: the sums again in double (the float stakes widened exactly, as sd
        // holds them), for the whole block at the first server that needs them: one vector pass
        // costs about what three servers' strided column walks would.
        if (!have_double) {
            double_sums();
            have_double = true;
        }
        const double a = above_d[k], band = band_d[k];
        const bool holds = a < kappa && a + band >= kappa;  // the double sums agree
        if (holds && lo_k[k] == hi_k[k]) {
            out[k] = lo_k[k];
            continue;
        }
        if (holds && in_band <= kFew) {
            alignas(32) double xw[kFew], sw[kFew];
            for (std::size_t p = 0; p < kFew; ++p) {
                const auto r = static_cast<std::size_t>(rows[p]);
                xw[p] = static_cast<double>(tile[r * kLanes + k]);
                sw[p] = sd[r];
            }
            if (pick_from_band(xw, sw, m, a, kappa, out[k])) continue;
        }
        out[k] = column_quantile(tile, k, s, n, kappa, sc.pairs.data());
    }
}

}  // namespace taocore::consensus::sim::detail
