// SPDX-License-Identifier: MIT
#include "taocore/consensus/math.hpp"

#include "consensus/detail/alpha_bounds.hpp"
#include "consensus/detail/clip.hpp"
#include "consensus/detail/column_division.hpp"
#include "consensus/detail/ema.hpp"
#include "consensus/detail/rows.hpp"
#include "consensus/detail/partition.hpp"
#include "taocore/simd/backend.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <new>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>

namespace taocore::consensus::math {

namespace detail {
namespace {

// Per thread, up to `kept_buffers` buffers and `kept_bytes` in all; smaller ones are not worth
// keeping and larger ones go back to the C library. The slots are enough for every large
// vector and matrix an epoch holds at once (a few dozen at 4096 uids), so that a second call
// finds all of them here.
constexpr std::size_t kept_buffers = 48;
constexpr std::size_t smallest_kept = std::size_t{1} << 12;
constexpr std::size_t kept_bytes = std::size_t{64} << 20;

struct BufferCache {
    struct Slot {
        void* p = nullptr;
        std::size_t capacity = 0;
    };
    std::array<Slot, kept_buffers> slots{};
    std::size_t total = 0;
    ~BufferCache() {
        for (Slot& s : slots) std::free(s.p);
    }
};

thread_local BufferCache buffer_cache;

}  // namespace

void* take_buffer(std::size_t bytes, std::size_t& capacity) {
    if (bytes < smallest_kept) {  // never kept: no cached buffer to look for
        void* p = std::malloc(bytes);
        if (p == nullptr) throw std::bad_alloc();
        capacity = bytes;
        return p;
    }
    BufferCache& cache = buffer_cache;
    BufferCache::Slot* best = nullptr;
    for (BufferCache::Slot& s : cache.slots)
        if (s.p != nullptr && s.capacity >= bytes && (best == nullptr || s.capacity < best->capacity)) best = &s;
    if (best != nullptr) {
        void* p = best->p;
        capacity = best->capacity;
        cache.total -= best->capacity;
        *best = {};
        return p;
    }
    void* p = std::malloc(bytes);
    if (p == nullptr) throw std::bad_alloc();
    capacity = bytes;
    return p;
}

void give_buffer(void* p, std::size_t capacity) noexcept {
    BufferCache& cache = buffer_cache;
    if (capacity < smallest_kept || capacity > kept_bytes) {
        std::free(p);
        return;
    }
    // An empty slot, else the smallest kept buffer if this one is larger.
    BufferCache::Slot* target = nullptr;
    for (BufferCache::Slot& s : cache.slots)
        if (s.p == nullptr) target = &s;
    if (target == nullptr) {
        target = &cache.slots[0];
        for (BufferCache::Slot& s : cache.slots)
            if (s.capacity < target->capacity) target = &s;
        if (target->capacity >= capacity) {
            std::free(p);
            return;
        }
        std::free(target->p);
        cache.total -= target->capacity;
        *target = {};
    }
    // Within the byte budget: drop the smallest kept buffers until this one fits.
    while (cache.total + capacity > kept_bytes) {
        BufferCache::Slot* smallest = nullptr;
        for (BufferCache::Slot& s : cache.slots)
            if (s.p != nullptr && (smallest == nullptr || s.capacity < smallest->capacity)) smallest = &s;
        if (smallest == nullptr) break;
        std::free(smallest->p);
        cache.total -= smallest->capacity;
        *smallest = {};
    }
    target->p = p;
    target->capacity = capacity;
    cache.total += capacity;
}

}  // namespace detail

using fixed::checked_div;
using fixed::I64F64;
using fixed::safe_div;
using fixed::saturating_add;
using fixed::saturating_mul;
using fixed::saturating_sub;

namespace {

const I32F32 k_u16_max = I32F32::from_int(65535);

// Rust's I32F32::round(): to nearest, ties away from zero; then saturating into u16.
std::uint16_t round_to_u16(I32F32 x) noexcept {
    if (x.bits < 0) return 0;
    const std::uint64_t half = std::uint64_t{1} << 31;
    const std::uint64_t r = (static_cast<std::uint64_t>(x.bits) + half) >> 32;
    return r > 65535 ? 65535 : static_cast<std::uint16_t>(r);
}

}  // namespace

// ---- conversions ---------------------------------------------------------------------------------


std::vector<std::uint16_t> vec_max_upscale_to_u16(const Vector& v) {
    std::vector<std::uint16_t> out;
    if (v.empty()) return out;
    out.reserve(v.size());
    const I32F32 max = *std::max_element(v.begin(), v.end());
    if (max.is_zero()) {
        for (I32F32 x : v) out.push_back(fixed::saturating_to_uint<std::uint16_t>(saturating_mul(x, k_u16_max)));
        return out;
    }
    if (max > I32F32::from_int(32768)) {
        const I32F32 ratio = safe_div(k_u16_max, max);
        for (I32F32 x : v) out.push_back(round_to_u16(saturating_mul(x, ratio)));
    } else {
        for (I32F32 x : v) out.push_back(round_to_u16(safe_div(saturating_mul(x, k_u16_max), max)));
    }
    return out;
}

std::vector<std::uint16_t> vec_u16_max_upscale_to_u16(const std::vector<std::uint16_t>& v) {
    Vector f;
    f.reserve(v.size());
    for (std::uint16_t x : v) f.push_back(u16_to_fixed(x));
    return vec_max_upscale_to_u16(f);
}

bool check_vec_max_limited(const std::vector<std::uint16_t>& v, std::uint16_t max_limit) {
    if (v.empty()) return true;
    const I32F32 limit = u16_proportion_to_fixed(max_limit);
    Vector f;
    f.reserve(v.size());
    for (std::uint16_t x : v) f.push_back(u16_to_fixed(x));
    inplace_normalize(f);
    return *std::max_element(f.begin(), f.end()) <= limit;
}

I32F32 bonds_moving_average_alpha(std::uint64_t bonds_moving_average) noexcept {
    const I64F64 avg = safe_div(I64F64::from_int(bonds_moving_average), I64F64::from_int(1'000'000));
    return saturating_sub(I32F32::one(), fixed::saturating_convert<I32F32>(avg));
}

// ---- transcendental ------------------------------------------------------------------------------

namespace {

// substrate_fixed's exp: the truncated Taylor series with checked operations (spec §1.3).
// With x >= 0 every term is non-negative, so the I32F32 steps reduce to integers on the bits:
// checked_mul(term, x) = floor(term·x / 2^32) if that fits i64, and checked_div by the whole
// number i is (t·2^32) / (i·2^32) = floor(t / i), which always fits.
//
// Each term waits on the previous one (a multiply and a division: about a dozen cycles), so one
// series is latency-bound; liquid alpha needs one per bond entry, and `exp_lanes` independent
// series advance together so that the processor overlaps them. Per lane the steps are exactly
// the single series': a lane stops when its term floors to zero (every later term is zero and
// adds nothing) or an operation overflows (the series fails: nullopt). The lanes run without
// branches: a stopped lane's term stays zero (its products and additions are then zero), and a
// failed lane's term is set to zero; the step loop ends when every term is zero.
constexpr std::size_t exp_lanes = 8;

void exp_series_lanes(const I32F32* x_in, std::size_t count, std::optional<I32F32>* out) noexcept {
    static const auto by_index = [] {
        std::array<fixed::U64Divider, 32> t{};
        for (std::uint64_t i = 1; i < t.size(); ++i) t[i] = fixed::U64Divider(i);
        return t;
    }();
    std::uint64_t xb[exp_lanes] = {}, term[exp_lanes] = {};
    std::int64_t result[exp_lanes] = {};
    bool negative[exp_lanes] = {}, series[exp_lanes] = {}, failed[exp_lanes] = {};
    std::uint64_t any = 0;
    for (std::size_t l = 0; l < count; ++l) {
        I32F32 x = x_in[l];
        out[l] = std::nullopt;
        if (x.is_zero()) {
            out[l] = I32F32::one();
            continue;
        }
        // exp(1) is answered from the I9F23 constant: floor(e · 2^23), widened to 32 fraction bits.
        if (x == I32F32::one()) {
            out[l] = I32F32::from_bits(std::int64_t{22'802'600} << 9);
            continue;
        }
        negative[l] = x.bits < 0;
        if (negative[l]) x = I32F32::from_bits(-x.bits);
        const auto first = fixed::checked_add(x, I32F32::one());
        if (!first) continue;  // fails: nullopt
        xb[l] = term[l] = static_cast<std::uint64_t>(x.bits);
        result[l] = first->bits;
        series[l] = true;
        any |= term[l];
    }
    for (std::size_t i = 2; i <= 31 && any != 0; ++i) {
        const fixed::U64Divider& by = by_index[i];
        any = 0;
        for (std::size_t l = 0; l < exp_lanes; ++l) {
            const fixed::u128 product = (static_cast<fixed::u128>(term[l]) * xb[l]) >> 32;
            const std::uint64_t t = by(static_cast<std::uint64_t>(product));
            std::int64_t sum = 0;
            const bool overflow = (product >> 63) != 0 ||  // above the i64 range
                                  __builtin_add_overflow(result[l], static_cast<std::int64_t>(t), &sum);
            failed[l] = failed[l] || overflow;
            result[l] = overflow ? result[l] : sum;
            term[l] = overflow ? 0 : t;
            any |= term[l];
        }
    }
    for (std::size_t l = 0; l < count; ++l) {
        if (!series[l] || failed[l]) continue;  // answered above, or failed
        const I32F32 r = I32F32::from_bits(result[l]);
        out[l] = negative[l] ? fixed::one_over(r) : std::optional<I32F32>(r);
    }
}


// saturating_div(1, d).
I32F32 one_over_saturating(I32F32 d) noexcept {
    if (auto q = fixed::one_over(d)) return *q;
    return fixed::saturating_div(I32F32::one(), d);
}

}  // namespace

namespace {

namespace kernels = taocore::consensus::detail;

// The liquid-alpha kernels, or nullptr where there are none: any subset works (without an
// interval every entry takes the exp steps below, without an exact kernel every open entry, and
// without a row kernel its scalar loop runs), so a backend fills in only the ones it has.
struct LiquidAlphaKernels {
    kernels::ExpSeriesFn series = nullptr;
    kernels::AlphaBoundsFn bounds = nullptr;
    kernels::AlphaExactFn exact = nullptr;
    kernels::AlphaExponentsFn exponents = nullptr;
    kernels::RowExponentsFn row_exponents = nullptr;
    kernels::EmaAlphaRowFn ema_row = nullptr;
};

LiquidAlphaKernels liquid_alpha_kernels() noexcept {
    static const LiquidAlphaKernels k = [] {
        LiquidAlphaKernels r;
        simd::backend b = simd::backend::scalar;
        try {
            b = simd::active_backend();
        } catch (...) {  // an unusable TAOCORE_FORCE_BACKEND: the kernels that need it report it
        }
#if defined(TAOCORE_HAVE_AVX512)
        if (b == simd::backend::avx512)
            r = {&kernels::exp_series_avx512, &kernels::alpha_bounds_avx512, &kernels::alpha_exact_avx512,
                 &kernels::alpha_exponents_avx512, &kernels::alpha_row_exponents_avx512, &kernels::ema_alpha_row_avx512};
#endif
#if defined(TAOCORE_HAVE_AVX2)
        if (b == simd::backend::avx2) {
            r.bounds = &kernels::alpha_bounds_avx2;
            r.exact = &kernels::alpha_exact_avx2;
            r.exponents = &kernels::alpha_exponents_avx2;
            r.row_exponents = &kernels::alpha_row_exponents_avx2;
            r.ema_row = &kernels::ema_alpha_row_avx2;
        }
#endif
        (void)b;
        return r;
    }();
    return k;
}

void exp_safe_lanes(const I32F32* clamped, std::size_t count, I32F32* out) noexcept {
    for (std::size_t start = 0; start < count; start += exp_lanes) {
        const std::size_t lanes = std::min(exp_lanes, count - start);
        std::optional<I32F32> series[exp_lanes];
        exp_series_lanes(clamped + start, lanes, series);
        for (std::size_t l = 0; l < lanes; ++l) {
            const I32F32 c = clamped[start + l];
            out[start + l] = series[l] ? *series[l] : (c.bits <= 0 ? I32F32::zero() : I32F32::max());
        }
    }
}

}  // namespace

void exp_safe_many(const I32F32* x, std::size_t count, I32F32* out) noexcept {
    const I32F32 lo = I32F32::from_int(-20), hi = I32F32::from_int(20);
    const kernels::ExpSeriesFn series = liquid_alpha_kernels().series;
    constexpr std::size_t block = 256;
    I32F32 clamped[block], other[block], other_out[block];
    std::int64_t magnitude[block], sum[block];
    std::size_t vector_at[block], other_at[block];
    for (std::size_t start = 0; start < count; start += block) {
        const std::size_t m = std::min(block, count - start);
        for (std::size_t k = 0; k < m; ++k) clamped[k] = std::clamp(x[start + k], lo, hi);
        if (series == nullptr) {
            exp_safe_lanes(clamped, m, out + start);
            continue;
        }
        std::size_t vectored = 0, others = 0;
        for (std::size_t k = 0; k < m; ++k) {
            const I32F32 c = clamped[k];
            const std::int64_t mag = c.bits < 0 ? -c.bits : c.bits;
            // exp(0) and exp(1) are not the series; past the limit the vector steps could overflow.
            if (c.bits != 0 && c != I32F32::one() && mag <= kernels::exp_series_limit) {
                magnitude[vectored] = mag;
                vector_at[vectored++] = k;
            } else {
                other[others] = c;
                other_at[others++] = k;
            }
        }
        if (vectored != 0) series(magnitude, vectored, sum);
        for (std::size_t v = 0; v < vectored; ++v) {
            const std::size_t k = vector_at[v];
            const I32F32 s = I32F32::from_bits(sum[v]);
            out[start + k] = clamped[k].bits < 0 ? *fixed::one_over(s) : s;  // s >= 1: one_over fits
        }
        exp_safe_lanes(other, others, other_out);
        for (std::size_t o = 0; o < others; ++o) out[start + other_at[o]] = other_out[o];
    }
}

I32F32 exp_safe(I32F32 x) noexcept {
    I32F32 e;
    exp_safe_many(&x, 1, &e);
    return e;
}

I32F32 sigmoid_safe(I32F32 input, I32F32 rho, I32F32 kappa) noexcept {
    const I32F32 one = I32F32::one();
    const I32F32 offset = saturating_sub(input, kappa);
    const I32F32 neg_rho = saturating_mul(rho, I32F32::from_int(-1));
    const I32F32 e = exp_safe(saturating_mul(neg_rho, offset));
    return one_over_saturating(saturating_add(e, one));
}

namespace {

// The exponent of liquid alpha's sigmoid for one (consensus, weight, bond) triple.
[[gnu::always_inline]] inline I32F32 alpha_exponent(I32F32 c, I32F32 w, I32F32 b, I32F32 factor) noexcept {
    const I32F32 zero = I32F32::zero(), one = I32F32::one();
    auto clamp01 = [&](I32F32 v) { return std::max(std::min(v, one), zero); };
    const I32F32 half = I32F32::from_bits(std::int64_t{1} << 31);
    const I32F32 diff_buy = clamp01(fixed::sub(w, c));
    const I32F32 diff_sell = clamp01(fixed::sub(b, w));
    const I32F32 x = w >= b ? diff_buy : diff_sell;
    // |x − ½| <= 2^31 and |factor| < 2^63 / 100 < 2^57 (bits): the floored product is
    // below 2^56 in magnitude, so saturating_mul never saturates and is the plain one.
    return fixed::mul(factor, fixed::sub(x, half));
}

// alpha_sigmoid_many's steps after the exponents, which exponents(start, m, factor, exponent)
// writes for entries [start, start + m) (blocks of at most 256).
template <class Exponents>
void alpha_from_exponents(std::size_t count, I32F32 alpha_low, I32F32 alpha_high, I32F32 steepness, I32F32* out,
                          Exponents&& exponents) noexcept {
    const I32F32 one = I32F32::one();
    // steepness / −100: the 2^32 scales cancel, (s·2^32) / (−100·2^32) truncates like s / −100,
    // and it cannot overflow.
    const I32F32 factor = I32F32::from_bits(steepness.bits / -100);
    // The interval kernel's closed form of α (low + floor(σ·span), never clamped) holds for
    // 0 <= low <= high <= 1, the range of AlphaValues; other bounds take the exact path only.
    const LiquidAlphaKernels kernel = liquid_alpha_kernels();
    const kernels::AlphaBoundsFn bounds = kernel.bounds;
    const bool bounded = bounds != nullptr && alpha_low.bits >= 0 && alpha_low <= alpha_high && alpha_high <= one;
    constexpr std::size_t block = 256;
    static_assert(sizeof(I32F32) == sizeof(std::int64_t));
    // The interval kernel stores whole vectors of its open list: room for one more.
    I32F32 exponent[block], open_exponent[block + 8], e[block];
    std::size_t open_at[block + 8];
    for (std::size_t start = 0; start < count; start += block) {
        const std::size_t m = std::min(block, count - start);
        exponents(start, m, factor, exponent);
        // The entries the exact series settles: every one, or those the interval leaves open
        // (near a = 0: about an eighth at steepness 1000), listed by the kernel, which writes the
        // others' α.
        const I32F32* pending_exponent = exponent;
        std::size_t pending = m;
        if (bounded) {
            pending = bounds(reinterpret_cast<const std::int64_t*>(exponent), m, alpha_low.bits,
                             alpha_high.bits - alpha_low.bits, reinterpret_cast<std::int64_t*>(out + start),
                             reinterpret_cast<std::int64_t*>(open_exponent), open_at);
            // The open entries' exact α on the same lanes (the steps below, vectorised:
            // alpha_exact_avx512 and alpha_exact_avx2 state why they agree); the rest (exponents
            // past the kernel's range, 0 and 1) take the steps below.
            if (kernel.exact != nullptr)
                pending = kernel.exact(reinterpret_cast<std::int64_t*>(open_exponent), open_at, pending, alpha_low.bits,
                                       alpha_high.bits - alpha_low.bits, reinterpret_cast<std::int64_t*>(out + start));
            pending_exponent = open_exponent;
        } else {
            for (std::size_t k = 0; k < m; ++k) open_at[k] = k;
        }
        exp_safe_many(pending_exponent, pending, e);
        for (std::size_t k = 0; k < pending; ++k) {
            const I32F32 sigma = one_over_saturating(saturating_add(one, e[k]));
            const I32F32 a = saturating_add(alpha_low, saturating_mul(sigma, saturating_sub(alpha_high, alpha_low)));
            out[start + open_at[k]] = std::max(std::min(a, alpha_high), alpha_low);
        }
    }
}

}  // namespace

void alpha_sigmoid_many(const I32F32* consensus, const I32F32* weight, const I32F32* bond, std::size_t count,
                        I32F32 alpha_low, I32F32 alpha_high, I32F32 steepness, I32F32* out) noexcept {
    const kernels::AlphaExponentsFn vector_exponents = liquid_alpha_kernels().exponents;
    alpha_from_exponents(count, alpha_low, alpha_high, steepness, out,
                         [&](std::size_t start, std::size_t m, I32F32 factor, I32F32* exponent) {
                             // The kernel's form of the loop below (the same bits: alpha_exponents_avx512 and _avx2 say why).
                             if (vector_exponents != nullptr) {
                                 vector_exponents(reinterpret_cast<const std::int64_t*>(consensus + start),
                                                  reinterpret_cast<const std::int64_t*>(weight + start),
                                                  reinterpret_cast<const std::int64_t*>(bond + start), m, factor.bits,
                                                  reinterpret_cast<std::int64_t*>(exponent));
                                 return;
                             }
                             for (std::size_t k = 0; k < m; ++k)
                                 exponent[k] = alpha_exponent(consensus[start + k], weight[start + k], bond[start + k], factor);
                         });
}

void alpha_sigmoid_row(ConstRow row, const I32F32* consensus, const I32F32* bond, I32F32 alpha_low, I32F32 alpha_high,
                       I32F32 steepness, I32F32* out) noexcept {
    const kernels::RowExponentsFn vector_exponents = liquid_alpha_kernels().row_exponents;
    alpha_from_exponents(row.size(), alpha_low, alpha_high, steepness, out,
                         [&](std::size_t start, std::size_t m, I32F32 factor, I32F32* exponent) {
                             // alpha_exponent's vector form (alpha_exponents_avx512 and _avx2 say why it agrees).
                             if (vector_exponents != nullptr) {
                                 vector_exponents(row.data() + start, m, reinterpret_cast<const std::int64_t*>(consensus),
                                                  reinterpret_cast<const std::int64_t*>(bond), factor.bits,
                                                  reinterpret_cast<std::int64_t*>(exponent));
                                 return;
                             }
                             for (std::size_t k = 0; k < m; ++k) {
                                 const Entry& e = row[start + k];
                                 exponent[k] = alpha_exponent(consensus[e.col], e.value, bond[e.col], factor);
                             }
                         });
}

Entry* ema_alpha_row(ConstRow row, const I32F32* alpha, const I32F32* old_value, std::size_t columns, I32F32* col_sum,
                     bool increasing, Entry* w) noexcept {
    std::size_t done = 0;
    const kernels::EmaAlphaRowFn kernel = liquid_alpha_kernels().ema_row;
    // The kernel needs distinct columns, every one below `columns`: the last of an increasing row.
    if (kernel != nullptr && increasing && !row.empty() && row.back().col < columns)
        done = kernel(row.data(), row.size(), reinterpret_cast<const std::int64_t*>(alpha),
                      reinterpret_cast<const std::int64_t*>(old_value), reinterpret_cast<std::int64_t*>(col_sum), w);
    const ColumnSums column_sums_of{col_sum, col_sum != nullptr ? columns : 0};
    for (std::size_t k = done; k < row.size(); ++k) {
        const Entry& e = row[k];
        if (e.col >= columns) continue;
        const I32F32 v = ema_alpha_entry(alpha[k], e.value, old_value[e.col]);
        *w = {e.col, v};
        const bool kept = v > I32F32::zero();
        w += kept ? 1 : 0;
        // Adding 0 changes no saturating sum; without col_sum there are no columns to add to.
        column_sums_of.add({e.col, kept ? v : I32F32::zero()});
    }
    return w;
}

I32F32 alpha_sigmoid(I32F32 consensus, I32F32 weight, I32F32 bond, I32F32 alpha_low, I32F32 alpha_high,
                     I32F32 steepness) noexcept {
    I32F32 a;
    alpha_sigmoid_many(&consensus, &weight, &bond, 1, alpha_low, alpha_high, steepness, &a);
    return a;
}

// ---- vectors -------------------------------------------------------------------------------------

namespace {
std::vector<bool> topk_from(const Vector& v, std::size_t k, std::vector<bool> result) {
    const std::size_t n = v.size();
    if (n < k) return result;
    detail::CachedVector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    // The chain sorts stably in ascending order and drops the first n - k: among equal values the
    // lower uid sorts first and loses. That order is (value, uid), so the dropped set is the
    // n - k lowest in it, which a selection finds without sorting.
    std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n - k), idx.end(),
                     [&](std::size_t a, std::size_t b) { return v[a] < v[b] || (v[a] == v[b] && a < b); });
    for (std::size_t i = 0; i < n - k; ++i) result[idx[i]] = false;
    return result;
}
}  // namespace

