// SPDX-License-Identifier: MIT
// The float32 consensus selection for sixteen servers at once (AVX-512; see block_quantiles in
// detail/sim_kernels.hpp). CMake compiles this file with the AVX-512 flags and the dispatch
// reaches it only through the avx512 simulator table.
//
// Why column-parallel: a one-server kernel (the AVX2 backend had one) packs the pairs inside a band
// into a new buffer on every round, about two cycles per weight and ~1.7 rounds' worth of a column
// per server. Here each lane of a vector is one server, the weights are read from the simulator's
// panel (one 64-byte row slice per validator, contiguous), and a round only compares and adds
// masked stakes: a quarter of a cycle per weight and pivot, storing only the comparisons. Rounds
// narrow every server's band [lo, hi] around its quantile with float stake sums, deciding a side
// only when a sum is farther from kappa than its rounding error can reach, so a decision is never
// wrong. Once a band holds at most 16 weights, the rounds' kept comparisons say which weights
// those are (the rounds' sums already hold the stake above the band and from its bottom up), and
// the quantile is picked from those few (all sixteen servers at once, one per lane: a server at a
// time waited on its own chain of gathers and sums, about 180 cycles each), again in float and
// only where every candidate's stake is surely on one side of kappa (then the reference's double
// sums are too, so the pick is the reference's). The last few servers whose bands hold 17 to 32
// weights are picked one at a time the same way (pick_mid) rather than by another round over
// every validator. Where that is not sure, the server's sums are redone in double over its
// column and its band picked in double (as the reference sums, in another order); a
// server whose band does not shrink to 16 weights in kMaxRounds rounds, or whose double sums
// disagree with the float ones, is handed to the reference selection. Two steering rules keep
// realistic columns off that path: the first round also sums the stake above each server's smallest
// weight (mostly-zero columns settle at once), and a lane that misses on one side twice running
// moves its target toward that side (skewed columns); without them such columns ran out of rounds,
// about 15 times the selection's time on uniform weights.
#include "simd/detail/avx512_intrinsics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "detail/sim_kernels.hpp"

