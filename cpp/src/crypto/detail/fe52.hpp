// SPDX-License-Identifier: MIT
// GF(2^255 - 19) in radix 2^52 with AVX-512 IFMA, several field elements side by side: one
// vector register holds the same limb of four (256-bit, V256) or eight (512-bit, V512) elements.
// Included only by *_avx512.cpp translation units, whose code runs only under the avx512
// backend (use_ifma_kernels()); field25519.hpp stays the reference this must agree with
// (tests/cpp/fe52_check.cpp).
//
// Representation: five limbs, x = sum l_k 2^(52k), only congruent mod p. "Normal" means limbs
// 0..3 below 2^52 and limb 4 below 2^48 (so x < 2^256): every operation returns normal limbs and
// accepts them (IFMA reads only the low 52 bits of its inputs, so nothing wider may reach mul).
// A product's columns 5..9 are folded with 2^260 = 32 * 19 = 608 (mod p), the bits of limb 4
// from 2^255 up with 19.
//
// Everything has internal linkage and calls no inline function of the baseline code (see fe64.hpp).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "crypto/detail/field25519.hpp"

namespace taocore::crypto::detail::f52 {
namespace {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;

constexpr u64 mask52 = (u64{1} << 52) - 1;
constexpr u64 mask47 = (u64{1} << 47) - 1;

// The vector operations the field needs, at each width. Shifts use their zero-masked forms with
// every lane selected: the plain intrinsics start from an undefined register, which GCC 12's
// -Wuninitialized reports once inlined.
struct V512 {
    using reg = __m512i;
    static constexpr int lanes = 8;
    static reg set1(u64 x) noexcept { return _mm512_set1_epi64(static_cast<long long>(x)); }
    static reg zero() noexcept { return _mm512_setzero_si512(); }
    static reg add(reg a, reg b) noexcept { return _mm512_add_epi64(a, b); }
    static reg sub(reg a, reg b) noexcept { return _mm512_sub_epi64(a, b); }
    static reg band(reg a, reg b) noexcept { return _mm512_and_si512(a, b); }
    static reg shr(reg a, unsigned n) noexcept { return _mm512_maskz_srli_epi64(0xff, a, n); }
    static reg shl(reg a, unsigned n) noexcept { return _mm512_maskz_slli_epi64(0xff, a, n); }
    static reg madd_lo(reg acc, reg a, reg b) noexcept { return _mm512_madd52lo_epu64(acc, a, b); }
    static reg madd_hi(reg acc, reg a, reg b) noexcept { return _mm512_madd52hi_epu64(acc, a, b); }
    static reg load(const u64* p) noexcept { return _mm512_loadu_si512(p); }
    static void store(u64* p, reg a) noexcept { _mm512_storeu_si512(p, a); }
};

struct V256 {
    using reg = __m256i;
    static constexpr int lanes = 4;
    static reg set1(u64 x) noexcept { return _mm256_set1_epi64x(static_cast<long long>(x)); }
    static reg zero() noexcept { return _mm256_setzero_si256(); }
    static reg add(reg a, reg b) noexcept { return _mm256_add_epi64(a, b); }
    static reg sub(reg a, reg b) noexcept { return _mm256_sub_epi64(a, b); }
    static reg band(reg a, reg b) noexcept { return _mm256_and_si256(a, b); }
    static reg shr(reg a, unsigned n) noexcept { return _mm256_maskz_srli_epi64(0xf, a, n); }
    static reg shl(reg a, unsigned n) noexcept { return _mm256_maskz_slli_epi64(0xf, a, n); }
    static reg madd_lo(reg acc, reg a, reg b) noexcept { return _mm256_madd52lo_epu64(acc, a, b); }
    static reg madd_hi(reg acc, reg a, reg b) noexcept { return _mm256_madd52hi_epu64(acc, a, b); }
    static reg load(const u64* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static void store(u64* p, reg a) noexcept { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), a); }
};

template <class V>
struct fe52 {
    typename V::reg l[5];
};

// Limbs with limb 4 below 2^58 and the others below 2^58 as well, to normal form: the bits of limb
// 4 from 2^255 up (times 19) go to limb 0 first, so the carry chain that follows leaves limb 4
// below 2^47 + 2^6.
template <class V>
inline void normalize(fe52<V>& r, typename V::reg z[5]) noexcept {
    const typename V::reg m52 = V::set1(mask52);
    const typename V::reg top = V::shr(z[4], 47);
    z[4] = V::band(z[4], V::set1(mask47));
    z[0] = V::madd_lo(z[0], top, V::set1(19));
    for (int k = 0; k < 4; ++k) {
        z[k + 1] = V::add(z[k + 1], V::shr(z[k], 52));
        r.l[k] = V::band(z[k], m52);
    }
    r.l[4] = z[4];
}

// Columns z0..z9 of a product of normal inputs (each below 2^57) to normal form. Column k >= 5
// is worth 608 in column k - 5: its low 52 bits go through IFMA (low half into k - 5, high half
// into k - 4), the few bits above (< 2^5) times 608 straight into k - 4. Column 9 goes first, as
// it feeds column 5.
template <class V>
inline void reduce(fe52<V>& r, typename V::reg z[10]) noexcept {
    const typename V::reg m52 = V::set1(mask52), c608 = V::set1(608);
    for (int k = 9; k >= 5; --k) {
        const typename V::reg lo = V::band(z[k], m52), hi = V::shr(z[k], 52);
        z[k - 5] = V::madd_lo(z[k - 5], lo, c608);
        z[k - 4] = V::madd_hi(z[k - 4], lo, c608);
        z[k - 4] = V::madd_lo(z[k - 4], hi, c608);
    }
    normalize<V>(r, z);
}

// Low and high halves of the partial products accumulate in separate columns, so no column's
// chain of dependent multiply-adds is longer than five.
template <class V>
inline void mul(fe52<V>& r, const fe52<V>& a, const fe52<V>& b) noexcept {
    typename V::reg lo[10], hi[10];
    for (int k = 0; k < 10; ++k) lo[k] = hi[k] = V::zero();
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) {
            lo[i + j] = V::madd_lo(lo[i + j], a.l[i], b.l[j]);
            hi[i + j + 1] = V::madd_hi(hi[i + j + 1], a.l[i], b.l[j]);
        }
    for (int k = 0; k < 10; ++k) lo[k] = V::add(lo[k], hi[k]);
    reduce<V>(r, lo);
}

