// SPDX-License-Identifier: MIT
// The float Yuma simulator (see consensus/sim.hpp): names, input checks, the reference
// weighted-quantile selection and the dispatch to the per-ISA epoch loops
// (detail/sim_epoch-inl.hpp, compiled by sim_kernels_<isa>.cpp).
#include "taocore/consensus/sim.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "detail/sim_kernels.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace taocore::consensus::sim {

namespace {

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

template <class T>
T column_quantile(const T* panel, std::size_t k, const T* s, std::size_t n, double kappa, WeightStake<T>* pairs) {
    for (std::size_t i = 0; i < n; ++i) pairs[i] = {panel[i * kPanel + k], s[i]};
    return weighted_quantile_desc(pairs, pairs + n, n, kappa);
}

template float column_quantile<float>(const float*, std::size_t, const float*, std::size_t, double, WeightStake<float>*);
template double column_quantile<double>(const double*, std::size_t, const double*, std::size_t, double,
                                        WeightStake<double>*);

}  // namespace detail

namespace {

void check_unit(double v, const char* name) {
    if (!(v >= 0.0 && v <= 1.0)) throw InvalidInput(std::string(name) + ": must be in [0, 1], got " + std::to_string(v));
}

}  // namespace

namespace detail {

// Large buffers on 2 MiB pages: the normalisation writes each raw row across all the panels,
// 16 KB apart at 256 validators (a 4 KB page per panel, more than the first-level TLB holds), and
// the bond export reads across them; 2 MiB pages make a 256 x 1024 epoch about 2% faster (before
// the panels, when the selection walked rows 4 KB apart, they halved its copy time). Linux backs
// an madvise'd, 2 MiB aligned range with huge pages when its transparent huge pages are in
// "madvise" or "always" mode; elsewhere, or when that fails, the memory is ordinary.
namespace {
constexpr std::size_t kHugePage = std::size_t{1} << 21;
constexpr std::size_t kHugeFrom = std::size_t{1} << 19;  // smaller buffers gain too little to round up
}  // namespace

void* large_alloc(std::size_t bytes) {
    if (bytes >= kHugeFrom) {
        const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
        if (void* p = std::aligned_alloc(kHugePage, rounded)) {
#if defined(__linux__)
            madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
#endif
            return p;
        }
        throw std::bad_alloc();
    }
    if (void* p = std::aligned_alloc(64, (bytes + 64) / 64 * 64)) return p;  // never size 0
    throw std::bad_alloc();
}

void large_free(void* p) noexcept { std::free(p); }

}  // namespace detail

namespace {

struct RetainedBlock {
    void* p;
    std::size_t capacity;
};

// The blocks kept for reuse, oldest first, in a fixed array: giving a block back must not allocate.
struct ResultPool {
    std::mutex lock;
    RetainedBlock blocks[kRetainedBlocks + 1];
    std::size_t count = 0;
    std::size_t bytes = 0;

    RetainedBlock remove(std::size_t i) noexcept {
        const RetainedBlock block = blocks[i];
        std::copy(blocks + i + 1, blocks + count, blocks + i);
        --count;
        bytes -= block.capacity;
        return block;
    }
};

ResultPool& result_pool() {
    static ResultPool* pool = new ResultPool;  // never destroyed: arrays may be freed at exit
    return *pool;
}

}  // namespace

void* take_result_memory(std::size_t bytes, std::size_t& capacity) {
    if (bytes >= kRetainFrom) {
        ResultPool& pool = result_pool();
        const std::lock_guard<std::mutex> hold(pool.lock);
        // The newest block that fits: the one whose pages were touched last.
        for (std::size_t i = pool.count; i-- > 0;) {
            if (pool.blocks[i].capacity < bytes || pool.blocks[i].capacity / 2 > bytes) continue;
            const RetainedBlock block = pool.remove(i);
            capacity = block.capacity;
            return block.p;
        }
    }
    capacity = bytes;
    return detail::large_alloc(bytes);
}

void give_result_memory(void* p, std::size_t capacity) noexcept {
    if (p == nullptr) return;
    if (capacity < kRetainFrom || capacity > kRetainedBytes) {
        detail::large_free(p);
        return;
    }
#if defined(__linux__) && defined(MADV_FREE)
    // large_alloc's blocks of this size start on a 2 MiB boundary; whole pages only are advised.
    madvise(p, capacity / 4096 * 4096, MADV_FREE);  // advice only: on failure the pages just stay
#endif
    RetainedBlock evicted[kRetainedBlocks + 1];
    std::size_t evict = 0;
    {
        ResultPool& pool = result_pool();
        const std::lock_guard<std::mutex> hold(pool.lock);
        pool.blocks[pool.count++] = {p, capacity};
        pool.bytes += capacity;
        while (pool.count > kRetainedBlocks || pool.bytes > kRetainedBytes) evicted[evict++] = pool.remove(0);
    }
    for (std::size_t i = 0; i < evict; ++i) detail::large_free(evicted[i].p);
}

