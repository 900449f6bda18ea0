// SPDX-License-Identifier: MIT
// Paying out one subnet epoch (`distribute_emission`, spec subtensor-epoch.md §8.5) with the
// parent/child dividend split (§8.6) and inherited stake (§8.7), in exact integer rao.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "taocore/emission/coinbase.hpp"

namespace taocore::emission {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/// Raised for bad input; the message names the field.
class InvalidInput : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Parent links per child uid in CSR form: the parents of uid c are parent[k], proportion[k]
/// (a fraction of u64::MAX) for k in [indptr[c], indptr[c+1]). Empty indptr: no childkeys.
struct ChildLinks {
    std::vector<std::uint64_t> indptr;
    std::vector<std::uint16_t> parent;
    std::vector<std::uint64_t> proportion;
    bool empty() const noexcept { return indptr.empty() || indptr.back() == 0; }
};

/// Checks the links against n uids: lengths, uids in range, no self-links, and each parent's
/// proportions to its children summing to at most u64::MAX (i.e. 1). Throws InvalidInput.
void validate_links(const ChildLinks& links, std::size_t n);

/// §8.7: floor(own − own·Σ child_prop + Σ_parent parent_own·prop) per uid (U96F32).
std::vector<std::uint64_t> inherited_stake(const std::vector<std::uint64_t>& own, const ChildLinks& links);

struct PayoutInput {
    std::uint64_t pending_server = 0;
    std::uint64_t pending_validator = 0;
    std::uint64_t pending_root = 0;
    std::uint64_t pending_owner_cut = 0;
    std::vector<std::uint64_t> server_emission;     // the epoch's, per uid
    std::vector<std::uint64_t> validator_emission;  // the epoch's, per uid
    std::vector<std::uint64_t> alpha_stake;         // own TotalHotkeyAlpha on the subnet
    std::vector<std::uint64_t> root_stake;          // own TotalHotkeyAlpha on root (empty: 0)
    std::vector<std::uint16_t> take;                // Delegates[hk] (empty: default 11796)
    std::vector<std::uint16_t> childkey_take;       // ChildkeyTake[hk][netuid] (empty: 0)
    std::vector<std::uint64_t> coldkey;             // owner coldkey id per uid (empty: all distinct)
    std::vector<bool> owner_hotkey;                 // incentive withheld (empty: none)
    ChildLinks links;
    std::uint64_t tao_weight = default_tao_weight;
    std::uint64_t ck_burn = 0;
    bool recycle_owner_incentive = false;  // false: RecycleOrBurn default (burn)
};

/// Where every rao of one epoch's payout went. Per uid: `incentive` (miner alpha credited to the
/// hotkey's owner), `take` / `nominator` (the alpha dividend: delegate take to the owner, the rest
/// into the hotkey's pool), `root_take` / `root_nominator` (root alpha dividend: take to the owner
/// as alpha on the subnet; the rest claimable by the hotkey's root stakers, or to the owner when
/// it exceeds the hotkey's root stake), `dividend_weight` (after the childkey split).
struct Payout {
    std::vector<std::uint64_t> incentive, take, nominator, root_take, root_nominator, dividend_weight;
    std::uint64_t owner_cut = 0;
    std::uint64_t burned = 0;    // owner hotkeys' incentive (burned)
    std::uint64_t recycled = 0;  // owner hotkeys' incentive (recycled)
    u128 input_total = 0;        // pending server + validator + root + owner cut
    u128 credited_total = 0;     // everything above, summed
    /// input_total − credited_total: minted but not credited (negative: the epoch paid miners more
    /// than the pending server bucket, which the chain allows).
    i128 uncredited() const noexcept { return static_cast<i128>(input_total) - static_cast<i128>(credited_total); }
};

/// §8.6 for every uid: the dividend weights after the parent/child split (u64 rao units).
std::vector<std::uint64_t> childkey_dividends(const PayoutInput& in);

/// §8.5 `distribute_emission` after the epoch. Validates lengths (InvalidInput names the field).
Payout distribute_epoch(const PayoutInput& in);

}  // namespace taocore::emission
