// SPDX-License-Identifier: MIT
#include "crypto/detail/scalar25519.hpp"

#include <cstring>

#include "crypto/detail/field25519.hpp"  // u128

namespace taocore::crypto::detail {

namespace {

constexpr std::uint64_t mask52 = (std::uint64_t{1} << 52) - 1;
constexpr scalar L{{0x2631a5cf5d3edULL, 0xdea2f79cd6581ULL, 0x14def9ULL, 0x0ULL, 0x100000000000ULL}};
constexpr std::uint64_t LFACTOR = 0x51da312547e1bULL;  // -1/l mod 2^52
constexpr scalar R{{0xf48bd6721e6edULL, 0x3bab5ac67e45aULL, 0xfffffeb35e51bULL, 0xfffffffffffffULL,
                    0xfffffffffffULL}};  // 2^260 mod l
constexpr scalar RR{{0x9d265e952d13bULL, 0xd63c715bea69fULL, 0x5be65cb687604ULL, 0x3dceec73d217fULL,
                     0x9411b7c309aULL}};  // 2^520 mod l

// Loads 256 little-endian bits into five 52-bit limbs (the top limb gets 48 bits).
scalar load_256(const std::uint8_t in[32]) noexcept {
    std::uint64_t w[4];
    std::memcpy(w, in, 32);
    return scalar{{w[0] & mask52, ((w[0] >> 52) | (w[1] << 12)) & mask52, ((w[1] >> 40) | (w[2] << 24)) & mask52,
                   ((w[2] >> 28) | (w[3] << 36)) & mask52, w[3] >> 16}};
}

// a - b over the limbs; adds l back when the difference is negative. Needs a, b < 2^260 and
// a - b > -l, which holds for all callers (inputs < l, or < 2l minus l).
scalar sub_raw(const scalar& a, const scalar& b) noexcept {
    scalar d;
    std::uint64_t borrow = 0;
    for (int i = 0; i < 5; ++i) {
        borrow = a.v[i] - (b.v[i] + (borrow >> 63));
        d.v[i] = borrow & mask52;
    }
    const std::uint64_t under = std::uint64_t{0} - (borrow >> 63);
    std::uint64_t carry = 0;
    for (int i = 0; i < 5; ++i) {
        carry = (carry >> 52) + d.v[i] + (L.v[i] & under);
        d.v[i] = carry & mask52;
    }
    return d;
}

// Montgomery reduction of a 9-limb product: returns t / 2^260 mod l for t < 2^260 * l.
scalar mont_reduce(const u128 t[9]) noexcept {
    auto m = [](std::uint64_t x, std::uint64_t y) { return static_cast<u128>(x) * y; };
    std::uint64_t n[5];
    u128 carry = 0;
    // Choose n[i] so the low 52 bits of the running sum vanish, limb by limb.
    for (int i = 0; i < 5; ++i) {
        u128 acc = carry + t[i];
        for (int j = 0; j < i; ++j) acc += m(n[j], L.v[i - j]);
        n[i] = (static_cast<std::uint64_t>(acc) * LFACTOR) & mask52;
        acc += m(n[i], L.v[0]);
        carry = acc >> 52;
    }
    scalar r;
    for (int i = 5; i < 9; ++i) {
        u128 acc = carry + t[i];
        for (int j = i - 4; j < 5; ++j) acc += m(n[j], L.v[i - j]);
        r.v[i - 5] = static_cast<std::uint64_t>(acc) & mask52;
        carry = acc >> 52;
    }
    r.v[4] = static_cast<std::uint64_t>(carry);
    return sub_raw(r, L);  // r < 2l
}

void mul_wide(u128 t[9], const scalar& a, const scalar& b) noexcept {
    for (int k = 0; k < 9; ++k) t[k] = 0;
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) t[i + j] += static_cast<u128>(a.v[i]) * b.v[j];
}

scalar mont_mul(const scalar& a, const scalar& b) noexcept {
    u128 t[9];
    mul_wide(t, a, b);
    return mont_reduce(t);
}

}  // namespace

scalar scalar_from_canonical_bytes(const std::uint8_t in[32]) noexcept { return load_256(in); }

scalar scalar_from_bytes_mod_order(const std::uint8_t in[32]) noexcept {
    std::uint8_t wide[64] = {};
    std::memcpy(wide, in, 32);
    const scalar r = scalar_from_wide(wide);
    volatile std::uint8_t* w = wide;
    for (int i = 0; i < 32; ++i) w[i] = 0;
    return r;
}

scalar scalar_from_wide(const std::uint8_t in[64]) noexcept {
    std::uint64_t w[8];
    std::memcpy(w, in, 64);
    // lo = bits 0..259, hi = bits 260..511; value = lo + hi * 2^260.
    const scalar lo{{w[0] & mask52, ((w[0] >> 52) | (w[1] << 12)) & mask52, ((w[1] >> 40) | (w[2] << 24)) & mask52,
                     ((w[2] >> 28) | (w[3] << 36)) & mask52, ((w[3] >> 16) | (w[4] << 48)) & mask52}};
    const scalar hi{{(w[4] >> 4) & mask52, ((w[4] >> 56) | (w[5] << 8)) & mask52, ((w[5] >> 44) | (w[6] << 20)) & mask52,
                     ((w[6] >> 32) | (w[7] << 32)) & mask52, w[7] >> 20}};
    const scalar a = mont_mul(lo, R);   // lo mod l
    const scalar b = mont_mul(hi, RR);  // hi * 2^260 mod l
    for (auto& x : w) x = 0;
    return scalar_add(a, b);
}

bool scalar_is_canonical(const std::uint8_t in[32]) noexcept {
    // Borrow of in - l over 64-bit words: set iff in < l.
    static constexpr std::uint64_t lw[4] = {0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL};
    std::uint64_t w[4];
    std::memcpy(w, in, 32);
    std::uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
        const u128 d = static_cast<u128>(w[i]) - lw[i] - borrow;
        borrow = static_cast<std::uint64_t>(d >> 64) & 1;
    }
    return borrow == 1;
}

void scalar_to_bytes(std::uint8_t out[32], const scalar& a) noexcept {
    const std::uint64_t w[4] = {a.v[0] | (a.v[1] << 52), (a.v[1] >> 12) | (a.v[2] << 40),
                                (a.v[2] >> 24) | (a.v[3] << 28), (a.v[3] >> 36) | (a.v[4] << 16)};
    std::memcpy(out, w, 32);
}

scalar scalar_add(const scalar& a, const scalar& b) noexcept {
    scalar s;
    std::uint64_t carry = 0;
    for (int i = 0; i < 5; ++i) {
        carry = a.v[i] + b.v[i] + (carry >> 52);
        s.v[i] = carry & mask52;
    }
    return sub_raw(s, L);
}

scalar scalar_sub(const scalar& a, const scalar& b) noexcept { return sub_raw(a, b); }

scalar scalar_neg(const scalar& a) noexcept { return sub_raw(scalar_zero, a); }

scalar scalar_mul(const scalar& a, const scalar& b) noexcept { return mont_mul(mont_mul(a, b), RR); }

scalar scalar_muladd(const scalar& a, const scalar& b, const scalar& c) noexcept {
    return scalar_add(scalar_mul(a, b), c);
}

}  // namespace taocore::crypto::detail