std::vector<bool> is_topk(const Vector& v, std::size_t k) { return topk_from(v, k, std::vector<bool>(v.size(), true)); }

std::vector<bool> is_topk_nonzero(const Vector& v, std::size_t k) {
    std::vector<bool> start(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) start[i] = !v[i].is_zero();
    return topk_from(v, k, std::move(start));
}

I32F32 sum(const Vector& v) noexcept {
    I32F32 s = I32F32::zero();
    for (I32F32 x : v) s = fixed::add(s, x);
    return s;
}

void inplace_normalize_using_sum(Vector& v, I32F32 s) noexcept {
    if (s.is_zero()) return;
    const fixed::I32F32Divider by(s);
    for (I32F32& x : v) x = by.safe(x);
}
void inplace_normalize(Vector& v) noexcept { inplace_normalize_using_sum(v, sum(v)); }

Vector vecdiv(const Vector& x, const Vector& y) {
    Vector out(x.size(), I32F32::zero());
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (!y[i].is_zero()) out[i] = safe_div(x[i], y[i]);
    }
    return out;
}

Vector vec_mul(const Vector& a, const Vector& b) {
    Vector out(std::min(a.size(), b.size()));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = fixed::checked_mul(a[i], b[i]).value_or(I32F32::zero());
    return out;
}

