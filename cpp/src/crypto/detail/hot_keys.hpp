// SPDX-License-Identifier: MIT
// ed25519 keys seen more than once, with the tables of ge_hot_combination_vartime: the odd
// multiples of -2^(32 j) A for j < 8 (224 doublings and 256 additions to build, paid once per
// key). With them sB - kA takes 32 doublings and needs neither the half-size split of k nor a
// table of R (see verify_fe64.hpp). A key's first verifications only count it (a key used once
// or twice pays nothing extra); the third builds the tables.
#pragma once

#include <cstdint>
#include <memory>

#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {

/// The tables for pk (whose ZIP-215 decoding is A), or null: on a key's first sightings, when
/// the radix-2^64 kernels do not run, or when memory runs out. Thread-safe; public data only.
std::shared_ptr<const hot_key_tables> hot_ed25519_key(const std::uint8_t pk[32], const ge_p3& A) noexcept;

}  // namespace taocore::crypto::detail