// Each cross product a_i a_j (i < j) once, doubled by a shift (2 a_j could exceed the 52 bits
// IFMA reads).
template <class V>
inline void sq(fe52<V>& r, const fe52<V>& a) noexcept {
    typename V::reg cross[10], diag[10];
    for (int k = 0; k < 10; ++k) cross[k] = diag[k] = V::zero();
    for (int i = 0; i < 5; ++i) {
        diag[2 * i] = V::madd_lo(diag[2 * i], a.l[i], a.l[i]);
        diag[2 * i + 1] = V::madd_hi(diag[2 * i + 1], a.l[i], a.l[i]);
        for (int j = i + 1; j < 5; ++j) {
            cross[i + j] = V::madd_lo(cross[i + j], a.l[i], a.l[j]);
            cross[i + j + 1] = V::madd_hi(cross[i + j + 1], a.l[i], a.l[j]);
        }
    }
    for (int k = 0; k < 10; ++k) diag[k] = V::add(diag[k], V::shl(cross[k], 1));
    reduce<V>(r, diag);
}

template <class V>
inline void add(fe52<V>& r, const fe52<V>& a, const fe52<V>& b) noexcept {
    typename V::reg z[5];
    for (int k = 0; k < 5; ++k) z[k] = V::add(a.l[k], b.l[k]);
    normalize<V>(r, z);
}

// a - b as a + 4p - b: 4p's limbs (2^54 - 76, 2^54 - 4 three times, 2^49 - 4) are at least every
// normal limb of b, so no lane goes negative.
constexpr u64 p4[5] = {(u64{1} << 54) - 76, (u64{1} << 54) - 4, (u64{1} << 54) - 4, (u64{1} << 54) - 4,
                       (u64{1} << 49) - 4};

template <class V>
inline void sub(fe52<V>& r, const fe52<V>& a, const fe52<V>& b) noexcept {
    typename V::reg z[5];
    for (int k = 0; k < 5; ++k) z[k] = V::sub(V::add(a.l[k], V::set1(p4[k])), b.l[k]);
    normalize<V>(r, z);
}

// One lane's element from radix 2^51 (limbs below 2^54, any carry state) to radix 2^52 and
// back; the value is kept, not reduced, so every answer is the field element the portable code
// gives.
inline void from_fe(u64 limb[5], const fe& z) noexcept {
    u128 acc = 0;
    int bits = 0, k = 0;
    for (int i = 0; i < 5; ++i) {
        acc += static_cast<u128>(z.v[i]) << bits;
        bits += 51;
        for (; bits >= 52 && k < 4; bits -= 52, acc >>= 52) limb[k++] = static_cast<u64>(acc) & mask52;
    }
    // Bits 208 and up (below 2^51): limb 4 may exceed the normal 2^48 here, which only matters
    // to callers that feed it to add/sub, so it is folded like a normalisation.
    const u64 top = static_cast<u64>(acc);
    limb[4] = top & mask47;
    limb[0] += 19 * (top >> 47);  // below 2^52 + 2^13 before the chain below
    for (int j = 0; j < 4; ++j) {
        limb[j + 1] += limb[j] >> 52;
        limb[j] &= mask52;
    }
}

inline void to_fe(fe& z, const u64 limb[5]) noexcept {
    constexpr u64 mask51 = (u64{1} << 51) - 1;
    u128 acc = 0;
    int bits = 0, k = 0;
    for (int i = 0; i < 5; ++i) {
        acc += static_cast<u128>(limb[i]) << bits;
        bits += 52;
        for (; bits >= 51 && k < 4; bits -= 51, acc >>= 51) z.v[k++] = static_cast<u64>(acc) & mask51;
    }
    const u64 top = static_cast<u64>(acc);  // bits 204 and up: below 2^53 for normal limbs
    z.v[4] = top & mask51;
    z.v[0] += 19 * (top >> 51);  // limb 0 stays below 2^51 + 2^6
}

}  // namespace
}  // namespace taocore::crypto::detail::f52