// ---- sparse --------------------------------------------------------------------------------------

void inplace_row_normalize(Row row) noexcept {
    I32F32 s = I32F32::zero();
    std::uint64_t fraction_bits = 0, negative = 0;
    for (const Entry& e : row) {
        s = fixed::add(s, e.value);
        fraction_bits |= static_cast<std::uint64_t>(e.value.bits) & 0xffffffffu;
        negative |= static_cast<std::uint64_t>(e.value.bits) >> 63;
    }
    if (s <= I32F32::zero()) return;
    if (fraction_bits == 0 && negative == 0) return inplace_whole_row_normalize(row, s);
    const fixed::I32F32Divider by(s);
    for (Entry& e : row) e.value = by.saturating(e.value);
}

void inplace_whole_row_normalize(Row row, I32F32 s) noexcept {
    if (s <= I32F32::zero()) return;
    // With w and s whole the quotient floor(w·2^32 / s) is one invariant 64-bit division of
    // w·2^32 (w < 2^31, as w <= s).
    const fixed::U64Divider by(static_cast<std::uint64_t>(s.bits) >> 32);
    for (Entry& e : row) e.value.bits = static_cast<std::int64_t>(by(static_cast<std::uint64_t>(e.value.bits)));
}

void load_u16_row(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, bool proportion,
                  Entry* out) noexcept {
#if defined(TAOCORE_HAVE_AVX512)
    static const bool vector = simd::active_backend() == simd::backend::avx512;
    if (vector) return consensus::detail::load_u16_row_avx512(col, value, count, proportion, out);
#endif
    for (std::size_t k = 0; k < count; ++k)
        out[k] = {col[k], proportion ? u16_proportion_to_fixed(value[k]) : u16_to_fixed(value[k])};
}

void row_hadamard_row(ConstRow row, I32F32 factor, Entry* out) noexcept {
    std::size_t k = 0;
#if defined(TAOCORE_HAVE_AVX512)
    static const bool vector = simd::active_backend() == simd::backend::avx512;
    if (vector && factor.bits >= 0 && factor.bits < (std::int64_t{1} << 32)) {
        // The kernel stops at a group of four it cannot take; those four go by the rule here.
        while (row.size() - k >= 4) {
            k += consensus::detail::hadamard_row_avx512(row.data() + k, row.size() - k, factor.bits, out + k);
            if (row.size() - k < 4) break;
            for (const std::size_t group_end = k + 4; k < group_end; ++k) out[k] = row_hadamard_entry(row[k], factor);
        }
    }
#endif
    for (; k < row.size(); ++k) out[k] = row_hadamard_entry(row[k], factor);
}

