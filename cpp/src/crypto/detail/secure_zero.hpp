// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(TAOCORE_CT_VALGRIND)
#include <valgrind/memcheck.h>
#endif

namespace taocore::crypto::detail {

/// Zeroes memory in a way the optimiser may not drop as a dead store: secrets must not outlive
/// the objects that held them.
inline void secure_zero(void* p, std::size_t n) noexcept {
    std::memset(p, 0, n);
    // The barrier tells the compiler the zeroed memory may still be read, so the memset cannot be
    // dropped as a dead store (the same technique as explicit_bzero), at memset's speed.
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/// Constant-time equality of two byte strings of equal length.
inline bool ct_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
    std::uint8_t d = 0;
    for (std::size_t i = 0; i < n; ++i) d |= static_cast<std::uint8_t>(a[i] ^ b[i]);
    return d == 0;
}

/// Marks a value computed from secrets as public. The constant-time test (tests/ct) builds the
/// library with TAOCORE_CT_VALGRIND, marks every secret as undefined for valgrind memcheck and
/// fails on any branch or index that depends on one; this is the single, explicit exception,
/// for results that are public by design (for example "this secret key is malformed").
inline void ct_declassify([[maybe_unused]] const void* p, [[maybe_unused]] std::size_t n) noexcept {
#if defined(TAOCORE_CT_VALGRIND)
    VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
}

}  // namespace taocore::crypto::detail
