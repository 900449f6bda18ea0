// SPDX-License-Identifier: MIT
#include "taocore/emission/coinbase.hpp"

#include <algorithm>

namespace taocore::emission {

using fixed::checked_div;
using fixed::safe_div;
using fixed::saturating_add;
using fixed::saturating_convert;
using fixed::saturating_mul;
using fixed::saturating_sub;
using fixed::saturating_to_uint;

namespace {
constexpr U96F32 half96 = U96F32::from_bits(static_cast<fixed::u128>(1) << 31);
}  // namespace

U96F32 tao_weight_fraction(std::uint64_t tao_weight) noexcept {
    return safe_div(U96F32::from_int(tao_weight), U96F32::from_int(u64_max));
}

U96F32 u16_fraction(std::uint16_t v) noexcept {
    return safe_div(U96F32::from_int(v), U96F32::from_int(std::uint16_t{65535}));
}

U96F32 u64_fraction(std::uint64_t v) noexcept {
    return safe_div(U96F32::from_int(v), U96F32::from_int(u64_max));
}

U96F32 root_proportion(std::uint64_t root_tao, std::uint64_t tao_weight, std::uint64_t alpha_issuance) noexcept {
    const U96F32 tw = saturating_mul(U96F32::from_int(root_tao), tao_weight_fraction(tao_weight));
    const U96F32 denom = saturating_add(tw, U96F32::from_int(alpha_issuance));
    return checked_div(tw, denom).value_or(U96F32::zero());
}

ParticipantSplit participant_split(std::uint64_t alpha_emission, std::uint16_t owner_cut, U96F32 root_prop,
                                   bool root_sell, bool owner_cut_enabled) noexcept {
    ParticipantSplit s;
    U96F32 a = U96F32::from_int(alpha_emission);
    s.alpha_out = alpha_emission;
    if (owner_cut_enabled) {
        const U96F32 cut = saturating_mul(a, u16_fraction(owner_cut));
        a = saturating_sub(a, cut);
        s.owner_cut = saturating_to_uint<std::uint64_t>(cut);
    }
    const U96F32 root_alpha = saturating_mul(saturating_mul(root_prop, a), half96);
    const U96F32 server = saturating_mul(a, half96);
    const U96F32 validator = saturating_sub(saturating_sub(a, server), root_alpha);
    s.server = saturating_to_uint<std::uint64_t>(server);
    s.validator = saturating_to_uint<std::uint64_t>(validator);
    const std::uint64_t root = saturating_to_uint<std::uint64_t>(root_alpha);
    if (root_sell) s.root = root;
    else s.recycled = root;
    return s;
}

std::vector<U64F64> subnet_shares(const std::vector<I96F32>& moving_prices, const std::vector<U64F64>& miner_burned,
                                  const std::vector<bool>& enabled) {
    const std::size_t n = moving_prices.size();
    std::vector<U64F64> ema(n), share(n);
    U64F64 total = U64F64::zero();
    for (std::size_t i = 0; i < n; ++i) {
        ema[i] = saturating_convert<U64F64>(moving_prices[i]);
        total = saturating_add(total, ema[i]);
    }
    std::vector<U64F64> w(n);
    U64F64 wsum = U64F64::zero();
    for (std::size_t i = 0; i < n; ++i) {
        share[i] = checked_div(ema[i], total).value_or(U64F64::zero());
        const U64F64 mb = i < miner_burned.size() ? std::min(miner_burned[i], U64F64::one()) : U64F64::zero();
        w[i] = saturating_mul(share[i], saturating_sub(U64F64::one(), mb));
        wsum = saturating_add(wsum, w[i]);
    }
    if (!wsum.is_zero()) {
        for (std::size_t i = 0; i < n; ++i) share[i] = checked_div(w[i], wsum).value_or(U64F64::zero());
    }
    bool any_disabled = false;
    for (std::size_t i = 0; i < n && i < enabled.size(); ++i) any_disabled = any_disabled || !enabled[i];
    if (any_disabled) {
        U64F64 esum = U64F64::zero();
        for (std::size_t i = 0; i < n; ++i) {
            if (i < enabled.size() && !enabled[i]) share[i] = U64F64::zero();
            esum = saturating_add(esum, share[i]);
        }
        for (std::size_t i = 0; i < n; ++i) share[i] = checked_div(share[i], esum).value_or(U64F64::zero());
    }
    return share;
}

U96F32 tao_emission_for_share(std::uint64_t block_emission, U64F64 share) noexcept {
    return saturating_convert<U96F32>(saturating_mul(U64F64::from_int(block_emission), share));
}

bool root_sell_flag(const std::vector<I96F32>& moving_prices) noexcept {
    U64F64 total = U64F64::zero();
    for (const auto& p : moving_prices) total = saturating_add(total, saturating_convert<U64F64>(p));
    return total > U64F64::one();
}

U96F32 pool_price(std::uint64_t tao_reserve, std::uint64_t alpha_reserve) noexcept {
    return safe_div(U96F32::from_int(tao_reserve), U96F32::from_int(alpha_reserve));
}

SubnetTerms subnet_terms(U96F32 tao_emission, U96F32 price, std::uint64_t alpha_emission, U96F32 root_prop) noexcept {
    SubnetTerms t;
    t.tao_in = tao_emission;
    t.alpha_in = safe_div(tao_emission, price);
    const U96F32 cap = saturating_mul(root_prop, U96F32::from_int(alpha_emission));
    if (t.alpha_in > cap) {
        t.alpha_in = cap;
        t.tao_in = saturating_mul(t.alpha_in, price);
    }
    t.excess_tao = saturating_sub(tao_emission, t.tao_in);
    return t;
}

std::uint64_t swap_tao_for_alpha(std::uint64_t tao_reserve, std::uint64_t alpha_reserve, std::uint64_t tao) noexcept {
    const fixed::u128 denom = static_cast<fixed::u128>(tao_reserve) + tao;
    if (denom == 0) return 0;
    return static_cast<std::uint64_t>(static_cast<fixed::u128>(alpha_reserve) * tao / denom);
}

I96F32 update_moving_price(I96F32 old, U96F32 price, I96F32 moving_alpha, std::uint64_t block,
                           std::uint64_t first_emission_block, std::uint64_t halving_blocks) noexcept {
    const std::uint64_t start = first_emission_block == 0 ? 0 : first_emission_block - 1;
    const std::uint64_t b = block > start ? block - start : 0;
    const U64F64 bf = U64F64::from_int(b);
    const U64F64 mult = safe_div(bf, saturating_add(bf, U64F64::from_int(halving_blocks)));
    const U64F64 alpha = saturating_mul(saturating_convert<U64F64>(moving_alpha), mult);
    const U64F64 p = std::min(saturating_convert<U64F64>(price), U64F64::one());
    const U64F64 next = saturating_add(saturating_mul(alpha, p),
                                       saturating_mul(saturating_sub(U64F64::one(), alpha),
                                                      saturating_convert<U64F64>(old)));
    return saturating_convert<I96F32>(next);
}

std::uint64_t blocks_until_next_auto_epoch(std::uint64_t last_epoch_block, std::uint16_t tempo,
                                           std::uint64_t block) noexcept {
    if (tempo == 0) return u64_max;
    const fixed::u128 next = static_cast<fixed::u128>(last_epoch_block) + tempo;
    if (static_cast<fixed::u128>(block) >= next) return 0;
    return static_cast<std::uint64_t>(next - block);
}

bool should_run_epoch(std::uint16_t tempo, std::uint64_t last_epoch_block, std::uint64_t pending_epoch_at,
                      std::uint64_t blocks_since_last_step, std::uint64_t block) noexcept {
    if (tempo == 0) return false;
    if (pending_epoch_at > 0 && block >= pending_epoch_at) return true;
    if (blocks_since_last_step > max_tempo) return true;
    return block >= last_epoch_block && block - last_epoch_block >= tempo;
}

}  // namespace taocore::emission