void scatter_row(ConstRow row, I32F32* dense, std::size_t columns, bool zero) noexcept {
#if defined(TAOCORE_HAVE_AVX512)
    static const bool vector = simd::active_backend() == simd::backend::avx512;
    if (vector)
        return consensus::detail::scatter_row_avx512(row.data(), row.size(), reinterpret_cast<std::int64_t*>(dense), columns,
                                                     zero);
#endif
    for (const Entry& e : row)
        if (e.col < columns) dense[e.col] = zero ? I32F32::zero() : e.value;
}

Entry* whole_row_normalized(const std::uint16_t* col, const std::uint16_t* value, std::size_t count, std::size_t self,
                            Entry* out) noexcept {
#if defined(TAOCORE_HAVE_AVX512)
    static const bool vector = simd::active_backend() == simd::backend::avx512;
    if (vector) return consensus::detail::whole_row_normalize_avx512(col, value, count, self, out);
#endif
    (void)col, (void)value, (void)count, (void)self, (void)out;
    return nullptr;
}

void entries_to_u16(ConstRow entries, std::uint16_t* col, std::uint16_t* value) noexcept {
#if defined(TAOCORE_HAVE_AVX512)
    static const bool vector = simd::active_backend() == simd::backend::avx512;
    if (vector) return consensus::detail::entries_to_u16_avx512(entries.data(), entries.size(), col, value);
#endif
    for (std::size_t k = 0; k < entries.size(); ++k) {
        col[k] = entries[k].col;
        value[k] = fixed_proportion_to_u16(entries[k].value);
    }
}

void inplace_row_normalize_sparse(SparseMatrix& m) noexcept {
    for (std::size_t i = 0; i < m.size(); ++i) inplace_row_normalize(m[i]);
}

namespace {
}  // namespace

Vector column_sums(const SparseMatrix& m, std::size_t columns) {
    Vector col_sum(columns, I32F32::zero());
    const ColumnSums sums(col_sum);
    for (const Entry& e : m.entries()) sums.add(e);
    return col_sum;
}

namespace {

// saturating_div(a, divisor[col]) for many entries: one divider per column. A zero divisor
// leaves the entry as it is (the column normalisations' rule).
//
// Two cases of I32F32Divider cover nearly every entry, each one invariant 64-bit division: a
// fraction (0 <= a < 1) over a divisor d > 2^-31 divides a·2^32 by d's bits, and a whole a over a
// whole d divides a by d/2^32 (Yuma's bonds as stored). They are tried first, in I32F32Divider's
// order, with compact per-column dividers; a column's general divider is only built when one of
// its entries needs it.
class ColumnDivision {
public:
    explicit ColumnDivision(const Vector& divisor) : divisor_(divisor), columns_(divisor.size()) {
        for (std::size_t j = 0; j < divisor.size(); ++j) {
            const std::int64_t d = divisor[j].bits;
            Column& c = columns_[j];
            if (d >= 2) c.fraction = fixed::U64Divider(static_cast<std::uint64_t>(d));
            c.fraction_usable = d >= 2;
            c.whole_usable = d > 0 && (d & 0xffffffff) == 0;
            if (c.whole_usable) c.whole = fixed::U64Divider(static_cast<std::uint64_t>(d) >> 32);
        }
    }
    [[gnu::always_inline]] I32F32 operator()(const Entry& e) const {
        const auto a = static_cast<std::uint64_t>(e.value.bits);
        const Column& c = columns_[e.col];
        if (a < (std::uint64_t{1} << 32) && c.fraction_usable) [[likely]]
            return I32F32::from_bits(static_cast<std::int64_t>(c.fraction(a << 32)));
        // Whole a >= 0 (a/2^32 < 2^31): the 2^32 factors cancel.
        if (c.whole_usable && (a & 0x80000000ffffffffu) == 0)
            return I32F32::from_bits(static_cast<std::int64_t>(c.whole(a)));
        return general(e);
    }

private:
    struct Column {
        fixed::U64Divider fraction, whole;
        bool fraction_usable = false, whole_usable = false;
    };

    [[gnu::noinline]] I32F32 general(const Entry& e) const {
        const I32F32 d = divisor_[e.col];
        if (d.is_zero()) return e.value;
        // Sized on first use: nearly every division takes the compact dividers, and a large
        // table allocated and freed on every call made glibc trim and regrow the heap.
        if (general_.empty()) general_.resize(divisor_.size());
        std::optional<fixed::I32F32Divider>& by = general_[e.col];
        if (!by) by.emplace(d);
        return by->saturating(e.value);
    }

    const Vector& divisor_;
    detail::CachedVector<Column> columns_;
    mutable detail::CachedVector<std::optional<fixed::I32F32Divider>> general_;
};

// The vector build of detail/column_division.hpp's rule for the active backend, or nullptr.
consensus::detail::DivideColumnsFn column_division_kernel() {
    static const consensus::detail::DivideColumnsFn kernel = [] {
        consensus::detail::DivideColumnsFn k = nullptr;
#if defined(TAOCORE_HAVE_AVX2)
        const simd::backend b = simd::active_backend();
        if (b != simd::backend::scalar) k = &consensus::detail::divide_columns_avx2;
#if defined(TAOCORE_HAVE_AVX512)
        if (b == simd::backend::avx512) k = &consensus::detail::divide_columns_avx512;
#endif
#endif
        return k;
    }();
    return kernel;
}

// A column normalisation's divisions over whole rows or matrices: four or eight entries at a
// time with the exact floating-point rule of detail/column_division.hpp where the backend
// allows, else ColumnDivision entry by entry. Both give saturating_div exactly.
class ColumnDivider {
public:
    explicit ColumnDivider(const Vector& divisor) : divisor_(divisor), kernel_(column_division_kernel()) {
        if (kernel_ != nullptr) {
            pairs_.resize(2 * divisor.size());
            for (std::size_t j = 0; j < divisor.size(); ++j) consensus::detail::column_reciprocal(divisor[j].bits, &pairs_[2 * j]);
            table_ = {pairs_.data(), divisor.size()};
            return;
        }
        scalar_.emplace(divisor);
    }
    void operator()(std::span<Entry> entries) const {
        if (scalar_) {
            for (Entry& e : entries)
                if (e.col < divisor_.size()) e.value = (*scalar_)(e);
            return;
        }
        kernel_(entries.data(), entries.size(), table_, &fallback, &divisor_);
    }
    /// The vector rule's table, or nullptr when the divisions are scalar.
    const consensus::detail::ColumnReciprocals* table() const noexcept { return scalar_ ? nullptr : &table_; }
    /// Divides a row as operator() does and, where the backend's kernel takes the whole row
    /// (detail::DivideMaxDotFn), raises col_max by its entries and returns the saturating sum of
    /// fixed::mul(v[col], entry); otherwise nothing, and the caller walks the divided row for both.
    /// v and col_max have room for every column.
    std::optional<I32F32> divide_max_dot(Row row, const I32F32* v, I32F32* col_max) const {
        static_assert(sizeof(I32F32) == sizeof(std::int64_t));
        consensus::detail::DivideMaxDotFn kernel = nullptr;
#if defined(TAOCORE_HAVE_AVX512)
        if (kernel_ == &consensus::detail::divide_columns_avx512) kernel = &consensus::detail::divide_max_dot_avx512;
#endif
        if (kernel == nullptr) {
            (*this)(row);
            return std::nullopt;
        }
        std::int64_t dot = 0;
        if (!kernel(row.data(), row.size(), table_, &fallback, &divisor_, reinterpret_cast<const std::int64_t*>(v),
                    reinterpret_cast<std::int64_t*>(col_max), &dot))
            return std::nullopt;
        return I32F32::from_bits(dot);
    }

private:
    static void fallback(Entry& e, const void* context) {
        const Vector& divisor = *static_cast<const Vector*>(context);
        if (e.col >= divisor.size() || divisor[e.col].is_zero()) return;
        e.value = fixed::saturating_div(e.value, divisor[e.col]);
    }

    const Vector& divisor_;
    consensus::detail::DivideColumnsFn kernel_;
    std::optional<ColumnDivision> scalar_;
    detail::CachedVector<double> pairs_;
    consensus::detail::ColumnReciprocals table_{};
};

void divide_columns(SparseMatrix& m, const Vector& divisor) {
    const ColumnDivider divide(divisor);
    divide(m.entries());
}
}  // namespace

void inplace_col_normalize_sparse(SparseMatrix& m, std::size_t columns) {
    divide_columns(m, column_sums(m, columns));
}

void inplace_col_normalize_sparse(SparseMatrix& m, const Vector& col_sum) { divide_columns(m, col_sum); }

namespace {
// Whether an entry raises its column's maximum is data-dependent: a conditional store became a
// mispredicted branch, so the maximum is stored back every time, chosen by a mask.
[[gnu::always_inline]] inline void raise_column_max(I32F32* col_max, std::size_t columns, const Entry& e) noexcept {
    if (e.col >= columns) return;
    const std::int64_t m = col_max[e.col].bits, v = e.value.bits;
    col_max[e.col].bits = m ^ ((m ^ v) & -static_cast<std::int64_t>(m < v));
}
}  // namespace

void inplace_col_max_upscale_sparse(SparseMatrix& m, std::size_t columns) {
    Vector col_max(columns, I32F32::zero());
    for (const Entry& e : m.entries()) raise_column_max(col_max.data(), columns, e);
    divide_columns(m, col_max);
}

