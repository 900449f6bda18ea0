// SPDX-License-Identifier: MIT
// The float Yuma simulator (see consensus/sim.hpp), written from the formulas in
// spec ecosystem.md §1.5. Each epoch is a handful of row-major passes over the validators x
// servers matrix plus one weighted-quantile selection per server column.
//
// Rounding follows the float model it reproduces: elementwise arithmetic in T (float32 by
// default), reductions accumulated in double and rounded to T once, scalar coefficients such as
// 1 - bond_moving_avg formed in double and then rounded to T.
#include "taocore/consensus/sim.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace taocore::consensus::sim {

namespace {

constexpr double kEps = 1e-6;             // the epsilon of every normalisation that has one
constexpr double kU64Max = 18446744073709551615.0;  // bond capacity per unit of stake (Yuma 2C)
constexpr double kQuant = 65535.0;        // consensus is quantised to u16 steps

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace

Version parse_version(std::string_view name) {
    const std::string n = lower(name);
    if (n == "yuma1") return Version::yuma1;
    if (n == "yuma2") return Version::yuma2;
    if (n == "yuma2b") return Version::yuma2b;
    if (n == "yuma2c") return Version::yuma2c;
    if (n == "yuma3") return Version::yuma3;
    if (n == "yuma3_liquid") return Version::yuma3_liquid;
    throw InvalidInput("version: unknown '" + std::string(name) +
                       "' (expected yuma1, yuma2, yuma2b, yuma2c, yuma3 or yuma3_liquid)");
}

ConsensusMode parse_consensus_mode(std::string_view name) {
    const std::string n = lower(name);
    if (n == "current") return ConsensusMode::current;
    if (n == "previous") return ConsensusMode::previous;
    if (n == "mixed") return ConsensusMode::mixed;
    throw InvalidInput("liquid_alpha_consensus_mode: unknown '" + std::string(name) +
                       "' (expected CURRENT, PREVIOUS or MIXED)");
}

namespace detail {

template <class T>
T weighted_quantile_desc(WeightStake<T>* a, WeightStake<T>* b, std::size_t n, double kappa) {
    if (kappa <= 0.0) {
        T top = a[0].w;
        for (std::size_t i = 1; i < n; ++i) top = std::max(top, a[i].w);
        return top;
    }
    // [lo, hi) of `cur` is the undecided part; everything that ranks above it has stake `acc`.
    WeightStake<T>* cur = a;
    WeightStake<T>* other = b;
    std::size_t lo = 0, hi = n;
    double acc = 0.0;
    T fallback = a[0].w;
    if (n > 64) {
        // First round, Floyd-Rivest style: two pivots from an evenly spaced sample of 16,
        // placed around where the sample's running stake reaches kappa, so that one pass leaves
        // only a small middle band (expected) to select in.
        constexpr std::size_t K = 16;
        WeightStake<T> smp[K];
        for (std::size_t k = 0; k < K; ++k) smp[k] = a[(2 * k + 1) * n / (2 * K)];
        for (std::size_t k = 1; k < K; ++k) {
            const WeightStake<T> x = smp[k];
            std::size_t m = k;
            for (; m > 0 && smp[m - 1].w < x.w; --m) smp[m] = smp[m - 1];
            smp[m] = x;
        }
        double total = 0.0;
        for (const auto& x : smp) total += static_cast<double>(x.s);
        std::size_t cross = K / 2;
        if (total > 0.0) {
            double run = 0.0;
            for (std::size_t k = 0; k < K; ++k) {
                run += static_cast<double>(smp[k].s);
                if (run >= kappa * total) {
                    cross = k;
                    break;
                }
            }
        }
        const T p_hi = smp[cross > 0 ? cross - 1 : 0].w, p_lo = smp[std::min(cross + 1, K - 1)].w;
        WeightStake<T>* mid = b + n;
        std::size_t up = 0, down = n, nm = 0;
        double above_l[2] = {}, mid_l[2] = {};
        for (std::size_t i = 0; i < n; ++i) {
            const WeightStake<T> x = a[i];
            const bool gt = x.w > p_hi, lt = x.w < p_lo, in = !gt && !lt;
            other[up] = x;
            other[down - 1] = x;
            mid[nm] = x;
            up += static_cast<std::size_t>(gt);
            down -= static_cast<std::size_t>(lt);
            nm += static_cast<std::size_t>(in);
            const double st = static_cast<double>(x.s);
            above_l[i & 1] += st * static_cast<double>(gt);
            mid_l[i & 1] += st * static_cast<double>(in);
        }
        std::copy(mid, mid + nm, other + up);  // up + nm == down
        cur = other;
        other = a;
        const double above = above_l[0] + above_l[1], middle = mid_l[0] + mid_l[1];
        if (above >= kappa) {
            hi = up;
        } else if (above + middle >= kappa) {
            acc = above;
            lo = up;
            hi = down;
        } else {
            acc = above + middle;
            fallback = p_lo;
            lo = down;
            if (lo == hi) return fallback;
        }
    }
    while (hi - lo > 8) {
        T p0 = cur[lo].w, p1 = cur[lo + (hi - lo) / 2].w, p2 = cur[hi - 1].w;
        if (p0 > p1) std::swap(p0, p1);
        if (p1 > p2) std::swap(p1, p2);
        if (p0 > p1) std::swap(p0, p1);
        const T p = p1;
        // Branchless three-way split into `other`: > p packed up from lo, < p packed down from
        // hi, == p dropped (only its stake matters).
        std::size_t up = lo, down = hi;
        // Four lanes per sum so the adds do not wait on each other.
        double above_l[4] = {}, equal_l[4] = {};
        auto step = [&](const WeightStake<T> x, std::size_t lane) {
            const bool gt = x.w > p, lt = x.w < p;
            other[up] = x;
            other[down - 1] = x;
            up += static_cast<std::size_t>(gt);
            down -= static_cast<std::size_t>(lt);
            // Multiply by 0/1 rather than select: compilers turn the select into a branch.
            const double st = static_cast<double>(x.s);
            above_l[lane] += st * static_cast<double>(gt);
            equal_l[lane] += st * static_cast<double>(!gt && !lt);
        };
        std::size_t i = lo;
        for (; i + 4 <= hi; i += 4) {
            step(cur[i], 0);
            step(cur[i + 1], 1);
            step(cur[i + 2], 2);
            step(cur[i + 3], 3);
        }
        for (; i < hi; ++i) step(cur[i], 0);
        const double above = (above_l[0] + above_l[1]) + (above_l[2] + above_l[3]);
        const double equal = (equal_l[0] + equal_l[1]) + (equal_l[2] + equal_l[3]);
        std::swap(cur, other);
        if (acc + above >= kappa) {
            hi = up;  // non-empty: acc < kappa <= acc + above
        } else if (acc + above + equal >= kappa) {
            return p;
        } else {
            acc += above + equal;
            fallback = p;
            lo = down;
            if (lo == hi) return fallback;  // the stake never reached kappa: smallest weight
        }
    }
    // Few left: insertion-sort them, highest first, and walk the running stake.
    for (std::size_t i = lo + 1; i < hi; ++i) {
        const WeightStake<T> x = cur[i];
        std::size_t k = i;
        for (; k > lo && cur[k - 1].w < x.w; --k) cur[k] = cur[k - 1];
        cur[k] = x;
    }
    for (std::size_t i = lo; i < hi; ++i) {
        acc += static_cast<double>(cur[i].s);
        if (acc >= kappa) return cur[i].w;
    }
    return hi > lo ? cur[hi - 1].w : fallback;
}

template float weighted_quantile_desc<float>(WeightStake<float>*, WeightStake<float>*, std::size_t, double);
template double weighted_quantile_desc<double>(WeightStake<double>*, WeightStake<double>*, std::size_t, double);

}  // namespace detail

namespace {

void check_unit(double v, const char* name) {
    if (!(v >= 0.0 && v <= 1.0)) throw InvalidInput(std::string(name) + ": must be in [0, 1], got " + std::to_string(v));
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

/// Runs fn(begin, end) over [0, n) split into `threads` chunks; the calling thread takes one.
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
    if (threads <= 1 || n < 2) {
        fn(std::size_t{0}, n);
        return;
    }
    const std::size_t parts = std::min<std::size_t>(threads, n);
    std::vector<std::thread> pool;
    pool.reserve(parts - 1);
    const std::size_t step = (n + parts - 1) / parts;
    for (std::size_t t = 1; t < parts; ++t) {
        const std::size_t b = t * step, e = std::min(n, b + step);
        if (b < e) pool.emplace_back([&fn, b, e] { fn(b, e); });
    }
    fn(std::size_t{0}, std::min(n, step));
    for (auto& th : pool) th.join();
}

template <class T>
class Simulator {
public:
    Simulator(const Input<T>& in, const Params& p, Version v, Output<T>& out, unsigned threads)
        : in_(in), p_(p), v_(v), out_(out), threads_(threads), V_(in.validators), M_(in.servers),
          w_(V_ * M_), w_prev_(v == Version::yuma2b ? V_ * M_ : 0), db_(V_ * M_), zero_bonds_(V_ * M_, T(0)),
          reset_bonds_(p.reset_bonds_index ? V_ * M_ : 0), s_(V_), d_(V_), c_prev_(M_, T(0)), r_(M_), inc_(M_),
          c_mode_(M_), acc_(M_) {}