std::size_t retained_result_bytes() noexcept {
    ResultPool& pool = result_pool();
    const std::lock_guard<std::mutex> hold(pool.lock);
    return pool.bytes;
}

namespace detail {

/// Throws the error for the first negative or non-finite value of x[0..n), if any. This is a
/// pass over every input weight, so it tests a block at a time on the bit patterns, which
/// vectorises: a value is non-negative and finite exactly when its sign bit is clear and adding
/// one to its exponent field does not carry into the sign bit. -0.0 fails that test but is
/// valid; the exact per-element check of a failing block sorts it out.
template <class T>
void check_weight_values(const T* x, std::size_t n) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr Bits kExpOne = Bits{1} << (std::numeric_limits<T>::digits - 1);
    constexpr Bits kSign = Bits{1} << (sizeof(T) * 8 - 1);
    constexpr std::size_t kBlock = 1024;
    for (std::size_t b = 0; b < n; b += kBlock) {
        const std::size_t e = std::min(n, b + kBlock);
        Bits any = 0;
        for (std::size_t k = b; k < e; ++k) {
            const Bits v = std::bit_cast<Bits>(x[k]);
            any |= v | (v + kExpOne);
        }
        if (!(any & kSign)) continue;
        for (std::size_t k = b; k < e; ++k) {
            if (!std::isfinite(x[k])) throw InvalidInput("weights: contains NaN or infinity");
            if (x[k] < T(0)) throw InvalidInput("weights: contains a negative value");
        }
    }
}

template void check_weight_values<float>(const float*, std::size_t);
template void check_weight_values<double>(const double*, std::size_t);

const sim_kernels& sim_kernels_for(simd::backend b) {
    if (!simd::backend_supported(b))
        throw std::invalid_argument("backend '" + std::string(simd::backend_name(b)) +
                                    "' is not supported on this machine");
    switch (b) {
#if defined(TAOCORE_HAVE_AVX2)
        case simd::backend::avx2: return sim_kernels_avx2;
#endif
#if defined(TAOCORE_HAVE_AVX512)
        case simd::backend::avx512: return sim_kernels_avx512;
#endif
        default: return sim_kernels_scalar;
    }
}

}  // namespace detail

