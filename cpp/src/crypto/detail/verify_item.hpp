// SPDX-License-Identifier: MIT
// One signature reduced to the terms of its verification equation, so single and batch
// verification share the parsing, decoding and challenge code:
//   s*B - R - k*A == 0, in ristretto255 (sr25519) or after multiplying by the cofactor 8
//   (ed25519, ZIP-215).
#pragma once

#include <cstdint>
#include <span>

#include "crypto/detail/edwards.hpp"
#include "crypto/detail/scalar25519.hpp"

namespace taocore::crypto::detail {

struct verify_item {
    ge_p3 A, R;
    scalar s, k;
};

using bytes_in = std::span<const std::uint8_t>;

/// sr25519 (schnorrkel verify_simple): false for any malformed key or signature. The key is
/// decoded through the key cache (key_cache.hpp); with neg_a_table non-null the odd multiples of
/// -A for ge_verify_combination_vartime are filled in too. With decode_r false, out.R is left
/// to the caller (batches decode all their R together, ristretto_decode_many), so true then
/// means only that everything else is well formed.
bool sr25519_prepare(verify_item& out, bytes_in public_key, bytes_in message, bytes_in signature,
                     bytes_in context, ge_cached* neg_a_table = nullptr, bool decode_r = true) noexcept;
/// ed25519 under ZIP-215 (what Substrate accepts): false for any malformed key or signature.
bool ed25519_prepare_zip215(verify_item& out, bytes_in public_key, bytes_in message,
                            bytes_in signature, ge_cached* neg_a_table = nullptr) noexcept;

}  // namespace taocore::crypto::detail
