// SPDX-License-Identifier: MIT
// The float Yuma simulator's epoch loop (see consensus/sim.hpp), written from the formulas in
// spec ecosystem.md §1.5. Compiled once per ISA: the including sim_kernels_<isa>.cpp defines
// TAOCORE_ISA_NS and TAOCORE_ISA_TABLE, and may define TAOCORE_ISA_BLOCK_QUANTILES (a
// BlockQuantiles function that float32 runs use for consensus instead of the reference
// selection), TAOCORE_ISA_ROW_TOTAL and TAOCORE_ISA_DIVIDE_ROW (float32 row steps of the
// normalisation with row_total_avx512's and divide_row_avx512's signatures, giving the portable
// loops' bits) and TAOCORE_SIM_WIDE_LOOP (a pragma for the arithmetic-bound liquid-alpha loop).
// Everything here lives in the TU's ISA namespace, so no inline function is shared between
// differently compiled TUs.
//
// Rounding follows the float model it reproduces: elementwise arithmetic in T (float32 by
// default), reductions accumulated in double and rounded to T once, scalar coefficients such as
// 1 - bond_moving_avg formed in double and then rounded to T. Every loop over servers keeps one
// double accumulator per server and every row reduction a fixed set of lanes, so vectorising them
// changes no result.
//
// Layout: the matrix passes run row by row (validator-major, the layout of the inputs and of the
// bonds output) and fuse what they can: normalisation with prerank, rank with the bond update
// and its column sums, bond normalisation with dividends. The reference consensus selection
// (float64, and float32 on the scalar backend) reads server-major columns, transposed a few
// servers at a time into a buffer that stays in L1; the block selection reads the rows directly.
// Divisions by a per-server total are multiplications by its reciprocal (or, for dividends, the
// total folds into the incentive), a few float ulps from the model's quotients: a division per
// element was the larger part of those passes.
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

#include "sim_kernels.hpp"

#if !defined(TAOCORE_SIM_WIDE_LOOP)
#define TAOCORE_SIM_WIDE_LOOP
#endif

namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS {

namespace {

constexpr double kEps = 1e-6;                        // the epsilon of every normalisation that has one
constexpr double kU64Max = 18446744073709551615.0;  // bond capacity per unit of stake (Yuma 2C)
constexpr double kQuant = 65535.0;                   // consensus is quantised to u16 steps
constexpr std::size_t kRowBlock = 8;                 // rows normalised (or transposed) together
constexpr std::size_t kColBlock = 8;                 // servers transposed together for their selections
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

/// Sum of x[0..n) in double, eight independent lanes (a single accumulator would be bound by
/// the add latency, and without fast-math the compiler may not split it).
template <class T>
double sum_of(const T* x, std::size_t n) {
    double lane[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) lane[k] += static_cast<double>(x[i + k]);
    for (; i < n; ++i) lane[i % 8] += static_cast<double>(x[i]);
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/// Sum of x[k] * y[k] (products in T) in double, eight lanes.
template <class T>
double dot_of(const T* x, const T* y, std::size_t n) {
    double lane[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) lane[k] += static_cast<double>(x[i + k] * y[i + k]);
    for (; i < n; ++i) lane[i % 8] += static_cast<double>(x[i] * y[i]);
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
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

/// x, or +0 where x is negative (or -0); x must not be NaN. On the bits: GCC turns a float
/// min/max clamp inside a vectorised loop into per-case compares and blends of what follows it
/// (seven instructions for one clamp in the liquid-alpha loop), where this is two integer ones.
template <class T>
T drop_negative(T x) {
    using Bits = BitsOf<T>;
    using Signed = std::make_signed_t<Bits>;
    const Bits b = std::bit_cast<Bits>(x);
    return std::bit_cast<T>(b & ~static_cast<Bits>(static_cast<Signed>(b) >> (sizeof(T) * 8 - 1)));
}

/// min(x, y) for non-negative, non-NaN x and y: their bit patterns order as their values do. One
/// integer instruction in a vectorised loop (see drop_negative).
template <class T>
T min_nonnegative(T x, T y) {
    using Bits = BitsOf<T>;
    return std::bit_cast<T>(std::min(std::bit_cast<Bits>(x), std::bit_cast<Bits>(y)));
}

/// e^x in float to within a few ulp, in plain float arithmetic with no branches and no library
/// call, so that a loop around it vectorises and every backend computes the same bits (a libm
/// expf call per element is most of a liquid-alpha epoch). x is clamped to where e^x is a normal
/// float; past either end the sigmoid it feeds rounds to the same value anyway.
inline float exp_float(float x) {
    x = std::min(std::max(x, -87.0f), 88.0f);
    // x = n ln2 + r, |r| <= ln2 / 2. Adding 1.5 * 2^23 rounds x log2(e) to an integer n and
    // leaves n in the low mantissa bits, which gives 2^n by integer arithmetic (a float-to-int
    // conversion would be a possibly trapping operation that keeps GCC from vectorising).
    constexpr float kRound = 12582912.0f;
    const float t = x * 1.44269504088896341f + kRound;
    const float n = t - kRound;
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;  // ln 2 split in two parts
    // Taylor to degree 7: the remainder is below 6e-9 relative on |r| <= 0.35.
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const std::uint32_t biased = std::bit_cast<std::uint32_t>(t) - std::bit_cast<std::uint32_t>(kRound) + 127u;
    return p * std::bit_cast<float>(biased << 23);  // biased in [1, 254] after the clamp
}

/// e^x: the vectorisable float kernel for float32 runs, libm for float64.
template <class T>
T exp_of(T x) {
    if constexpr (std::is_same_v<T, float>)
        return exp_float(x);
    else
        return std::exp(x);
}

/// acc[j] += double(x[j]) for j < n.
template <class T>
void accumulate(double* acc, const T* x, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) acc[j] += static_cast<double>(x[j]);
}

/// acc[j] += term(r, j) for r < rows, in order, for each column j < m: a block of rows added into
/// column sums with each column's accumulator held in a register across the block rather than
/// loaded and stored once per row. Same sums, in the same order, as adding the rows one by one.
template <std::size_t R, class Term>
void column_sums_fixed(std::size_t m, double* acc, const Term& term) {
    for (std::size_t j = 0; j < m; ++j) {
        double a = acc[j];
        for (std::size_t r = 0; r < R; ++r) a += term(r, j);
        acc[j] = a;
    }
}

/// column_sums_fixed for any number of rows (blocks of kRowBlock get the register-held sums).
template <class Term>
void column_sums(std::size_t rows, std::size_t m, double* acc, const Term& term) {
    if (rows == kRowBlock) return column_sums_fixed<kRowBlock>(m, acc, term);
    for (std::size_t r = 0; r < rows; ++r)
        column_sums_fixed<1>(m, acc, [&](std::size_t, std::size_t j) { return term(r, j); });
}

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

/// dst[j * ldt + r] = rows[r * ld + j] for r < nrows, j < cols.
template <class T>
void transpose_rows(const T* rows, std::size_t ld, std::size_t nrows, std::size_t cols, T* dst, std::size_t ldt) {
    for (std::size_t j = 0; j < cols; ++j)
        for (std::size_t r = 0; r < nrows; ++r) dst[j * ldt + r] = rows[r * ld + j];
}

/// The reference selection of one server: its column copied into (weight, stake) pairs (`pairs`
/// holds 3n: the n pairs and the 2n weighted_quantile_desc works in).
template <class T>
T column_quantile(const T* col, const T* s, std::size_t n, double kappa, WeightStake<T>* pairs) {
    for (std::size_t i = 0; i < n; ++i) pairs[i] = {col[i], s[i]};
    return weighted_quantile_desc(pairs, pairs + n, n, kappa);
}

template <class T>
class Simulator {
public:
    Simulator(const Input<T>& in, const Params& p, Version v, Output<T>& out, unsigned threads,
              BlockQuantiles block = nullptr)
        : in_(in), p_(p), v_(v), out_(out), threads_(threads), block_(std::is_same_v<T, float> ? block : nullptr),
          V_(in.validators), M_(in.servers),
          w_(V_ * M_), w_prev_(v == Version::yuma2b ? V_ * M_ : 0),
          zero_bonds_(V_ * M_, T(0)),
          reset_bonds_(p.reset_bonds_index ? V_ * M_ : 0),
          s_(V_), d_(V_), c_prev_(M_, T(0)), r_(M_), inc_(M_), c_mode_(M_), acc_(M_),
          acc2_(M_), scratch_(std::max(1u, threads)) {
        for (auto& sc : scratch_) {
            sc.pairs.resize(3 * V_);
            sc.columns.resize(kColBlock * V_);
            if (block_) sc.block.init(V_);
        }
        if (block_) sd_.resize(V_);
    }

    void run() {
        for (std::size_t e = 0; e < in_.epochs; ++e) epoch(e);
    }

private:
    const Input<T>& in_;
    const Params& p_;
    Version v_;
    Output<T>& out_;
    unsigned threads_;
    BlockQuantiles block_;  // the 16-server selection, where the backend has one (float32 only)
    std::size_t V_, M_;
    // w_: normalised weights, row-major.
    LargeVector<T> w_, w_prev_, zero_bonds_, reset_bonds_;
    std::vector<T> s_, d_, c_prev_, r_, inc_, c_mode_;
    std::vector<double> acc_, acc2_, sd_;
    std::vector<ColumnScratch<T>> scratch_;

    // Where epoch e's bonds go: the output's slot for e or, when only the final state is kept,
    // the output itself for every epoch: each epoch updates the state in place (every bond
    // update reads an entry and writes that same entry), so the matrices a pass touches are one
    // fewer and the state stays in cache.
    T* bond_slot(std::size_t e) { return out_.every_epoch_bonds ? out_.bonds + e * V_ * M_ : out_.bonds; }

    bool relative() const { return v_ == Version::yuma2c || v_ == Version::yuma3 || v_ == Version::yuma3_liquid; }

    void stake_shares(std::size_t e) {
        const T* stake = in_.stakes + (in_.stake_epochs == 1 ? 0 : e) * V_;
        const T tot = static_cast<T>(sum_of(stake, V_));
        for (std::size_t i = 0; i < V_; ++i) s_[i] = stake[i] / tot;
    }

    // Row-normalised weights (W / (rowsum + eps)) into w_, with prerank P_j = sum_i
    // S_i W_ij summed along the way (rows in order, so the sums do not depend on the blocking).
    void normalise_weights(std::size_t e, T* prerank) {
        const T* raw = in_.weights + (in_.weight_epochs == 1 ? 0 : e) * V_ * M_;
        std::fill(acc_.begin(), acc_.end(), 0.0);
        for (std::size_t i0 = 0; i0 < V_; i0 += kRowBlock) {
            const std::size_t rows = std::min(kRowBlock, V_ - i0);
            T den[kRowBlock], si[kRowBlock];
            for (std::size_t r = 0; r < rows; ++r) {
                const T* row = raw + (i0 + r) * M_;
                // simulate() leaves the weight values to this loop: checked in cache, not in a
                // pass of their own.
                bool suspect;
                double total;
#if defined(TAOCORE_ISA_ROW_TOTAL)
                if constexpr (std::is_same_v<T, float>) {
                    // This one pass streams the raw rows: it asks for the bytes kAheadBytes on
                    // (within this epoch's weights) while it sums.
                    const std::size_t at = (i0 + r) * M_ + kAheadBytes / sizeof(T);
                    total = TAOCORE_ISA_ROW_TOTAL(row, M_, at + M_ <= V_ * M_ ? raw + at : nullptr, suspect);
                } else
#endif
                {
                    suspect = maybe_bad(row, M_);
                    total = sum_of(row, M_);
                }
                if (suspect) check_weight_values(row, M_);
                den[r] = static_cast<T>(static_cast<T>(total) + static_cast<T>(kEps));
                si[r] = s_[i0 + r];
            }
            for (std::size_t r = 0; r < rows; ++r) {
                const T* src = raw + (i0 + r) * M_;
                T* dst = w_.data() + (i0 + r) * M_;
#if defined(TAOCORE_ISA_DIVIDE_ROW)
                if constexpr (std::is_same_v<T, float>) {
                    TAOCORE_ISA_DIVIDE_ROW(src, M_, den[r], dst);
                    continue;
                }
#endif
                // The raw rows come from memory once per epoch, and the hardware prefetcher stops
                // at each 4 KB page (a row at 1024 servers): ask for the next block's row while
                // this one is divided, so that its fetch overlaps arithmetic (~3% an epoch).
                if (i0 + kRowBlock + r < V_) {
                    const char* ahead = reinterpret_cast<const char*>(src + kRowBlock * M_);
                    for (std::size_t b = 0; b < M_ * sizeof(T); b += 64) __builtin_prefetch(ahead + b, 0, 1);
                }
                for (std::size_t j = 0; j < M_; ++j) dst[j] = src[j] / den[r];
            }
            const T* wb = w_.data() + i0 * M_;
            column_sums(rows, M_, acc_.data(),
                        [&](std::size_t r, std::size_t j) { return static_cast<double>(si[r] * wb[r * M_ + j]); });
        }
        for (std::size_t j = 0; j < M_; ++j) prerank[j] = static_cast<T>(acc_[j]);
    }

    // Prerank alone, for epochs that reuse last epoch's weights with new stakes.
    void prerank_only(T* prerank) {
        std::fill(acc_.begin(), acc_.end(), 0.0);
        for (std::size_t i = 0; i < V_; ++i) {
            const T si = s_[i];
            const T* w = w_.data() + i * M_;
            double* acc = acc_.data();
            for (std::size_t j = 0; j < M_; ++j) acc[j] += static_cast<double>(si * w[j]);
        }
        for (std::size_t j = 0; j < M_; ++j) prerank[j] = static_cast<T>(acc_[j]);
    }

    void consensus(T* c) {
        const std::size_t work = V_ * M_;
        const unsigned threads = work >= (std::size_t{1} << 15) ? threads_ : 1;
        const double kappa = static_cast<double>(static_cast<T>(p_.kappa));
        if constexpr (std::is_same_v<T, float>) {
            if (block_) {  // sixteen servers per call, straight from the row-major weights
                double total = 0.0;
                for (std::size_t i = 0; i < V_; ++i) total += sd_[i] = static_cast<double>(s_[i]);
                const std::size_t blocks16 = (M_ + 15) / 16;
                parallel_for(blocks16, threads, [&](std::size_t b, std::size_t end, std::size_t part) {
                    for (std::size_t jb = b; jb < end; ++jb) {
                        const std::size_t j0 = jb * 16;
                        block_(w_.data() + j0, M_, V_, std::min<std::size_t>(16, M_ - j0), s_.data(), sd_.data(),
                               total, kappa, c + j0, scratch_[part].block);
                    }
                });
                return quantise_consensus(c);
            }
        }
        // Column blocks of kColBlock servers are transposed into a small server-major buffer
        // just before their selection: a server-major copy of the whole matrix, written while
        // normalising, cost more than all the selections (every store a cache miss).
        const std::size_t blocks = (M_ + kColBlock - 1) / kColBlock;
        parallel_for(blocks, threads, [&](std::size_t b, std::size_t end, std::size_t part) {
            ColumnScratch<T>& sc = scratch_[part];
            T* cols = sc.columns.data();
            for (std::size_t jb = b; jb < end; ++jb) {
                const std::size_t j0 = jb * kColBlock, width = std::min(kColBlock, M_ - j0);
                for (std::size_t i0 = 0; i0 < V_; i0 += kRowBlock)
                    transpose_rows(w_.data() + i0 * M_ + j0, M_, std::min(kRowBlock, V_ - i0), width, cols + i0, V_);
                for (std::size_t k = 0; k < width; ++k)
                    c[j0 + k] = column_quantile(cols + k * V_, s_.data(), V_, kappa, sc.pairs.data());
            }
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

    void incentive(const T* rank, T* inc) {
        if (p_.winner_takes_all) {
            const T top = *std::max_element(rank, rank + M_);
            std::size_t ties = 0;
            for (std::size_t j = 0; j < M_; ++j) ties += rank[j] == top ? 1 : 0;
            const T share = top > T(0) ? T(1) / static_cast<T>(ties) : T(0);
            for (std::size_t j = 0; j < M_; ++j) inc[j] = rank[j] == top ? share : T(0);
            return;
        }
        double total = 0.0;
        for (std::size_t j = 0; j < M_; ++j) total += static_cast<double>(rank[j]);
        const T tot = static_cast<T>(total);
        for (std::size_t j = 0; j < M_; ++j) inc[j] = tot > T(0) ? rank[j] / tot : T(0);
    }

    // Per-element liquid alpha: buying (W >= B_old) moves with how far W is above consensus,
    // selling with how far the bond is above W; a sigmoid maps that to [alpha_low, alpha_high].
    // The model clamps both gaps to [0, 1] and adds them, the unused one times zero: that is the
    // chosen gap clamped, since the other clamps to +0 (and a zero of either sign gives the same
    // diff - 0.5). It also clamps the result to at least alpha_low, which lo + sig * span already
    // is (sig > 0, span >= 0 as validated). No value here is NaN (weights are checked, bonds and
    // consensus are built from them), and the clamps that remain act on the bits (see
    // drop_negative): written so, with a select, the loop calling this vectorises without
    // per-case code, about a fifth fewer instructions than the model's four clamps.
    T liquid_alpha(T w, T b_old, T c) const {
        const T gap = w >= b_old ? static_cast<T>(w - c) : static_cast<T>(b_old - w);
        const T diff = min_nonnegative(drop_negative(gap), T(1));
        const T steep = static_cast<T>(p_.alpha_sigmoid_steepness);
        const T sig = T(1) / (T(1) + exp_of(-steep * (diff - T(0.5))));
        const T lo = static_cast<T>(p_.alpha_low), hi = static_cast<T>(p_.alpha_high);
        const T span = static_cast<T>(p_.alpha_high - p_.alpha_low);
        return min_nonnegative(static_cast<T>(lo + sig * span), hi);
    }

    // update(j, alpha_j) for each server of a row, with the entry's liquid alpha, in one loop at
    // the ISA's widest vectors where the TU asks for them (this loop is arithmetic-bound, the
    // others are not). update may write entry j of a row that aliases b_old, and nothing else.
    template <class Update>
    void with_liquid_alpha(const T* w, const T* b_old, const Update& update) const {
        const T* c = c_mode_.data();
        TAOCORE_SIM_WIDE_LOOP
        for (std::size_t j = 0; j < M_; ++j) update(j, liquid_alpha(w[j], b_old[j], c[j]));
    }

    // Yuma 1/2/2B bond purchase: S_i W_b with W_b = (1-beta) W + beta min(W, C).
    T purchase(T x, T si, T c) const {
        const T keep_w = static_cast<T>(1.0 - p_.bond_penalty), beta = static_cast<T>(p_.bond_penalty);
        return si * (keep_w * x + beta * std::min(x, c));
    }

    // Yuma 2C/3/3-liquid bond update of one row into `out`.
    void relative_bond_row(const T* w, const T* b_old, T si, bool liquid, T* out) {
        if (v_ == Version::yuma2c) {
            // Capacity-limited purchase: a validator can hold at most stake * (2^64 - 1) of a
            // server's bonds and buys at most capacity_alpha of that per epoch.
            const T u64 = static_cast<T>(kU64Max), ca = static_cast<T>(p_.capacity_alpha);
            const T decay = static_cast<T>(1.0 - p_.decay_rate);
            const T cap = si * u64;
            const T most = ca * cap;
            for (std::size_t j = 0; j < M_; ++j) {
                const T purchase = std::max(std::min(most, static_cast<T>(cap - b_old[j])), T(0)) * w[j];
                out[j] = std::min(static_cast<T>(decay * b_old[j] + purchase), cap);
            }
            return;
        }
        // Yuma 3: bonds per (validator, server) in [0, 1]; decay by 1 - alpha, buy alpha W.
        const double a64 = 1.0 - p_.bond_moving_avg;
        const T a_s = static_cast<T>(a64), keep_s = static_cast<T>(1.0 - a64);
        if (liquid) {
            with_liquid_alpha(w, b_old, [&](std::size_t j, T a) {
                const T decayed = (T(1) - a) * b_old[j];
                const T bought = std::min(static_cast<T>(a * w[j]), static_cast<T>(T(1) - decayed));
                out[j] = std::min(static_cast<T>(decayed + bought), T(1));
            });
        } else {
            for (std::size_t j = 0; j < M_; ++j) {
                const T decayed = keep_s * b_old[j];
                const T bought = std::min(static_cast<T>(a_s * w[j]), static_cast<T>(T(1) - decayed));
                out[j] = std::min(static_cast<T>(decayed + bought), T(1));
            }
        }
    }

    void epoch(std::size_t e) {
        stake_shares(e);
        T* prerank = out_.prerank + e * M_;
        T* cons = out_.consensus + e * M_;
        T* rank = out_.rank + e * M_;
        T* inc_out = out_.incentive + e * M_;
        T* div = out_.dividends + e * V_;
        T* bonds = bond_slot(e);

        // Yuma 2B clips and bonds with last epoch's weights (this epoch's on the first): keep
        // them by swapping buffers rather than copying.
        const bool fresh_weights = e == 0 || in_.weight_epochs != 1;
        if (v_ == Version::yuma2b && e > 0 && fresh_weights) std::swap(w_, w_prev_);
        if (fresh_weights)
            normalise_weights(e, prerank);
        else
            prerank_only(prerank);
        const T* w = w_.data();
        const T* wc = (v_ == Version::yuma2b && e > 0 && fresh_weights) ? w_prev_.data() : w;

        const T* b_old = e == 0 ? zero_bonds_.data() : bond_slot(e - 1);
        if (relative() && p_.reset_bonds_index && p_.reset_bonds_epoch && *p_.reset_bonds_epoch == e) {
            std::memcpy(reset_bonds_.data(), b_old, V_ * M_ * sizeof(T));
            for (std::size_t i = 0; i < V_; ++i) reset_bonds_[i * M_ + *p_.reset_bonds_index] = T(0);
            b_old = reset_bonds_.data();
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

        // One pass over the rows: rank R_j = sum_i S_i min(W_ij, C_j) into acc_, and into acc2_
        // the column sums the bond step normalises by (of the purchase for Yuma 1/2/2B, of the
        // new bonds, written here, for the relative versions).
        std::fill(acc_.begin(), acc_.end(), 0.0);
        std::fill(acc2_.begin(), acc2_.end(), 0.0);
        for (std::size_t i0 = 0; i0 < V_; i0 += kRowBlock) {
            const std::size_t rows = std::min(kRowBlock, V_ - i0);
            const T* si = s_.data() + i0;
            const T* xb = wc + i0 * M_;
            column_sums(rows, M_, acc_.data(), [&](std::size_t r, std::size_t j) {
                return static_cast<double>(si[r] * std::min(xb[r * M_ + j], cons[j]));
            });
            if (relative()) {
                for (std::size_t r = 0; r < rows; ++r) {
                    const std::size_t i = i0 + r;
                    relative_bond_row(w + i * M_, b_old + i * M_, si[r], liquid, bonds + i * M_);
                }
                const T* ob = bonds + i0 * M_;
                column_sums(rows, M_, acc2_.data(),
                            [&](std::size_t r, std::size_t j) { return static_cast<double>(ob[r * M_ + j]); });
            } else {
                column_sums(rows, M_, acc2_.data(), [&](std::size_t r, std::size_t j) {
                    return static_cast<double>(purchase(xb[r * M_ + j], si[r], cons[j]));
                });
            }
        }
        for (std::size_t j = 0; j < M_; ++j) rank[j] = static_cast<T>(acc_[j]);
        incentive(rank, inc_.data());
        std::memcpy(inc_out, inc_.data(), M_ * sizeof(T));
        const T* inc = inc_.data();

        if (!relative()) {
            // Yuma 1 divides the purchase by (sum + eps); the others by the sum, leaving zero
            // columns zero. The purchase is recomputed rather than stored: same operations, same
            // bits, one matrix less to write and read back. Dividing is multiplying by the
            // column's reciprocal here (a division per bond was most of the pass; the result is
            // within two float ulps of the quotient).
            for (std::size_t j = 0; j < M_; ++j) {
                const T r = static_cast<T>(acc2_[j]);
                r_[j] = T(1) / (v_ == Version::yuma1 ? static_cast<T>(r + static_cast<T>(kEps)) : (r > T(0) ? r : T(1)));
            }
            const double a64 = (e == 0 || v_ == Version::yuma1) ? 1.0 : 1.0 - p_.bond_moving_avg;
            const T a_s = static_cast<T>(a64), keep_s = static_cast<T>(1.0 - a64);
            if (v_ == Version::yuma1) std::fill(acc2_.begin(), acc2_.end(), 0.0);
            for (std::size_t i = 0; i < V_; ++i) {
                const T* x = wc + i * M_;
                const T* bo = b_old + i * M_;
                T* out = bonds + i * M_;
                // One loop per row for the purchase, its normalisation and the moving average
                // (separate loops stored and reloaded the row twice more).
                const T si = s_[i];
                const T* r = r_.data();
                if (liquid) {
                    with_liquid_alpha(x, bo, [&](std::size_t j, T a) {
                        out[j] = a * static_cast<T>(purchase(x[j], si, cons[j]) * r[j]) + (T(1) - a) * bo[j];
                    });
                } else {
                    for (std::size_t j = 0; j < M_; ++j)
                        out[j] = a_s * static_cast<T>(purchase(x[j], si, cons[j]) * r[j]) + keep_s * bo[j];
                }
                if (v_ == Version::yuma1)
                    accumulate(acc2_.data(), out, M_);
                else
                    d_[i] = static_cast<T>(dot_of(out, inc, M_));
            }
            if (v_ == Version::yuma1) {
                // Yuma 1 keeps the column-normalised bonds.
                for (std::size_t j = 0; j < M_; ++j)
                    r_[j] = T(1) / static_cast<T>(static_cast<T>(acc2_[j]) + static_cast<T>(kEps));
                for (std::size_t i = 0; i < V_; ++i) {
                    T* out = bonds + i * M_;
                    for (std::size_t j = 0; j < M_; ++j) out[j] = out[j] * r_[j];
                    d_[i] = static_cast<T>(dot_of(out, inc, M_));
                }
            }
        } else {
            // Dividends from the column-normalised bonds: D_i = sum_j B_ij / (sum_k B_kj + eps) I_j,
            // as sum_j B_ij (I_j / (sum_k B_kj + eps)): one division per server instead of one
            // per bond (a division per element was most of this pass). All terms are
            // non-negative, so the sum stays within a few float ulps of the model's.
            for (std::size_t j = 0; j < M_; ++j)
                r_[j] = inc[j] / static_cast<T>(static_cast<T>(acc2_[j]) + static_cast<T>(kEps));
            for (std::size_t i = 0; i < V_; ++i) d_[i] = static_cast<T>(dot_of(bonds + i * M_, r_.data(), M_));
            if (v_ != Version::yuma2c)
                for (std::size_t i = 0; i < V_; ++i) d_[i] = s_[i] * d_[i];
        }
        double total = 0.0;
        for (std::size_t i = 0; i < V_; ++i) total += static_cast<double>(d_[i]);
        const T den = static_cast<T>(static_cast<T>(total) + static_cast<T>(kEps));
        for (std::size_t i = 0; i < V_; ++i) div[i] = d_[i] / den;

        std::memcpy(c_prev_.data(), cons, M_ * sizeof(T));
    }
};

template <class T>
void run(const Input<T>& in, const Params& params, Version version, Output<T>& out, unsigned threads) {
#if defined(TAOCORE_ISA_BLOCK_QUANTILES)
    Simulator<T> sim(in, params, version, out, threads == 0 ? 1 : threads, &TAOCORE_ISA_BLOCK_QUANTILES);
#else
    Simulator<T> sim(in, params, version, out, threads == 0 ? 1 : threads);
#endif
    sim.run();
}

}  // namespace

}  // namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS

namespace taocore::consensus::sim::detail {

const sim_kernels TAOCORE_ISA_TABLE = {&TAOCORE_ISA_NS::run<float>, &TAOCORE_ISA_NS::run<double>};

}  // namespace taocore::consensus::sim::detail
