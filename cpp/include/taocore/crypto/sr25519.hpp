// SPDX-License-Identifier: MIT
// sr25519: Schnorr signatures over ristretto255 with Merlin transcripts, bit-compatible with
// schnorrkel 0.11 as Substrate (sp-core) and Bittensor use it (crypto.md §3, §4).
//
// Byte formats: mini secret 32 B; secret key 64 B = canonical scalar (< l) || nonce (schnorrkel
// SecretKey::to_bytes, what bittensor keyfiles store as "privateKey"); public key 32 B (ristretto255);
// signature 64 B (R || s, bit 7 of byte 63 set).
//
// Key handling, signing and derivation are constant time with respect to secrets, and wipe
// their temporaries. verify() never throws: anything malformed is simply "false".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace taocore::crypto::sr25519 {

using byte_span = std::span<const std::uint8_t>;

inline constexpr std::size_t mini_secret_size = 32;
inline constexpr std::size_t secret_key_size = 64;
inline constexpr std::size_t public_key_size = 32;
inline constexpr std::size_t signature_size = 64;
inline constexpr std::size_t chain_code_size = 32;

using secret_key = std::array<std::uint8_t, secret_key_size>;
using public_key = std::array<std::uint8_t, public_key_size>;
using signature = std::array<std::uint8_t, signature_size>;
using mini_secret = std::array<std::uint8_t, mini_secret_size>;
using chain_code = std::array<std::uint8_t, chain_code_size>;

/// The context Substrate signs under.
inline constexpr std::array<std::uint8_t, 9> substrate_context = {'s', 'u', 'b', 's', 't', 'r', 'a', 't', 'e'};

/// Test hook: supplies the 32 bytes the transcript RNG is finalised with (schnorrkel's external
/// randomness). Real signatures use the OS; a fixed value reproduces known answers. Never use a
/// fixed value for real keys (soft-derived nonces and signatures would become predictable).
using rng32_fn = void (*)(std::uint8_t out[32], void* ctx);

/// ExpandEd25519 (sp-core Pair::from_seed): SHA-512, clamp, divide by the cofactor.
/// Throws std::invalid_argument if mini is not 32 bytes.
secret_key expand_mini_secret(byte_span mini);

/// Checks a 64-byte secret key (canonical scalar); throws std::invalid_argument otherwise.
void check_secret_key(byte_span secret);

/// scalar * B, ristretto-encoded. Throws std::invalid_argument for a malformed secret key.
public_key public_from_secret(byte_span secret);

/// Signs `message` under `context` (default "substrate") with OS randomness. `public_key` must be
/// the key pair's public key (it is bound into the transcript, as schnorrkel's Keypair::sign);
/// throws std::invalid_argument for wrong sizes or a non-canonical secret scalar.
signature sign(byte_span secret, byte_span public_key, byte_span message,
               byte_span context = substrate_context);
/// Same, with the transcript RNG's 32 external bytes supplied by `rng` (tests only).
signature sign(byte_span secret, byte_span public_key, byte_span message, byte_span context, rng32_fn rng,
               void* rng_ctx);

/// schnorrkel PublicKey::verify_simple as sp-core Pair::verify uses it. Returns false (never
/// throws) for a wrong-length or undecodable public key, a wrong-length signature, a missing
/// marker bit, a non-canonical s or a failed equation.
bool verify(byte_span public_key, byte_span message, byte_span signature,
            byte_span context = substrate_context) noexcept;

/// Hard derivation (schnorrkel hard_derive_mini_secret_key; sp-core passes an empty `i`).
struct hard_derived {
    mini_secret mini;
    secret_key secret;
    chain_code chain;  // schnorrkel's child chain code (sp-core ignores it)
};
hard_derived derive_hard(byte_span secret, byte_span chain_code_in, byte_span i = {});

/// Soft derivation of a secret key (schnorrkel derived_key_simple). The child nonce is random
/// (OS), unless `rng` is given (tests). Scalar and public key are deterministic.
struct soft_derived_secret {
    secret_key secret;
    chain_code chain;
};
soft_derived_secret derive_soft(byte_span secret, byte_span chain_code_in, byte_span i = {});
soft_derived_secret derive_soft(byte_span secret, byte_span chain_code_in, byte_span i, rng32_fn rng,
                                void* rng_ctx);

/// Soft derivation of a public key; throws std::invalid_argument for an undecodable key.
struct soft_derived_public {
    public_key pub;
    chain_code chain;
};
soft_derived_public derive_soft_public(byte_span public_key, byte_span chain_code_in, byte_span i = {});

/// SecretKey::to_ed25519_bytes (scalar * 8 || nonce) and back (polkadot-js / @scure form); the
/// reverse throws std::invalid_argument if the result is not a canonical scalar.
secret_key secret_to_ed25519_form(byte_span secret);
secret_key secret_from_ed25519_form(byte_span ed_form);

/// Building blocks exposed for the known-answer tests (RFC 9496 ristretto255):
/// encode(k * B) for a 32-byte little-endian scalar k (reduced mod l), and whether 32 bytes are a
/// valid ristretto255 encoding. Throws std::invalid_argument if scalar is not 32 bytes.
public_key ristretto255_base_mul(byte_span scalar);
bool ristretto255_is_valid(byte_span encoding) noexcept;

}  // namespace taocore::crypto::sr25519
