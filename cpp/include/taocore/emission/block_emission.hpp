// SPDX-License-Identifier: MIT
// Block emission and its halvings, bit for bit as subtensor computes them (coinbase/block_emission.rs,
// spec subtensor-epoch.md §8.1 and §1.4).
#pragma once

#include <cstdint>

namespace taocore::emission {

inline constexpr std::uint64_t total_supply_rao = 21'000'000'000'000'000ULL;
inline constexpr std::uint64_t default_block_emission_rao = 1'000'000'000ULL;

/// Rao emitted per block at a given issuance (TAO issuance, or a subnet's alpha issuance):
/// 1e9 until half the supply is issued, then halving at each of the chain's switch points
/// (10.5e15, 15.75e15, 18.375e15, ... rao), and 0 from 21e15 on. The chain's I96F32 arithmetic
/// (truncating division, its rounding log2) is reproduced exactly on integers.
std::uint64_t block_emission(std::uint64_t issuance) noexcept;

}  // namespace taocore::emission
