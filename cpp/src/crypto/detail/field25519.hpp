// SPDX-License-Identifier: MIT
// GF(2^255 - 19) in radix 2^51 (five 64-bit limbs, 128-bit products): the scalar reference
// backend under edwards25519, ristretto255, sr25519 and ed25519.
//
// Everything here is constant time: no branch and no memory index depends on a field value;
// selections use all-ones / all-zero masks. The header is inline so the group formulas compile
// into straight-line code.
//
// Limb bounds: "reduced" means every limb < 2^51 + 2^13 (the output of mul/sq/sub/carry).
// add() does not carry, so its output limbs are < 2^53; mul/sq accept limbs up to 2^54.
#pragma once

#include <cstdint>
#include <cstring>

#include "crypto/detail/pow_chain.hpp"

namespace taocore::crypto::detail {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang; MSVC is not a supported compiler

struct fe {
    std::uint64_t v[5];
};

inline constexpr std::uint64_t fe_mask51 = (std::uint64_t{1} << 51) - 1;

inline constexpr fe fe_zero{{0, 0, 0, 0, 0}};
inline constexpr fe fe_one{{1, 0, 0, 0, 0}};
// Curve constants (edwards25519 d = -121665/121666, 2d, sqrt(-1) as in RFC 9496, and
// 1/sqrt(a-d) with a = -1), as radix-2^51 limbs.
inline constexpr fe fe_d{{0x34dca135978a3ULL, 0x1a8283b156ebdULL, 0x5e7a26001c029ULL, 0x739c663a03cbbULL,
                          0x52036cee2b6ffULL}};
inline constexpr fe fe_d2{{0x69b9426b2f159ULL, 0x35050762add7aULL, 0x3cf44c0038052ULL, 0x6738cc7407977ULL,
                           0x2406d9dc56dffULL}};
inline constexpr fe fe_sqrtm1{{0x61b274a0ea0b0ULL, 0xd5a5fc8f189dULL, 0x7ef5e9cbd0c60ULL, 0x78595a6804c9eULL,
                               0x2b8324804fc1dULL}};
inline constexpr fe fe_invsqrt_a_minus_d{{0xfdaa805d40eaULL, 0x2eb482e57d339ULL, 0x7610274bc58ULL,
                                          0x6510b613dc8ffULL, 0x786c8905cfaffULL}};

inline fe fe_carry(const fe& a) noexcept {
    fe r = a;
    std::uint64_t c;
    c = r.v[0] >> 51; r.v[0] &= fe_mask51; r.v[1] += c;
    c = r.v[1] >> 51; r.v[1] &= fe_mask51; r.v[2] += c;
    c = r.v[2] >> 51; r.v[2] &= fe_mask51; r.v[3] += c;
    c = r.v[3] >> 51; r.v[3] &= fe_mask51; r.v[4] += c;
    c = r.v[4] >> 51; r.v[4] &= fe_mask51; r.v[0] += c * 19;
    return r;
}

inline fe fe_add(const fe& a, const fe& b) noexcept {
    return fe{{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3], a.v[4] + b.v[4]}};
}

// a - b computed as (a + 16p) - b so no limb underflows for inputs with limbs < 2^54.
inline fe fe_sub(const fe& a, const fe& b) noexcept {
    constexpr std::uint64_t p0x16 = 36028797018963664ULL;  // 16 * (2^51 - 19)
    constexpr std::uint64_t pix16 = 36028797018963952ULL;  // 16 * (2^51 - 1)
    return fe_carry(fe{{a.v[0] + p0x16 - b.v[0], a.v[1] + pix16 - b.v[1], a.v[2] + pix16 - b.v[2],
                        a.v[3] + pix16 - b.v[3], a.v[4] + pix16 - b.v[4]}});
}

inline fe fe_neg(const fe& a) noexcept { return fe_sub(fe_zero, a); }

inline fe fe_reduce_wide(u128 t0, u128 t1, u128 t2, u128 t3, u128 t4) noexcept {
    fe r;
    t1 += static_cast<std::uint64_t>(t0 >> 51); r.v[0] = static_cast<std::uint64_t>(t0) & fe_mask51;
    t2 += static_cast<std::uint64_t>(t1 >> 51); r.v[1] = static_cast<std::uint64_t>(t1) & fe_mask51;
    t3 += static_cast<std::uint64_t>(t2 >> 51); r.v[2] = static_cast<std::uint64_t>(t2) & fe_mask51;
    t4 += static_cast<std::uint64_t>(t3 >> 51); r.v[3] = static_cast<std::uint64_t>(t3) & fe_mask51;
    const std::uint64_t c = static_cast<std::uint64_t>(t4 >> 51);
    r.v[4] = static_cast<std::uint64_t>(t4) & fe_mask51;
    r.v[0] += c * 19;
    r.v[1] += r.v[0] >> 51;
    r.v[0] &= fe_mask51;
    return r;
}

