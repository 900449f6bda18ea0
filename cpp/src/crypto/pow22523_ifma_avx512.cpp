// SPDX-License-Identifier: MIT
// z^(2^252 - 3) for many public field elements at once, sixteen per pass, in radix 2^52 with
// AVX-512 IFMA (see verify_fe64.hpp). A batch verification decodes one ristretto point R per
// signature, and each decode is an exponentiation: 254 squarings in a chain no single element
// can shorten, so the only speed-up is doing several elements side by side. One 512-bit register
// holds the same limb of eight elements; two such groups are interleaved so the multiply-add
// latency of one hides behind the other.
//
// Representation: five limbs of 52 bits, x = sum l_k 2^(52k), only congruent mod p. Every limb
// entering a multiplication must be below 2^52 (IFMA reads the low 52 bits of its inputs).
// Reduction uses 2^260 = 2^5 * 2^255 = 32 * 19 = 608 (mod p) for the columns 5..9 of a product,
// then 2^255 = 19 for the bits of limb 4 above 47.
//
// Like the other ISA translation units this calls no inline function of the baseline code.
#include <immintrin.h>

#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {
namespace {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;

constexpr int lanes = 8;   // elements per register
constexpr int groups = 2;  // registers interleaved per pass
constexpr int per_pass = lanes * groups;
constexpr u64 mask52 = (u64{1} << 52) - 1;

// Shifts written as their zero-masked forms with every lane selected: the plain intrinsics start
// from _mm512_undefined_epi32(), which GCC 12's -Wuninitialized reports once inlined.
inline __m512i shr(__m512i x, unsigned n) noexcept { return _mm512_maskz_srli_epi64(0xff, x, n); }
inline __m512i shl(__m512i x, unsigned n) noexcept { return _mm512_maskz_slli_epi64(0xff, x, n); }

struct fv {
    __m512i l[5];
};
using fvg = fv[groups];

// Columns z0..z9 of a 520-bit product (each below 2^57) to five limbs: limbs 0..3 below 2^52,
// limb 4 below 2^48.
inline void reduce(fv& r, __m512i z[10]) noexcept {
    const __m512i m52 = _mm512_set1_epi64(static_cast<long long>(mask52));
    const __m512i m47 = _mm512_set1_epi64(static_cast<long long>((u64{1} << 47) - 1));
    const __m512i c608 = _mm512_set1_epi64(608), c19 = _mm512_set1_epi64(19);
    // Column k >= 5 is worth 608 in column k - 5; its low 52 bits go through IFMA (lo part into
    // k - 5, hi part into k - 4) and the few bits above (< 2^5) times 608 straight into k - 4.
    // Column 9 first: it feeds column 5, which is folded after it.
    for (int k = 9; k >= 5; --k) {
        const __m512i lo = _mm512_and_si512(z[k], m52), hi = shr(z[k], 52);
        z[k - 5] = _mm512_madd52lo_epu64(z[k - 5], lo, c608);
        z[k - 4] = _mm512_madd52hi_epu64(z[k - 4], lo, c608);
        z[k - 4] = _mm512_madd52lo_epu64(z[k - 4], hi, c608);
    }
    // Bits of limb 4 from 2^255 up are worth 19; folding them before the carry chain leaves the
    // chain's last carry (< 2^6) as the only thing limb 4 gains afterwards.
    const __m512i top = shr(z[4], 47);
    z[4] = _mm512_and_si512(z[4], m47);
    z[0] = _mm512_madd52lo_epu64(z[0], top, c19);
    for (int k = 0; k < 4; ++k) {
        z[k + 1] = _mm512_add_epi64(z[k + 1], shr(z[k], 52));
        r.l[k] = _mm512_and_si512(z[k], m52);
    }
    r.l[4] = z[4];
}

// Low and high halves of each partial product accumulate in separate columns, so no column's
// chain of dependent multiply-adds is longer than five.
inline void mul(fvg& r, const fvg& a, const fvg& b) noexcept {
    for (int g = 0; g < groups; ++g) {
        __m512i lo[10], hi[10];
        for (int k = 0; k < 10; ++k) lo[k] = hi[k] = _mm512_setzero_si512();
        for (int i = 0; i < 5; ++i)
            for (int j = 0; j < 5; ++j) {
                lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a[g].l[i], b[g].l[j]);
                hi[i + j + 1] = _mm512_madd52hi_epu64(hi[i + j + 1], a[g].l[i], b[g].l[j]);
            }
        for (int k = 0; k < 10; ++k) lo[k] = _mm512_add_epi64(lo[k], hi[k]);
        reduce(r[g], lo);
    }
}

