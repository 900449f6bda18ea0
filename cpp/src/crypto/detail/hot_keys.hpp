// SPDX-License-Identifier: MIT
// ed25519 keys seen more than once, with the tables of ge_verify_combination_wide_vartime: the
// odd multiples of -A, -2^64 A and -2^128 A (128 doublings and 48 additions to build, about half
// a verification, paid once per key). With them a verification needs 64 doublings instead of
// 128. A key's first verification only records it (a key used once pays nothing extra); the
// second builds the tables.
#pragma once

#include <cstdint>
#include <memory>

#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {

/// The tables for pk (whose ZIP-215 decoding is A), or null: on a key's first sighting, when
/// the radix-2^64 kernels do not run, or when memory runs out. Thread-safe; public data only.
std::shared_ptr<const wide_key_tables> hot_ed25519_key(const std::uint8_t pk[32], const ge_p3& A) noexcept;

}  // namespace taocore::crypto::detail