void inplace_col_max_upscale_sparse(SparseMatrix& m, const Vector& col_max) { divide_columns(m, col_max); }

Vector col_normalize_matmul_transpose_sparse(SparseMatrix& m, const Vector& col_sum, const Vector& v, Vector& col_max) {
    const ColumnDivider divide(col_sum);
    const std::size_t columns = col_sum.size(), v_size = v.size();
    col_max.assign(columns, I32F32::zero());
    I32F32* const max = col_max.data();
    const I32F32* const vj = v.data();
    Vector out(m.size(), I32F32::zero());
    for (std::size_t i = 0; i < m.size(); ++i) {
        // In one walk where the kernel can; else the row divided first (it stays in L1 for the
        // second walk).
        if (v_size >= columns) {
            if (const std::optional<I32F32> dot = divide.divide_max_dot(m[i], vj, max)) {
                out[i] = *dot;
                continue;
            }
        } else {
            divide(m[i]);
        }
        I32F32 acc = I32F32::zero();
        for (const Entry& e : m[i]) {
            raise_column_max(max, columns, e);
            if (e.col < v_size) acc = saturating_add(acc, fixed::mul(vj[e.col], e.value));
        }
        out[i] = acc;
    }
    return out;
}

void mask_rows_inplace(const std::vector<bool>& mask, SparseMatrix& m) noexcept {
    m.remove_if([&](std::size_t i, const Entry&) { return i >= mask.size() || mask[i]; });
}

void mask_diag_inplace(SparseMatrix& m, std::size_t except_index) noexcept {
    m.remove_if([&](std::size_t i, const Entry& e) { return i != except_index && e.col == i; });
}

void vec_mask_inplace(SparseMatrix& m, const std::vector<std::uint64_t>& first,
                      const std::vector<std::uint64_t>& second, MaskOp op) noexcept {
    m.remove_if([&](std::size_t i, const Entry& e) {
        const std::uint64_t a = i < first.size() ? first[i] : 0;
        return mask_applies(op, a, e.col < second.size() ? second[e.col] : 0);
    });
}

void scalar_vec_mask_inplace(SparseMatrix& m, std::uint64_t scalar, const std::vector<std::uint64_t>& v,
                             MaskOp op) noexcept {
    m.remove_if([&](std::size_t, const Entry& e) { return mask_applies(op, scalar, e.col < v.size() ? v[e.col] : 0); });
}

SparseMatrix mask_rows_sparse(const std::vector<bool>& mask, const SparseMatrix& m) {
    SparseMatrix out = m;
    mask_rows_inplace(mask, out);
    return out;
}

SparseMatrix mask_diag_sparse(const SparseMatrix& m) { return mask_diag_sparse_except_index(m, static_cast<std::size_t>(-1)); }

SparseMatrix mask_diag_sparse_except_index(const SparseMatrix& m, std::size_t except_index) {
    SparseMatrix out = m;
    mask_diag_inplace(out, except_index);
    return out;
}

SparseMatrix vec_mask_sparse_matrix(const SparseMatrix& m, const std::vector<std::uint64_t>& first,
                                    const std::vector<std::uint64_t>& second, MaskOp op) {
    SparseMatrix out = m;
    vec_mask_inplace(out, first, second, op);
    return out;
}

SparseMatrix scalar_vec_mask_sparse_matrix(const SparseMatrix& m, std::uint64_t scalar,
                                           const std::vector<std::uint64_t>& v, MaskOp op) {
    SparseMatrix out = m;
    scalar_vec_mask_inplace(out, scalar, v, op);
    return out;
}

Vector row_sum_sparse(const SparseMatrix& m) {
    Vector out(m.size(), I32F32::zero());
    for (std::size_t i = 0; i < m.size(); ++i)
        for (const Entry& e : m[i]) out[i] = fixed::add(out[i], e.value);
    return out;
}

Vector matmul_sparse(const SparseMatrix& m, const Vector& v, std::size_t columns) {
    Vector out(columns, I32F32::zero());
    for (std::size_t i = 0; i < m.size() && i < v.size(); ++i)
        for (const Entry& e : m[i])
            if (e.col < columns) out[e.col] = saturating_add(out[e.col], fixed::mul(v[i], e.value));
    return out;
}

Vector matmul_transpose_sparse(const SparseMatrix& m, const Vector& v) {
    Vector out(m.size(), I32F32::zero());
    for (std::size_t i = 0; i < m.size(); ++i)
        for (const Entry& e : m[i])
            if (e.col < v.size()) out[i] = saturating_add(out[i], fixed::mul(v[e.col], e.value));
    return out;
}

SparseMatrix row_hadamard_sparse(const SparseMatrix& m, const Vector& v) {
    SparseMatrix out;
    out.reserve(m.size(), m.nnz());
    for (std::size_t i = 0; i < m.size(); ++i) {
        Entry* w = out.begin_row(i < v.size() ? m[i].size() : 0);
        if (i < v.size()) {
            row_hadamard_row(m[i], v[i], w);
            w += m[i].size();
        }
        out.end_row(w);
    }
    return out;
}

Vector row_hadamard_column_sums(const SparseMatrix& m, const Vector& v, std::size_t columns) {
    Vector col_sum(columns, I32F32::zero());
    const ColumnSums sums(col_sum);
    for (std::size_t i = 0; i < m.size() && i < v.size(); ++i)
        for (const Entry& e : m[i]) sums.add(row_hadamard_entry(e, v[i]));
    return col_sum;
}

SparseMatrix mat_vec_mul_sparse(const SparseMatrix& m, const Vector& v) {
    SparseMatrix out;
    out.reserve(m.size(), m.nnz());
    for (std::size_t i = 0; i < m.size(); ++i) {
        for (const Entry& e : m[i]) {
            if (e.col >= v.size()) continue;
            const I32F32 p = fixed::mul(e.value, v[e.col]);
            if (!p.is_zero()) out.push({e.col, p});
        }
        out.close_row();
    }
    return out;
}

Vector col_normalized_row_dot(const SparseMatrix& m, const Vector& v, std::size_t columns) {
    return col_normalized_row_dot(m, v, column_sums(m, columns));
}

namespace {

// The AVX-512 normalised row dot product (detail/column_division.hpp), or nullptr.
consensus::detail::RowDotFn row_dot_kernel() {
    static const consensus::detail::RowDotFn kernel = [] {
        consensus::detail::RowDotFn k = nullptr;
#if defined(TAOCORE_HAVE_AVX512)
        if (simd::active_backend() == simd::backend::avx512) k = &consensus::detail::normalized_row_dot_avx512;
#endif
        return k;
    }();
    return kernel;
}

struct RowDotTerms {
    const Vector& col_sum;
    const Vector& v;
    std::size_t usable;
};

// One entry's term of col_normalized_row_dot (ColumnDivision's division: saturating_div, a zero
// divisor leaving the entry).
std::int64_t row_dot_term(const Entry& e, const void* context) {
    const auto& t = *static_cast<const RowDotTerms*>(context);
    if (e.col >= t.usable || t.v[e.col].is_zero()) return 0;  // floor(x · 0) adds nothing
    const I32F32 d = t.col_sum[e.col];
    const I32F32 q = d.is_zero() ? e.value : fixed::saturating_div(e.value, d);
    return fixed::mul(q, t.v[e.col]).bits;
}

}  // namespace

Vector col_normalized_row_dot(const SparseMatrix& m, const Vector& v, const Vector& col_sum) {
    if (const consensus::detail::RowDotFn dot = row_dot_kernel(); dot != nullptr && v.size() >= col_sum.size()) {
        const ColumnDivider divide(col_sum);
        if (const consensus::detail::ColumnReciprocals* table = divide.table()) {
            const RowDotTerms terms{col_sum, v, col_sum.size()};
            Vector out(m.size(), I32F32::zero());
            static_assert(sizeof(I32F32) == sizeof(std::int64_t));
            for (std::size_t i = 0; i < m.size(); ++i)
                if (!m[i].empty())
                    out[i] = I32F32::from_bits(dot(m[i].data(), m[i].size(), *table,
                                                   reinterpret_cast<const std::int64_t*>(v.data()), &row_dot_term, &terms));
            return out;
        }
    }
    const ColumnDivision normalise(col_sum);
    const std::size_t usable = std::min(col_sum.size(), v.size());
    const I32F32* const vj = v.data();
    Vector out(m.size(), I32F32::zero());
    for (std::size_t i = 0; i < m.size(); ++i) {
        I32F32 acc = I32F32::zero();
        for (const Entry& e : m[i]) {
            // floor(x · 0) adds nothing
            if (e.col < usable && !vj[e.col].is_zero()) acc = fixed::add(acc, fixed::mul(normalise(e), vj[e.col]));
        }
        out[i] = acc;
    }
    return out;
}

SparseMatrix col_clip_sparse(const SparseMatrix& m, const Vector& threshold) {
    SparseMatrix out;
    out.reserve(m.size(), m.nnz());
    const std::size_t columns = threshold.size();
    for (std::size_t i = 0; i < m.size(); ++i) {
        Entry* w = out.begin_row(m[i].size());
        for (const Entry& e : m[i]) {
            if (e.col >= columns) continue;
            Entry c = e;
            const bool kept = clip_entry(c, threshold[e.col]);
            *w = c;
            w += kept ? 1 : 0;
        }
        out.end_row(w);
    }
    return out;
}