// Squaring: each cross product a_i a_j (i < j) once, doubled by a shift (2 a_j could exceed the
// 52 bits IFMA reads).
inline void sq(fvg& r, const fvg& a) noexcept {
    for (int g = 0; g < groups; ++g) {
        __m512i cross[10], diag[10];
        for (int k = 0; k < 10; ++k) cross[k] = diag[k] = _mm512_setzero_si512();
        for (int i = 0; i < 5; ++i) {
            diag[2 * i] = _mm512_madd52lo_epu64(diag[2 * i], a[g].l[i], a[g].l[i]);
            diag[2 * i + 1] = _mm512_madd52hi_epu64(diag[2 * i + 1], a[g].l[i], a[g].l[i]);
            for (int j = i + 1; j < 5; ++j) {
                cross[i + j] = _mm512_madd52lo_epu64(cross[i + j], a[g].l[i], a[g].l[j]);
                cross[i + j + 1] = _mm512_madd52hi_epu64(cross[i + j + 1], a[g].l[i], a[g].l[j]);
            }
        }
        for (int k = 0; k < 10; ++k) diag[k] = _mm512_add_epi64(diag[k], shl(cross[k], 1));
        reduce(r[g], diag);
    }
}

inline void sqn(fvg& r, const fvg& a, int n) noexcept {
    sq(r, a);
    for (int i = 1; i < n; ++i) sq(r, r);
}

// Radix 2^51 (limbs below 2^54, any carry state) to radix 2^52 and back; the value is kept,
// not reduced, so the answer is the same field element the portable chain gives.
void load(fvg& out, const fe* z) noexcept {
    alignas(64) u64 limb[5][per_pass];
    for (int e = 0; e < per_pass; ++e) {
        u128 acc = 0;
        int bits = 0, k = 0;
        for (int i = 0; i < 5; ++i) {
            acc += static_cast<u128>(z[e].v[i]) << bits;
            bits += 51;
            for (; bits >= 52 && k < 4; bits -= 52, acc >>= 52) limb[k++][e] = static_cast<u64>(acc) & mask52;
        }
        limb[4][e] = static_cast<u64>(acc);  // bits 208 and up: below 2^52
    }
    for (int g = 0; g < groups; ++g)
        for (int k = 0; k < 5; ++k) out[g].l[k] = _mm512_load_si512(&limb[k][g * lanes]);
}

void store(fe* z, const fvg& in) noexcept {
    alignas(64) u64 limb[5][per_pass];
    for (int g = 0; g < groups; ++g)
        for (int k = 0; k < 5; ++k) _mm512_store_si512(&limb[k][g * lanes], in[g].l[k]);
    constexpr u64 mask51 = (u64{1} << 51) - 1;
    for (int e = 0; e < per_pass; ++e) {
        u128 acc = 0;
        int bits = 0, k = 0;
        for (int i = 0; i < 5; ++i) {
            acc += static_cast<u128>(limb[i][e]) << bits;
            bits += 52;
            for (; bits >= 51 && k < 4; bits -= 51, acc >>= 51) z[e].v[k++] = static_cast<u64>(acc) & mask51;
        }
        const u64 top = static_cast<u64>(acc);  // bits 204 and up: below 2^56
        z[e].v[4] = top & mask51;
        z[e].v[0] += 19 * (top >> 51);  // limb 0 stays below 2^51 + 2^10
    }
}

// The addition chain of fe_pow22523 in field25519.hpp, step for step.
void pow22523(fvg& io) noexcept {
    fvg z2, z9, z11, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0, t;
    sq(z2, io);
    sqn(t, z2, 2);
    mul(z9, t, io);
    mul(z11, z9, z2);
    sq(t, z11);
    mul(z2_5_0, t, z9);
    sqn(t, z2_5_0, 5);
    mul(z2_10_0, t, z2_5_0);
    sqn(t, z2_10_0, 10);
    mul(z2_20_0, t, z2_10_0);
    sqn(t, z2_20_0, 20);
    mul(t, t, z2_20_0);
    sqn(t, t, 10);
    mul(z2_50_0, t, z2_10_0);
    sqn(t, z2_50_0, 50);
    mul(z2_100_0, t, z2_50_0);
    sqn(t, z2_100_0, 100);
    mul(t, t, z2_100_0);
    sqn(t, t, 50);
    mul(t, t, z2_50_0);
    sqn(t, t, 2);
    mul(io, t, io);
}

}  // namespace

void fe_pow22523_many_ifma(fe* z, std::size_t n) noexcept {
    for (std::size_t done = 0; done < n; done += per_pass) {
        fe chunk[per_pass];
        const std::size_t m = n - done < per_pass ? n - done : per_pass;
        for (std::size_t e = 0; e < per_pass; ++e) chunk[e] = e < m ? z[done + e] : fe{{1, 0, 0, 0, 0}};
        fvg v;
        load(v, chunk);
        pow22523(v);
        store(chunk, v);
        for (std::size_t e = 0; e < m; ++e) z[done + e] = chunk[e];
    }
}

}  // namespace taocore::crypto::detail