inline fe fe_mul(const fe& a, const fe& b) noexcept {
    const std::uint64_t b1_19 = b.v[1] * 19, b2_19 = b.v[2] * 19, b3_19 = b.v[3] * 19, b4_19 = b.v[4] * 19;
    auto m = [](std::uint64_t x, std::uint64_t y) { return static_cast<u128>(x) * y; };
    const u128 t0 = m(a.v[0], b.v[0]) + m(a.v[1], b4_19) + m(a.v[2], b3_19) + m(a.v[3], b2_19) + m(a.v[4], b1_19);
    const u128 t1 = m(a.v[0], b.v[1]) + m(a.v[1], b.v[0]) + m(a.v[2], b4_19) + m(a.v[3], b3_19) + m(a.v[4], b2_19);
    const u128 t2 = m(a.v[0], b.v[2]) + m(a.v[1], b.v[1]) + m(a.v[2], b.v[0]) + m(a.v[3], b4_19) + m(a.v[4], b3_19);
    const u128 t3 = m(a.v[0], b.v[3]) + m(a.v[1], b.v[2]) + m(a.v[2], b.v[1]) + m(a.v[3], b.v[0]) + m(a.v[4], b4_19);
    const u128 t4 = m(a.v[0], b.v[4]) + m(a.v[1], b.v[3]) + m(a.v[2], b.v[2]) + m(a.v[3], b.v[1]) + m(a.v[4], b.v[0]);
    return fe_reduce_wide(t0, t1, t2, t3, t4);
}

inline fe fe_sq(const fe& a) noexcept {
    auto m = [](std::uint64_t x, std::uint64_t y) { return static_cast<u128>(x) * y; };
    const std::uint64_t a0_2 = a.v[0] * 2, a1_2 = a.v[1] * 2;
    const std::uint64_t a3_19 = a.v[3] * 19, a4_19 = a.v[4] * 19;
    const u128 t0 = m(a.v[0], a.v[0]) + m(a1_2, a4_19) + m(a.v[2] * 2, a3_19);
    const u128 t1 = m(a0_2, a.v[1]) + m(a.v[2] * 2, a4_19) + m(a.v[3], a3_19);
    const u128 t2 = m(a0_2, a.v[2]) + m(a.v[1], a.v[1]) + m(a.v[3] * 2, a4_19);
    const u128 t3 = m(a0_2, a.v[3]) + m(a1_2, a.v[2]) + m(a.v[4], a4_19);
    const u128 t4 = m(a0_2, a.v[4]) + m(a1_2, a.v[3]) + m(a.v[2], a.v[2]);
    return fe_reduce_wide(t0, t1, t2, t3, t4);
}

inline fe fe_sqn(fe a, int n) noexcept {
    for (int i = 0; i < n; ++i) a = fe_sq(a);
    return a;
}

/// Canonical 32-byte little-endian encoding (fully reduced mod p; bit 255 clear).
inline void fe_to_bytes(std::uint8_t out[32], const fe& a) noexcept {
    fe t = fe_carry(fe_carry(a));
    // t < 2^255 + small; q = 1 iff t >= p, found by propagating t + 19 through the limbs.
    std::uint64_t q = (t.v[0] + 19) >> 51;
    q = (t.v[1] + q) >> 51;
    q = (t.v[2] + q) >> 51;
    q = (t.v[3] + q) >> 51;
    q = (t.v[4] + q) >> 51;
    t.v[0] += 19 * q;
    t.v[1] += t.v[0] >> 51; t.v[0] &= fe_mask51;
    t.v[2] += t.v[1] >> 51; t.v[1] &= fe_mask51;
    t.v[3] += t.v[2] >> 51; t.v[2] &= fe_mask51;
    t.v[4] += t.v[3] >> 51; t.v[3] &= fe_mask51;
    t.v[4] &= fe_mask51;
    const std::uint64_t w0 = t.v[0] | (t.v[1] << 51);
    const std::uint64_t w1 = (t.v[1] >> 13) | (t.v[2] << 38);
    const std::uint64_t w2 = (t.v[2] >> 26) | (t.v[3] << 25);
    const std::uint64_t w3 = (t.v[3] >> 39) | (t.v[4] << 12);
    std::memcpy(out, &w0, 8);  // little-endian hosts only (x86-64, aarch64)
    std::memcpy(out + 8, &w1, 8);
    std::memcpy(out + 16, &w2, 8);
    std::memcpy(out + 24, &w3, 8);
}

