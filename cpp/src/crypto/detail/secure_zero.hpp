// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

namespace taocore::crypto::detail {

/// Zeroes memory in a way the optimiser may not drop as a dead store: secrets must not outlive
/// the objects that held them.
inline void secure_zero(void* p, std::size_t n) noexcept {
    volatile std::uint8_t* v = static_cast<volatile std::uint8_t*>(p);
    while (n--) *v++ = 0;
    // The barrier tells the compiler the zeroed memory may be read, so the stores stay.
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/// Constant-time equality of two byte strings of equal length.
inline bool ct_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
    std::uint8_t d = 0;
    for (std::size_t i = 0; i < n; ++i) d |= static_cast<std::uint8_t>(a[i] ^ b[i]);
    return d == 0;
}

}  // namespace taocore::crypto::detail
