// SPDX-License-Identifier: MIT
// Hash functions taocore needs on its own hot paths: SHA-512 (ed25519, sr25519 key expansion,
// BIP39 PBKDF2), BLAKE2b (SS58 checksums, junction hashing, Substrate's hashers), SHA3-256 and
// the Keccak-f[1600] permutation that Merlin/STROBE share with it.
//
// They are written here rather than taken from a library because the signature code calls them
// many thousands of times per batch with tiny inputs, inside the same dispatch as the curve code;
// every one is tested against hashlib.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "taocore/simd/backend.hpp"

namespace taocore::crypto {

namespace detail {
struct hash_kernels;
}

using byte_span = std::span<const std::uint8_t>;

inline constexpr std::size_t sha512_digest_size = 64;
inline constexpr std::size_t sha512_block_size = 128;
inline constexpr std::size_t sha3_256_digest_size = 32;
inline constexpr std::size_t sha3_256_rate = 136;
inline constexpr std::size_t blake2b_max_digest_size = 64;
inline constexpr std::size_t blake2b_max_key_size = 64;
inline constexpr std::size_t blake2b_block_size = 128;
inline constexpr std::size_t keccak_state_lanes = 25;

/// Keccak-f[1600] on 25 little-endian lanes, lane index x + 5*y (FIPS 202). The overloads that
/// take a backend throw std::invalid_argument if it is not supported here.
void keccak_f1600(std::uint64_t state[keccak_state_lanes]);
void keccak_f1600(std::uint64_t state[keccak_state_lanes], simd::backend b);

/// Incremental SHA-512. The object wipes its state when destroyed, so it may hash secrets.
class sha512_hasher {
public:
    sha512_hasher();
    explicit sha512_hasher(simd::backend b);
    ~sha512_hasher();
    sha512_hasher(const sha512_hasher&) = default;
    sha512_hasher& operator=(const sha512_hasher&) = default;

    sha512_hasher& update(byte_span data) noexcept;
    /// Writes the digest; the object must not be updated afterwards.
    std::array<std::uint8_t, sha512_digest_size> finalize() noexcept;

private:
    std::uint64_t h_[8];
    std::uint8_t buf_[sha512_block_size];
    std::size_t buf_len_;
    std::uint64_t total_len_;  // bytes; SHA-512's 128-bit length never exceeds 2^64 bytes here
    const detail::hash_kernels* kernels_;  // chosen (and validated) once, at construction
};

/// Incremental BLAKE2b (RFC 7693) with digest sizes 1..64 and keys of 0..64 bytes.
class blake2b_hasher {
public:
    /// Throws std::invalid_argument for a digest size outside 1..64 or a key over 64 bytes.
    explicit blake2b_hasher(std::size_t digest_size = blake2b_max_digest_size, byte_span key = {});
    blake2b_hasher(std::size_t digest_size, byte_span key, simd::backend b);
    ~blake2b_hasher();
    blake2b_hasher(const blake2b_hasher&) = default;
    blake2b_hasher& operator=(const blake2b_hasher&) = default;

    blake2b_hasher& update(byte_span data) noexcept;
    /// Writes digest_size() bytes to out (which must hold at least that many).
    void finalize(std::uint8_t* out) noexcept;
    std::size_t digest_size() const noexcept { return digest_size_; }

private:
    std::uint64_t h_[8];
    std::uint64_t t_[2];
    std::uint8_t buf_[blake2b_block_size];
    std::size_t buf_len_;
    std::size_t digest_size_;
    const detail::hash_kernels* kernels_;  // chosen (and validated) once, at construction
};

/// Incremental SHA3-256 (FIPS 202) on keccak_f1600.
class sha3_256_hasher {
public:
    sha3_256_hasher();
    explicit sha3_256_hasher(simd::backend b);
    ~sha3_256_hasher();
    sha3_256_hasher(const sha3_256_hasher&) = default;
    sha3_256_hasher& operator=(const sha3_256_hasher&) = default;

    sha3_256_hasher& update(byte_span data) noexcept;
    std::array<std::uint8_t, sha3_256_digest_size> finalize() noexcept;

private:
    std::uint64_t state_[keccak_state_lanes];
    std::size_t pos_;  // bytes absorbed into the current rate block
    const detail::hash_kernels* kernels_;  // chosen (and validated) once, at construction
};

/// One-shot helpers on the active backend (they throw only if TAOCORE_FORCE_BACKEND is unusable).
std::array<std::uint8_t, sha512_digest_size> sha512(byte_span data);
std::array<std::uint8_t, sha3_256_digest_size> sha3_256(byte_span data);
/// Writes digest_size bytes to out; same argument rules as blake2b_hasher.
void blake2b(byte_span data, std::uint8_t* out, std::size_t digest_size = blake2b_max_digest_size,
             byte_span key = {});

}  // namespace taocore::crypto
