// SPDX-License-Identifier: MIT
// The float Yuma simulator's epoch loop (see consensus/sim.hpp), written from the formulas in
// spec ecosystem.md §1.5. Compiled once per ISA: the including sim_kernels_<isa>.cpp defines
// TAOCORE_ISA_NS and TAOCORE_ISA_TABLE, and may define TAOCORE_ISA_BLOCK_QUANTILES (a
// BlockQuantiles function that float32 runs use for consensus instead of the reference
// selection), TAOCORE_ISA_NORMALISE_ROW (the float32 row pass of the normalisation, with
// normalise_row_avx512's signature, giving the portable loops' bits), TAOCORE_ISA_LIQUID_ROWS
// (the float32 Yuma 3 liquid-alpha bond rows, with liquid_yuma3_rows_avx512's signature and the
// portable loop's bits) and TAOCORE_SIM_WIDE_LOOP
// (a pragma for the arithmetic-bound loops: the bond updates, the liquid alpha and the
// column sums).
// Everything here lives in the TU's ISA namespace, so no inline function is shared between
// differently compiled TUs.
//
// Rounding follows the float model it reproduces: elementwise arithmetic in T (float32 by
// default), scalar coefficients such as 1 - bond_moving_avg formed in double and then rounded to
// T. Reductions are accumulated in double and rounded to T once; a column sum adds each block of
// eight rows pairwise in T first (panel_sums). Every loop keeps its own fixed order and set of
// lanes, so vectorising it changes no result and every backend gives the same bits.
//
// Layout: the weights and the bond state are kept in panels of kPanel servers (see kPanel in
// sim_kernels.hpp): all validators' weights of sixteen servers, one 64-byte row each, in 16 KB at
// 256 validators. The normalisation writes the raw rows into the panels; the consensus selection
// reads a panel as its tile; then one pass per panel, while the panel stays in L1, sums prerank and
// rank, updates the panel's bonds, sums what the bond step normalises by and adds the panel's
// share of every validator's dividends. The row-major bonds the caller gets are written only
// where they are kept. In the row-major layout these steps each streamed the whole matrices
// through L2 (the rank and bond pass, the prerank sums and the dividends were ~190 us of a
// 256 x 1024 epoch, the consensus tile copies ~30 us more); per panel they take about half that.
// Divisions by a per-server total are multiplications by its reciprocal (for dividends, the
// totals fold into the per-server factors), a few float ulps from the model's quotients: a
// division per element was the larger part of those passes.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim_kernels.hpp"

#if !defined(TAOCORE_SIM_WIDE_LOOP)
#define TAOCORE_SIM_WIDE_LOOP
#endif

namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS {

namespace {

constexpr double kEps = 1e-6;                        // the epsilon of every normalisation that has one
constexpr double kU64Max = 18446744073709551615.0;  // bond capacity per unit of stake (Yuma 2C)
constexpr double kQuant = 65535.0;                   // consensus is quantised to u16 steps
constexpr std::size_t kRowBlock = 4;                 // rows normalised together
constexpr std::size_t kSumRows = 8;                  // rows a column sum adds in T (see panel_sums)
constexpr std::size_t kChunkPanels = 8;              // panels whose dividends share one set of lanes
constexpr std::size_t kAheadBytes = 16384;           // how far ahead a streaming row pass prefetches

/// std::vector's allocator for the large matrices (large_alloc's pages). Defined here, in the
/// ISA namespace, so that no inline function is shared between differently compiled TUs.
template <class T>
struct LargeAllocator {
    using value_type = T;
    LargeAllocator() = default;
    template <class U>
    explicit LargeAllocator(const LargeAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(large_alloc(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { large_free(p); }
    friend bool operator==(const LargeAllocator&, const LargeAllocator&) { return true; }
};
template <class T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

// Streaming (non-temporal) stores of a panel row, where the target has them: SSE2, which every
// x86-64 has. `to` must be 16-byte aligned.
#if defined(__SSE2__)
constexpr bool kStreamStores = true;
template <class T>
inline void stream_panel_row(T* to, const T* from) noexcept {
    for (std::size_t k = 0; k < kPanel * sizeof(T); k += 16)
        _mm_stream_si128(reinterpret_cast<__m128i*>(reinterpret_cast<char*>(to) + k),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const char*>(from) + k)));
}
inline void stream_fence() noexcept { _mm_sfence(); }
#else
constexpr bool kStreamStores = false;
template <class T>
inline void stream_panel_row(T*, const T*) noexcept {}  // never called: kStreamStores is false
inline void stream_fence() noexcept {}
#endif

/// The total of eight double lanes, pairwise: the order every lane-wise sum here ends in.
inline double lanes_total(const double* lane) {
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/// Sum of x[0..n) in double, eight independent lanes (a single accumulator would be bound by
/// the add latency, and without fast-math the compiler may not split it).
template <class T>
double sum_of(const T* x, std::size_t n) {
    double lane[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) lane[k] += static_cast<double>(x[i + k]);
    for (; i < n; ++i) lane[i % 8] += static_cast<double>(x[i]);
    return lanes_total(lane);
}

/// The float's bits as an unsigned integer of its width.
template <class T>
using BitsOf = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

/// True if x[0..n) may hold a negative or non-finite value: some value's sign bit is set, or
/// adding one to its exponent field carries into the sign bit (exponent all ones). Flags -0.0
/// too, which check_weight_values then accepts. Branch-free, so it vectorises.
template <class T>
bool maybe_bad(const T* x, std::size_t n) {
    using Bits = BitsOf<T>;
    constexpr Bits kExpOne = Bits{1} << (std::numeric_limits<T>::digits - 1);
    Bits any = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const Bits v = std::bit_cast<Bits>(x[k]);
        any |= v | (v + kExpOne);
    }
    return (any >> (sizeof(T) * 8 - 1)) != 0;
}

/// min(x, y) for non-NaN x and y >= +0: as signed integers, non-negative floats order as their
/// values do and every negative one (-0 too) below them. One integer instruction in a vectorised
/// loop, where GCC keeps a float min as a compare and a blend, and a float clamp as per-case
/// compares and blends of whatever follows it.
template <class T>
T min_bits(T x, T y) {
    using Signed = std::make_signed_t<BitsOf<T>>;
    return std::bit_cast<T>(std::min(std::bit_cast<Signed>(x), std::bit_cast<Signed>(y)));
}

/// x clamped to [lo, hi], for lo >= +0 and no NaN, on the bits as min_bits: two integer
/// instructions.
template <class T>
T clamp_bits(T x, T lo, T hi) {
    using Signed = std::make_signed_t<BitsOf<T>>;
    return min_bits(std::bit_cast<T>(std::max(std::bit_cast<Signed>(x), std::bit_cast<Signed>(lo))), hi);
}

/// 1 + 2^z in float for |z| <= 125, to within a few ulp, in plain float arithmetic with no
/// branches and no library call, so that a loop around it vectorises and every backend computes
/// the same bits (a libm call per element was most of a liquid-alpha epoch). Base 2 because the
/// caller folds log2(e) into its own scale: the argument needs no reduction by ln 2 (two fused
/// multiply-adds fewer than e^x), and z = n + r splits exactly.
inline float one_plus_pow2_float(float z) {
    // Adding 1.5 * 2^23 rounds z to an integer n and leaves n in the low mantissa bits, which
    // gives 2^n by integer arithmetic (a float-to-int conversion would be a possibly trapping
    // operation that keeps GCC from vectorising). r = z - n is exact (Sterbenz), |r| <= 1/2.
    constexpr float kRound = 12582912.0f;
    const float t = z + kRound;
    const float r = z - (t - kRound);
    // 2^r on [-1/2, 1/2] by kPow2Poly, in fused multiply-adds, each rounded once by
    // definition, so every backend gets their bits (the vector ones in an instruction, the
    // scalar one from libm's fmaf).
    float p = kPow2Poly[0];
    p = std::fma(p, r, kPow2Poly[1]);
    p = std::fma(p, r, kPow2Poly[2]);
    p = std::fma(p, r, kPow2Poly[3]);
    p = std::fma(p, r, kPow2Poly[4]);
    p = std::fma(p, r, kPow2Poly[5]);
    p = std::fma(p, r, kPow2Poly[6]);
    // n + 127 is in [2, 252]: 2^n and p 2^n are normal (a subnormal operand would be finished
    // in microcode, as a clamp on e^x once was at every call, tripling a liquid-alpha epoch).
    const std::uint32_t biased = std::bit_cast<std::uint32_t>(t) - std::bit_cast<std::uint32_t>(kRound) + 127u;
    return std::fma(p, std::bit_cast<float>(biased << 23), 1.0f);
}

/// 1 + 2^z: the vectorisable float kernel for float32 runs, libm for float64.
template <class T>
T one_plus_pow2(T z) {
    if constexpr (std::is_same_v<T, float>)
        return one_plus_pow2_float(z);
    else
        return T(1) + std::exp2(z);
}

/// One column sum of a panel: acc[k] += the sum over its rows r of term(r, k), for the kPanel
/// servers k (see panel_sums).
template <class Term>
struct ColumnSum {
    double* acc;
    Term term;
};
template <class Term>
ColumnSum(double*, Term) -> ColumnSum<Term>;

/// The column sums of a panel's n rows: each block of kSumRows rows is added pairwise in T and
/// its sum added to acc[k] in double (a last block of fewer rows is added row by row in T).
/// before(r0, rows) runs ahead of each block's sums, for work on those rows that the sums read
/// (a bond update) or that the sums hide (memory traffic); the sums of a block follow each
/// other, so they overlap whatever before() waits on. A double addition per element was most of
/// the column passes: a conversion and an add per element where T adds eight. Pairwise over
/// eight rows the block's float sum is within three roundings of exact, and this order is the
/// same on every backend.
template <class T, class Before, class... Terms>
void panel_sums(std::size_t n, const Before& before, ColumnSum<Terms>... sums) {
    std::size_t r = 0;
    auto block = [&r](const auto& sum) {
        TAOCORE_SIM_WIDE_LOOP
        for (std::size_t k = 0; k < kPanel; ++k) {
            const auto& t = sum.term;
            const T s01 = t(r, k) + t(r + 1, k), s23 = t(r + 2, k) + t(r + 3, k);
            const T s45 = t(r + 4, k) + t(r + 5, k), s67 = t(r + 6, k) + t(r + 7, k);
            sum.acc[k] += static_cast<double>(static_cast<T>(static_cast<T>(s01 + s23) + static_cast<T>(s45 + s67)));
        }
    };
    for (; r + kSumRows <= n; r += kSumRows) {
        before(r, kSumRows);
        (block(sums), ...);
    }
    if (r == n) return;
    before(r, n - r);
    auto rest = [&r, n](const auto& sum) {
        T part[kPanel];
        for (std::size_t k = 0; k < kPanel; ++k) part[k] = sum.term(r, k);
        for (std::size_t q = r + 1; q < n; ++q)
            for (std::size_t k = 0; k < kPanel; ++k) part[k] = part[k] + sum.term(q, k);
        for (std::size_t k = 0; k < kPanel; ++k) sum.acc[k] += static_cast<double>(part[k]);
    };
    (rest(sums), ...);
}

/// A before() for panel_sums that does nothing.
inline void no_work(std::size_t, std::size_t) {}

/// Runs fn(begin, end, part) over [0, n) split into `threads` parts; the calling thread takes
/// part 0.
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
    if (threads <= 1 || n < 2) {
        fn(std::size_t{0}, n, std::size_t{0});
        return;
    }
    const std::size_t parts = std::min<std::size_t>(threads, n);
    std::vector<std::thread> pool;
    pool.reserve(parts - 1);
    const std::size_t step = (n + parts - 1) / parts;
    for (std::size_t t = 1; t < parts; ++t) {
        const std::size_t b = t * step, e = std::min(n, b + step);
        if (b < e) pool.emplace_back([&fn, b, e, t] { fn(b, e, t); });
    }
    fn(std::size_t{0}, std::min(n, step), std::size_t{0});
    for (auto& t : pool) t.join();
}

template <class T>
class Simulator {
public:
    Simulator(const Input<T>& in, const Params& p, Version v, Output<T>& out, unsigned threads, RunControl* control,
              BlockQuantiles block = nullptr)
        : in_(in), p_(p), v_(v), out_(out), threads_(threads), control_(control),
          block_(std::is_same_v<T, float> ? block : nullptr),
          V_(in.validators), M_(in.servers), panels_((M_ + kPanel - 1) / kPanel), step_((V_ + 1) * kPanel),
          w_(panels_ * step_), w_prev_(v == Version::yuma2b ? panels_ * step_ : 0), b_(panels_ * step_, T(0)),
          s_(V_), d_(V_), c_prev_(M_, T(0)), y_(M_), inc_(M_), c_mode_(panels_ * kPanel, T(0)),
          bond_sums_(panels_ * kPanel), scratch_(std::max(1u, threads)), k_(coefficients(p)) {
        for (auto& sc : scratch_) {
            sc.pairs.resize(3 * V_);
            if (block_) sc.block.init(V_);
        }
        if (block_) sd_.resize(V_);
    }

    void run() {
        for (std::size_t e = 0; e < in_.epochs; ++e) {
            if (control_ != nullptr && control_->stopped()) throw Stopped();
            epoch(e);
            if (control_ != nullptr) control_->epoch_finished();
        }
    }

private:
    const Input<T>& in_;
    const Params& p_;
    Version v_;
    Output<T>& out_;
    unsigned threads_;
    RunControl* control_;  // null, or where the run counts its epochs and looks for a stop
    BlockQuantiles block_;  // the 16-server selection, where the backend has one (float32 only)
    std::size_t V_, M_;
    // Panels of kPanel servers, and the elements from one panel to the next: V_ rows and one
    // unused. At 64-validator multiples V_ rows alone are a multiple of 4 KB, and a weight row's
    // sixty-four stores into the panels then all fell in one L1 set (the normalisation measured
    // ~10% slower at 256 x 1024).
    std::size_t panels_, step_;
    // w_: normalised weights; b_: the bond state (last epoch's, then this one's). Both in panels,
    // padded with zeros past the last server (the bond updates keep zeros zero).
    LargeVector<T> w_, w_prev_, b_;
    std::vector<T> s_, d_, c_prev_, y_, inc_, c_mode_;
    std::vector<double> bond_sums_, sd_;
    std::vector<T> lanes_;  // dividend sums: kPanel lanes per validator per set of kChunkPanels panels
    std::vector<ColumnScratch<T>> scratch_;
    // The run's coefficients, formed in double and rounded to T once.
    struct Coefficients : LiquidSigmoid<T> {
        T keep_w, beta;                              // Yuma 1/2/2B purchase: (1 - penalty) W + penalty min(W, C)
        T u64, capacity, decay;                      // Yuma 2C: capacity per unit of stake, its share per epoch, 1 - decay
        T buy, hold;                                 // Yuma 3 moving average: 1 - bond_moving_avg and what it keeps
    } k_;

    static Coefficients coefficients(const Params& p) {
        const double buy = 1.0 - p.bond_moving_avg;
        // e^(-steepness (gap - 1/2)) = 2^z, z = K gap - K / 2 with K = -steepness log2(e) (K / 2
        // is exact). The model clamps the gap to [0, 1]; past where |z| reaches 124 the sigmoid
        // is 1 or below 2^-124 (alpha_low to float precision), so the clamp stops there too and
        // 2^z stays a normal float.
        const T scale = static_cast<T>(-p.alpha_sigmoid_steepness * 1.4426950408889634);
        const double reach = 124.0 / std::abs(static_cast<double>(scale));  // inf for a zero scale
        return {scale, static_cast<T>(-0.5 * static_cast<double>(scale)), static_cast<T>(std::max(0.0, 0.5 - reach)),
                static_cast<T>(std::min(1.0, 0.5 + reach)), static_cast<T>(p.alpha_low), static_cast<T>(p.alpha_high),
                static_cast<T>(p.alpha_high - p.alpha_low), static_cast<T>(1.0 - p.bond_penalty),
                static_cast<T>(p.bond_penalty), static_cast<T>(kU64Max), static_cast<T>(p.capacity_alpha),
                static_cast<T>(1.0 - p.decay_rate), static_cast<T>(buy), static_cast<T>(1.0 - buy)};
    }

    T* panel(LargeVector<T>& m, std::size_t p) { return m.data() + p * step_; }
    const T* panel(const T* m, std::size_t p) const { return m + p * step_; }
    std::size_t width(std::size_t p) const { return std::min(kPanel, M_ - p * kPanel); }

    bool relative() const { return v_ == Version::yuma2c || v_ == Version::yuma3 || v_ == Version::yuma3_liquid; }

    // Parts to split a pass over the panels into (small epochs stay on one thread).
    unsigned pass_threads() const { return V_ * M_ >= (std::size_t{1} << 15) ? threads_ : 1; }

    void stake_shares(std::size_t e) {
        const T* stake = in_.stakes + (in_.stake_epochs == 1 ? 0 : e) * V_;
        const T tot = static_cast<T>(sum_of(stake, V_));
        for (std::size_t i = 0; i < V_; ++i) s_[i] = stake[i] / tot;
    }

    // Row-normalised weights, W / (rowsum + eps), into the panels of w_. simulate() leaves the
    // weight values to this pass: checked in cache, not in a pass of their own.
    void normalise_weights(std::size_t e) {
        const T* raw = in_.weights + (in_.weight_epochs == 1 ? 0 : e) * V_ * M_;
        auto den_of = [](double total) { return static_cast<T>(static_cast<T>(total) + static_cast<T>(kEps)); };
#if defined(TAOCORE_ISA_NORMALISE_ROW)
        if constexpr (std::is_same_v<T, float>) {
            // Each pass divides a row while it scans the next and asks for the bytes
            // kAheadBytes past that one (within this epoch's weights).
            auto ahead_of = [&](std::size_t i) {
                const std::size_t at = i * M_ + kAheadBytes / sizeof(T);
                return at + M_ <= V_ * M_ ? raw + at : nullptr;
            };
            RowScan scan = TAOCORE_ISA_NORMALISE_ROW(nullptr, M_, T(1), T(0), nullptr, step_, raw, ahead_of(0));
            for (std::size_t i = 0; i < V_; ++i) {
                const T* row = raw + i * M_;
                if (scan.suspect) check_weight_values(row, M_);
                const bool more = i + 1 < V_;
                // (a suspect row that passed the check may hold -0.0)
                scan = TAOCORE_ISA_NORMALISE_ROW(row, M_, den_of(scan.total), scan.suspect ? T(0) : scan.smallest,
                                                 w_.data() + i * kPanel,
                                                 step_, more ? row + M_ : nullptr, more ? ahead_of(i + 1) : nullptr);
            }
            return;
        }
#endif
        for (std::size_t i0 = 0; i0 < V_; i0 += kRowBlock) {
            const std::size_t rows = std::min(kRowBlock, V_ - i0);
            T den[kRowBlock];
            for (std::size_t r = 0; r < rows; ++r) {
                const T* row = raw + (i0 + r) * M_;
                if (maybe_bad(row, M_)) check_weight_values(row, M_);
                den[r] = den_of(sum_of(row, M_));
            }
            for (std::size_t r = 0; r < rows; ++r) {
                const T* src = raw + (i0 + r) * M_;
                T* dst = w_.data() + (i0 + r) * kPanel;
                // The raw rows come from memory once per epoch, and the hardware prefetcher stops
                // at each 4 KB page (a row at 1024 servers): ask for the next block's row while
                // this one is divided, so that its fetch overlaps arithmetic (~3% an epoch).
                if (i0 + kRowBlock + r < V_) {
                    const char* ahead = reinterpret_cast<const char*>(src + kRowBlock * M_);
                    for (std::size_t b = 0; b < M_ * sizeof(T); b += 64) __builtin_prefetch(ahead + b, 0, 1);
                }
                const T d = den[r];
                for (std::size_t p = 0; p + 1 < panels_; ++p)
                    for (std::size_t k = 0; k < kPanel; ++k) dst[p * step_ + k] = src[p * kPanel + k] / d;
                const std::size_t last = panels_ - 1, n = width(last);
                for (std::size_t k = 0; k < kPanel; ++k)
                    dst[last * step_ + k] = k < n ? src[last * kPanel + k] / d : T(0);
            }
        }
    }

    void consensus(T* c) {
        const unsigned threads = pass_threads();
        const double kappa = static_cast<double>(static_cast<T>(p_.kappa));
        if constexpr (std::is_same_v<T, float>) {
            if (block_) {  // sixteen servers per call, a panel as it lies
                double total = 0.0;
                for (std::size_t i = 0; i < V_; ++i) total += sd_[i] = static_cast<double>(s_[i]);
                parallel_for(panels_, threads, [&](std::size_t b, std::size_t end, std::size_t part) {
                    for (std::size_t p = b; p < end; ++p)
                        block_(panel(w_, p), V_, width(p), s_.data(), sd_.data(), total, kappa, c + p * kPanel,
                               scratch_[part].block);
                });
                return quantise_consensus(c);
            }
        }
        parallel_for(panels_, threads, [&](std::size_t b, std::size_t end, std::size_t part) {
            WeightStake<T>* pairs = scratch_[part].pairs.data();
            for (std::size_t p = b; p < end; ++p)
                for (std::size_t k = 0; k < width(p); ++k)
                    c[p * kPanel + k] = column_quantile(panel(w_, p), k, s_.data(), V_, kappa, pairs);
        });
        quantise_consensus(c);
    }

    // Consensus as shares of its total, floored to multiples of 1/65535.
    void quantise_consensus(T* c) {
        double total = 0.0;
        for (std::size_t j = 0; j < M_; ++j) total += static_cast<double>(c[j]);
        const T tot = static_cast<T>(total), q = static_cast<T>(kQuant);
        for (std::size_t j = 0; j < M_; ++j) {
            const T share = tot > T(0) ? c[j] / tot : T(0);
            c[j] = std::floor(share * q) / q;
        }
    }

    // The incentive, and the ranks' total it divides by (with winner_takes_all: not used).
    T incentive(const T* rank, T* inc) {
        if (p_.winner_takes_all) {
            const T top = *std::max_element(rank, rank + M_);
            std::size_t ties = 0;
            for (std::size_t j = 0; j < M_; ++j) ties += rank[j] == top ? 1 : 0;
            const T share = top > T(0) ? T(1) / static_cast<T>(ties) : T(0);
            for (std::size_t j = 0; j < M_; ++j) inc[j] = rank[j] == top ? share : T(0);
            return T(0);
        }
        double total = 0.0;
        for (std::size_t j = 0; j < M_; ++j) total += static_cast<double>(rank[j]);
        const T tot = static_cast<T>(total);
        for (std::size_t j = 0; j < M_; ++j) inc[j] = tot > T(0) ? rank[j] / tot : T(0);
        return tot;
    }

    // Per-element liquid alpha: buying (W >= B_old) moves with how far W is above consensus,
    // selling with how far the bond is above W; a sigmoid maps that to [alpha_low, alpha_high].
    // The model clamps both gaps to [0, 1] and adds them, the unused one times zero: that is the
    // chosen gap clamped, since the other clamps to +0 (and a zero of either sign gives the same
    // sigmoid). It also clamps the result to at least alpha_low, which lo + sig * span already
    // is (sig > 0, span >= 0 as validated). No value here is NaN (weights are checked, bonds and
    // consensus are built from them), and the clamps act on the bits (see min_bits): written
    // so, with a select, the loop calling this vectorises without per-case code.
    static T liquid_alpha(T w, T b_old, T c, const Coefficients& k) {
        const T gap = w >= b_old ? static_cast<T>(w - c) : static_cast<T>(b_old - w);
        const T z = std::fma(clamp_bits(gap, k.gap_low, k.gap_high), k.gap_scale, k.gap_shift);
        const T sig = T(1) / one_plus_pow2(z);
        return min_bits(static_cast<T>(std::fma(sig, k.alpha_span, k.alpha_low)), k.alpha_high);
    }

    // The bond update of a panel row at the liquid alphas: b[e] = update(e, alpha_e) with alpha_e
    // the liquid alpha of weight w[e], old bond b[e] and the liquid-alpha consensus c[e] of the
    // panel's server e. One loop at the ISA's widest vectors where the TU asks for them (this
    // loop is arithmetic-bound, the others are not); the alphas in a loop of their own and the
    // update in another cost a third more. The coefficients are a local copy, which no store to
    // b can change.
    template <class Update>
    void liquid_update(const T* w, T* b, const T* c, const Update& update) const {
        const Coefficients k = k_;
        TAOCORE_SIM_WIDE_LOOP
        for (std::size_t e = 0; e < kPanel; ++e) b[e] = update(e, liquid_alpha(w[e], b[e], c[e], k));
    }

    // Rank's term S_i min(W, C): a weight clipped at its server's consensus, times the stake.
    static T rank_term(T x, T si, T c) { return static_cast<T>(si * std::min(x, c)); }

    // Yuma 1/2/2B bond purchase: S_i W_b with W_b = (1-beta) W + beta min(W, C).
    T purchase(T x, T si, T c) const {
        return si * (k_.keep_w * x + k_.beta * std::min(x, c));
    }

    // With bond_penalty 1 (the default) the purchase S_i (0 W + 1 min(W, C)) is rank's own term
    // bit for bit (0 W + m is m for every non-negative W and m).
    bool purchase_is_rank_term() const { return k_.keep_w == T(0) && k_.beta == T(1); }

    // Yuma 2C bond update of one panel row (weights w, bonds b, updated in place): a
    // capacity-limited purchase, where a validator can hold at most stake * (2^64 - 1) of a
    // server's bonds and buys at most capacity_alpha of that per epoch.
    void capacity_bond_row(const T* w, T* b, T si) const {
        const T cap = si * k_.u64;
        const T most = k_.capacity * cap, decay = k_.decay;
        TAOCORE_SIM_WIDE_LOOP
        for (std::size_t k = 0; k < kPanel; ++k) {
            const T purchase = std::max(std::min(most, static_cast<T>(cap - b[k])), T(0)) * w[k];
            b[k] = std::min(static_cast<T>(decay * b[k] + purchase), cap);
        }
    }

    // Yuma 3's bond, in [0, 1]: the old one decayed by hold = 1 - alpha, plus alpha W. The model
    // buys alpha W only up to the room left below 1 and caps the sum at 1, which never binds for
    // W and b in [0, 1] (normalised weights; bonds start at 0 and stay in range): the update is
    // a convex combination. At the fixed moving average it is rounded as the model rounds it
    // (the cap at 1 covers the rounding of buy and hold), four operations where the model's
    // order took six. Fusing either product into the sum, or writing it b + buy (W - b), is
    // cheaper still but moves away from the model by the same rounding every epoch under
    // constant weights: 40 epochs at moving average 0.975 took the bonds from 4e-9 to 4e-7
    // relative to yuma-simulation.
    static T yuma3_bond(T w, T b, T buy, T hold) {
        return min_bits(static_cast<T>(static_cast<T>(hold * b) + static_cast<T>(buy * w)), T(1));
    }

    // At a liquid alpha: b + alpha (W - b), one fused multiply-add after the sigmoid's long
    // dependency chain where the model's order puts four operations (W - b waits on nothing):
    // the panel pass of a 256 x 1024 liquid-alpha epoch measured ~20% faster. The price is
    // fidelity to the model's roundings: its bonds on the vector cases moved from 5e-9 to
    // 2.4e-7 relative (the tolerance is 1e-6), and on random runs at alpha ranges from
    // [0.001, 0.01] to [0.7, 0.9] the distance to yuma-simulation stayed within twice what the
    // model's order gave (both up to a few 1e-6 there, from the sigmoid's own last bits). For
    // alpha in [0, 1] the result stays in [0, 1]: W - b >= -b rounded gives at least
    // b (1 - alpha) >= 0; at most, b + alpha RN(1 - b) exceeds 1 by less than 2^-24 (RN(1 - b)
    // is 1 - b or, for b < 1/2, off by at most 2^-25), which rounds to 1.
    static T liquid_yuma3_bond(T w, T b, T alpha) { return std::fma(alpha, static_cast<T>(w - b), b); }

    // Yuma 3 bond update of `count` entries (weights w, bonds b, updated in place) at the fixed
    // moving average. Nothing here depends on the validator, so a whole panel is one loop (a
    // call per 16-entry row cost more than its arithmetic).
    void yuma3_bonds(const T* w, T* b, std::size_t count) const {
        const T buy = k_.buy, hold = k_.hold;
        TAOCORE_SIM_WIDE_LOOP
        for (std::size_t e = 0; e < count; ++e) b[e] = yuma3_bond(w[e], b[e], buy, hold);
    }

    // The column work of panel p while it stays in L1: prerank P_j = sum_i S_i W_ij and rank
    // R_j = sum_i S_i min(Wc_ij, C_j) into prerank and rank, and the bond update in place. Yuma
    // 1/2/2B buy S_i W_b normalised by its column sum and move the bonds toward it (Yuma 1 then
    // normalises the bonds' columns); the relative versions update each bond on its own and leave
    // the new bonds' column sums in bond_sums_ for the dividends. wc is the matrix the clip and
    // the purchase read (Yuma 2B: last epoch's weights), c_mode the liquid-alpha consensus or
    // null, alpha and keep the moving average's weights of the purchase and the old bonds.
    void panel_pass(std::size_t p, const T* cons, const T* wc, const T* c_mode, T alpha, T keep, T* prerank, T* rank,
                    T* lanes) {
        const std::size_t j0 = p * kPanel, n = width(p);
        const T* w = panel(w_, p);
        const T* x = panel(wc, p);
        T* b = panel(b_, p);
        const T* si = s_.data();
        T c[kPanel] = {};
        std::copy(cons + j0, cons + j0 + n, c);
        double pre[kPanel] = {}, rk[kPanel] = {}, sums[kPanel] = {};
        const ColumnSum prerank_sum{pre, [&](std::size_t r, std::size_t k) { return static_cast<T>(si[r] * w[r * kPanel + k]); }};
        const ColumnSum rank_sum{rk,
                                 [&](std::size_t r, std::size_t k) { return rank_term(x[r * kPanel + k], si[r], c[k]); }};
        const T* cm = c_mode ? c_mode + j0 : nullptr;
        if (relative()) {
            // The bonds of each block of rows are updated first, then the block's sums read
            // them: the update waits on memory (the bond state comes from L2 or beyond) while the
            // sums are arithmetic, and one loop overlaps the two.
            auto update = [&](std::size_t r0, std::size_t rows) {
                if (v_ == Version::yuma2c) {  // which has no liquid alpha (nor has the model's)
                    for (std::size_t i = r0; i < r0 + rows; ++i) capacity_bond_row(w + i * kPanel, b + i * kPanel, si[i]);
                } else if (cm) {  // Yuma 3 with liquid alpha
#if defined(TAOCORE_ISA_LIQUID_ROWS)
                    if constexpr (std::is_same_v<T, float>) {
                        TAOCORE_ISA_LIQUID_ROWS(w + r0 * kPanel, b + r0 * kPanel, cm, rows, k_);
                        return;
                    }
#endif
                    for (std::size_t i = r0; i < r0 + rows; ++i) {
                        const T* wi = w + i * kPanel;
                        T* bi = b + i * kPanel;
                        liquid_update(wi, bi, cm,
                                      [wi, bi](std::size_t e, T a) { return liquid_yuma3_bond(wi[e], bi[e], a); });
                    }
                } else {
                    yuma3_bonds(w + r0 * kPanel, b + r0 * kPanel, rows * kPanel);
                }
            };
            panel_sums<T>(V_, update, prerank_sum, rank_sum,
                          ColumnSum{sums, [&](std::size_t r, std::size_t k) { return b[r * kPanel + k]; }});
            std::copy(sums, sums + kPanel, bond_sums_.data() + j0);
            if (lanes) {  // dividends: D'_i = sum_j B_ij R_j / (sum_k B_kj + eps), in L1 still
                T y[kPanel] = {};
                for (std::size_t k = 0; k < n; ++k)
                    y[k] = static_cast<T>(rk[k]) / static_cast<T>(static_cast<T>(sums[k]) + static_cast<T>(kEps));
                // Last row first: the sums have just swept the bond rows first to last, so the
                // last ones are the likeliest still in L1 (the panel's weights, bonds and lanes
                // together fill it at 256 validators). Each lane still adds its panels in order.
                for (std::size_t i = V_; i-- > 0;) add_to_lanes(b + i * kPanel, y, lanes + i * kPanel);
            }
        } else {
            // The bond rows the update below will read are fetched while the sums compute.
            auto fetch = [&](std::size_t r0, std::size_t rows) {
                for (std::size_t i = r0; i < r0 + rows; ++i) __builtin_prefetch(b + i * kPanel, 1, 3);
            };
            // Where the purchase is rank's term, its column sums are the ranks'.
            if (purchase_is_rank_term()) {
                panel_sums<T>(V_, fetch, prerank_sum, rank_sum);
                std::copy(rk, rk + kPanel, sums);
            } else {
                panel_sums<T>(V_, fetch, prerank_sum, rank_sum, ColumnSum{sums, [&](std::size_t r, std::size_t k) {
                                                                      return purchase(x[r * kPanel + k], si[r], c[k]);
                                                                  }});
            }
        }
        for (std::size_t k = 0; k < n; ++k) {
            prerank[j0 + k] = static_cast<T>(pre[k]);
            rank[j0 + k] = static_cast<T>(rk[k]);
        }
        if (relative()) return;
        // Dividends: D'_i = sum_j B_ij R_j, each bond row added once it is final.
        T y[kPanel] = {};
        for (std::size_t k = 0; k < n; ++k) y[k] = rank[j0 + k];
        T* const fold = v_ == Version::yuma1 ? nullptr : lanes;
        // Yuma 1 divides the purchase by (sum + eps); the others by the sum, leaving zero columns
        // zero. The purchase is recomputed rather than stored (same operations, same bits), and
        // dividing is multiplying by the column's reciprocal (a division per bond was most of the
        // pass; the result is within two float ulps of the quotient).
        T inv[kPanel];
        for (std::size_t k = 0; k < kPanel; ++k) {
            const T t = static_cast<T>(sums[k]);
            inv[k] = T(1) / (v_ == Version::yuma1 ? static_cast<T>(t + static_cast<T>(kEps)) : (t > T(0) ? t : T(1)));
        }
        auto update = [&](const auto& buy) {
            for (std::size_t i = V_; i-- > 0;) {  // last row first, as the relative versions' lanes
                const T* xi = x + i * kPanel;
                T* bi = b + i * kPanel;
                const T s = si[i];
                if (cm) {
                    liquid_update(xi, bi, cm, [&](std::size_t k, T a) {
                        return a * static_cast<T>(buy(xi[k], s, c[k]) * inv[k]) + (T(1) - a) * bi[k];
                    });
                } else {
                    TAOCORE_SIM_WIDE_LOOP
                    for (std::size_t k = 0; k < kPanel; ++k)
                        bi[k] = alpha * static_cast<T>(buy(xi[k], s, c[k]) * inv[k]) + keep * bi[k];
                }
                if (fold) add_to_lanes(bi, y, fold + i * kPanel);
            }
        };
        if (purchase_is_rank_term())
            update([](T wv, T sv, T cv) { return rank_term(wv, sv, cv); });
        else
            update([this](T wv, T sv, T cv) { return purchase(wv, sv, cv); });
        if (v_ == Version::yuma1) {  // Yuma 1 keeps the column-normalised bonds
            double bsum[kPanel] = {};
            panel_sums<T>(V_, no_work, ColumnSum{bsum, [&](std::size_t r, std::size_t k) { return b[r * kPanel + k]; }});
            for (std::size_t k = 0; k < kPanel; ++k)
                inv[k] = T(1) / static_cast<T>(static_cast<T>(bsum[k]) + static_cast<T>(kEps));
            for (std::size_t i = 0; i < V_; ++i) {
                for (std::size_t k = 0; k < kPanel; ++k) b[i * kPanel + k] = b[i * kPanel + k] * inv[k];
                if (lanes) add_to_lanes(b + i * kPanel, y, lanes + i * kPanel);
            }
        }
    }

    // lane[k] += B_k y_k for a panel row of bonds B: a validator's dividend sum D_i = sum_j
    // B_ij y_j, in kPanel lanes of T per set of kChunkPanels panels (each lane adds at most
    // kChunkPanels products in T; lanes_sum adds the sets and lanes in double). One multiply and
    // one add per row at the full vector width: the products added in pairs in T and then in
    // double lanes took three times the instructions (a quarter of Yuma 3's panel pass). The
    // dividends move by a few float ulps (at most 2.5e-7 relative over 20 epochs at 256 x 1024).
    // (The sums go through a local array: stored straight to lane, which may alias b or y as far
    // as the compiler knows, the loop was vectorised only behind a runtime overlap check, with
    // a scalar copy beside it; the panel pass measured ~9% slower that way.)
    static void add_to_lanes(const T* b, const T* y, T* lane) {
        T sum[kPanel];
        TAOCORE_SIM_WIDE_LOOP
        for (std::size_t k = 0; k < kPanel; ++k) sum[k] = lane[k] + static_cast<T>(b[k] * y[k]);
        std::copy(sum, sum + kPanel, lane);
    }

    // Sets of kChunkPanels panels, each with its own dividend lanes.
    std::size_t lane_sets() const { return (panels_ + kChunkPanels - 1) / kChunkPanels; }

    // D_i from `sets` sets of lanes (V_ x kPanel each): each lane's sets in order in double, then
    // lanes k and k + 8 paired and the eight pairs added pairwise.
    double lanes_sum(std::size_t i, std::size_t sets) const {
        double l[kPanel] = {};
        for (std::size_t c = 0; c < sets; ++c)
            for (std::size_t k = 0; k < kPanel; ++k) l[k] += static_cast<double>(lanes_[(c * V_ + i) * kPanel + k]);
        double pair[8];
        for (std::size_t k = 0; k < 8; ++k) pair[k] = l[k] + l[k + 8];
        return lanes_total(pair);
    }

    // d[i] = sum_j B_ij y_j for every validator i, panel by panel into the lanes of each set
    // of kChunkPanels panels (all validators' lanes of a set, 16 KB at 256, stay in L1 while
    // its bond panels stream through once).
    void bond_dots(const T* y, T* d) {
        const std::size_t sets = lane_sets();
        lanes_.assign(sets * V_ * kPanel, T(0));
        for (std::size_t p = 0; p < panels_; ++p) {
            const T* b = panel(b_, p);
            T yp[kPanel] = {};
            std::copy(y + p * kPanel, y + p * kPanel + width(p), yp);  // zeros past the last server
            T* lanes = lanes_.data() + (p / kChunkPanels) * V_ * kPanel;
            for (std::size_t i = 0; i < V_; ++i) add_to_lanes(b + i * kPanel, yp, lanes + i * kPanel);
        }
        for (std::size_t i = 0; i < V_; ++i) d[i] = static_cast<T>(lanes_sum(i, sets));
    }

    // The bond state in the caller's row-major order, written row by row: the output is often
    // fresh memory, and writing it in order (reading the panels across) costs a third of
    // writing it panel by panel. With every epoch's bonds kept, a run writes them once and
    // reads none back (1 MiB an epoch at 256 x 1024, ~100 MB a run): streaming stores skip
    // reading each line in before it is overwritten, and keep the run's own matrices in the
    // caches (0.48-0.57 -> 0.41-0.45 ms an epoch at 256 x 1024, yuma2).
    void export_bonds(T* out) {
        const std::size_t full = M_ / kPanel;  // panels of kPanel servers; a last one may hold fewer
        const bool stream =
            kStreamStores && reinterpret_cast<std::uintptr_t>(out) % 16 == 0 && (M_ * sizeof(T)) % 16 == 0;
        for (std::size_t i = 0; i < V_; ++i) {
            T* row = out + i * M_;
            const T* b = b_.data() + i * kPanel;
            for (std::size_t p = 0; p < full; ++p) {
                if (stream) {
                    stream_panel_row(row + p * kPanel, b + p * step_);
                } else {
                    for (std::size_t k = 0; k < kPanel; ++k) row[p * kPanel + k] = b[p * step_ + k];
                }
            }
            for (std::size_t k = 0; k < M_ - full * kPanel; ++k) row[full * kPanel + k] = b[full * step_ + k];
        }
        if (stream) stream_fence();
    }

    void epoch(std::size_t e) {
        stake_shares(e);
        T* prerank = out_.prerank + e * M_;
        T* cons = out_.consensus + e * M_;
        T* rank = out_.rank + e * M_;
        T* inc_out = out_.incentive + e * M_;
        T* div = out_.dividends + e * V_;
        // Where this epoch's bonds go in row-major order: its own slot, or with only the final
        // state kept, the output in the last epoch and nowhere before.
        T* bonds_out = out_.every_epoch_bonds ? out_.bonds + e * V_ * M_
                                              : (e + 1 == in_.epochs ? out_.bonds : nullptr);

        // Yuma 2B clips and bonds with last epoch's weights (this epoch's on the first): keep
        // them by swapping buffers rather than copying.
        const bool fresh_weights = e == 0 || in_.weight_epochs != 1;
        if (v_ == Version::yuma2b && e > 0 && fresh_weights) std::swap(w_, w_prev_);
        if (fresh_weights) normalise_weights(e);
        const T* wc = (v_ == Version::yuma2b && e > 0 && fresh_weights) ? w_prev_.data() : w_.data();

        // A bond reset zeroes one server's bonds in the state this epoch starts from.
        if (relative() && p_.reset_bonds_index && p_.reset_bonds_epoch && *p_.reset_bonds_epoch == e) {
            const std::size_t j = *p_.reset_bonds_index;
            T* b = panel(b_, j / kPanel);
            for (std::size_t i = 0; i < V_; ++i) b[i * kPanel + j % kPanel] = T(0);
        }

        consensus(cons);

        const bool liquid = e > 0 && (p_.liquid_alpha || v_ == Version::yuma3_liquid);
        if (liquid) {
            for (std::size_t j = 0; j < M_; ++j) {
                switch (p_.liquid_alpha_consensus_mode) {
                    case ConsensusMode::current: c_mode_[j] = cons[j]; break;
                    case ConsensusMode::previous: c_mode_[j] = c_prev_[j]; break;
                    case ConsensusMode::mixed: c_mode_[j] = std::max(cons[j], c_prev_[j]); break;
                }
            }
        }
        // The moving average of Yuma 1/2/2B: the first epoch (and every Yuma 1 epoch) takes the
        // purchase as it is.
        const double a64 = (e == 0 || v_ == Version::yuma1) ? 1.0 : 1.0 - p_.bond_moving_avg;
        const T alpha = static_cast<T>(a64), keep = static_cast<T>(1.0 - a64);
        // The dividends fold into the panel pass as D'_i = sum_j B_ij R_j (over the column's
        // bond total for the relative versions), divided by the ranks' total afterwards: the
        // incentive's own division factored out, which the pass cannot know yet. Each set of
        // kChunkPanels panels has its own lanes, summed in order afterwards, so the bits do not
        // depend on how the sets are split among threads. Winner-takes-all incentives are not
        // proportional to rank: those dividends take a pass of their own.
        const bool fold = !p_.winner_takes_all;
        const std::size_t sets = lane_sets();
        if (fold) lanes_.assign(sets * V_ * kPanel, T(0));
        parallel_for(sets, pass_threads(), [&](std::size_t b, std::size_t end, std::size_t) {
            for (std::size_t c = b; c < end; ++c)
                for (std::size_t p = c * kChunkPanels; p < std::min(panels_, (c + 1) * kChunkPanels); ++p)
                    panel_pass(p, cons, wc, liquid ? c_mode_.data() : nullptr, alpha, keep, prerank, rank,
                               fold ? lanes_.data() + c * V_ * kPanel : nullptr);
        });
        const T rank_total = incentive(rank, inc_.data());
        std::memcpy(inc_out, inc_.data(), M_ * sizeof(T));

        if (fold) {
            for (std::size_t i = 0; i < V_; ++i)
                d_[i] = rank_total > T(0) ? static_cast<T>(static_cast<T>(lanes_sum(i, sets)) / rank_total) : T(0);
        } else {
            if (relative()) {
                // D_i = sum_j B_ij / (sum_k B_kj + eps) I_j, as sum_j B_ij (I_j / (sum_k B_kj +
                // eps)): one division per server instead of one per bond. All terms are
                // non-negative, so the sum stays within a few float ulps of the model's.
                for (std::size_t j = 0; j < M_; ++j)
                    y_[j] = inc_[j] / static_cast<T>(static_cast<T>(bond_sums_[j]) + static_cast<T>(kEps));
            } else {
                std::memcpy(y_.data(), inc_.data(), M_ * sizeof(T));
            }
            bond_dots(y_.data(), d_.data());
        }
        if (bonds_out) export_bonds(bonds_out);
        if (relative() && v_ != Version::yuma2c)
            for (std::size_t i = 0; i < V_; ++i) d_[i] = s_[i] * d_[i];
        double total = 0.0;
        for (std::size_t i = 0; i < V_; ++i) total += static_cast<double>(d_[i]);
        const T den = static_cast<T>(static_cast<T>(total) + static_cast<T>(kEps));
        for (std::size_t i = 0; i < V_; ++i) div[i] = d_[i] / den;

        std::memcpy(c_prev_.data(), cons, M_ * sizeof(T));
    }
};

template <class T>
void run(const Input<T>& in, const Params& params, Version version, Output<T>& out, unsigned threads,
         RunControl* control) {
#if defined(TAOCORE_ISA_BLOCK_QUANTILES)
    Simulator<T> sim(in, params, version, out, threads == 0 ? 1 : threads, control, &TAOCORE_ISA_BLOCK_QUANTILES);
#else
    Simulator<T> sim(in, params, version, out, threads == 0 ? 1 : threads, control);
#endif
    sim.run();
}

}  // namespace

}  // namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS

namespace taocore::consensus::sim::detail {

const sim_kernels TAOCORE_ISA_TABLE = {&TAOCORE_ISA_NS::run<float>, &TAOCORE_ISA_NS::run<double>};

}  // namespace taocore::consensus::sim::detail
