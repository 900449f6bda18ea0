// SPDX-License-Identifier: MIT
#include "taocore/emission/block_emission.hpp"

namespace taocore::emission {
namespace {

__extension__ typedef unsigned __int128 u128;
constexpr int frac = 32;                       // I96F32
constexpr u128 one = static_cast<u128>(1) << frac;

// floor(log2(x)) of substrate_fixed's log2 for x >= 1 (I96F32 bits): the integer part counts
// the halvings, each rounding half up, until x < 2. The fractional digits that follow never
// reach the integer part, so only the count matters for the floor.
std::uint64_t floor_log2(u128 x_bits) noexcept {
    std::uint64_t count = 0;
    while (x_bits >= 2 * one) {
        x_bits = (x_bits >> 1) + (x_bits & 1);
        ++count;
    }
    return count;
}

}  // namespace

std::uint64_t block_emission(std::uint64_t issuance) noexcept {
    if (issuance >= total_supply_rao) return 0;
    // issuance / (2.0 * 10_500_000_000_000_000): I96F32 checked_div truncates.
    const u128 half_supply_x2 = static_cast<u128>(total_supply_rao) << frac;
    const u128 share = ((static_cast<u128>(issuance) << frac) << frac) / half_supply_x2;
    const u128 residual = one - share;            // > 0 because issuance < supply
    const u128 ratio = (one << frac) / residual;  // 1 / residual, truncated
    const std::uint64_t k = floor_log2(ratio);
    // 1 / 2^k (safe_div; 2^k is exact, 2^k <= 2^32 here) times the default emission, floored.
    if (k > frac) return 0;
    const u128 percentage = (one << frac) / (one << k);
    const u128 emission_bits = (percentage * (static_cast<u128>(default_block_emission_rao) << frac)) >> frac;
    return static_cast<std::uint64_t>(emission_bits >> frac);
}

}  // namespace taocore::emission
