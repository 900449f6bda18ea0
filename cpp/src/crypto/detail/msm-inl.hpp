// SPDX-License-Identifier: MIT
// The multi-scalar multiplication algorithms of msm.cpp (Straus with width-5 wNAF, Pippenger with
// signed digits) written once over a group-operations policy G, so the portable radix-2^51 build
// (msm.cpp), the radix-2^64 MULX build (verify_fe64_avx2.cpp) and the AVX-512 IFMA build
// (msm_ifma_avx512.cpp) run the same steps in the same order. G provides: point, cached, affine, from(ge_p3), from_cached(ge_cached), out(point) -> ge_p3,
// identity(), to_cached(p), neg(p), to_affine(p) (for a point with Z = 1), and the operations
// that update a point in place: dbl(p), add(p, cached), sub(p, cached), add_p3(p, q),
// madd(p, affine), msub(p, affine). In place because these run hundreds of thousands of times per
// batch, and a returned point copied over the old one is read back as wide vector loads of words
// just written one by one (store-forwarding stalls).
// Everything has internal linkage and no standard-library template is instantiated (buffers are
// the local `buffer` below): the radix-2^64 instance is compiled with ISA flags, and any inline
// or template function with external linkage could be merged by the linker with a baseline copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "crypto/detail/edwards.hpp"
#include "crypto/detail/msm.hpp"

