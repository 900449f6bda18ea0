// SPDX-License-Identifier: MIT
#include "taocore/crypto/merlin.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "crypto/detail/secure_zero.hpp"
#include "crypto/detail/xor_bytes.hpp"
#include "taocore/crypto/hash.hpp"

namespace taocore::crypto {

using detail::secure_zero;

namespace {

constexpr std::uint8_t strobe_r = 166;  // 200 - 2*128/8 - 2
// STROBE operation flags (T = 8, transport, is never used by Merlin).
constexpr std::uint8_t flag_i = 1, flag_a = 2, flag_c = 4, flag_m = 16, flag_k = 32;

bytes_view lit(const char* s) noexcept { return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)}; }

void le32(std::uint8_t out[4], std::uint32_t x) noexcept {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(x >> (8 * i));
}

std::uint32_t checked_len(std::size_t n) {
    if (n > 0xffffffffULL) throw std::invalid_argument("message: longer than 2^32 - 1 bytes");
    return static_cast<std::uint32_t>(n);
}

}  // namespace

void os_random(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
#if defined(__APPLE__)
    // macOS has no getrandom(2); getentropy fills up to 256 bytes a call from the kernel CSPRNG.
    while (got < n) {
        const std::size_t k = std::min<std::size_t>(n - got, 256);
        if (getentropy(out + got, k) != 0) break;  // fall through to /dev/urandom below
        got += k;
    }
#else
    while (got < n) {
        const ssize_t r = getrandom(out + got, n - got, 0);
        if (r > 0) {
            got += static_cast<std::size_t>(r);
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            break;
        }
    }
#endif
    if (got == n) return;
    // getrandom unavailable (very old kernel or seccomp): the urandom device is equivalent.
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("os_random: no OS randomness available");
    while (got < n) {
        const ssize_t r = ::read(fd, out + got, n - got);
        if (r > 0) {
            got += static_cast<std::size_t>(r);
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            ::close(fd);
            throw std::runtime_error("os_random: reading /dev/urandom failed");
        }
    }
    ::close(fd);
}

void os_rng32(std::uint8_t out[32], void*) { os_random(out, 32); }

strobe128::strobe128(bytes_view protocol_label) noexcept {
    std::memset(st_, 0, sizeof st_);
    std::uint8_t* b = bytes();
    const std::uint8_t head[6] = {1, strobe_r + 2, 1, 0, 1, 96};
    std::memcpy(b, head, 6);
    std::memcpy(b + 6, "STROBEv1.0.2", 12);
    keccak_f1600(st_);
    meta_ad(protocol_label, false);
}

void strobe128::serialize(std::uint8_t out[serialized_size]) const noexcept {
    std::memcpy(out, st_, 200);
    out[200] = pos_;
    out[201] = pos_begin_;
    out[202] = cur_flags_;
}

strobe128 strobe128::deserialize(bytes_view in) {
    if (in.size() != serialized_size)
        throw std::invalid_argument("strobe state: expected 203 bytes, got " + std::to_string(in.size()));
    if (in[200] >= strobe_r || in[201] > strobe_r)
        throw std::invalid_argument("strobe state: position outside the rate");
    strobe128 s;
    std::memcpy(s.st_, in.data(), 200);
    s.pos_ = in[200];
    s.pos_begin_ = in[201];
    s.cur_flags_ = in[202];
    return s;
}

strobe128::~strobe128() { secure_zero(st_, sizeof st_); }

void strobe128::run_f() noexcept {
    std::uint8_t* b = bytes();
    b[pos_] ^= pos_begin_;
    b[pos_ + 1] ^= 0x04;
    b[strobe_r + 1] ^= 0x80;
    keccak_f1600(st_);
    pos_ = 0;
    pos_begin_ = 0;
}

// The byte loops below run up to the end of the rate at a time so the compiler can vectorise them.
void strobe128::absorb(bytes_view data) noexcept {
    std::uint8_t* b = bytes();
    std::size_t i = 0;
    while (i < data.size()) {
        const std::size_t n = std::min<std::size_t>(data.size() - i, strobe_r - pos_);
        detail::xor_bytes(b + pos_, data.data() + i, n);
        pos_ = static_cast<std::uint8_t>(pos_ + n);
        i += n;
        if (pos_ == strobe_r) run_f();
    }
}