namespace {

using consensus::detail::ClipRow;

// The clip's scalar rule for one entry (detail/clip.hpp).
Entry* clip_row_entry(const Entry& e, Entry* w, ClipRow& row) noexcept {
    if (e.col >= row.columns) return w;
    Entry c = e;  // clipped in registers, then stored once
    const bool kept = clip_entry(c, I32F32::from_bits(row.threshold[e.col]));
    *w = c;
    if (!kept) return w;
    row.row_sum = fixed::add(I32F32::from_bits(row.row_sum), c.value).bits;
    // A zero multiplier adds floor(0 · x) = 0 to every column.
    if (row.factor != 0) {
        std::int64_t& sum = row.matmul[c.col];
        sum = saturating_add(I32F32::from_bits(sum), fixed::mul(I32F32::from_bits(row.factor), c.value)).bits;
    }
    return w + 1;
}

// The clip of one matrix: row i of it into out (which may trail the row's entries: every kernel
// and the scalar rule read an entry before writing at or behind it), the row's sum into row_sum.
class ColumnClip {
public:
    ColumnClip(const Vector& threshold, const Vector& v, ClippedSums& sums)
        : threshold_(threshold), v_(v), sums_(sums) {
        static_assert(sizeof(I32F32) == sizeof(std::int64_t));
        // The backend's vector clip, if any (each kernel is compiled only where its ISA is).
#if defined(TAOCORE_HAVE_AVX2)
        if (simd::active_backend() != simd::backend::scalar) vector_ = &consensus::detail::clip_row_avx2;
#endif
#if defined(TAOCORE_HAVE_AVX512)
        if (simd::active_backend() == simd::backend::avx512) vector_ = &consensus::detail::clip_row_avx512;
#endif
    }
    Entry* operator()(std::size_t i, ConstRow in, Entry* w) const {
        const std::size_t columns = threshold_.size();
        ClipRow row{reinterpret_cast<const std::int64_t*>(threshold_.data()), columns, i < v_.size() ? v_[i].bits : 0,
                    reinterpret_cast<std::int64_t*>(sums_.matmul.data()), 0};
        // The kernels' quads are runs of consecutive columns, which a sparse row rarely has.
        if (vector_ && 2 * in.size() >= columns) {
            w = vector_(in.data(), in.size(), w, row, &clip_row_entry);
        } else {
            for (const Entry& e : in) w = clip_row_entry(e, w, row);
        }
        sums_.row_sum[i] = I32F32::from_bits(row.row_sum);
        return w;
    }

private:
    const Vector& threshold_;
    const Vector& v_;
    ClippedSums& sums_;
    Entry* (*vector_)(const Entry*, std::size_t, Entry*, ClipRow&, consensus::detail::ClipEntryFn) noexcept = nullptr;
};

ClippedSums clip_sums_of(std::size_t rows, const Vector& threshold) {
    return {SparseMatrix(), Vector(rows, I32F32::zero()), Vector(threshold.size(), I32F32::zero())};
}

}  // namespace

ClippedSums col_clip_sums_sparse(const SparseMatrix& m, const Vector& threshold, const Vector& v) {
    ClippedSums out = clip_sums_of(m.size(), threshold);
    out.clipped.reserve(m.size(), m.nnz());
    const ColumnClip clip(threshold, v, out);
    for (std::size_t i = 0; i < m.size(); ++i) out.clipped.end_row(clip(i, m[i], out.clipped.begin_row(m[i].size())));
    return out;
}

ClippedSums col_clip_sums_sparse(SparseMatrix&& m, const Vector& threshold, const Vector& v) {
    ClippedSums out = clip_sums_of(m.size(), threshold);
    m.rewrite_rows(ColumnClip(threshold, v, out));
    out.clipped = std::move(m);
    return out;
}

SparseMatrix interpolate_sparse(const SparseMatrix& m1, const SparseMatrix& m2, std::size_t columns, I32F32 ratio) {
    if (ratio.is_zero()) return m1;
    if (ratio == I32F32::one()) return m2;
    const std::size_t rows = std::min(m1.size(), m2.size());
    SparseMatrix out;
    out.reserve(rows, m1.nnz() + m2.nnz());
    Vector r1(columns, I32F32::zero()), r2(columns, I32F32::zero());
    for (std::size_t i = 0; i < rows; ++i) {
        if (!m1[i].empty() || !m2[i].empty()) {  // 0 + ratio·0 keeps nothing
            for (const Entry& e : m1[i]) if (e.col < columns) r1[e.col] = e.value;
            for (const Entry& e : m2[i]) if (e.col < columns) r2[e.col] = e.value;
            for (std::size_t j = 0; j < columns; ++j) {
                const I32F32 v = fixed::add(r1[j], fixed::mul(ratio, fixed::sub(r2[j], r1[j])));
                if (v > I32F32::zero()) out.push({static_cast<std::uint16_t>(j), v});
            }
            for (const Entry& e : m1[i]) if (e.col < columns) r1[e.col] = I32F32::zero();
            for (const Entry& e : m2[i]) if (e.col < columns) r2[e.col] = I32F32::zero();
        }
        out.close_row();
    }
    return out;
}

namespace {

// Emits columns [0, columns) of a densified row: (j, v) for v > 0, and the row zeroed. With and
// without column sums as two loops: whether a column is kept is data-dependent, and a shared
// loop's test for the sums let the compiler branch on it.
template <bool Sums>
Entry* ema_emit_columns(I32F32* row, std::size_t columns, Entry* w, I32F32* col_sum) noexcept {
    for (std::size_t j = 0; j < columns; ++j) {
        const I32F32 v = row[j];
        *w = {static_cast<std::uint16_t>(j), v};
        const bool kept = v > I32F32::zero();
        w += kept ? 1 : 0;
        // Adding 0 changes no saturating sum.
        if constexpr (Sums) col_sum[j] = saturating_add(col_sum[j], kept ? v : I32F32::zero());
        row[j] = I32F32::zero();
    }
    return w;
}

// Whether a row's columns strictly increase (then it repeats none).
bool strictly_increasing(ConstRow row) noexcept {
    bool increasing = true;
    for (std::size_t t = 1; t < row.size(); ++t) increasing &= row[t - 1].col < row[t].col;
    return increasing;
}

// ema_emit_columns<false> for a densified row whose only nonzero columns are among those of a and
// b, each strictly increasing: their columns merged in order are the ones the full pass would
// reach with anything in them, so the entries come out the same and in the same order, in time
// proportional to the entries rather than the columns (a 65535-uid subnet's rows hold a few
// hundred). Past the first column >= columns every later one is too, and nothing was added there.
Entry* ema_emit_merged(I32F32* row, ConstRow a, ConstRow b, std::size_t columns, Entry* w) noexcept {
    std::size_t i = 0, k = 0;
    while (i < a.size() || k < b.size()) {
        std::uint16_t j;
        if (k == b.size() || (i < a.size() && a[i].col <= b[k].col)) {
            j = a[i++].col;
            if (k < b.size() && b[k].col == j) ++k;
        } else {
            j = b[k++].col;
        }
        if (j >= columns) break;
        const I32F32 v = row[j];
        *w = {j, v};
        w += v > I32F32::zero() ? 1 : 0;
        row[j] = I32F32::zero();
    }
    return w;
}

// The AVX-512 row passes of detail/ema.hpp, or nullptr.
struct EmaKernels {
    consensus::detail::AccumulateRowFn accumulate = nullptr;
    consensus::detail::EmitColumnsFn emit = nullptr;
};

EmaKernels ema_kernels() {
    static const EmaKernels k = [] {
        EmaKernels r;
#if defined(TAOCORE_HAVE_AVX512)
        if (simd::active_backend() == simd::backend::avx512)
            r = {&consensus::detail::accumulate_row_avx512, &consensus::detail::emit_columns_avx512};
#endif
        return r;
    }();
    return k;
}

// mat_ema_sparse over rows given by next_row(i) and prev_row(i) (ConstRow each): the chain
// densifies each row to the number of rows (the matrices are n × n).
template <class NextRow, class PrevRow>
SparseMatrix ema_rows(std::size_t rows, NextRow&& next_row, PrevRow&& prev_row, I32F32 alpha, Vector* col_sum,
                      std::size_t expected_entries) {
    const std::size_t columns = rows;
    const I32F32 keep = saturating_sub(I32F32::one(), alpha);
    const EmaKernels kernel = ema_kernels();
    SparseMatrix out;
    out.reserve(rows, expected_entries);
    Vector row(columns, I32F32::zero());
    auto* const row_bits = reinterpret_cast<std::int64_t*>(row.data());
    if (col_sum != nullptr) col_sum->assign(columns, I32F32::zero());
    auto accumulate = [&](ConstRow entries, I32F32 factor) {
        if (kernel.accumulate != nullptr) return kernel.accumulate(entries.data(), entries.size(), factor.bits, row_bits, columns);
        for (const Entry& e : entries)
            if (e.col < columns) row[e.col] = fixed::add(row[e.col], fixed::mul(factor, e.value));
    };
    for (std::size_t i = 0; i < rows; ++i) {
        const ConstRow next = next_row(i);
        const ConstRow prev = prev_row(i);
        if (!next.empty() || !prev.empty()) {
            accumulate(next, alpha);
            accumulate(prev, keep);
            // Column sums on the way for a mostly full row; over the entries kept for a sparse
            // one, most of whose columns hold nothing.
            const bool full = next.size() + prev.size() >= columns / 2;
            // A row of few entries in sorted order (as the chain stores bonds, and as weights
            // usually come) visits only its own columns; the pass over every column costs ~0.5 ns
            // a column, the merge a few an entry.
            const bool merged = 8 * (next.size() + prev.size()) < columns && strictly_increasing(next) &&
                                strictly_increasing(prev);
            Entry* const w = out.begin_row(merged ? next.size() + prev.size() : columns);
            if (merged) {
                out.end_row(ema_emit_merged(row.data(), next, prev, columns, w));
            } else if (kernel.emit != nullptr) {
                // The kernel's sums are the saturating ones of non-negative sums (all of these are).
                out.end_row(kernel.emit(row_bits, columns, w,
                                        col_sum != nullptr && full ? reinterpret_cast<std::int64_t*>(col_sum->data()) : nullptr));
            } else {
                out.end_row(col_sum != nullptr && full ? ema_emit_columns<true>(row.data(), columns, w, col_sum->data())
                                                       : ema_emit_columns<false>(row.data(), columns, w, nullptr));
            }
            if (col_sum != nullptr && !full) {
                const ColumnSums column_sums(*col_sum);
                for (const Entry& e : out[i]) column_sums.add(e);
            }
        } else {
            out.close_row();
        }
    }
    return out;
}

}  // namespace