    void run() {
        for (std::size_t e = 0; e < in_.epochs; ++e) epoch(e);
    }

private:
    const Input<T>& in_;
    const Params& p_;
    Version v_;
    Output<T>& out_;
    unsigned threads_;
    std::size_t V_, M_;
    std::vector<T> w_, w_prev_, db_, zero_bonds_, reset_bonds_, s_, d_, c_prev_, r_, inc_, c_mode_;
    std::vector<double> acc_;

    bool relative() const { return v_ == Version::yuma2c || v_ == Version::yuma3 || v_ == Version::yuma3_liquid; }

    // Row-normalised weights (W / (rowsum + eps)) and stake shares (S / sum S).
    void normalise_inputs(std::size_t e) {
        const T* raw = in_.weights + (in_.weight_epochs == 1 ? 0 : e) * V_ * M_;
        for (std::size_t i = 0; i < V_; ++i) {
            const T* row = raw + i * M_;
            const double sum = sum_of(row, M_);
            const T den = static_cast<T>(static_cast<T>(sum) + static_cast<T>(kEps));
            T* dst = w_.data() + i * M_;
            for (std::size_t j = 0; j < M_; ++j) dst[j] = row[j] / den;
        }
        const T* stake = in_.stakes + (in_.stake_epochs == 1 ? 0 : e) * V_;
        const T tot = static_cast<T>(sum_of(stake, V_));
        for (std::size_t i = 0; i < V_; ++i) s_[i] = stake[i] / tot;
    }

