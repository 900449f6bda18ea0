// SPDX-License-Identifier: MIT
// Batch verification: many signatures checked with one multi-scalar multiplication.
//
// Each signature's equation s*B - R - k*A = 0 is multiplied by a fresh 128-bit random coefficient
// from the OS and the sum is checked once. A batch with a bad signature passes with probability
// about 2^-128; a malformed key or signature fails the batch at once. For sr25519 the check is in
// ristretto255, for ed25519 it is cofactored (ZIP-215, what Substrate accepts), so a batch
// accepts exactly what single verification accepts, up to that probability.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace taocore::crypto {

enum class signature_scheme : std::uint8_t { sr25519, ed25519 };

using byte_span = std::span<const std::uint8_t>;

/// True iff every signature verifies; an empty batch is true.
bool verify_batch(signature_scheme scheme, const byte_span* public_keys, const byte_span* messages,
                  const byte_span* signatures, std::size_t n);

/// Writes 1/0 per signature to ok: one batch, then the failing halves are split again until the
/// bad signatures are isolated (single verification for small pieces). With threads > 1 the
/// signatures are cut into that many contiguous parts verified in parallel.
void verify_many(signature_scheme scheme, const byte_span* public_keys, const byte_span* messages,
                 const byte_span* signatures, std::size_t n, std::uint8_t* ok, unsigned threads = 1);

/// Test support for the multi-scalar multiplication under verify_batch: writes the encoding of
/// sum_i s_i * P_i, s_i the i-th 32-byte little-endian scalar (below 2^255), P_i the i-th 32-byte
/// Edwards encoding (decoded leniently, as ZIP-215). algorithm 0 chooses by n, 1 forces Straus,
/// 2 Pippenger with window width `window` (1..16, 0 = chosen by n); with projective, each point
/// is first given a representation with Z != 1; with tables, every other point's odd multiples
/// are supplied precomputed (as the key cache supplies them). Returns false if a point does not
/// decode.
bool multiscalar_mul_for_tests(const std::uint8_t* scalars, const std::uint8_t* points, std::size_t n,
                               int algorithm, int window, bool projective, bool tables, std::uint8_t out[32]);

}  // namespace taocore::crypto