SparseMatrix mat_ema_sparse(const SparseMatrix& next, const SparseMatrix& prev, I32F32 alpha, Vector* col_sum) {
    return ema_rows(
        next.size(), [&](std::size_t i) { return ConstRow(next[i]); },
        [&](std::size_t i) { return i < prev.size() ? prev[i] : ConstRow(); }, alpha, col_sum, next.nnz() + prev.nnz());
}

SparseMatrix mat_ema_sparse(const SparseMatrix& next, const RowSource& prev, I32F32 alpha, Vector* col_sum,
                            std::size_t expected_entries) {
    return ema_rows(
        next.size(), [&](std::size_t i) { return ConstRow(next[i]); }, [&](std::size_t i) { return ConstRow(prev(i)); },
        alpha, col_sum, expected_entries);
}

SparseMatrix mat_ema_col_normalized_sparse(std::size_t rows, const RowSource& next, const Vector& next_sum,
                                           const RowSource& prev, const Vector& prev_sum, I32F32 alpha, Vector* col_sum,
                                           std::size_t expected_entries) {
    const ColumnDivider divide_next(next_sum), divide_prev(prev_sum);
    auto divided = [](const RowSource& source, const ColumnDivider& divide, std::size_t i) {
        const Row r = source(i);
        if (!r.empty()) divide(r);  // most rows of a large subnet (miners') are empty
        return ConstRow(r);
    };
    return ema_rows(
        rows, [&](std::size_t i) { return divided(next, divide_next, i); },
        [&](std::size_t i) { return divided(prev, divide_prev, i); }, alpha, col_sum, expected_entries);
}

std::vector<Vector> mat_ema_alpha_dense(const std::vector<Vector>& next, const std::vector<Vector>& prev,
                                        const std::vector<Vector>& alpha) {
    if (next.size() != prev.size() || next.size() != alpha.size()) return prev;
    std::vector<Vector> out(next.size());
    for (std::size_t i = 0; i < next.size(); ++i) {
        if (next[i].size() != prev[i].size() || next[i].size() != alpha[i].size()) return next;
        out[i].resize(next[i].size());
        for (std::size_t j = 0; j < next[i].size(); ++j) out[i][j] = ema_alpha_entry(alpha[i][j], next[i][j], prev[i][j]);
    }
    return out;
}

// ---- consensus -----------------------------------------------------------------------------------

namespace {

using consensus::detail::PartitionFn;
using consensus::detail::PartitionSums;
using consensus::detail::VoteList;

// The reference partition (detail/partition.hpp). Plain: non-negative stakes whose total fits, so
// that plain sums are the chain's saturating ones; otherwise the saturating additions in order.
template <bool Plain>
PartitionSums partition_scalar(const std::int64_t* score, const std::int64_t* stake, std::size_t n, std::int64_t pivot,
                               VoteList below, VoteList above) noexcept {
    std::size_t nb = 0, na = 0;
    I32F32 below_stake = I32F32::zero(), above_stake = I32F32::zero();
    std::int64_t below_sum = 0, above_sum = 0;
    for (std::size_t p = 0; p < n; ++p) {
        const std::int64_t sc = score[p], st = stake[p];
        const bool lt = sc < pivot, gt = pivot < sc;
        // Every vote is stored to both sides and only its own side advances: whether a score
        // falls below the pivot is a coin toss, so branches would mispredict half the time.
        below.score[nb] = sc;
        below.stake[nb] = st;
        above.score[na] = sc;
        above.stake[na] = st;
        nb += lt;
        na += gt;
        if constexpr (Plain) {
            // Masks rather than conditionals, which the compiler turns back into branches.
            below_sum += st & -static_cast<std::int64_t>(lt);
            above_sum += st & -static_cast<std::int64_t>(gt);
        } else {
            if (lt) below_stake = saturating_add(below_stake, I32F32::from_bits(st));
            if (gt) above_stake = saturating_add(above_stake, I32F32::from_bits(st));
        }
    }
    if constexpr (Plain) return {nb, na, below_sum, above_sum};
    return {nb, na, below_stake.bits, above_stake.bits};
}

// With non-negative stakes whose total fits, every partial sum fits too and the chain's
// saturating additions are plain ones (the epoch's normalised stakes always qualify).
bool sums_cannot_saturate(const I32F32* stake, std::size_t k) noexcept {
    fixed::i128 total = 0;
    std::uint64_t negative = 0;
    for (std::size_t p = 0; p < k; ++p) {
        negative |= static_cast<std::uint64_t>(stake[p].bits) >> 63;
        total += stake[p].bits;
    }
    return negative == 0 && total <= std::numeric_limits<std::int64_t>::max();
}

PartitionFn partition_for(bool plain) {
    if (!plain) return &partition_scalar<false>;
#if defined(TAOCORE_HAVE_AVX512)
    if (simd::active_backend() == simd::backend::avx512) return &consensus::detail::partition_plain_avx512;
#endif
#if defined(TAOCORE_HAVE_AVX2)
    if (simd::active_backend() != simd::backend::scalar) return &consensus::detail::partition_plain_avx2;
#endif
    return &partition_scalar<true>;
}

// The weighted median's transposition into column-major scores for the active backend, or
// nullptr (the scalar scatter).
consensus::detail::ColumnScoresFn column_scores_kernel() {
#if defined(TAOCORE_HAVE_AVX512)
    if (simd::active_backend() == simd::backend::avx512) return &consensus::detail::column_scores_avx512;
#endif
    return nullptr;
}

// Room for the three rotating vote lists of a k-vote quickselect, with the partition's slack.
class MedianScratch {
public:
    void fit(std::size_t k) {
        stride_ = k + 8;
        if (buffer_.size() < 6 * stride_) buffer_.resize(6 * stride_);
    }
    VoteList list(int i) noexcept {
        std::int64_t* base = buffer_.data() + 2 * static_cast<std::size_t>(i) * stride_;
        return {base, base + stride_};
    }

private:
    detail::CachedVector<std::int64_t> buffer_;
    std::size_t stride_ = 0;
};

// The chain's quickselect on the stake integral (spec §7.6) over k votes. The partitions keep
// list order, as the chain's vectors do, because the next pivot is the middle element of the
// surviving list. The first round reads the caller's arrays; then three lists rotate: the
// surviving one and the two sides being written.
//
// free_pivot: lo and hi are 0 and the plain (unsaturated) total of the stakes. Then lo and hi
// stay the exact stake below and up to the surviving list, and the result is the one score x
// with stake(< x) <= minority < stake(<= x) (the lowest or highest score when minority is
// outside [0, total)), whichever pivots lead there: the median of three replaces the middle
// element, for fewer and shorter rounds.
I32F32 weighted_median_span(const I32F32* stake, const I32F32* score, std::size_t k, I32F32 minority, I32F32 lo,
                            I32F32 hi, PartitionFn partition, MedianScratch& scratch, bool free_pivot) {
    static_assert(sizeof(I32F32) == sizeof(std::int64_t));
    if (k == 0) return I32F32::zero();
    scratch.fit(k);
    const auto* cur_score = reinterpret_cast<const std::int64_t*>(score);
    const auto* cur_stake = reinterpret_cast<const std::int64_t*>(stake);
    int cur = -1;  // which scratch list holds the survivors (-1: the caller's arrays)
    std::size_t n = k;
    for (std::size_t iteration = 0; iteration <= k; ++iteration) {
        if (n == 0) return I32F32::zero();
        if (n == 1) return I32F32::from_bits(cur_score[0]);
        std::int64_t pivot = cur_score[n / 2];
        if (free_pivot) {
            // With masks: the comparisons are coin tosses, and the compiler had branched on them.
            auto min = [](std::int64_t x, std::int64_t y) { return y ^ ((x ^ y) & -static_cast<std::int64_t>(x < y)); };
            auto max = [](std::int64_t x, std::int64_t y) { return x ^ ((x ^ y) & -static_cast<std::int64_t>(x < y)); };
            const std::int64_t a = cur_score[0], c = cur_score[n - 1];
            pivot = max(min(a, pivot), min(max(a, pivot), c));
        }
        // The two lists other than the survivors' (any two at the start).
        const int below_list = cur == 0 ? 1 : 0;
        const int above_list = cur == 2 || cur < 0 ? 1 : 2;
        const VoteList below = scratch.list(below_list), above = scratch.list(above_list);
        const PartitionSums sums = partition(cur_score, cur_stake, n, pivot, below, above);
        const I32F32 lo_stake = I32F32::from_bits(sums.below_stake), hi_stake = I32F32::from_bits(sums.above_stake);
        if (minority < saturating_add(lo, lo_stake) && sums.below != 0) {
            hi = saturating_add(lo, lo_stake);
            cur = below_list;
            n = sums.below;
        } else if (saturating_sub(hi, hi_stake) <= minority && sums.above != 0) {
            lo = saturating_sub(hi, hi_stake);
            cur = above_list;
            n = sums.above;
        } else {
            return I32F32::from_bits(pivot);
        }
        const VoteList survivors = scratch.list(cur);
        cur_score = survivors.score;
        cur_stake = survivors.stake;
    }
    return I32F32::zero();
}

}  // namespace