namespace {

/// validate(), optionally without the pass over every weight value (simulate() checks those as
/// it reads them, which saves a pass over inputs that rarely fit in cache).
template <class T>
void validate_input(const Input<T>& in, const Params& p, bool weight_values) {
    if (in.epochs == 0) throw InvalidInput("epochs: must be at least 1");
    if (in.validators == 0) throw InvalidInput("stakes: need at least one validator");
    if (in.servers == 0) throw InvalidInput("weights: need at least one server");
    if (in.weight_epochs != 1 && in.weight_epochs != in.epochs)
        throw InvalidInput("weights: holds " + std::to_string(in.weight_epochs) + " epochs, expected 1 or " +
                           std::to_string(in.epochs));
    if (in.stake_epochs != 1 && in.stake_epochs != in.epochs)
        throw InvalidInput("stakes: holds " + std::to_string(in.stake_epochs) + " epochs, expected 1 or " +
                           std::to_string(in.epochs));
    if (weight_values) detail::check_weight_values(in.weights, in.weight_epochs * in.validators * in.servers);
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

}  // namespace

template <class T>
void validate(const Input<T>& in, const Params& p) {
    validate_input(in, p, true);
}

template <class T>
void simulate(const Input<T>& in, const Params& params, Version version, Output<T>& out, unsigned threads,
              std::optional<simd::backend> backend, RunControl* control) {
    validate_input(in, params, false);  // the epoch loop checks each weight row as it reads it
    const detail::sim_kernels& k = detail::sim_kernels_for(backend ? *backend : simd::active_backend());
    if constexpr (std::is_same_v<T, float>)
        k.run_f32(in, params, version, out, threads, control);
    else
        k.run_f64(in, params, version, out, threads, control);
}

template <class T>
void simulate_batch(std::span<Scenario<T>> scenarios, const Params& params, Version version, unsigned threads,
                    std::optional<simd::backend> backend, const Watch* watch) {
    const std::size_t count = scenarios.size();
    const bool single = count == 1;
    // Several scenarios are all checked before any runs, so that a bad one costs no one's time
    // (a single one is checked by simulate(), as it reads the weights).
    if (!single) {
        for (std::size_t k = 0; k < count; ++k) {
            try {
                validate(scenarios[k].in, params);
            } catch (const InvalidInput& e) {
                throw InvalidInput("scenarios[" + std::to_string(k) + "]: " + e.what());
            }
        }
    }
    std::size_t total = 0;
    for (const Scenario<T>& sc : scenarios) total += sc.in.epochs;
    RunControl control(watch, total);
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(count);
    auto worker = [&] {
        for (std::size_t k = next++; k < count; k = next++) {
            try {
                simulate(scenarios[k].in, params, version, scenarios[k].out, single ? threads : 1u, backend, &control);
            } catch (...) {
                errors[k] = std::current_exception();
                control.stop();  // the batch fails: the others' results would be thrown away
            }
        }
    };
    // The calling thread is a worker (the only one for a single scenario): the work it runs stays
    // on it. A run moved to a thread of its own, with the caller waiting, measured 2-8% slower
    // on this 2-CPU VM, as the scheduler moved it between CPUs, away from its cached state.
    const std::size_t workers = single ? 1 : std::min<std::size_t>(std::max(threads, 1u), count);
    std::mutex mutex;
    std::condition_variable finished;
    std::size_t running = 0;  // the pool's workers still at work
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < workers; ++t) {
        {
            const std::lock_guard<std::mutex> lock(mutex);
            ++running;
        }
        try {
            pool.emplace_back([&] {
                worker();
                const std::lock_guard<std::mutex> lock(mutex);
                --running;
                finished.notify_one();
            });
        } catch (const std::system_error&) {  // no more threads to be had: fewer workers
            const std::lock_guard<std::mutex> lock(mutex);
            --running;
            break;
        }
    }
    worker();
    // Then reports while the other workers finish (they must be joined before anything leaves).
    std::exception_ptr report_error;
    {
        std::unique_lock<std::mutex> lock(mutex);
        while (!finished.wait_for(lock, watch != nullptr ? watch->interval : std::chrono::milliseconds(100),
                                  [&] { return running == 0; })) {
            lock.unlock();
            try {
                control.report_now();
            } catch (...) {
                if (!report_error) report_error = std::current_exception();
                control.stop();
            }
            lock.lock();
        }
    }
    for (std::thread& t : pool) t.join();
    if (report_error) std::rethrow_exception(report_error);
    // A scenario's own failure goes before the Stopped it caused in the others: the first
    // exception that is not Stopped leaves through the rethrow.
    for (const std::exception_ptr& e : errors) {
        if (!e) continue;
        try {
            std::rethrow_exception(e);
        } catch (const Stopped&) {
        }
    }
    if (control.stopped()) throw Stopped();
    // Every epoch has run, so this is the report of (total, total).
    if (!control.report_now()) throw Stopped();
}

RunControl::RunControl(const Watch* watch, std::size_t total_epochs)
    : watch_(watch != nullptr && watch->report ? watch : nullptr),
      total_(total_epochs),
      reporter_(std::this_thread::get_id()),
      next_report_(std::chrono::steady_clock::now() + (watch_ != nullptr ? watch_->interval : std::chrono::milliseconds(0))) {}

void RunControl::epoch_finished() {
    done_.fetch_add(1, std::memory_order_relaxed);
    if (watch_ == nullptr || std::this_thread::get_id() != reporter_) return;
    if (std::chrono::steady_clock::now() < next_report_) return;
    report_now();
}

bool RunControl::report_now() {
    if (watch_ == nullptr || std::this_thread::get_id() != reporter_) return !stopped();
    next_report_ = std::chrono::steady_clock::now() + watch_->interval;
    if (watch_->report(epochs_done(), total_)) return !stopped();
    stop();
    return false;
}

void RunControl::stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
bool RunControl::stopped() const noexcept { return stop_.load(std::memory_order_relaxed); }
std::size_t RunControl::epochs_done() const noexcept { return done_.load(std::memory_order_relaxed); }

template void validate<float>(const Input<float>&, const Params&);
template void validate<double>(const Input<double>&, const Params&);
template void simulate<float>(const Input<float>&, const Params&, Version, Output<float>&, unsigned,
                              std::optional<simd::backend>, RunControl*);
template void simulate<double>(const Input<double>&, const Params&, Version, Output<double>&, unsigned,
                               std::optional<simd::backend>, RunControl*);
template void simulate_batch<float>(std::span<Scenario<float>>, const Params&, Version, unsigned,
                                    std::optional<simd::backend>, const Watch*);
template void simulate_batch<double>(std::span<Scenario<double>>, const Params&, Version, unsigned,
                                     std::optional<simd::backend>, const Watch*);

}  // namespace taocore::consensus::sim
