// SPDX-License-Identifier: MIT
// A network of subnets stepped block by block in the chain's order (spec subtensor-epoch.md §8.2):
// TAO block emission, run_coinbase (shares, pool injection, participant split into the pending
// buckets), the dynamic-tempo epoch schedule with MaxEpochsPerBlock deferral, the chain-exact
// epoch, distribute_emission, then the moving prices. Every rao is booked in a named place.
//
// Simplifications (documented in the Python module): stake per coldkey is an integer share pool
// (the chain's decimal SafeFloat pool is out of scope); the pool is a fee-less 50/50 constant
// product (no balancer weights); childkey links are among the subnet's uids; root stakes are fixed
// and root dividends are booked as claimable alpha per hotkey (no claiming).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taocore/consensus/epoch.hpp"
#include "taocore/emission/coinbase.hpp"
#include "taocore/emission/payout.hpp"

namespace taocore::emission {

struct Nomination {
    std::uint64_t coldkey = 0;
    u128 shares = 0;
};

/// What a subnet starts with.
struct SubnetConfig {
    std::uint16_t netuid = 1;
    consensus::SubnetState epoch;               // weights, bonds, permits, epoch params (stakes ignored)
    std::vector<std::uint64_t> hotkey;          // id per uid
    std::vector<std::uint64_t> coldkey;         // owner coldkey id per uid
    std::vector<std::uint64_t> alpha_stake;     // own alpha per uid (held by the hotkey's owner)
    std::vector<std::uint64_t> root_stake;      // own root stake per uid
    std::vector<std::uint16_t> take;            // delegate take per uid
    std::vector<std::uint16_t> childkey_take;   // per uid
    ChildLinks links;
    // Extra nominators: (uid, coldkey, alpha) staked on a uid's hotkey.
    std::vector<std::uint16_t> nominator_uid;
    std::vector<std::uint64_t> nominator_coldkey;
    std::vector<std::uint64_t> nominator_alpha;
    std::uint64_t owner_coldkey = 0;
    std::optional<std::uint16_t> owner_hotkey_uid;
    std::uint16_t owner_cut = default_owner_cut;
    bool owner_cut_enabled = true;
    bool emission_enabled = true;
    bool recycle_owner_incentive = false;
    std::uint64_t ck_burn = 0;
    std::uint64_t tao_reserve = 0;
    std::uint64_t alpha_in = 0;
    std::uint64_t alpha_out = 0;     // must cover every stake given above
    I96F32 moving_price = I96F32::zero();
    I96F32 moving_alpha = I96F32::from_bits(default_moving_alpha_bits);
    std::uint64_t halving_blocks = ema_price_halving_blocks;
    std::uint64_t first_emission_block = 0;
    std::optional<std::uint64_t> last_epoch_block;  // default: now − (netuid mod tempo)
    bool refresh_weights = true;  // validators re-set the same weights each epoch (last_update := block)
};

/// A subnet's live state. Amounts in rao.
struct Subnet {
    SubnetConfig cfg;
    std::vector<std::uint64_t> stake;           // TotalHotkeyAlpha per uid (the pool value)
    std::vector<std::vector<Nomination>> noms;  // share pool per uid
    std::vector<u128> total_shares;
    std::vector<std::uint64_t> root_claimable;  // root alpha dividends owed to the uid's root stakers
    std::uint64_t tao_reserve = 0, alpha_in = 0, alpha_out = 0;
    I96F32 moving_price;
    std::uint64_t pending_server = 0, pending_validator = 0, pending_root = 0, pending_owner_cut = 0;
    std::uint64_t owner_stake = 0;  // owner cut when the owner hotkey has no uid
    std::uint64_t protocol_alpha = 0;
    U64F64 miner_burned = U64F64::zero();
    std::uint64_t last_epoch_block = 0, pending_epoch_at = 0, blocks_since_last_step = 0, epoch_index = 0;
    std::uint64_t last_mechanism_step_block = 0;
    U96F32 root_prop = U96F32::zero();
    // Accounting.
    std::uint64_t initial_alpha_in = 0, initial_alpha_out_free = 0;  // alpha out not held by any stake
    u128 minted_alpha_in = 0, minted_alpha_out = 0, swapped_alpha = 0;
    u128 recycled_alpha = 0, burned_alpha = 0;
    i128 uncredited_alpha = 0;
    u128 tao_in_total = 0;
    std::uint64_t initial_tao_reserve = 0;
    std::uint64_t epochs_run = 0, epochs_deferred = 0;
};

/// One row of the payout history: what a uid's hotkey got in one epoch.
struct HotkeyRows {
    std::vector<std::uint64_t> block, hotkey, coldkey, incentive, take, nominator, root_take, root_nominator;
    std::vector<std::uint16_t> netuid, uid;
};
/// What each coldkey received in one epoch (owner parts and its pro-rata nominator share, floored).
struct ColdkeyRows {
    std::vector<std::uint64_t> block, coldkey, hotkey, amount;
    std::vector<std::uint16_t> netuid;
};

struct NetworkConfig {
    std::uint64_t block = 0;
    std::uint64_t total_issuance = 0;
    std::uint64_t root_tao = 0;  // SubnetTAO[root]
    std::uint64_t tao_weight = default_tao_weight;
    std::uint32_t max_epochs_per_block = 2;
    bool record_history = true;
};

class Network {
public:
    explicit Network(const NetworkConfig& cfg);

    /// Adds a subnet (validated; InvalidInput names the field).
    void add_subnet(SubnetConfig cfg);
    /// Applies the next block; returns the netuids whose epoch ran.
    std::vector<std::uint16_t> step();
    /// Checks every accounting identity; throws std::logic_error naming the first broken one.
    void check() const;

    Subnet& subnet(std::uint16_t netuid);
    const Subnet& subnet(std::uint16_t netuid) const;
    bool has_subnet(std::uint16_t netuid) const { return subnets_.count(netuid) != 0; }
    std::vector<std::uint16_t> netuids() const;
    /// Stake of one coldkey on a uid's hotkey (share pool, floored).
    std::uint64_t stake_of(std::uint16_t netuid, std::uint16_t uid, std::uint64_t coldkey) const;

    std::uint64_t block() const noexcept { return block_; }
    std::uint64_t total_issuance() const noexcept { return issuance_; }
    std::uint64_t initial_issuance() const noexcept { return initial_issuance_; }
    u128 minted_tao() const noexcept { return minted_tao_; }
    u128 recycled_tao() const noexcept { return recycled_tao_; }
    const NetworkConfig& config() const noexcept { return cfg_; }
    const HotkeyRows& hotkey_rows() const noexcept { return hk_rows_; }
    const ColdkeyRows& coldkey_rows() const noexcept { return ck_rows_; }
    void clear_history();

private:
    void distribute(Subnet& s);
    void credit(Subnet& s, std::uint16_t uid, std::uint64_t coldkey, std::uint64_t amount);

    NetworkConfig cfg_;
    std::uint64_t block_ = 0, issuance_ = 0, initial_issuance_ = 0;
    u128 minted_tao_ = 0, recycled_tao_ = 0;
    std::map<std::uint16_t, std::unique_ptr<Subnet>> subnets_;
    HotkeyRows hk_rows_;
    ColdkeyRows ck_rows_;
};

}  // namespace taocore::emission