namespace taocore::crypto::detail::msm_impl {
namespace {

// A heap array of trivially copyable T, zero-filled (operator new throws std::bad_alloc, as the
// std::vector it replaces did), aligned for T (the IFMA instance's points hold 256-bit registers).
template <class T>
class buffer {
public:
    explicit buffer(std::size_t n)
        : p_(static_cast<T*>(::operator new(n * sizeof(T) + 1, std::align_val_t{alignof(T)}))) {
        unsigned char* b = reinterpret_cast<unsigned char*>(p_);
        for (std::size_t i = 0; i < n * sizeof(T); ++i) b[i] = 0;
    }
    ~buffer() { ::operator delete(p_, std::align_val_t{alignof(T)}); }
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;
    T& operator[](std::size_t i) noexcept { return p_[i]; }
    T* data() noexcept { return p_; }

private:
    T* p_;
};

constexpr int naf_width = 5;                              // digits odd, |d| < 2^(w-1)
constexpr int naf_table = 1 << (naf_width - 2);           // odd multiples 1P, 3P, ..., 15P

// Width-5 wNAF: odd digits |d| < 16, at least four zeros after each non-zero digit. The scalar
// is read a machine word at a time (a bit-array version spent more on this than on the table
// look-ups it feeds in small batches). s < 2^255, so 257 digits hold it.
inline void wnaf(std::int8_t out[257], const std::uint8_t s[32]) {
    std::uint64_t x[5] = {};
    for (int i = 0; i < 32; ++i) x[i / 8] |= static_cast<std::uint64_t>(s[i]) << (8 * (i % 8));
    for (int i = 0; i < 257; ++i) out[i] = 0;
    constexpr std::uint64_t radix = 1u << naf_width, mask = radix - 1;
    std::uint64_t carry = 0;  // 1 when the digit below borrowed 2^w from here
    for (int pos = 0; pos < 257;) {
        const int word = pos / 64, bit = pos % 64;
        std::uint64_t bits = x[word] >> bit;
        if (bit > 64 - naf_width) bits |= x[word + 1] << (64 - bit);
        const std::uint64_t window = carry + (bits & mask);
        if ((window & 1) == 0) {  // zero digit here; an even window's carry moves up with pos
            ++pos;
            continue;
        }
        if (window < radix / 2) {
            carry = 0;
            out[pos] = static_cast<std::int8_t>(window);
        } else {
            carry = 1;
            out[pos] = static_cast<std::int8_t>(static_cast<int>(window) - static_cast<int>(radix));
        }
        pos += naf_width;
    }
}

static_assert(naf_table == msm_odd_multiples, "msm.hpp's table layout is the width-5 wNAF table");

// odd_multiples (may be null, as may each entry) supplies ready tables P, 3P, ..., 15P: the
// verifier has them for cached public keys and the base point, and building one costs about as
// much as seven of the additions it then saves.
template <class G>
ge_p3 straus(const std::uint8_t (*scalars)[32], const ge_p3* in_points, std::size_t n,
             const ge_cached* const* odd_multiples) {
    using P = typename G::point;
    buffer<std::int8_t> naf(n * 257);
    buffer<typename G::cached> table(n * naf_table);
    int top = -1;
    for (std::size_t i = 0; i < n; ++i) {
        std::int8_t* d = &naf[i * 257];
        wnaf(d, scalars[i]);
        for (int b = 256; b > top; --b)
            if (d[b]) { top = b; break; }
        typename G::cached* t = &table[i * naf_table];
        if (odd_multiples != nullptr && odd_multiples[i] != nullptr) {
            for (int k = 0; k < naf_table; ++k) t[k] = G::from_cached(odd_multiples[i][k]);
            continue;
        }
        P odd = G::from(in_points[i]);
        P doubled = odd;
        G::dbl(doubled);
        const typename G::cached twice = G::to_cached(doubled);
        for (int k = 0; k < naf_table; ++k) {
            t[k] = G::to_cached(odd);
            if (k + 1 < naf_table) G::add(odd, twice);
        }
    }
    P acc = G::identity();
    for (int b = top; b >= 0; --b) {
        G::dbl(acc);
        for (std::size_t i = 0; i < n; ++i) {
            const int d = naf[i * 257 + b];
            if (d > 0) G::add(acc, table[i * naf_table + d / 2]);
            else if (d < 0) G::sub(acc, table[i * naf_table + (-d) / 2]);
        }
    }
    return G::out(acc);
}

// Signed radix-2^c digits in [-2^(c-1), 2^(c-1)]: windows of c bits (read from 64-bit words),
// each digit above half the radix borrows one from the next window.
inline void signed_digits(std::int32_t* out, int windows, int c, const std::uint8_t s[32]) {
    std::uint64_t x[5] = {};
    for (int i = 0; i < 32; ++i) x[i / 8] |= static_cast<std::uint64_t>(s[i]) << (8 * (i % 8));
    const std::uint64_t radix = std::uint64_t{1} << c, half = radix / 2;
    std::uint64_t carry = 0;
    for (int w = 0; w < windows; ++w) {
        const int bit = w * c, word = bit / 64, shift = bit % 64;
        std::uint64_t v = word < 5 ? x[word] >> shift : 0;
        if (shift + c > 64 && word + 1 < 5) v |= x[word + 1] << (64 - shift);
        v = (v & (radix - 1)) + carry;
        carry = v > half ? 1 : 0;
        out[w] = static_cast<std::int32_t>(static_cast<std::int64_t>(v) - static_cast<std::int64_t>(carry * radix));
    }
}

// Window width growing with log n (about ln n), the usual cost balance of buckets vs additions;
// the breakpoints are the measured ones for verification batches (see msm_prefers_straus).
inline int pippenger_window(std::size_t n) noexcept {
    return n < 160 ? 5 : n < 400 ? 6 : n < 800 ? 7 : n < 4000 ? 8 : 10;
}

// Two independent updates, p1 op= q1 and p2 op= q2, that must read every input before writing
// either output (the aggregation below passes the same point as p2 and q1). Policies that can run
// them side by side (the IFMA one, whose additions are bound by latency rather than throughput)
// provide madd_pair / add_p3_pair; for the others these are the two calls in turn, giving the
// same points.
template <class G>
void madd_pair(typename G::point& p1, const typename G::affine& q1, bool minus1, typename G::point& p2,
               const typename G::affine& q2, bool minus2) noexcept {
    if constexpr (requires { G::madd_pair(p1, q1, minus1, p2, q2, minus2); }) {
        G::madd_pair(p1, q1, minus1, p2, q2, minus2);
    } else {
        if (minus1) G::msub(p1, q1);
        else G::madd(p1, q1);
        if (minus2) G::msub(p2, q2);
        else G::madd(p2, q2);
    }
}

template <class G>
void add_p3_pair(typename G::point& p1, const typename G::point& q1, typename G::point& p2,
                 const typename G::point& q2) noexcept {
    if constexpr (requires { G::add_p3_pair(p1, q1, p2, q2); }) {
        G::add_p3_pair(p1, q1, p2, q2);
    } else {
        G::add_p3(p1, q1);  // p1 first: q1 may be p2
        G::add_p3(p2, q2);
    }
}

// Every input point must have Z = 1 (ge_multiscalar_mul_vartime normalises them): the bucket
// additions then take the affine addend form, one field multiplication fewer each.
template <class G>
ge_p3 pippenger(const std::uint8_t (*scalars)[32], const ge_p3* in_points, std::size_t n, int c) {
    using P = typename G::point;
    buffer<P> points(n);
    for (std::size_t i = 0; i < n; ++i) points[i] = G::from(in_points[i]);
    const int windows = (256 + c - 1) / c + 1;  // one more for the final carry
    const int buckets = 1 << (c - 1);
    buffer<std::int32_t> digits(n * windows);
    buffer<typename G::affine> addend(n);
    for (std::size_t i = 0; i < n; ++i) {
        signed_digits(&digits[i * windows], windows, c, scalars[i]);
        addend[i] = G::to_affine(points[i]);
    }
    buffer<P> bucket(buckets);
    buffer<char> used(buckets);
    P acc = G::identity();
    for (int w = windows - 1; w >= 0; --w) {
        for (int k = 0; k < c; ++k) G::dbl(acc);
        for (int k = 0; k < buckets; ++k) used[k] = 0;
        const auto add_one = [&](int slot, std::size_t i, bool minus) {
            if (minus) G::msub(bucket[slot], addend[i]);
            else G::madd(bucket[slot], addend[i]);
        };
        // Additions go in pairs for different buckets: one waits for the next, and two for the
        // same bucket run one after the other, so every bucket still receives its points in order.
        std::size_t pending = n;
        int pending_slot = 0;
        bool pending_minus = false;
        for (std::size_t i = 0; i < n; ++i) {
            const std::int32_t d = digits[i * windows + w];
            if (d == 0) continue;
            const int slot = (d > 0 ? d : -d) - 1;
            const bool minus = d < 0;
            if (!used[slot]) {
                bucket[slot] = minus ? G::neg(points[i]) : points[i];
                used[slot] = 1;
                continue;
            }
            if (pending != n && pending_slot != slot) {
                madd_pair<G>(bucket[pending_slot], addend[pending], pending_minus, bucket[slot], addend[i], minus);
                pending = n;
                continue;
            }
            if (pending != n) add_one(pending_slot, pending, pending_minus);
            pending = i;
            pending_slot = slot;
            pending_minus = minus;
        }
        if (pending != n) add_one(pending_slot, pending, pending_minus);
        // sum_k (k+1) * bucket[k] as running sums from the top bucket down: total gains each
        // running sum one step late, so that addition pairs with the next step's running one.
        P running = G::identity(), total = G::identity();
        bool any = false;
        for (int k = buckets - 1; k >= 0; --k) {
            if (!any) {
                if (used[k]) running = bucket[k];
                any = used[k] != 0;
                continue;
            }
            if (used[k]) add_p3_pair<G>(total, running, running, bucket[k]);
            else G::add_p3(total, running);
        }
        if (any) G::add_p3(total, running);
        G::add_p3(acc, total);
    }
    return G::out(acc);
}

// algorithm: msm_auto picks by n; window 0 picks Pippenger's width by n (tests force both).
template <class G>
ge_p3 multiscalar_mul(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n, int algorithm,
                      int window, const ge_cached* const* odd_multiples) {
    if (n == 0) return ge_identity();
    if (algorithm == msm_auto) algorithm = msm_prefers_straus(n) ? msm_straus : msm_pippenger;
    if (algorithm == msm_straus) return straus<G>(scalars, points, n, odd_multiples);
    return pippenger<G>(scalars, points, n, window > 0 ? window : pippenger_window(n));
}

}  // namespace
}  // namespace taocore::crypto::detail::msm_impl
