// SPDX-License-Identifier: MIT
// The float simulator behind the runtime dispatch. The whole epoch loop lives in
// sim_epoch-inl.hpp and is compiled once per ISA (sim_kernels_<isa>.cpp): the loops are written so
// that the compiler vectorises them without changing a single rounding (elementwise float work,
// double accumulators indexed by server or by a fixed lane), so those parts give the same bits on
// every backend. The consensus selection is the hand-written part (float32: sixteen servers at
// once, in AVX2 or AVX-512 registers; float64 and the scalar backend select one server at a time
// with the reference); it sums stakes in a different order than the scalar reference, so
// consensus may differ only where the running stake lands on kappa within double rounding.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "taocore/consensus/sim.hpp"
#include "taocore/simd/backend.hpp"

namespace taocore::consensus::sim::detail {

/// Scratch of the block selections (block_quantiles_avx512 / _avx2), sized for n validators by init().
struct BlockScratch {
    // Per validator: which servers' bands hold its weight (AVX-512: one 16-bit word per
    // validator; AVX2: the same storage as two byte planes, servers 0-7 then 8-15).
    std::vector<std::uint16_t> masks;
    std::vector<std::uint32_t> bits;     // per server: the same as a bitmap over validators
    std::vector<WeightStake<float>> pairs;  // the reference selection's input and scratch
    // AVX-512: each narrowing round's two comparisons of every validator's weights with the
    // pivots (one 16-bit word per validator each), kSelectionRounds rounds of them, then the
    // first round's comparison with each server's smallest weight; zero past n.
    static constexpr std::size_t kSelectionRounds = 8;
    std::vector<std::uint16_t> round_masks;

