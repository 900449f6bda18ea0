// SPDX-License-Identifier: MIT
// Decoded public keys, remembered: validators verify many signatures from the same hotkeys, and
// decoding a key costs a field exponentiation (an inverse square root), plus building the table
// of odd multiples that the verification loop reads. Only successful decodes are stored, keyed by
// the exact 32 key bytes and the decoding rule, so a key that fails to decode is decoded (and
// rejected) again every time and no answer can differ from an uncached run.
#pragma once

#include <cstdint>

#include "crypto/detail/edwards.hpp"

namespace taocore::crypto::detail {

enum class key_encoding : std::uint8_t {
    ristretto255 = 1,     // sr25519 public keys
    ed25519_zip215 = 2,   // ed25519 keys decoded leniently (y mod p, x = 0 with either sign)
};

/// Decodes pk (32 bytes) under the given rule, from the cache when possible. With neg_table
/// non-null it also fills the odd multiples -A, -3A, ..., -15A in cached form (computed on a miss
/// and then remembered). Returns false, and caches nothing, for an invalid encoding.
/// Thread-safe. Public data only: lookups take variable time.
bool decode_public_key_cached(key_encoding kind, const std::uint8_t pk[32], ge_p3& A,
                              ge_cached* neg_table) noexcept;

}  // namespace taocore::crypto::detail