void strobe128::overwrite(bytes_view data) noexcept {
    std::uint8_t* b = bytes();
    std::size_t i = 0;
    while (i < data.size()) {
        const std::size_t n = std::min<std::size_t>(data.size() - i, strobe_r - pos_);
        std::memcpy(b + pos_, data.data() + i, n);
        pos_ = static_cast<std::uint8_t>(pos_ + n);
        i += n;
        if (pos_ == strobe_r) run_f();
    }
}

void strobe128::squeeze(std::uint8_t* out, std::size_t n) noexcept {
    std::uint8_t* b = bytes();
    std::size_t i = 0;
    while (i < n) {
        const std::size_t k = std::min<std::size_t>(n - i, strobe_r - pos_);
        std::memcpy(out + i, b + pos_, k);
        std::memset(b + pos_, 0, k);
        pos_ = static_cast<std::uint8_t>(pos_ + k);
        i += k;
        if (pos_ == strobe_r) run_f();
    }
}

void strobe128::begin_op(std::uint8_t flags, bool more) noexcept {
    if (more) return;  // continuation of the current operation (callers pass matching flags)
    const std::uint8_t old_begin = pos_begin_;
    pos_begin_ = static_cast<std::uint8_t>(pos_ + 1);
    cur_flags_ = flags;
    const std::uint8_t op[2] = {old_begin, flags};
    absorb(op);
    if ((flags & (flag_c | flag_k)) != 0 && pos_ != 0) run_f();
}

void strobe128::meta_ad(bytes_view data, bool more) noexcept {
    begin_op(flag_m | flag_a, more);
    absorb(data);
}
void strobe128::ad(bytes_view data, bool more) noexcept {
    begin_op(flag_a, more);
    absorb(data);
}
void strobe128::prf(std::uint8_t* out, std::size_t n, bool more) noexcept {
    begin_op(flag_i | flag_a | flag_c, more);
    squeeze(out, n);
}
void strobe128::key(bytes_view data, bool more) noexcept {
    begin_op(flag_a | flag_c, more);
    overwrite(data);
}

namespace {

// Every transcript starts from STROBE initialised with Merlin's protocol label, which costs one
// Keccak-f permutation (of the three or four a 32-byte sr25519 verification runs). The state
// depends on nothing else, so it is built once and copied; it holds no secret.
const strobe128& merlin_initial_strobe() noexcept {
    static const strobe128 s(lit("Merlin v1.0"));
    return s;
}

}  // namespace

merlin_transcript::merlin_transcript(bytes_view label) noexcept : s_(merlin_initial_strobe()) {
    append_message(lit("dom-sep"), label);
}

void merlin_transcript::append_message(bytes_view label, bytes_view message) {
    std::uint8_t len[4];
    le32(len, checked_len(message.size()));
    s_.meta_ad(label, false);
    s_.meta_ad(len, true);
    s_.ad(message, false);
}

void merlin_transcript::append_u64(bytes_view label, std::uint64_t x) {
    std::uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(x >> (8 * i));
    append_message(label, b);
}

void merlin_transcript::challenge_bytes(bytes_view label, std::uint8_t* out, std::size_t n) {
    std::uint8_t len[4];
    le32(len, checked_len(n));
    s_.meta_ad(label, false);
    s_.meta_ad(len, true);
    s_.prf(out, n, false);
}

void merlin_transcript::witness_bytes(bytes_view label, std::span<const bytes_view> nonce_seeds, std::uint8_t* out,
                               std::size_t n, rng32_fn rng, void* rng_ctx) const {
    strobe128 b = s_;
    std::uint8_t len[4];
    for (const bytes_view& w : nonce_seeds) {
        le32(len, checked_len(w.size()));
        b.meta_ad(label, false);
        b.meta_ad(len, true);
        b.key(w, false);
    }
    std::uint8_t r32[32];
    rng(r32, rng_ctx);
    b.meta_ad(lit("rng"), false);
    b.key(r32, false);
    secure_zero(r32, sizeof r32);
    le32(len, checked_len(n));
    b.meta_ad(len, false);
    b.prf(out, n, false);
}

}  // namespace taocore::crypto