    void init(std::size_t n) {
        masks.assign((n + 31) / 32 * 32, 0);
        round_masks.assign((2 * kSelectionRounds + 1) * masks.size(), 0);
        bits.assign(16 * ((n + 31) / 32) + 8, 0);  // + 8: the AVX2 kernel reads bitmaps 32 bytes at a time
        pairs.resize(3 * n);
    }
};

/// When the block selections' narrowing rounds stop early: once every server still open has a
/// band of at most kSelectionMid weights and at most kSelectionMidServers servers are open, each
/// of those is picked on its own (a round over all the validators costs about six such picks).
constexpr std::size_t kSelectionMid = 32;
constexpr int kSelectionMidServers = 4;

/// The servers of one panel of the simulator's weights: kPanel servers side by side, row after
/// row, one row per validator (server j of validator i at panel j / kPanel, offset
/// i * kPanel + j % kPanel). The selection kernels take a panel as it is, one vector row per
/// validator, and the epoch's column passes keep a panel in L1 while they sweep its rows.
constexpr std::size_t kPanel = 16;

/// The reference selection of server k of a panel (n rows): its column copied into (weight,
/// stake) pairs, then weighted_quantile_desc (`pairs` holds 3n: the n pairs and the 2n it works
/// in). Every backend's fallback for a server its vector selection leaves undecided.
template <class T>
T column_quantile(const T* panel, std::size_t k, const T* s, std::size_t n, double kappa, WeightStake<T>* pairs);
extern template float column_quantile<float>(const float*, std::size_t, const float*, std::size_t, double,
                                             WeightStake<float>*);
extern template double column_quantile<double>(const double*, std::size_t, const double*, std::size_t, double,
                                               WeightStake<double>*);

/// The consensus of the `width` <= kPanel servers of a panel (n rows, 64-byte aligned, zeros past
/// width): the AVX-512 column-parallel selection, same answer as weighted_quantile_desc (double
/// stake sums, in another order). s holds the stake shares, sd the same in double, stake_total
/// their sum in double; out receives width values.
void block_quantiles_avx512(const float* panel, std::size_t n, std::size_t width, const float* s, const double* sd,
                            double stake_total, double kappa, float* out, BlockScratch& sc);
/// The same selection under AVX2 (sim_quantile_avx2.cpp), for CPUs without AVX-512.
void block_quantiles_avx2(const float* panel, std::size_t n, std::size_t width, const float* s, const double* sd,
                          double stake_total, double kappa, float* out, BlockScratch& sc);
using BlockQuantiles = decltype(&block_quantiles_avx512);

/// What normalise_row_avx512 finds of a raw row: its sum in double (eight lanes as the epoch
/// loop's sum_of adds them), `suspect` where its maybe_bad would be set (then
/// check_weight_values decides), and its smallest positive weight (+inf if none).
struct RowScan {
    double total;
    bool suspect;
    float smallest;
};

/// One pass of the float32 weight normalisation under AVX-512 (sim_rows_avx512.cpp), with the
/// portable loops' results bit for bit: raw row src's m weights divided by den (the row's
/// smallest positive weight is `smallest`, or 0 where the row may hold -0.0), rounded as the
/// float division, into its panel rows
/// (weights 16p to 16p + 15 at dst + p * panel_step, 64-byte aligned, the last one padded with
/// zeros), while the m weights at next are scanned (the result) and m floats at ahead are
/// prefetched. A null src divides nothing, a null next scans nothing (the result is then
/// unspecified), a null ahead prefetches nothing.
RowScan normalise_row_avx512(const float* src, std::size_t m, float den, float smallest, float* dst,
                             std::size_t panel_step, const float* next, const float* ahead);

/// Liquid alpha's sigmoid for one run: alpha = min(alpha_low + alpha_span / (1 + 2^z), alpha_high)
/// with z = gap_scale * gap + gap_shift, the gap clamped to [gap_low, gap_high] (the epoch
/// loop's liquid_alpha says why each step is written as it is).
template <class T>
struct LiquidSigmoid {
    T gap_scale, gap_shift, gap_low, gap_high, alpha_low, alpha_high, alpha_span;
};

/// 2^r on [-1/2, 1/2] for the float sigmoid: a degree-6 polynomial fitted for relative error
/// (1.9e-9 before rounding), highest power first, evaluated by Horner's rule in fused
/// multiply-adds on every backend.
inline constexpr float kPow2Poly[7] = {1.53533620e-4f, 1.33988750e-3f, 9.61843692e-3f, 5.55033237e-2f,
                                       2.40226477e-1f, 6.93147182e-1f, 1.0f};

/// Yuma 3's liquid-alpha bond update of `rows` panel rows under AVX-512 (sim_rows_avx512.cpp),
/// with the portable loop's bits: b = b + alpha (w - b) at each element's liquid alpha, from
/// its weight w, its old bond b and its server's liquid-alpha consensus c (kPanel values).
void liquid_yuma3_rows_avx512(const float* w, float* b, const float* c, std::size_t rows,
                              const LiquidSigmoid<float>& k);

/// The thresholds at which a float stake sum decides a block selection's band pick surely, for
/// each server k < count: a sum at or above reach[k] surely reaches kappa, one below
/// short_of[k] surely falls short, in exact arithmetic and in the reference's double sums
/// alike. terms[k] + extra_terms bounds how many float stakes any of server k's sums adds,
/// largest[k] is the largest of those sums (as computed), n the number of validators and
/// stake_total their stakes' double sum.
///
/// Why these bounds: a float sum F of t non-negative terms with exact sum E, added in any order,
/// has |F - E| <= g E with g = x / (1 - x), x = t 2^-24 (Higham's gamma, with t for t - 1), so
/// E <= F / (1 - g) and |F - E| <= g / (1 - g) F = x / (1 - 2x) F <= x (1 + 4x) F for x <= 1/4.
/// The reference adds at most n of the same stakes in double: within n 2^-53 (1 + tiny) of the
/// exact sum, which n 2^-52 stake_total covers. A margin of both around kappa, rounded outward
/// to float, leaves no float sum that could land on the other side of kappa in either. (Past
/// x = 1/4 nothing is called sure.) The rounding outward is nextafter on the bits (finite values
/// only).
///
/// Defined here, with internal linkage, so that each selection kernel compiles its own copy with
/// its ISA's vectors: written without branches, the loop vectorises (as a scalar call per server
/// it was 5% of the AVX-512 selection).
namespace {
inline void sure_thresholds(const std::int32_t* terms, std::size_t extra_terms, const float* largest,
                            std::size_t count, std::size_t n, double stake_total, double kappa, float* reach,
                            float* short_of) {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    auto next_up = [](float v) {  // nextafter(v, +inf) for finite v
        const auto b = std::bit_cast<std::uint32_t>(v);
        return v == 0.0f ? std::numeric_limits<float>::denorm_min() : std::bit_cast<float>(v > 0.0f ? b + 1 : b - 1);
    };
    const double slack = static_cast<double>(n) * 0x1p-52 * stake_total;
    const double extra = static_cast<double>(extra_terms);
    for (std::size_t k = 0; k < count; ++k) {
        const double x = (static_cast<double>(terms[k]) + extra) * 0x1p-24;
        const double margin = x * (1.0 + 4.0 * x) * static_cast<double>(largest[k]) + slack;
        const bool bounded = x <= 0.25;
        const float up = next_up(static_cast<float>(kappa + margin));
        const float down = -next_up(-static_cast<float>(kappa - margin));
        reach[k] = bounded ? up : kInf;
        short_of[k] = bounded ? down : -kInf;
    }
}

/// Whether a band the rounds left at few < in_band <= kSelectionMid weights may be picked in
/// float on its own (both selection kernels' early stop): it holds more than one value (lo <
/// hi) and the stake above it, `above`, is surely short of kappa by the margins of a pick over
/// up to kSelectionMid candidates, which it leaves in reach / short_of (sure_thresholds with
/// that many extra terms; terms_above and from_lo as there, for this one server).
inline bool mid_pick_thresholds(std::size_t in_band, std::size_t few, float lo, float hi, std::int32_t terms_above,
                                float from_lo, float above, std::size_t n, double stake_total, double kappa,
                                float& reach, float& short_of) {
    if (in_band <= few || in_band > kSelectionMid || lo == hi) return false;
    sure_thresholds(&terms_above, kSelectionMid, &from_lo, 1, n, stake_total, kappa, &reach, &short_of);
    return above < short_of;
}
}  // namespace

/// Memory for the simulator's large matrices: on 2 MiB pages where the OS grants them (see
/// sim.cpp), 64-byte aligned otherwise. Throws std::bad_alloc.
void* large_alloc(std::size_t bytes);
void large_free(void* p) noexcept;

/// Per-thread scratch of the consensus selection, sized once per run.
template <class T>
struct ColumnScratch {
    std::vector<WeightStake<T>> pairs;     // the reference selection's (weight, stake) pairs
    BlockScratch block;                    // the block selection's (float32 AVX2 / AVX-512)
};

/// Throws InvalidInput ("weights: ...") for the first negative or non-finite value of x[0..n).
template <class T>
void check_weight_values(const T* x, std::size_t n);
extern template void check_weight_values<float>(const float*, std::size_t);
extern template void check_weight_values<double>(const double*, std::size_t);

struct sim_kernels {
    void (*run_f32)(const Input<float>&, const Params&, Version, Output<float>&, unsigned threads, RunControl*);
    void (*run_f64)(const Input<double>&, const Params&, Version, Output<double>&, unsigned threads, RunControl*);
};

extern const sim_kernels sim_kernels_scalar;
#if defined(TAOCORE_HAVE_AVX2)
extern const sim_kernels sim_kernels_avx2;
#endif
#if defined(TAOCORE_HAVE_AVX512)
extern const sim_kernels sim_kernels_avx512;  // the AVX2 epoch loop with block_quantiles_avx512
#endif

/// The table for b; throws std::invalid_argument if b is
/// not supported here.
const sim_kernels& sim_kernels_for(simd::backend b);

}  // namespace taocore::consensus::sim::detail
