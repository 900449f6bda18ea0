// SPDX-License-Identifier: MIT
// The coinbase's pure formulas (spec subtensor-epoch.md §8.3, §8.4, §8.8) in the chain's
// fixed-point types: subnet shares, subnet terms (pool injection), the participant split into the
// pending buckets, the moving price, and the epoch schedule.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "taocore/fixed.hpp"

namespace taocore::emission {

using fixed::I96F32;
using fixed::U64F64;
using fixed::U96F32;

inline constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::uint16_t default_owner_cut = 11'796;
inline constexpr std::uint16_t default_delegate_take = 11'796;
inline constexpr std::uint64_t default_tao_weight = 971'718'665'099'567'868ULL;
inline constexpr std::uint64_t ema_price_halving_blocks = 201'600;
/// I96F32::from_num(0.000003) (f64, nearest): bits 12885.
inline constexpr std::int64_t default_moving_alpha_bits = 12'885;
inline constexpr std::uint64_t max_tempo = 50'400;

/// `TaoWeight` (a fraction of u64::MAX) as the U96F32 the coinbase multiplies by.
U96F32 tao_weight_fraction(std::uint64_t tao_weight) noexcept;

/// u16 / 65535 as U96F32 (owner cut, delegate take, childkey take): safe_div, truncated.
U96F32 u16_fraction(std::uint16_t v) noexcept;

/// u64 / u64::MAX as U96F32 (child proportions, CK burn).
U96F32 u64_fraction(std::uint64_t v) noexcept;

/// `root_proportion`: tw / (tw + alpha_issuance), tw = root_tao · tao_weight (checked_div, else 0).
U96F32 root_proportion(std::uint64_t root_tao, std::uint64_t tao_weight, std::uint64_t alpha_issuance) noexcept;

/// The participant split of one block's alpha emission (§8.3 "Participant alpha"), in rao,
/// each line floored on its own. `alpha_out` is what SubnetAlphaOut first gains (the whole
/// emission); `recycled` (root alpha when root sell is off) is then taken back out of it.
struct ParticipantSplit {
    std::uint64_t alpha_out = 0;
    std::uint64_t owner_cut = 0;
    std::uint64_t server = 0;
    std::uint64_t validator = 0;
    std::uint64_t root = 0;
    std::uint64_t recycled = 0;
    /// alpha_out minus every credited line: the fractional rao minted but credited to no bucket.
    std::uint64_t uncredited() const noexcept { return alpha_out - owner_cut - server - validator - root - recycled; }
};

ParticipantSplit participant_split(std::uint64_t alpha_emission, std::uint16_t owner_cut, U96F32 root_prop,
                                   bool root_sell, bool owner_cut_enabled) noexcept;

/// `get_shares` (price-EMA shares weighted by 1 − MinerBurned, renormalised over enabled
/// subnets). `moving_prices` are the I96F32 EMAs; `miner_burned` U64F64 (empty: all 0);
/// `enabled` (empty: all enabled).
std::vector<U64F64> subnet_shares(const std::vector<I96F32>& moving_prices, const std::vector<U64F64>& miner_burned,
                                  const std::vector<bool>& enabled);

/// tao_em = U96F32(U64F64(block_emission) · share).
U96F32 tao_emission_for_share(std::uint64_t block_emission, U64F64 share) noexcept;

/// Root sell flag: Σ moving prices > 1 (U64F64).
bool root_sell_flag(const std::vector<I96F32>& moving_prices) noexcept;

/// `get_subnet_terms` for one subnet: how much TAO and alpha enter the pool, and the TAO left to
/// buy alpha with. `price` = SubnetTAO / SubnetAlphaIn (U96F32; the 50/50 balancer).
struct SubnetTerms {
    U96F32 tao_in, alpha_in, excess_tao;
};
U96F32 pool_price(std::uint64_t tao_reserve, std::uint64_t alpha_reserve) noexcept;
SubnetTerms subnet_terms(U96F32 tao_emission, U96F32 price, std::uint64_t alpha_emission, U96F32 root_prop) noexcept;

/// Constant-product swap of `tao` into a pool (no fee): alpha out = floor(A·t/(T+t)).
std::uint64_t swap_tao_for_alpha(std::uint64_t tao_reserve, std::uint64_t alpha_reserve, std::uint64_t tao) noexcept;

/// `update_moving_price`: α_eff = moving_alpha · b/(b + halving), b = block − (first_emission − 1);
/// new = α_eff · min(price, 1) + (1 − α_eff) · old, stored as I96F32.
I96F32 update_moving_price(I96F32 old, U96F32 price, I96F32 moving_alpha, std::uint64_t block,
                           std::uint64_t first_emission_block, std::uint64_t halving_blocks) noexcept;

/// Blocks until the next automatic epoch: tempo 0 → u64::MAX; else max(last + tempo − block, 0).
std::uint64_t blocks_until_next_auto_epoch(std::uint64_t last_epoch_block, std::uint16_t tempo,
                                           std::uint64_t block) noexcept;

/// `should_run_epoch` (§8.4).
bool should_run_epoch(std::uint16_t tempo, std::uint64_t last_epoch_block, std::uint64_t pending_epoch_at,
                      std::uint64_t blocks_since_last_step, std::uint64_t block) noexcept;

}  // namespace taocore::emission