/// Loads 255 bits (bit 255 ignored); the value may be >= p (callers that need canonical input
/// compare the re-encoding).
inline fe fe_from_bytes(const std::uint8_t in[32]) noexcept {
    std::uint64_t w[4];
    std::memcpy(w, in, 32);
    return fe{{w[0] & fe_mask51, ((w[0] >> 51) | (w[1] << 13)) & fe_mask51, ((w[1] >> 38) | (w[2] << 26)) & fe_mask51,
               ((w[2] >> 25) | (w[3] << 39)) & fe_mask51, (w[3] >> 12) & fe_mask51}};
}

/// mask must be all ones (select b) or zero (keep a).
inline void fe_cmov(fe& a, const fe& b, std::uint64_t mask) noexcept {
    for (int i = 0; i < 5; ++i) a.v[i] ^= mask & (a.v[i] ^ b.v[i]);
}

inline std::uint64_t fe_is_zero_mask(const fe& a) noexcept {
    std::uint8_t s[32];
    fe_to_bytes(s, a);
    std::uint64_t acc = 0;
    for (int i = 0; i < 32; ++i) acc |= s[i];
    return std::uint64_t{0} - ((acc - 1) >> 63);  // acc in 0..255: only 0 - 1 sets bit 63
}

inline std::uint64_t fe_eq_mask(const fe& a, const fe& b) noexcept { return fe_is_zero_mask(fe_sub(a, b)); }

/// 1 if the canonical encoding is odd ("negative" in RFC 9496 / RFC 8032 terms).
inline std::uint64_t fe_is_negative(const fe& a) noexcept {
    std::uint8_t s[32];
    fe_to_bytes(s, a);
    return s[0] & 1;
}

inline fe fe_cneg(const fe& a, std::uint64_t bit) noexcept {
    fe r = a;
    fe_cmov(r, fe_neg(a), std::uint64_t{0} - bit);
    return r;
}

inline fe fe_abs(const fe& a) noexcept { return fe_cneg(a, fe_is_negative(a)); }

/// z^(p - 2) or z^(2^252 - 3) of z by the shared addition chain (pow_chain.hpp).
inline fe fe_pow_chain(const fe& z, const pow_chain::step& last) noexcept {
    fe saved[pow_chain::regs];
    saved[pow_chain::z1] = z;
    pow_chain::run_to(
        saved, last, [](fe& r, const fe& a, int n) noexcept { r = fe_sqn(a, n); },
        [](fe& r, const fe& a, const fe& b) noexcept { r = fe_mul(a, b); });
    return saved[pow_chain::result];
}

/// z^(p-2) = 1/z (0 for z = 0).
inline fe fe_invert(const fe& z) noexcept { return fe_pow_chain(z, pow_chain::invert_last); }

/// z^((p-5)/8) = z^(2^252 - 3).
inline fe fe_pow22523(const fe& z) noexcept { return fe_pow_chain(z, pow_chain::pow22523_last); }

/// fe_sqrt_ratio_m1 (below) in two halves, so callers with many ratios can run the
/// exponentiations side by side: _begin returns the exponentiation's input u v^7 (and sets
/// uv3 = u v^3), _end takes its result pw = (u v^7)^(2^252 - 3).
inline fe fe_sqrt_ratio_m1_begin(fe& uv3, const fe& u, const fe& v) noexcept {
    const fe v3 = fe_mul(fe_sq(v), v);
    const fe v7 = fe_mul(fe_sq(v3), v);
    uv3 = fe_mul(u, v3);
    return fe_mul(u, v7);
}

inline std::uint64_t fe_sqrt_ratio_m1_end(fe& r, const fe& u, const fe& v, const fe& uv3, const fe& pw) noexcept {
    fe x = fe_mul(uv3, pw);
    const fe check = fe_mul(v, fe_sq(x));
    const fe neg_u = fe_neg(u);
    const std::uint64_t correct = fe_eq_mask(check, u);
    const std::uint64_t flipped = fe_eq_mask(check, neg_u);
    const std::uint64_t flipped_i = fe_eq_mask(check, fe_mul(neg_u, fe_sqrtm1));
    fe_cmov(x, fe_mul(x, fe_sqrtm1), flipped | flipped_i);
    r = fe_abs(x);
    return correct | flipped;
}

/// RFC 9496 SQRT_RATIO_M1(u, v): sets r to the non-negative sqrt(u/v) or sqrt(i*u/v); returns
/// an all-ones mask iff u/v was square (u = 0 counts as square).
/// pow22523 computes z^(2^252 - 3) (fe_pow22523 by default; decoders of public encodings pass a
/// faster equivalent).
inline std::uint64_t fe_sqrt_ratio_m1(fe& r, const fe& u, const fe& v,
                                      fe (*pow22523)(const fe&) noexcept = fe_pow22523) noexcept {
    fe uv3;
    const fe w = fe_sqrt_ratio_m1_begin(uv3, u, v);
    return fe_sqrt_ratio_m1_end(r, u, v, uv3, pow22523(w));
}

}  // namespace taocore::crypto::detail
