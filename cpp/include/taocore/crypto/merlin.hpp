// SPDX-License-Identifier: MIT
// The STROBE-128 subset that Merlin uses, Merlin transcripts ("Merlin v1.0") and the transcript
// RNG schnorrkel derives nonces from, all on Keccak-f[1600] (crypto.md §1). Public so that the
// transcript known answers can be tested through the bindings; sr25519.hpp is the API to sign with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

namespace taocore::crypto {

using bytes_view = std::span<const std::uint8_t>;

/// The 32 external random bytes a transcript RNG is finalised with. Production code passes
/// os_rng32; tests pass a fixed value to reproduce known answers.
using rng32_fn = void (*)(std::uint8_t out[32], void* ctx);

/// Fills out[0..n) from getrandom(2) (falling back to /dev/urandom); throws std::runtime_error
/// if the OS cannot provide them.
void os_random(std::uint8_t* out, std::size_t n);

/// os_random(out, 32), in the rng32_fn shape.
void os_rng32(std::uint8_t out[32], void* ctx);

class strobe128 {
public:
    explicit strobe128(bytes_view protocol_label) noexcept;
    ~strobe128();
    strobe128(const strobe128&) = default;
    strobe128& operator=(const strobe128&) = default;

    void meta_ad(bytes_view data, bool more) noexcept;
    void ad(bytes_view data, bool more) noexcept;
    void prf(std::uint8_t* out, std::size_t n, bool more) noexcept;
    void key(bytes_view data, bool more) noexcept;

    /// Serialised form: the 200-byte state then pos, pos_begin, cur_flags (203 bytes). Restoring
    /// throws std::invalid_argument for a wrong size or counters outside the rate.
    static constexpr std::size_t serialized_size = 203;
    void serialize(std::uint8_t out[serialized_size]) const noexcept;
    static strobe128 deserialize(bytes_view in);

    /// The 200-byte state and counters (for the signing_context_state known answer).
    const std::uint8_t* state_bytes() const noexcept { return reinterpret_cast<const std::uint8_t*>(st_); }
    std::uint8_t pos() const noexcept { return pos_; }
    std::uint8_t pos_begin() const noexcept { return pos_begin_; }
    std::uint8_t cur_flags() const noexcept { return cur_flags_; }

private:
    void run_f() noexcept;
    void absorb(bytes_view data) noexcept;
    void overwrite(bytes_view data) noexcept;
    void squeeze(std::uint8_t* out, std::size_t n) noexcept;
    void begin_op(std::uint8_t flags, bool more) noexcept;
    std::uint8_t* bytes() noexcept { return reinterpret_cast<std::uint8_t*>(st_); }

    std::uint64_t st_[25];
    std::uint8_t pos_ = 0, pos_begin_ = 0, cur_flags_ = 0;
    strobe128() noexcept = default;
};


class merlin_transcript {
public:
    explicit merlin_transcript(bytes_view label) noexcept;
    /// Throws std::invalid_argument if the message is longer than 2^32 - 1 bytes.
    void append_message(bytes_view label, bytes_view message);
    void append_u64(bytes_view label, std::uint64_t x);
    void challenge_bytes(bytes_view label, std::uint8_t* out, std::size_t n);
    /// witness_bytes as schnorrkel: clone, rekey with each nonce seed under `label`, finalise with
    /// 32 bytes from rng, then fill n bytes. The transcript itself is unchanged.
    void witness_bytes(bytes_view label, std::span<const bytes_view> nonce_seeds, std::uint8_t* out,
                       std::size_t n, rng32_fn rng, void* rng_ctx) const;
    const strobe128& strobe() const noexcept { return s_; }
    /// Resumes a transcript from a serialised STROBE state (see strobe128::serialize).
    static merlin_transcript from_strobe(const strobe128& s) noexcept { return merlin_transcript(s); }

private:
    explicit merlin_transcript(const strobe128& s) noexcept : s_(s) {}
    strobe128 s_;
};

}  // namespace taocore::crypto