I32F32 weighted_median(const Vector& stake, const Vector& score, I32F32 minority, I32F32 lo, I32F32 hi) {
    MedianScratch scratch;
    const std::size_t k = std::min(stake.size(), score.size());
    return weighted_median_span(stake.data(), score.data(), k, minority, lo, hi,
                                partition_for(sums_cannot_saturate(stake.data(), k)), scratch, false);
}

namespace {

// Every column's votes in its own stretch, absent ones as 0: dense, columns x k. The kernel (if
// given) transposes mostly full rows and writes every vote; without it (stakes that are not
// plain) the entries are scattered into cleared scores.
void dense_column_medians(const std::vector<ConstRow>& rows, const Vector& use_stake, std::size_t columns,
                          consensus::detail::ColumnScoresFn transpose, I32F32 minority, I32F32 stake_sum, bool plain,
                          Vector& median) {
    const std::size_t k = use_stake.size();
    // Column j's votes start at j·stride, a whole number of eight votes (the vector kernel
    // writes eight at a time) kept off multiples of 128 bytes: the scatter writes one vote to
    // every column in turn, and at such a stride (k = 64 validators: 512 bytes) all the columns
    // fell in a few L1 sets and missed on nearly every write.
    std::size_t stride = (k + 7) / 8 * 8;
    if (stride % 16 == 0) stride += 8;
    detail::CachedArray<I32F32> scores(columns * stride, transpose == nullptr);
    if (transpose != nullptr) {
        detail::CachedArray<std::int64_t> group(8 * columns, false);
        static_assert(sizeof(I32F32) == sizeof(std::int64_t));
        transpose(rows.data(), k, columns, stride, reinterpret_cast<std::int64_t*>(scores.data()), group.data());
    } else {
        for (std::size_t p = 0; p < rows.size(); ++p)
            for (const Entry& e : rows[p])
                if (e.col < columns) scores[e.col * stride + p] = e.value;
    }
    MedianScratch scratch;
    const PartitionFn partition = partition_for(plain);
    for (std::size_t j = 0; j < columns; ++j)
        median[j] = weighted_median_span(use_stake.data(), scores.data() + j * stride, k, minority, I32F32::zero(),
                                         stake_sum, partition, scratch, plain);
}

// The same medians from each column's entries alone, in memory and time proportional to the
// entries and columns rather than to voters x columns (a 65535-uid subnet's 64 voters took
// 34 MB dense). With plain stakes the quickselect's answer depends only on the votes' scores
// and stakes as a distribution (weighted_median_span's free_pivot), so a column's absent votes,
// all 0, go in as one vote of 0 holding their stake together: the total's part not held by the
// column's entries, exact since no plain sum saturates. A voter's last entry in a column is its
// vote, as in the dense scores; the entries are taken voter by voter, so a repeat of the
// column's latest voter replaces that vote.
void compact_column_medians(const std::vector<ConstRow>& rows, const Vector& use_stake, std::size_t columns,
                            I32F32 minority, I32F32 stake_sum, Vector& median) {
    const std::size_t k = use_stake.size();
    detail::CachedArray<std::size_t> next(columns + 1);  // counts, then each column's next free slot
    for (const ConstRow& row : rows)
        for (const Entry& e : row)
            if (e.col < columns) ++next[e.col + 1];
    for (std::size_t j = 0; j < columns; ++j) next[j + 1] += next[j];
    // A vote's score and stake side by side: the entries land in the columns' slots in no
    // order the caches can follow, and each then touches one cache line instead of two.
    struct Vote {
        I32F32 score, stake;
    };
    detail::CachedArray<Vote> votes(next[columns], false);
    detail::CachedArray<std::size_t> start(columns, false);
    detail::CachedArray<std::size_t> last_voter(columns, false);
    for (std::size_t j = 0; j < columns; ++j) {
        start[j] = next[j];
        last_voter[j] = std::numeric_limits<std::size_t>::max();
    }
    for (std::size_t p = 0; p < rows.size(); ++p) {
        const ConstRow row = rows[p];
        const I32F32 voter_stake = use_stake[p];
        // A row whose columns strictly increase (the usual case) needs no check per entry.
        const bool increasing = strictly_increasing(row);
        for (const Entry& e : row) {
            if (e.col >= columns) continue;
            if (!increasing && last_voter[e.col] == p) {
                votes[next[e.col] - 1].score = e.value;
                continue;
            }
            votes[next[e.col]++] = {e.value, voter_stake};
            if (!increasing) last_voter[e.col] = p;
        }
    }
    // Each column's votes, and its zero vote, as the two lists the quickselect reads.
    detail::CachedArray<I32F32> score(k + 1, false), stake(k + 1, false);
    MedianScratch scratch;
    const PartitionFn partition = partition_for(true);
    for (std::size_t j = 0; j < columns; ++j) {
        const std::size_t count = next[j] - start[j];
        std::int64_t held = 0;
        for (std::size_t v = 0; v < count; ++v) {
            const Vote& vote = votes[start[j] + v];
            score[v] = vote.score;
            stake[v] = vote.stake;
            held += vote.stake.bits;
        }
        std::size_t n = count;
        if (count < k) {
            score[n] = I32F32::zero();
            stake[n] = I32F32::from_bits(stake_sum.bits - held);
            ++n;
        }
        median[j] = weighted_median_span(stake.data(), score.data(), n, minority, I32F32::zero(), stake_sum, partition,
                                         scratch, true);
    }
}

}  // namespace

Vector weighted_median_col_sparse(const Vector& stake, const SparseMatrix& score, std::size_t columns,
                                  I32F32 majority) {
    // Only positive-stake rows vote; their stake is normalised again among themselves.
    Vector use_stake;
    detail::CachedVector<std::int64_t> position(stake.size(), -1);
    for (std::size_t i = 0; i < stake.size(); ++i) {
        if (stake[i] > I32F32::zero()) {
            position[i] = static_cast<std::int64_t>(use_stake.size());
            use_stake.push_back(stake[i]);
        }
    }
    inplace_normalize(use_stake);
    const I32F32 stake_sum = sum(use_stake);
    const I32F32 minority = saturating_sub(stake_sum, majority);
    const std::size_t k = use_stake.size();
    std::vector<ConstRow> rows;
    std::size_t entries = 0;
    rows.reserve(k);
    for (std::size_t i = 0; i < score.size() && i < stake.size(); ++i) {
        if (position[i] < 0) continue;
        rows.push_back(score[i]);
        entries += score[i].size();
    }
    for (std::size_t i = score.size(); i < stake.size(); ++i)  // voters without a row vote 0
        if (position[i] >= 0) rows.emplace_back();
    Vector median(columns, I32F32::zero());
    // Mostly full rows (at least half of all votes present) go through the backend's
    // transposing kernel, if it has one: its dense table is then at most twice the entries.
    // Otherwise the compact path, for plain stakes (non-negative, total within range): the
    // epoch's always are, being normalised already. Stakes whose sum wraps (near the i64 range,
    // through the math helpers) normalise to negative values; those keep the dense scatter,
    // where the compact path's single zero vote would not reproduce the saturating sums.
    const bool plain = sums_cannot_saturate(use_stake.data(), k);
    consensus::detail::ColumnScoresFn transpose = column_scores_kernel();
    if (2 * entries < k * columns) transpose = nullptr;
    if (transpose == nullptr && plain) {
        compact_column_medians(rows, use_stake, columns, minority, stake_sum, median);
    } else {
        dense_column_medians(rows, use_stake, columns, transpose, minority, stake_sum, plain, median);
    }
    return median;
}

}  // namespace taocore::consensus::math