namespace taocore::consensus::sim::detail {

namespace {

constexpr std::size_t kLanes = kPanel;  // one server per lane: a panel row is one vector
constexpr std::size_t kFew = 16;        // band size the all-servers pick takes
constexpr std::size_t kMid = kSelectionMid;  // the early stop (see sim_kernels.hpp)
constexpr int kMidServers = kSelectionMidServers;
constexpr std::size_t kRowSlots = kMid + 16;  // a server's band rows (compressed 16 at a time)
constexpr int kMaxRounds = static_cast<int>(BlockScratch::kSelectionRounds);  // rounds before the reference takes over
constexpr float kMargin = 2.0f;         // pivot margin, in standard errors of the interpolation

/// The exact quantile of one server from its band's few weights x (count of them, the rest
/// -inf) and their stakes st (the rest 0): the largest candidate whose stake at or above it (the
/// stake above the band plus the candidates >= it, in double) reaches kappa. Returns false if
/// none does, which the caller's check of the band's total makes possible only where the sums'
/// order changes a rounding; the reference then decides. Padding adds nothing, so the loop runs
/// a fixed sixteen times instead of mispredicting its exit; four accumulators, because one
/// would wait on the add latency at every candidate.
bool pick_from_band(__m512 x, __m512d st_lo, __m512d st_hi, std::size_t count, double above, double kappa,
                    float& out) {
    alignas(64) float xw[kLanes];
    alignas(64) double sw[kLanes];
    _mm512_store_ps(xw, x);
    _mm512_store_pd(sw, st_lo);
    _mm512_store_pd(sw + 8, st_hi);
    const __m512d zero = _mm512_setzero_pd();
    __m512d lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero, lo2 = zero, hi2 = zero, lo3 = zero, hi3 = zero;
    auto gain = [&](std::size_t j, __m512d& lo, __m512d& hi) {
        // Candidate k gains stake j when x_k <= x_j.
        const __mmask16 m = _mm512_cmp_ps_mask(x, _mm512_set1_ps(xw[j]), _CMP_LE_OQ);
        const __m512d sj = _mm512_set1_pd(sw[j]);
        lo = _mm512_mask_add_pd(lo, static_cast<__mmask8>(m), lo, sj);
        hi = _mm512_mask_add_pd(hi, static_cast<__mmask8>(m >> 8), hi, sj);
    };
    for (std::size_t j = 0; j < kLanes; j += 4) {
        gain(j, lo0, hi0);
        gain(j + 1, lo1, hi1);
        gain(j + 2, lo2, hi2);
        gain(j + 3, lo3, hi3);
    }
    const __m512d base = _mm512_set1_pd(above);
    const __m512d sum_lo = _mm512_add_pd(base, _mm512_add_pd(_mm512_add_pd(lo0, lo1), _mm512_add_pd(lo2, lo3)));
    const __m512d sum_hi = _mm512_add_pd(base, _mm512_add_pd(_mm512_add_pd(hi0, hi1), _mm512_add_pd(hi2, hi3)));
    const __m512d vk = _mm512_set1_pd(kappa);
    const __mmask16 reach = static_cast<__mmask16>(_mm512_cmp_pd_mask(sum_lo, vk, _CMP_GE_OQ) |
                                                   (_mm512_cmp_pd_mask(sum_hi, vk, _CMP_GE_OQ) << 8));
    const __mmask16 valid = static_cast<__mmask16>((1u << count) - 1u);
    if ((reach & valid) == 0) return false;
    const __m512 none = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    out = _mm512_reduce_max_ps(_mm512_mask_mov_ps(none, reach & valid, x));
    return true;
}

/// The float pick of one server whose band holds kFew < m <= kMid weights (rows: their rows,
/// in order), decided only where it is sure, as the all-servers pick below decides: candidate
/// j's stake at or above it is `above` plus the stakes of the candidates >= it, each a float
/// sum within the margins reach / short_of (sure_thresholds with kMid extra terms). Returns
/// false where a sum is too close to kappa or none reaches it, for the double path to decide.
/// A round over all the validators costs about as much as six of these, so the rounds stop
/// once only a few servers are left with bands this small.
bool pick_mid(const float* tile, const float* s, const std::int32_t* rows, std::size_t m, std::size_t k,
              float above, float reach, float short_of, float& out) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (m - kLanes)) - 1u);
    const __m512i lane = _mm512_set1_epi32(static_cast<int>(k));
    const __m512i r_lo = _mm512_loadu_si512(rows), r_hi = _mm512_loadu_si512(rows + kLanes);
    const __m512 none = _mm512_set1_ps(-std::numeric_limits<float>::infinity()), zero = _mm512_setzero_ps();
    const __m512 x_lo = _mm512_i32gather_ps(_mm512_add_epi32(_mm512_slli_epi32(r_lo, 4), lane), tile, 4);
    const __m512 x_hi =
        _mm512_mask_i32gather_ps(none, tail, _mm512_add_epi32(_mm512_slli_epi32(r_hi, 4), lane), tile, 4);
    const __m512 s_lo = _mm512_i32gather_ps(r_lo, s, 4);
    const __m512 s_hi = _mm512_mask_i32gather_ps(zero, tail, r_hi, s, 4);
    alignas(64) float xw[2 * kLanes], sw[2 * kLanes];
    _mm512_store_ps(xw, x_lo);
    _mm512_store_ps(xw + kLanes, x_hi);
    _mm512_store_ps(sw, s_lo);
    _mm512_store_ps(sw + kLanes, s_hi);
    // Candidate j gains stake i when x_j <= x_i; four sets of sums, so that each add waits on
    // the one four steps back (padding: x = -inf, stake 0, adds nothing).
    __m512 lo[4] = {zero, zero, zero, zero}, hi[4] = {zero, zero, zero, zero};
    for (std::size_t i = 0; i < 2 * kLanes; i += 4) {
        for (std::size_t u = 0; u < 4; ++u) {
            const __m512 xi = _mm512_set1_ps(xw[i + u]), si = _mm512_set1_ps(sw[i + u]);
            lo[u] = _mm512_mask_add_ps(lo[u], _mm512_cmp_ps_mask(x_lo, xi, _CMP_LE_OQ), lo[u], si);
            hi[u] = _mm512_mask_add_ps(hi[u], _mm512_cmp_ps_mask(x_hi, xi, _CMP_LE_OQ), hi[u], si);
        }
    }
    const __m512 base = _mm512_set1_ps(above);
    const __m512 sum_lo = _mm512_add_ps(base, _mm512_add_ps(_mm512_add_ps(lo[0], lo[1]), _mm512_add_ps(lo[2], lo[3])));
    const __m512 sum_hi = _mm512_add_ps(base, _mm512_add_ps(_mm512_add_ps(hi[0], hi[1]), _mm512_add_ps(hi[2], hi[3])));
    const __m512 vr = _mm512_set1_ps(reach), vs = _mm512_set1_ps(short_of);
    const __mmask16 up_lo = _mm512_cmp_ps_mask(sum_lo, vr, _CMP_GE_OQ);
    const __mmask16 up_hi = _mm512_mask_cmp_ps_mask(tail, sum_hi, vr, _CMP_GE_OQ);
    const __mmask16 down_lo = _mm512_cmp_ps_mask(sum_lo, vs, _CMP_LT_OQ);
    const __mmask16 down_hi = _mm512_mask_cmp_ps_mask(tail, sum_hi, vs, _CMP_LT_OQ);
    if ((up_lo | down_lo) != 0xFFFFu || (up_hi | down_hi) != tail || (up_lo | up_hi) == 0) return false;
    out = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_mask_mov_ps(none, up_lo, x_lo), _mm512_mask_mov_ps(none, up_hi, x_hi)));
    return true;
}

