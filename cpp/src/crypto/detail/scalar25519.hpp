// SPDX-License-Identifier: MIT
// Scalars modulo l = 2^252 + 27742317777372353535851937790883648493 (the order of the prime-order
// subgroup of edwards25519 / of ristretto255). Five 52-bit limbs, Montgomery multiplication with
// R = 2^260. Every operation is constant time: secret scalars (keys, nonces) pass through here.
#pragma once

#include <cstdint>

namespace taocore::crypto::detail {

struct scalar {
    std::uint64_t v[5];  // value < l, 52-bit limbs
};

inline constexpr scalar scalar_zero{{0, 0, 0, 0, 0}};

/// 32-byte little-endian value; the caller guarantees it is < 2^256 (it is reduced mod l).
scalar scalar_from_bytes_mod_order(const std::uint8_t in[32]) noexcept;
/// 64-byte little-endian value reduced mod l (schnorrkel's from_bytes_mod_order_wide).
scalar scalar_from_wide(const std::uint8_t in[64]) noexcept;
/// Loads 32 bytes without reduction; only valid when scalar_is_canonical(in).
scalar scalar_from_canonical_bytes(const std::uint8_t in[32]) noexcept;
/// True iff the 32-byte little-endian value is < l (branch-free on the data).
bool scalar_is_canonical(const std::uint8_t in[32]) noexcept;
void scalar_to_bytes(std::uint8_t out[32], const scalar& a) noexcept;

scalar scalar_add(const scalar& a, const scalar& b) noexcept;
scalar scalar_sub(const scalar& a, const scalar& b) noexcept;
scalar scalar_neg(const scalar& a) noexcept;
scalar scalar_mul(const scalar& a, const scalar& b) noexcept;
/// a * b + c mod l.
scalar scalar_muladd(const scalar& a, const scalar& b, const scalar& c) noexcept;

}  // namespace taocore::crypto::detail
