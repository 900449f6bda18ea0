// SPDX-License-Identifier: MIT
// Ed25519 (RFC 8032, pure, SHA-512) as Substrate uses it (crypto.md §7).
//
// Verification has two deliberate policies:
//  * zip215 (default) — what the Bittensor chain accepts: sp-core verifies with ed25519-zebra,
//    which follows ZIP-215: S must be canonical (< l); A and R may use non-canonical y (y >= p)
//    and x = 0 with the sign bit; small-order A and R are allowed; the equation is cofactored,
//    [8]([S]B - R - [k]A) = 0, with k = SHA-512(R_bytes || A_bytes || M) on the bytes as given.
//  * strict — RFC 8032 / libsodium: S < l; A must be canonical and not of small order; R must not
//    be of small order; the check is cofactorless, encode([S]B - [k]A) == R_bytes.
// verify() never throws; malformed input is "false".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace taocore::crypto::ed25519 {

using byte_span = std::span<const std::uint8_t>;

inline constexpr std::size_t seed_size = 32;
inline constexpr std::size_t public_key_size = 32;
inline constexpr std::size_t signature_size = 64;

using public_key = std::array<std::uint8_t, public_key_size>;
using signature = std::array<std::uint8_t, signature_size>;

enum class verify_policy { zip215, strict };

/// Public key of a 32-byte seed (sp-core's ed25519 secret). Throws std::invalid_argument for a
/// wrong-length seed.
public_key public_from_seed(byte_span seed);

/// Deterministic RFC 8032 signature. Throws std::invalid_argument for a wrong-length seed.
signature sign(byte_span seed, byte_span message);
/// The same, trusting `public_key` = public_from_seed(seed) instead of recomputing it (a base
/// multiplication, half the cost). Never pass a key from elsewhere: signing one message under
/// two different public keys reveals the secret scalar.
signature sign(byte_span seed, byte_span pub, byte_span message);

bool verify(byte_span public_key, byte_span message, byte_span signature,
            verify_policy policy = verify_policy::zip215) noexcept;

}  // namespace taocore::crypto::ed25519