/// The 16 x 16 transpose of r (r[i] lane j becomes r[j] lane i): pairs of 32-bit lanes, then
/// of 64-bit lanes, then two rounds of 128-bit blocks.
void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (std::size_t i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (std::size_t i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (std::size_t i = 0; i < 16; i += 8) {
        for (std::size_t j = 0; j < 4; ++j) {
            t[i + j] = _mm512_shuffle_i32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_i32x4(r[i + j], r[i + j + 4], 0xDD);
        }
    }
    for (std::size_t j = 0; j < 8; ++j) {
        r[j] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0xDD);
    }
}

}  // namespace

void block_quantiles_avx512(const float* tile, std::size_t n, std::size_t width, const float* s, const double* sd,
                            double stake_total, double kappa, float* out, BlockScratch& sc) {
    const __mmask16 live = static_cast<__mmask16>((1u << width) - 1u);
    // Each server's smallest and largest weight. Each of this kernel's passes over the rows takes
    // them two at a time into two sets of accumulators, so that a pass waits on the add (or
    // min/max) latency once per two rows.
    __m512 vmin = _mm512_set1_ps(std::numeric_limits<float>::infinity());
    __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    {
        __m512 vmin2 = vmin, vmax2 = vmax;
        std::size_t i = 0;
        for (; i + 2 <= n; i += 2) {
            const __m512 x = _mm512_load_ps(tile + i * kLanes);
            const __m512 y = _mm512_load_ps(tile + (i + 1) * kLanes);
            vmin = _mm512_min_ps(vmin, x);
            vmax = _mm512_max_ps(vmax, x);
            vmin2 = _mm512_min_ps(vmin2, y);
            vmax2 = _mm512_max_ps(vmax2, y);
        }
        if (i < n) {
            const __m512 x = _mm512_load_ps(tile + i * kLanes);
            vmin = _mm512_min_ps(vmin, x);
            vmax = _mm512_max_ps(vmax, x);
        }
        vmin = _mm512_min_ps(vmin, vmin2);
        vmax = _mm512_max_ps(vmax, vmax2);
    }
    if (kappa <= 0.0) {  // the first weight from the top already reaches kappa
        _mm512_mask_storeu_ps(out, live, vmax);
        return;
    }
    if (stake_total < kappa) {  // the stake never reaches kappa: the smallest weight
        _mm512_mask_storeu_ps(out, live, vmin);
        return;
    }

    // Per server: the band [lo, hi] holds the quantile; `above` and `from_lo` are float sums of
    // the stakes above hi and at or above lo (each a sum of its own terms, which the pick's error
    // bounds below rest on); n_above / n_from_lo count the weights above hi and at or above lo.
    __m512 lo = vmin, hi = vmax;
    __m512 above = _mm512_setzero_ps(), from_lo = _mm512_set1_ps(static_cast<float>(stake_total));
    __m512i n_above = _mm512_setzero_si512(), n_from_lo = _mm512_set1_epi32(static_cast<int>(n));
    // A float sum of n positive stakes is within n * 2^-24 * total of the exact sum; twice that
    // keeps every decision on the safe side.
    const double err = static_cast<double>(n) * 0x1p-23 * stake_total;
    const __m512 k_hi = _mm512_set1_ps(std::nextafter(static_cast<float>(kappa + err), INFINITY));
    const __m512 k_lo = _mm512_set1_ps(std::nextafter(static_cast<float>(kappa - err), -INFINITY));
    const __m512 fkappa = _mm512_set1_ps(static_cast<float>(kappa));
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps(), half = _mm512_set1_ps(0.5f);
    const __m512i few = _mm512_set1_epi32(static_cast<int>(kFew)), ones = _mm512_set1_epi32(1);
    // went_up / went_down: the last round found the quantile beyond its upper / lower pivot;
    // again_up / again_down: the last two rounds did.
    __mmask16 went_up = 0, went_down = 0, again_up = 0, again_down = 0;
    // Which bound each round moved, per server, and to which side of which pivot: lo past p_up
    // (the band keeps x > p_up) or to p_down (x >= p_down); hi below p_down (x < p_down) or to
    // p_up (x <= p_up); both to the smallest weight (x <= min, round 0). With each round's
    // comparisons of every weight, kept in round_masks, these give the band's rows without
    // another pass over the weights.
    const std::size_t plane = sc.masks.size();  // n rounded up to 32
    std::uint16_t* round_masks = sc.round_masks.data();
    std::uint16_t* over_min_masks = round_masks + 2 * static_cast<std::size_t>(kMaxRounds) * plane;
    __mmask16 lo_past_up[kMaxRounds], lo_to_down[kMaxRounds], hi_below_down[kMaxRounds], hi_to_up[kMaxRounds];
    __mmask16 to_min = 0;
    int rounds = 0;

    auto settled = [&] {
        const __mmask16 small = _mm512_cmple_epi32_mask(_mm512_sub_epi32(n_from_lo, n_above), few);
        return static_cast<__mmask16>(small | _mm512_cmp_ps_mask(lo, hi, _CMP_EQ_OQ));
    };
    __mmask16 open = static_cast<__mmask16>(live & ~settled());
    // The rounds end once every open server's band holds at most kMid weights and few of them
    // are left (pick_mid takes them): most panels had two or three servers at 17 to 24 weights
    // after the second round, and ran a third round over all validators for them.
    const __m512i mid = _mm512_set1_epi32(static_cast<int>(kMid));
    auto rounds_done = [&] {
        const __mmask16 wide = _mm512_mask_cmpgt_epi32_mask(open, _mm512_sub_epi32(n_from_lo, n_above), mid);
        return wide == 0 && std::popcount(static_cast<unsigned>(open)) <= kMidServers;
    };
    for (int round = 0; !rounds_done() && round < kMaxRounds; ++round, rounds = round) {
        // Two pivots around where the stake would reach kappa if the band's weights were
        // spread evenly over [lo, hi], kMargin standard errors apart. A lane that missed on the
        // same side twice running has its weights bunched toward that end of the band (skewed
        // columns, where this interpolation stalls as regula falsi does): its target moves
        // halfway to that end (the Illinois step). Pivots only steer; no decision rests on them.
        const __m512 count = _mm512_cvtepi32_ps(_mm512_sub_epi32(n_from_lo, n_above));
        const __m512 inside = _mm512_sub_ps(from_lo, above);
        __m512 q = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(_mm512_sub_ps(fkappa, above), inside), zero), one);
        q = _mm512_mask_mul_ps(q, again_up, q, half);
        q = _mm512_mask_fmadd_ps(q, again_down, half, half);
        const __m512 var = _mm512_div_ps(_mm512_mul_ps(q, _mm512_sub_ps(one, q)), count);
        const __m512 d = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(kMargin), _mm512_sqrt_ps(var)),
                                       _mm512_div_ps(one, count));
        const __m512 span = _mm512_sub_ps(hi, lo);
        const __m512 q_up = _mm512_max_ps(_mm512_sub_ps(q, d), zero), q_down = _mm512_min_ps(_mm512_add_ps(q, d), one);
        // p_up >= p_down, both inside [lo, hi].
        const __m512 p_up = _mm512_max_ps(_mm512_min_ps(_mm512_fnmadd_ps(q_up, span, hi), hi), lo);
        const __m512 p_down = _mm512_min_ps(_mm512_max_ps(_mm512_fnmadd_ps(q_down, span, hi), lo), p_up);

        // stake > p_up, stake >= p_down (the error bound above holds in any order of addition),
        // and in the first round the stake above each server's smallest weight.
        __m512 s_up = zero, s_down = zero, s_up2 = zero, s_down2 = zero, over_min = zero, over_min2 = zero;
        __m512i c_up = _mm512_setzero_si512(), c_down = _mm512_setzero_si512();
        std::uint16_t* gt_masks = round_masks + 2 * static_cast<std::size_t>(round) * plane;
        std::uint16_t* ge_masks = gt_masks + plane;
        auto count_row = [&](std::size_t i, __m512& up, __m512& down, __m512& over, auto first) {
            const __m512 x = _mm512_load_ps(tile + i * kLanes);
            const __m512 st = _mm512_set1_ps(s[i]);
            const __mmask16 gt = _mm512_cmp_ps_mask(x, p_up, _CMP_GT_OQ);
            const __mmask16 ge = _mm512_cmp_ps_mask(x, p_down, _CMP_GE_OQ);
            gt_masks[i] = static_cast<std::uint16_t>(gt);
            ge_masks[i] = static_cast<std::uint16_t>(ge);
            up = _mm512_mask_add_ps(up, gt, up, st);
            down = _mm512_mask_add_ps(down, ge, down, st);
            c_up = _mm512_mask_add_epi32(c_up, gt, c_up, ones);
            c_down = _mm512_mask_add_epi32(c_down, ge, c_down, ones);
            if constexpr (decltype(first)::value) {
                const __mmask16 om = _mm512_cmp_ps_mask(x, vmin, _CMP_GT_OQ);
                over_min_masks[i] = static_cast<std::uint16_t>(om);
                over = _mm512_mask_add_ps(over, om, over, st);
            }
        };
        auto count_rows = [&](auto first) {
            std::size_t i = 0;
            for (; i + 2 <= n; i += 2) {
                count_row(i, s_up, s_down, over_min, first);
                count_row(i + 1, s_up2, s_down2, over_min2, first);
            }
            if (i < n) count_row(i, s_up, s_down, over_min, first);
        };
        if (round == 0)
            count_rows(std::true_type{});
        else
            count_rows(std::false_type{});
        const __m512 stake_up = _mm512_add_ps(s_up, s_up2), stake_down = _mm512_add_ps(s_down, s_down2);
        // Sure outcomes only: the quantile is above p_up when stake > p_up surely reaches kappa;
        // below p_down when stake >= p_down surely does not.
        const __mmask16 up_reaches = _mm512_cmp_ps_mask(stake_up, k_hi, _CMP_GE_OQ);
        const __mmask16 up_short = _mm512_cmp_ps_mask(stake_up, k_lo, _CMP_LT_OQ);
        const __mmask16 down_reaches = _mm512_cmp_ps_mask(stake_down, k_hi, _CMP_GE_OQ);
        const __mmask16 down_short = _mm512_cmp_ps_mask(stake_down, k_lo, _CMP_LT_OQ);
        // Quantile > p_up: raise lo past p_up.
        const __mmask16 go_up = open & up_reaches;
        lo = _mm512_mask_mov_ps(lo, go_up, _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p_up), ones)));
        n_from_lo = _mm512_mask_mov_epi32(n_from_lo, go_up, c_up);
        from_lo = _mm512_mask_mov_ps(from_lo, go_up, stake_up);
        // Quantile < p_down: lower hi below p_down (weights are non-negative, so p_down > 0
        // there and its predecessor is one ulp down).
        const __mmask16 go_down = open & down_short;
        hi = _mm512_mask_mov_ps(hi, go_down, _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(p_down), ones)));
        above = _mm512_mask_mov_ps(above, go_down, stake_down);
        n_above = _mm512_mask_mov_epi32(n_above, go_down, c_down);
        // Otherwise keep [p_down, p_up], each side only where it is sure.
        const __mmask16 middle = open & ~go_up & ~go_down;
        const __mmask16 cut_top = middle & up_short, cut_bottom = middle & down_reaches;
        hi = _mm512_mask_mov_ps(hi, cut_top, p_up);
        above = _mm512_mask_mov_ps(above, cut_top, stake_up);
        n_above = _mm512_mask_mov_epi32(n_above, cut_top, c_up);
        lo = _mm512_mask_mov_ps(lo, cut_bottom, p_down);
        n_from_lo = _mm512_mask_mov_epi32(n_from_lo, cut_bottom, c_down);
        from_lo = _mm512_mask_mov_ps(from_lo, cut_bottom, stake_down);
        lo_past_up[round] = go_up;
        lo_to_down[round] = cut_bottom;
        hi_below_down[round] = go_down;
        hi_to_up[round] = cut_top;
        if (round == 0) {
            // The smallest weight is the quantile when the stake above it surely falls short of
            // kappa: mostly-zero columns, common in real weights, which the interpolation would
            // only approach by shrinking hi a fraction at a time (steering again: the pick
            // decides).
            const __m512 stake_over_min = _mm512_add_ps(over_min, over_min2);
            const __mmask16 at_min = open & _mm512_cmp_ps_mask(stake_over_min, k_lo, _CMP_LT_OQ);
            lo = _mm512_mask_mov_ps(lo, at_min, vmin);
            hi = _mm512_mask_mov_ps(hi, at_min, vmin);
            above = _mm512_mask_mov_ps(above, at_min, stake_over_min);
            // Every weight is at or above the smallest; the stakes over it were not counted, so
            // the pick's error bound takes all n.
            from_lo = _mm512_mask_mov_ps(from_lo, at_min, _mm512_set1_ps(static_cast<float>(stake_total)));
            n_above = _mm512_mask_mov_epi32(n_above, at_min, _mm512_set1_epi32(static_cast<int>(n)));
            to_min = at_min;
            const __mmask16 keep = static_cast<__mmask16>(~at_min);
            lo_past_up[0] &= keep;
            lo_to_down[0] &= keep;
            hi_below_down[0] &= keep;
            hi_to_up[0] &= keep;
        }
        again_up = go_up & went_up;
        again_down = go_down & went_down;
        went_up = go_up;
        went_down = go_down;
        open = static_cast<__mmask16>(open & ~settled());
    }

    // Which weights lie in each band, 32 validators at a time from the rounds' comparisons (one
    // 16-bit word per validator, a bit per server): a weight stays in its server's band unless a
    // round moved a bound past it. This replaced a pass over the weights (compare, sum the
    // stakes above and in the band): with the rounds' stores it costs the same in isolation,
    // and the simulator's consensus phase measured ~8% less (noisy), with the rounds' sums
    // (`above`, `from_lo`) ready for pick_mid too.
    std::uint16_t* masks = sc.masks.data();
    {
        const auto spread = [](__mmask16 m) { return _mm512_set1_epi16(static_cast<short>(m)); };
        const __m512i all = _mm512_set1_epi16(-1);
        const __m512i at_min = spread(to_min);
        for (std::size_t c = 0; c < plane; c += 32) {
            // rows past n are not validators
            const std::uint32_t rows_here = n - c >= 32 ? 0xFFFFFFFFu : (1u << (n - c)) - 1u;
            __m512i in = _mm512_maskz_mov_epi16(rows_here, all);
            for (int r = 0; r < rounds; ++r) {
                const std::uint16_t* gt_masks = round_masks + 2 * static_cast<std::size_t>(r) * plane;
                const __m512i gt = _mm512_loadu_si512(gt_masks + c);
                const __m512i ge = _mm512_loadu_si512(gt_masks + plane + c);
                // out_r = (gt ? hi_to_up : lo_past_up) | (ge ? hi_below_down : lo_to_down); in &= ~out_r
                const __m512i out_gt = _mm512_ternarylogic_epi32(gt, spread(hi_to_up[r]), spread(lo_past_up[r]), 0xCA);
                const __m512i out_ge =
                    _mm512_ternarylogic_epi32(ge, spread(hi_below_down[r]), spread(lo_to_down[r]), 0xCA);
                in = _mm512_ternarylogic_epi32(in, out_gt, out_ge, 0x10);
            }
            if (to_min) in = _mm512_andnot_si512(_mm512_and_si512(_mm512_loadu_si512(over_min_masks + c), at_min), in);
            _mm512_storeu_si512(masks + c, in);
        }
    }
    alignas(64) float above_f[kLanes], lo_f[kLanes], hi_f[kLanes];
    alignas(64) float total_f[kLanes];  // the stake from lo up
    _mm512_store_ps(above_f, above);
    _mm512_store_ps(total_f, from_lo);
    _mm512_store_ps(lo_f, lo);
    _mm512_store_ps(hi_f, hi);
    alignas(64) std::int32_t terms_above[kLanes];
    _mm512_store_si512(terms_above, n_above);
    // Float first: the stake above the band surely short of kappa, and the band's pick sure.
    // The pick's sums add at most the stakes above the band and kFew more, none more than the
    // total from lo up: a margin of each server's own, far tighter than the rounds' n-based one
    // at hundreds of rows (which left about one server in sixty unsure).
    alignas(64) float reach[kLanes], short_of[kLanes];
    sure_thresholds(terms_above, kFew, total_f, width, n, stake_total, kappa, reach, short_of);

    // Each server's band as a bitmap over the validators: bit 15 - k of every mask word shifted
    // left by 15 - k, gathered 32 rows at a time by vpmovw2m.
    const std::size_t chunks = (n + 31) / 32;
    std::uint32_t* bits = sc.bits.data();
    for (std::size_t c = 0; c < chunks; ++c) {
        const __m512i v = _mm512_loadu_si512(masks + c * 32);
        for (std::size_t k = 0; k < width; ++k)
            bits[k * chunks + c] = _mm512_movepi16_mask(_mm512_sll_epi16(v, _mm_cvtsi32_si128(static_cast<int>(15 - k))));
    }

    // The stakes above and in each band in double, by one more pass, for the servers that the
    // float sums leave unsure (rare but for hundreds of validators, where several in a block
    // would otherwise each walk their column).
    alignas(64) double above_d[kLanes], band_d[kLanes];
    bool have_double = false;
    auto double_sums = [&] {
        if (have_double) return;
        have_double = true;
        const __m512d zero_d = _mm512_setzero_pd();
        __m512d a_lo = zero_d, a_hi = zero_d, b_lo = zero_d, b_hi = zero_d;
        for (std::size_t i = 0; i < n; ++i) {
            const __m512 x = _mm512_load_ps(tile + i * kLanes);
            const __m512d st = _mm512_set1_pd(sd[i]);
            const __mmask16 gt = _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ);
            const __mmask16 in = static_cast<__mmask16>(masks[i]);
            a_lo = _mm512_mask_add_pd(a_lo, static_cast<__mmask8>(gt), a_lo, st);
            a_hi = _mm512_mask_add_pd(a_hi, static_cast<__mmask8>(gt >> 8), a_hi, st);
            b_lo = _mm512_mask_add_pd(b_lo, static_cast<__mmask8>(in), b_lo, st);
            b_hi = _mm512_mask_add_pd(b_hi, static_cast<__mmask8>(in >> 8), b_hi, st);
        }
        _mm512_store_pd(above_d, a_lo);
        _mm512_store_pd(above_d + 8, a_hi);
        _mm512_store_pd(band_d, b_lo);
        _mm512_store_pd(band_d + 8, b_hi);
    };

    // Each server's band rows, in order, by compressing row numbers under each 16-row mask word
    // (no branch per set bit): at rows + kRowSlots k, for the servers whose band holds at most
    // kMid.
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i sixteen = _mm512_set1_epi32(16);
    alignas(64) std::int32_t rows[kLanes * kRowSlots];
    alignas(64) std::int32_t counts[kLanes] = {};  // band sizes up to kFew; 0 for other bands
    std::size_t in_band[kLanes] = {};
    for (std::size_t k = 0; k < width; ++k) {
        const std::uint32_t* row_bits = bits + k * chunks;
        for (std::size_t c = 0; c < chunks; ++c) in_band[k] += static_cast<std::size_t>(std::popcount(row_bits[c]));
        if (in_band[k] > kMid) continue;
        std::int32_t* out_rows = rows + k * kRowSlots;
        std::size_t m = 0;
        for (std::size_t c = 0; c < chunks; ++c) {
            const std::uint32_t word = row_bits[c];
            const __m512i base = _mm512_add_epi32(iota, _mm512_set1_epi32(static_cast<int>(c * 32)));
            _mm512_storeu_si512(out_rows + m, _mm512_maskz_compress_epi32(static_cast<__mmask16>(word), base));
            m += static_cast<std::size_t>(std::popcount(word & 0xFFFFu));
            _mm512_storeu_si512(out_rows + m, _mm512_maskz_compress_epi32(static_cast<__mmask16>(word >> 16),
                                                                          _mm512_add_epi32(base, sixteen)));
            m += static_cast<std::size_t>(std::popcount(word >> 16));
        }
        counts[k] = m <= kFew ? static_cast<std::int32_t>(m) : 0;
    }

    // The float pick of every server at once, one server per lane (as pick_from_band does for
    // one server in double): candidate j of every server is the vector of their j-th band
    // rows' weights X_j, its stake S_j, and candidate j's stake at or above it adds S_i over
    // the candidates i with X_i >= X_j. A server is decided where every one of its candidates
    // is surely on one side of kappa and one reaches it; the rest take the path below.
    __m512i r[kLanes];
    for (std::size_t k = 0; k < kLanes; ++k)  // (a server with no rows here has none to read)
        r[k] = counts[k] > 0 ? _mm512_load_si512(rows + k * kRowSlots) : _mm512_setzero_si512();
    transpose16(r);  // r[j]: the j-th band row of every server
    const __m512i count_v = _mm512_load_si512(counts);
    __m512 xs[kFew], ss[kFew];
    const __m512 none = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (std::size_t j = 0; j < kFew; ++j) {
        const __mmask16 valid = _mm512_cmpgt_epi32_mask(count_v, _mm512_set1_epi32(static_cast<int>(j)));
        xs[j] = _mm512_mask_i32gather_ps(none, valid, _mm512_add_epi32(_mm512_slli_epi32(r[j], 4), iota), tile, 4);
        ss[j] = _mm512_mask_i32gather_ps(zero, valid, r[j], s, 4);
    }
    const __m512 above_v = _mm512_load_ps(above_f);
    const __m512 reach_v = _mm512_load_ps(reach), short_v = _mm512_load_ps(short_of);
    __m512 best = none;
    __mmask16 reaches = 0, unsure = 0;
    for (std::size_t j = 0; j < kFew; ++j) {
        __m512 acc = zero;
        for (std::size_t i = 0; i < kFew; ++i)
            acc = _mm512_mask_add_ps(acc, _mm512_cmp_ps_mask(xs[j], xs[i], _CMP_LE_OQ), acc, ss[i]);
        const __m512 sum = _mm512_add_ps(above_v, acc);
        const __mmask16 valid = _mm512_cmpgt_epi32_mask(count_v, _mm512_set1_epi32(static_cast<int>(j)));
        const __mmask16 up = _mm512_mask_cmp_ps_mask(valid, sum, reach_v, _CMP_GE_OQ);
        const __mmask16 down = _mm512_mask_cmp_ps_mask(valid, sum, short_v, _CMP_LT_OQ);
        unsure |= static_cast<__mmask16>(valid & ~(up | down));
        reaches |= up;
        best = _mm512_mask_max_ps(best, up, best, xs[j]);
    }
    // Decided in float: the stake above the band surely short of kappa, and either a band of one
    // value whose stake from lo up surely reaches it (by the rounds' margin k_hi: that sum can
    // have any number of terms), or a sure pick.
    const __mmask16 short_above = _mm512_cmp_ps_mask(above_v, short_v, _CMP_LT_OQ);
    const __mmask16 one_value = _mm512_cmp_ps_mask(lo, hi, _CMP_EQ_OQ) &
                                _mm512_cmp_ps_mask(_mm512_load_ps(total_f), k_hi, _CMP_GE_OQ);
    const __mmask16 some = _mm512_cmpgt_epi32_mask(count_v, _mm512_setzero_si512());
    const __mmask16 picked = static_cast<__mmask16>(some & reaches & ~unsure);
    const __mmask16 decided = static_cast<__mmask16>(live & short_above & (one_value | picked));
    _mm512_mask_storeu_ps(out, decided, _mm512_mask_mov_ps(best, one_value, lo));

    for (std::size_t k = 0; k < width; ++k) {
        if ((decided >> k) & 1u) continue;
        float reach_mid, short_of_mid;
        if (mid_pick_thresholds(in_band[k], kFew, lo_f[k], hi_f[k], terms_above[k], total_f[k], above_f[k], n,
                                stake_total, kappa, reach_mid, short_of_mid) &&
            pick_mid(tile, s, rows + k * kRowSlots, in_band[k], k, above_f[k], reach_mid, short_of_mid, out[k]))
            continue;
        // Not sure in float: the sums again in double (for the whole block, once).
        double_sums();
        const double a = above_d[k], band = band_d[k];
        const bool holds = a < kappa && a + band >= kappa;  // the double sums agree
        if (holds && lo_f[k] == hi_f[k]) {
            out[k] = lo_f[k];
            continue;
        }
        if (holds && in_band[k] <= kFew) {
            const std::size_t m = in_band[k];
            const __mmask16 valid = static_cast<__mmask16>((1u << m) - 1u);
            const __m512i rk = _mm512_load_si512(rows + k * kRowSlots);
            const __m512i at = _mm512_add_epi32(_mm512_slli_epi32(rk, 4), _mm512_set1_epi32(static_cast<int>(k)));
            const __m512 x = _mm512_mask_i32gather_ps(none, valid, at, tile, 4);
            const __m512d st_lo = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), static_cast<__mmask8>(valid),
                                                           _mm512_castsi512_si256(rk), sd, 8);
            const __m512d st_hi = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), static_cast<__mmask8>(valid >> 8),
                                                           _mm512_extracti64x4_epi64(rk, 1), sd, 8);
            if (pick_from_band(x, st_lo, st_hi, m, a, kappa, out[k])) continue;
        }
        out[k] = column_quantile(tile, k, s, n, kappa, sc.pairs.data());
    }
}

}  // namespace taocore::consensus::sim::detail
