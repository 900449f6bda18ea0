// SPDX-License-Identifier: MIT
#include "taocore/crypto/hash.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

#include "detail/hash_kernels.hpp"
#include "detail/secure_zero.hpp"
#include "detail/xor_bytes.hpp"

// The hashers treat the Keccak state and BLAKE2b words as little-endian byte strings.
static_assert(std::endian::native == std::endian::little, "taocore assumes a little-endian host");

namespace taocore::crypto {
namespace detail {

const hash_kernels& hash_kernels_for(simd::backend b) {
    if (!simd::backend_supported(b))
        throw std::invalid_argument("backend '" + std::string(simd::backend_name(b)) +
                                    "' is not supported on this machine");
    switch (b) {
#if defined(TAOCORE_HAVE_AVX2)
        case simd::backend::avx2: return hash_kernels_avx2;
#endif
#if defined(TAOCORE_HAVE_AVX512)
        case simd::backend::avx512: return hash_kernels_avx512;
#endif
        default: return hash_kernels_scalar;
    }
}

}  // namespace detail

namespace {

constexpr std::uint64_t sha512_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

void store_be64(std::uint8_t* p, std::uint64_t v) {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

}  // namespace

void keccak_f1600(std::uint64_t state[keccak_state_lanes]) {
    // Merlin calls this per transcript operation, so the dispatch is resolved once.
    static const detail::hash_kernels& active = detail::hash_kernels_for(simd::active_backend());
    active.keccak_f1600(state);
}

void keccak_f1600(std::uint64_t state[keccak_state_lanes], simd::backend b) {
    detail::hash_kernels_for(b).keccak_f1600(state);
}

// ---- SHA-512 -------------------------------------------------------------------------------

sha512_hasher::sha512_hasher() : sha512_hasher(simd::active_backend()) {}

sha512_hasher::sha512_hasher(simd::backend b) : buf_{}, buf_len_(0), total_len_(0), kernels_(&detail::hash_kernels_for(b)) {
    std::memcpy(h_, sha512_iv, sizeof h_);
}

sha512_hasher::~sha512_hasher() {
    detail::secure_zero(h_, sizeof h_);
    detail::secure_zero(buf_, sizeof buf_);
}

sha512_hasher& sha512_hasher::update(byte_span data) noexcept {
    const auto& k = *kernels_;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    total_len_ += n;
    if (buf_len_ > 0) {
        const std::size_t take = std::min(n, sha512_block_size - buf_len_);
        std::memcpy(buf_ + buf_len_, p, take);
        buf_len_ += take;
        p += take;
        n -= take;
        if (buf_len_ < sha512_block_size) return *this;
        k.sha512_compress(h_, buf_, 1);
        buf_len_ = 0;
    }
    if (n >= sha512_block_size) {
        const std::size_t blocks = n / sha512_block_size;
        k.sha512_compress(h_, p, blocks);
        p += blocks * sha512_block_size;
        n -= blocks * sha512_block_size;
    }
    std::memcpy(buf_, p, n);
    buf_len_ = n;
    return *this;
}

std::array<std::uint8_t, sha512_digest_size> sha512_hasher::finalize() noexcept {
    const auto& k = *kernels_;
    const std::uint64_t bit_len = total_len_ << 3;
    buf_[buf_len_++] = 0x80;
    if (buf_len_ > sha512_block_size - 16) {
        std::memset(buf_ + buf_len_, 0, sha512_block_size - buf_len_);
        k.sha512_compress(h_, buf_, 1);
        buf_len_ = 0;
    }
    std::memset(buf_ + buf_len_, 0, sha512_block_size - 8 - buf_len_);
    // The high 64 bits of the 128-bit length hold total_len_ >> 61.
    buf_[sha512_block_size - 9] = static_cast<std::uint8_t>(total_len_ >> 61);
    store_be64(buf_ + sha512_block_size - 8, bit_len);
    k.sha512_compress(h_, buf_, 1);
    std::array<std::uint8_t, sha512_digest_size> out;
    for (int i = 0; i < 8; ++i) store_be64(out.data() + 8 * i, h_[i]);
    return out;
}

std::array<std::uint8_t, sha512_digest_size> sha512(byte_span data) {
    return sha512_hasher().update(data).finalize();
}

// ---- BLAKE2b -------------------------------------------------------------------------------

blake2b_hasher::blake2b_hasher(std::size_t digest_size, byte_span key)
    : blake2b_hasher(digest_size, key, simd::active_backend()) {}

blake2b_hasher::blake2b_hasher(std::size_t digest_size, byte_span key, simd::backend b)
    : t_{0, 0}, buf_{}, buf_len_(0), digest_size_(digest_size), kernels_(&detail::hash_kernels_for(b)) {
    if (digest_size < 1 || digest_size > blake2b_max_digest_size)
        throw std::invalid_argument("digest_size must be between 1 and 64, got " +
                                    std::to_string(digest_size));
    if (key.size() > blake2b_max_key_size)
        throw std::invalid_argument("key must be at most 64 bytes, got " + std::to_string(key.size()));
    std::memcpy(h_, sha512_iv, sizeof h_);  // BLAKE2b's IV is SHA-512's
    // Parameter block word 0: digest length, key length, fanout 1, depth 1 (sequential mode).
    h_[0] ^= 0x01010000ULL ^ (static_cast<std::uint64_t>(key.size()) << 8) ^ digest_size;
    if (!key.empty()) {
        // The key is the first block, zero padded.
        std::memcpy(buf_, key.data(), key.size());
        buf_len_ = blake2b_block_size;
    }
}

blake2b_hasher::~blake2b_hasher() {
    detail::secure_zero(h_, sizeof h_);
    detail::secure_zero(buf_, sizeof buf_);
}

blake2b_hasher& blake2b_hasher::update(byte_span data) noexcept {
    const auto& k = *kernels_;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    // The last block must be compressed with the final flag, so a full buffer is held back until
    // more input proves it is not the last.
    auto compress = [&](const std::uint8_t* block) {
        t_[0] += blake2b_block_size;
        if (t_[0] < blake2b_block_size) ++t_[1];
        k.blake2b_compress(h_, block, t_[0], t_[1], false);
    };
    if (n == 0) return *this;
    if (buf_len_ > 0) {
        const std::size_t take = std::min(n, blake2b_block_size - buf_len_);
        std::memcpy(buf_ + buf_len_, p, take);
        buf_len_ += take;
        p += take;
        n -= take;
        if (n == 0) return *this;
        compress(buf_);
        buf_len_ = 0;
    }
    while (n > blake2b_block_size) {
        compress(p);
        p += blake2b_block_size;
        n -= blake2b_block_size;
    }
    std::memcpy(buf_, p, n);
    buf_len_ = n;
    return *this;
}

void blake2b_hasher::finalize(std::uint8_t* out) noexcept {
    const auto& k = *kernels_;
    t_[0] += buf_len_;
    if (t_[0] < buf_len_) ++t_[1];
    std::memset(buf_ + buf_len_, 0, blake2b_block_size - buf_len_);
    k.blake2b_compress(h_, buf_, t_[0], t_[1], true);
    std::uint8_t full[blake2b_max_digest_size];
    std::memcpy(full, h_, sizeof full);  // little-endian words, as the digest is defined
    std::memcpy(out, full, digest_size_);
    detail::secure_zero(full, sizeof full);
}

void blake2b(byte_span data, std::uint8_t* out, std::size_t digest_size, byte_span key) {
    blake2b_hasher h(digest_size, key);
    h.update(data).finalize(out);
}

// ---- SHA3-256 ------------------------------------------------------------------------------

sha3_256_hasher::sha3_256_hasher() : sha3_256_hasher(simd::active_backend()) {}

sha3_256_hasher::sha3_256_hasher(simd::backend b) : state_{}, pos_(0), kernels_(&detail::hash_kernels_for(b)) {
}

sha3_256_hasher::~sha3_256_hasher() { detail::secure_zero(state_, sizeof state_); }

sha3_256_hasher& sha3_256_hasher::update(byte_span data) noexcept {
    const auto& k = *kernels_;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    // Lanes are little-endian, so on a little-endian host the state is the byte string itself.
    auto* bytes = reinterpret_cast<std::uint8_t*>(state_);
    while (n > 0) {
        const std::size_t take = std::min(n, sha3_256_rate - pos_);
        detail::xor_bytes(bytes + pos_, p, take);
        pos_ += take;
        p += take;
        n -= take;
        if (pos_ == sha3_256_rate) {
            k.keccak_f1600(state_);
            pos_ = 0;
        }
    }
    return *this;
}

std::array<std::uint8_t, sha3_256_digest_size> sha3_256_hasher::finalize() noexcept {
    const auto& k = *kernels_;
    auto* bytes = reinterpret_cast<std::uint8_t*>(state_);
    bytes[pos_] ^= 0x06;  // SHA-3 domain bits 01 then the first pad bit
    bytes[sha3_256_rate - 1] ^= 0x80;
    k.keccak_f1600(state_);
    std::array<std::uint8_t, sha3_256_digest_size> out;
    std::memcpy(out.data(), bytes, out.size());
    return out;
}

std::array<std::uint8_t, sha3_256_digest_size> sha3_256(byte_span data) {
    return sha3_256_hasher().update(data).finalize();
}

}  // namespace taocore::crypto
