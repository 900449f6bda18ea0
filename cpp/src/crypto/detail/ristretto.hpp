// SPDX-License-Identifier: MIT
// ristretto255 (RFC 9496 §4.3) on top of the edwards25519 representatives in edwards.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/detail/edwards.hpp"

namespace taocore::crypto::detail {

/// RFC 9496 ENCODE (constant time).
void ristretto_encode(std::uint8_t out[32], const ge_p3& p) noexcept;
/// RFC 9496 DECODE: false for non-canonical s, negative s, non-square, negative t or y = 0.
/// Not constant time in the validity result (encodings are public).
bool ristretto_decode(ge_p3& out, const std::uint8_t in[32]) noexcept;
/// ristretto_decode of n encodings in[i] into out[i], true iff every one decodes: the inverse
/// square roots run side by side (see fe_pow22523_public_many). Throws std::bad_alloc.
bool ristretto_decode_many(ge_p3* out, const std::uint8_t* const* in, std::size_t n);
/// RFC 9496 EQUALS.
bool ristretto_equals(const ge_p3& a, const ge_p3& b) noexcept;

}  // namespace taocore::crypto::detail
