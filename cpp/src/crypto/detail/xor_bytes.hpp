// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace taocore::crypto::detail {

/// dst[i] ^= src[i] for i < n, eight bytes at a time. Absorbing into a Keccak sponge (SHA3,
/// STROBE) one byte at a time cost about ten instructions a byte, a tenth of a 1 KiB message's
/// signing work; the ranges may be unaligned but must not overlap.
inline void xor_bytes(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t a, b;
        std::memcpy(&a, dst + i, 8);
        std::memcpy(&b, src + i, 8);
        a ^= b;
        std::memcpy(dst + i, &a, 8);
    }
    for (; i < n; ++i) dst[i] ^= src[i];
}

}  // namespace taocore::crypto::detail