    // out[j] = sum_i S_i * m[i][j], accumulated in double.
    template <class Elem>
    void stake_colsum(Elem elem, T* out) {
        std::fill(acc_.begin(), acc_.end(), 0.0);
        for (std::size_t i = 0; i < V_; ++i) {
            const T si = s_[i];
            for (std::size_t j = 0; j < M_; ++j) acc_[j] += static_cast<double>(si * elem(i, j));
        }
        for (std::size_t j = 0; j < M_; ++j) out[j] = static_cast<T>(acc_[j]);
    }

    void consensus(T* c) {
        const std::size_t work = V_ * M_;
        const unsigned threads = work >= (std::size_t{1} << 15) ? threads_ : 1;
        const double kappa = static_cast<double>(static_cast<T>(p_.kappa));
        parallel_for(M_, threads, [&](std::size_t b, std::size_t end) {
            // Gather 16 columns at a time (one cache line per row): a column-at-a-time gather
            // strides by the row length, and at power-of-two row lengths every row of a column
            // lands in the same cache set.
            constexpr std::size_t kBlock = 16;
            std::vector<detail::WeightStake<T>> block(kBlock * V_), scratch(2 * V_);
            for (std::size_t j0 = b; j0 < end; j0 += kBlock) {
                const std::size_t width = std::min(kBlock, end - j0);
                for (std::size_t i = 0; i < V_; ++i) {
                    const T* row = w_.data() + i * M_ + j0;
                    const T si = s_[i];
                    for (std::size_t jj = 0; jj < width; ++jj) block[jj * V_ + i] = {row[jj], si};
                }
                for (std::size_t jj = 0; jj < width; ++jj)
                    c[j0 + jj] = detail::weighted_quantile_desc(block.data() + jj * V_, scratch.data(), V_, kappa);
            }
        });
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
    T liquid_alpha(T w, T b_old, T c) const {
        const T diff = w >= b_old ? std::clamp(w - c, T(0), T(1)) : std::clamp(b_old - w, T(0), T(1));
        const T steep = static_cast<T>(p_.alpha_sigmoid_steepness);
        const T sig = T(1) / (T(1) + std::exp(-steep * (diff - T(0.5))));
        const T lo = static_cast<T>(p_.alpha_low), hi = static_cast<T>(p_.alpha_high);
        const T span = static_cast<T>(p_.alpha_high - p_.alpha_low);
        return std::clamp(static_cast<T>(lo + sig * span), lo, hi);
    }

    // Column sums of m (double), rounded to T.
    void colsum(const T* m, T* out) {
        std::fill(acc_.begin(), acc_.end(), 0.0);
        for (std::size_t i = 0; i < V_; ++i)
            for (std::size_t j = 0; j < M_; ++j) acc_[j] += static_cast<double>(m[i * M_ + j]);
        for (std::size_t j = 0; j < M_; ++j) out[j] = static_cast<T>(acc_[j]);
    }

    // d_[i] = sum_j m[i][j] * inc[j] (double accumulation).
    void row_dot_incentive(const T* m) {
        for (std::size_t i = 0; i < V_; ++i) {
            d_[i] = static_cast<T>(dot_of(m + i * M_, inc_.data(), M_));
        }
    }

    void epoch(std::size_t e) {
        normalise_inputs(e);
        T* prerank = out_.prerank + e * M_;
        T* cons = out_.consensus + e * M_;
        T* rank = out_.rank + e * M_;
        T* inc_out = out_.incentive + e * M_;
        T* div = out_.dividends + e * V_;
        T* bonds = out_.bonds + e * V_ * M_;

        const T* b_old = e == 0 ? zero_bonds_.data() : out_.bonds + (e - 1) * V_ * M_;
        if (relative() && p_.reset_bonds_index && p_.reset_bonds_epoch && *p_.reset_bonds_epoch == e) {
            std::memcpy(reset_bonds_.data(), b_old, V_ * M_ * sizeof(T));
            for (std::size_t i = 0; i < V_; ++i) reset_bonds_[i * M_ + *p_.reset_bonds_index] = T(0);
            b_old = reset_bonds_.data();
        }

        const T* w = w_.data();
        // Yuma 2B clips and bonds with last epoch's weights (this epoch's on the first).
        const T* wc = (v_ == Version::yuma2b && e > 0) ? w_prev_.data() : w;

        stake_colsum([w, this](std::size_t i, std::size_t j) { return w[i * M_ + j]; }, prerank);
        consensus(cons);
        stake_colsum([wc, cons, this](std::size_t i, std::size_t j) { return std::min(wc[i * M_ + j], cons[j]); }, rank);
        incentive(rank, inc_.data());
        std::memcpy(inc_out, inc_.data(), M_ * sizeof(T));

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

        const std::size_t n = V_ * M_;
        if (v_ == Version::yuma1 || v_ == Version::yuma2 || v_ == Version::yuma2b) {
            // Bond purchase: stake times penalised weights W_b = (1-beta) W + beta min(W, C),
            // column-normalised.
            const T keep_w = static_cast<T>(1.0 - p_.bond_penalty), beta = static_cast<T>(p_.bond_penalty);
            for (std::size_t i = 0; i < V_; ++i)
                for (std::size_t j = 0; j < M_; ++j) {
                    const T x = wc[i * M_ + j];
                    db_[i * M_ + j] = s_[i] * (keep_w * x + beta * std::min(x, cons[j]));
                }
            colsum(db_.data(), r_.data());  // r_ is scratch here
            // Yuma 1 divides by (sum + eps); the others by the sum, leaving zero columns zero.
            for (std::size_t j = 0; j < M_; ++j)
                r_[j] = v_ == Version::yuma1 ? static_cast<T>(r_[j] + static_cast<T>(kEps)) : (r_[j] > T(0) ? r_[j] : T(1));
            for (std::size_t i = 0; i < V_; ++i)
                for (std::size_t j = 0; j < M_; ++j) {
                    T& x = db_[i * M_ + j];
                    x = x / r_[j];
                }
            if (liquid) {
                for (std::size_t i = 0; i < V_; ++i)
                    for (std::size_t j = 0; j < M_; ++j) {
                        const std::size_t k = i * M_ + j;
                        const T a = liquid_alpha(wc[k], b_old[k], c_mode_[j]);
                        bonds[k] = a * db_[k] + (T(1) - a) * b_old[k];
                    }
            } else {
                const double a64 = (e == 0 || v_ == Version::yuma1) ? 1.0 : 1.0 - p_.bond_moving_avg;
                const T a = static_cast<T>(a64), keep = static_cast<T>(1.0 - a64);
                for (std::size_t k = 0; k < n; ++k) bonds[k] = a * db_[k] + keep * b_old[k];
            }
            if (v_ == Version::yuma1) {
                colsum(bonds, r_.data());
                for (std::size_t i = 0; i < V_; ++i)
                    for (std::size_t j = 0; j < M_; ++j) {
                        T& x = bonds[i * M_ + j];
                        x = x / static_cast<T>(r_[j] + static_cast<T>(kEps));
                    }
            }
            row_dot_incentive(bonds);
        } else {
            if (v_ == Version::yuma2c) {
                // Capacity-limited purchase: a validator can hold at most stake * (2^64 - 1) of a
                // server's bonds and buys at most capacity_alpha of that per epoch.
                const T u64 = static_cast<T>(kU64Max), ca = static_cast<T>(p_.capacity_alpha);
                const T decay = static_cast<T>(1.0 - p_.decay_rate);
                for (std::size_t i = 0; i < V_; ++i) {
                    const T cap = s_[i] * u64;
                    const T most = ca * cap;
                    for (std::size_t j = 0; j < M_; ++j) {
                        const std::size_t k = i * M_ + j;
                        const T purchase = std::max(std::min(most, static_cast<T>(cap - b_old[k])), T(0)) * w[k];
                        bonds[k] = std::min(static_cast<T>(decay * b_old[k] + purchase), cap);
                    }
                }
            } else {
                // Yuma 3: bonds per (validator, server) in [0, 1]; decay by 1 - alpha, buy alpha W.
                const double a64 = 1.0 - p_.bond_moving_avg;
                const T a_s = static_cast<T>(a64), keep_s = static_cast<T>(1.0 - a64);
                for (std::size_t i = 0; i < V_; ++i)
                    for (std::size_t j = 0; j < M_; ++j) {
                        const std::size_t k = i * M_ + j;
                        T a = a_s, keep = keep_s;
                        if (liquid) {
                            a = liquid_alpha(w[k], b_old[k], c_mode_[j]);
                            keep = T(1) - a;
                        }
                        const T decayed = keep * b_old[k];
                        const T bought = std::min(static_cast<T>(a * w[k]), static_cast<T>(T(1) - decayed));
                        bonds[k] = std::min(static_cast<T>(decayed + bought), T(1));
                    }
            }
            colsum(bonds, r_.data());
            for (std::size_t j = 0; j < M_; ++j) r_[j] = static_cast<T>(r_[j] + static_cast<T>(kEps));
            for (std::size_t i = 0; i < V_; ++i)
                for (std::size_t j = 0; j < M_; ++j) db_[i * M_ + j] = bonds[i * M_ + j] / r_[j];
            row_dot_incentive(db_.data());
            if (v_ != Version::yuma2c)
                for (std::size_t i = 0; i < V_; ++i) d_[i] = s_[i] * d_[i];
        }
        double total = 0.0;
        for (std::size_t i = 0; i < V_; ++i) total += static_cast<double>(d_[i]);
        const T den = static_cast<T>(static_cast<T>(total) + static_cast<T>(kEps));
        for (std::size_t i = 0; i < V_; ++i) div[i] = d_[i] / den;

        std::memcpy(c_prev_.data(), cons, M_ * sizeof(T));
        if (v_ == Version::yuma2b) std::memcpy(w_prev_.data(), w_.data(), n * sizeof(T));
    }
};

}  // namespace

template <class T>
void validate(const Input<T>& in, const Params& p) {
    if (in.epochs == 0) throw InvalidInput("epochs: must be at least 1");
    if (in.validators == 0) throw InvalidInput("stakes: need at least one validator");
    if (in.servers == 0) throw InvalidInput("weights: need at least one server");
    if (in.weight_epochs != 1 && in.weight_epochs != in.epochs)
        throw InvalidInput("weights: holds " + std::to_string(in.weight_epochs) + " epochs, expected 1 or " +
                           std::to_string(in.epochs));
    if (in.stake_epochs != 1 && in.stake_epochs != in.epochs)
        throw InvalidInput("stakes: holds " + std::to_string(in.stake_epochs) + " epochs, expected 1 or " +
                           std::to_string(in.epochs));
    const std::size_t nw = in.weight_epochs * in.validators * in.servers;
    for (std::size_t k = 0; k < nw; ++k) {
        const T x = in.weights[k];
        if (!std::isfinite(x)) throw InvalidInput("weights: contains NaN or infinity");
        if (x < T(0)) throw InvalidInput("weights: contains a negative value");
    }
    for (std::size_t e = 0; e < in.stake_epochs; ++e) {
        double total = 0.0;
        for (std::size_t i = 0; i < in.validators; ++i) {
            const T x = in.stakes[e * in.validators + i];
            if (!std::isfinite(x)) throw InvalidInput("stakes: contains NaN or infinity");
            if (x < T(0)) throw InvalidInput("stakes: contains a negative value");
            total += static_cast<double>(x);
        }
        if (!(static_cast<T>(total) > T(0)))
            throw InvalidInput("stakes: the stakes of epoch " + std::to_string(e) + " sum to zero");
    }
    check_unit(p.kappa, "kappa");
    check_unit(p.bond_penalty, "bond_penalty");
    check_unit(p.bond_moving_avg, "bond_moving_avg");
    check_unit(p.alpha_high, "alpha_high");
    check_unit(p.alpha_low, "alpha_low");
    check_unit(p.decay_rate, "decay_rate");
    check_unit(p.capacity_alpha, "capacity_alpha");
    if (p.alpha_low > p.alpha_high) throw InvalidInput("alpha_low: must not exceed alpha_high");
    if (!std::isfinite(p.alpha_sigmoid_steepness))
        throw InvalidInput("alpha_sigmoid_steepness: must be finite");
    if (p.reset_bonds_index.has_value() != p.reset_bonds_epoch.has_value())
        throw InvalidInput("reset_bonds_index: give reset_bonds_index and reset_bonds_epoch together");
    if (p.reset_bonds_index && *p.reset_bonds_index >= in.servers)
        throw InvalidInput("reset_bonds_index: " + std::to_string(*p.reset_bonds_index) + " is not a server (" +
                           std::to_string(in.servers) + " servers)");
}

template <class T>
void simulate(const Input<T>& in, const Params& params, Version version, Output<T>& out, unsigned threads) {
    validate(in, params);
    Simulator<T> sim(in, params, version, out, threads == 0 ? 1 : threads);
    sim.run();
}

template void validate<float>(const Input<float>&, const Params&);
template void validate<double>(const Input<double>&, const Params&);
template void simulate<float>(const Input<float>&, const Params&, Version, Output<float>&, unsigned);
template void simulate<double>(const Input<double>&, const Params&, Version, Output<double>&, unsigned);

}  // namespace taocore::consensus::sim
