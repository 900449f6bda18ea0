// SPDX-License-Identifier: MIT
// The chain's Yuma epoch (subtensor `epoch_mechanism`, sparse, spec subtensor-epoch.md §3), bit for
// bit, and the mechanism split/aggregation of `epoch_with_mechanisms` (§6).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace taocore::consensus {

/// Sparse u16 rows in CSR form, entries in storage order: row i is
/// (indices[k], values[k]) for k in [indptr[i], indptr[i+1]).
struct SparseU16 {
    std::vector<std::uint64_t> indptr;
    std::vector<std::uint16_t> indices;
    std::vector<std::uint16_t> values;
};

/// What one mechanism's epoch reads, in the chain's units (field names follow the storage).
struct SubnetState {
    std::uint16_t n = 0;
    std::uint64_t current_block = 0;
    std::uint16_t tempo = 360;
    std::uint64_t activity_cutoff_blocks = 5000;
    std::vector<std::uint64_t> last_update;            // padded with 0 up to n
    std::vector<std::uint64_t> block_at_registration;  // per uid
    std::vector<std::uint64_t> alpha_stake;            // rao, inherited alpha stake per uid
    std::vector<std::uint64_t> tao_stake;              // rao, inherited root stake per uid (may be empty)
    std::uint64_t tao_weight = 0;                      // fraction of u64::MAX
    std::uint64_t stake_threshold = 0;
    std::optional<std::uint16_t> owner_uid;
    std::vector<bool> validator_permit;  // previous permits
    std::uint16_t max_allowed_validators = 64;
    SparseU16 weights;
    SparseU16 bonds;
    std::uint16_t kappa = 32767;
    std::uint16_t bonds_penalty = 65535;
    std::uint64_t bonds_moving_average = 900'000;
    bool yuma3 = false;
    bool liquid_alpha = false;
    std::uint16_t alpha_low = 45875;
    std::uint16_t alpha_high = 58982;
    std::int16_t alpha_sigmoid_steepness = 1000;
    std::uint64_t last_mechanism_step_block = 0;
    bool commit_reveal = false;
    std::vector<std::uint64_t> commit_blocks;  // earliest live commit block per uid (u64::MAX: none)
    std::uint64_t rao_emission = 0;
};

/// The epoch's outputs as the chain persists them.
struct EpochResult {
    std::vector<bool> active;
    std::vector<std::uint16_t> stake_weight, consensus, incentive, dividends, validator_trust;
    std::vector<std::uint64_t> emission, server_emission, validator_emission;
    std::vector<bool> new_validator_permit;
    SparseU16 bonds;
};

/// Raised for inconsistent input (wrong lengths, uid out of range): names the field.
class InvalidState : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Check every length and index in `state`; throws InvalidState naming the first bad field.
void validate(const SubnetState& state);

/// One epoch of one mechanism (the chain's `epoch_mechanism`). Validates first.
EpochResult epoch(const SubnetState& state);
/// epoch(state) into `out`, every field replaced; `out`'s vectors keep their room, so a caller
/// that runs epochs in a loop with one result allocates nothing for it after the first.
void epoch_into(const SubnetState& state, EpochResult& out);

/// Per-mechanism inputs for `epoch_with_mechanisms`: each mechanism has its own weights, bonds
/// and last_update (keyed by netuid_index on chain); everything else is the subnet's.
struct MechanismInput {
    SparseU16 weights;
    SparseU16 bonds;
    std::vector<std::uint64_t> last_update;
};

struct MechanismsResult {
    EpochResult subnet;                     // aggregated per spec §6 (bonds left empty)
    std::vector<EpochResult> mechanisms;    // each mechanism's own epoch
    std::vector<std::uint64_t> emission_shares;  // rao handed to each mechanism
};

/// `split_emissions`: equal floor split when `split` is empty, else floor(E·split_k/65535);
/// the rounding remainder goes to mechanism 0.
std::vector<std::uint64_t> split_emissions(std::uint64_t emission, std::size_t count,
                                           const std::vector<std::uint16_t>& split);

/// `epoch_with_mechanisms`: split `state.rao_emission`, run each mechanism, aggregate.
MechanismsResult epoch_with_mechanisms(const SubnetState& state, const std::vector<MechanismInput>& mechanisms,
                                       const std::vector<std::uint16_t>& split);

}  // namespace taocore::consensus
