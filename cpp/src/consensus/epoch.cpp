// SPDX-License-Identifier: MIT
#include "taocore/consensus/epoch.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "taocore/consensus/math.hpp"
#include "taocore/fixed.hpp"

namespace taocore::consensus {

using fixed::I32F32;
using fixed::I64F64;
using fixed::I96F32;
using fixed::U64F64;
using fixed::U96F32;
using math::Entry;
using math::SparseMatrix;
using math::Vector;

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& why) {
    throw InvalidState(field + ": " + why);
}

void validate_sparse(const SparseU16& m, std::size_t n, const char* field) {
    if (m.indptr.empty()) {
        if (!m.indices.empty() || !m.values.empty()) bad(field, "indptr is empty but entries were given");
        return;
    }
    if (m.indptr.size() != n + 1) bad(field, "expected " + std::to_string(n) + " rows, got " + std::to_string(m.indptr.size() - 1));
    if (m.indices.size() != m.values.size()) bad(field, "indices and values differ in length");
    if (m.indptr.front() != 0 || m.indptr.back() != m.indices.size()) bad(field, "indptr must start at 0 and end at the entry count");
    for (std::size_t i = 0; i < n; ++i)
        if (m.indptr[i] > m.indptr[i + 1]) bad(field, "indptr must not decrease (row " + std::to_string(i) + ")");
    // A branch-free maximum first (this runs over every entry each epoch); the slow search only
    // to name the bad uid.
    std::uint16_t max_uid = 0;
    for (std::uint16_t j : m.indices) max_uid = std::max(max_uid, j);
    if (!m.indices.empty() && max_uid >= n)
        for (std::size_t k = 0; k < m.indices.size(); ++k)
            if (m.indices[k] >= n) bad(field, "uid " + std::to_string(m.indices[k]) + " is not below n = " + std::to_string(n));
}

// Row i of the stored bonds as I32F32 (u16 proportions for Yuma3, whole numbers for Yuma) into
// out, without the entries the mask drops (`masking`: bonds to uids registered at or after
// `last_tempo`, the chain's scalar_vec_mask_sparse_matrix(<=) right after loading them, fused
// into the load). Returns one past the last entry written.
[[gnu::always_inline]] inline Entry* load_bonds_row(const SparseU16& m, std::size_t i, bool proportion, bool masking,
                                                    std::uint64_t last_tempo,
                                                    const std::vector<std::uint64_t>& block_at_registration, Entry* out) {
    auto load = [&](auto convert) {
        if (!masking) {
            const std::uint64_t first = m.indptr[i], count = m.indptr[i + 1] - first;
            math::load_u16_row(m.indices.data() + first, m.values.data() + first, count, proportion, out);
            return out + count;
        }
        for (std::uint64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) {
            const std::uint16_t j = m.indices[k];
            *out = {j, convert(m.values[k])};
            out += math::mask_applies(math::MaskOp::less_equal, last_tempo, block_at_registration[j]) ? 0 : 1;
        }
        return out;
    };
    return proportion ? load(math::u16_proportion_to_fixed) : load(math::u16_to_fixed);
}

// Whether the bonds mask can drop anything: not when every uid registered before last_tempo
// (latest_registration is the largest of block_at_registration).
bool bonds_masking(std::uint64_t last_tempo, std::uint64_t latest_registration) {
    return math::mask_applies(math::MaskOp::less_equal, last_tempo, latest_registration);
}

// The column sums (math::column_sums) of Yuma's loaded bonds, whole u16 values, without loading
// them: the mask drops whole columns, so a column it keeps holds every stored entry of that
// column, and saturating additions of non-negative values give min(total, max) in any order.
// The sum of a column the mask drops is never used (no entry is left to divide by it).
Vector whole_bonds_column_sums(const SparseU16& m, std::size_t n) {
    math::detail::CachedVector<std::uint64_t> total(n, 0);  // at most 65535 · 65535 per column: no overflow
    for (std::size_t k = 0; k < m.indices.size(); ++k) total[m.indices[k]] += m.values[k];
    Vector sum(n);
    for (std::size_t j = 0; j < n; ++j)
        sum[j] = total[j] <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())
                     ? I32F32::from_int(static_cast<std::int64_t>(total[j]))
                     : I32F32::max();
    return sum;
}

// floor(t·2^32 / Σ) for 0 <= t <= Σ, Σ > 0: the I64F64 quotient t/Σ floored to I32F32 (nested
// floors of positive divisions). A double estimate (within 1 of the quotient, which is at most
// 2^32) is corrected with the exact remainder; wrapping 128-bit arithmetic gives that remainder
// exactly while Σ < 2^125. Stakes are rao · 2^64 in I64F64, far beyond 64-bit division.
std::optional<std::int64_t> stake_share_bits(fixed::u128 t, fixed::u128 sum) noexcept {
    if (sum == 0 || t > sum || sum >= (static_cast<fixed::u128>(1) << 125)) return std::nullopt;
    auto q = static_cast<std::int64_t>(static_cast<double>(t) / static_cast<double>(sum) * 4294967296.0);
    const auto signed_sum = static_cast<fixed::i128>(sum);
    auto r = static_cast<fixed::i128>((t << 32) - static_cast<fixed::u128>(q) * sum);
    while (r < 0) { --q; r += signed_sum; }
    while (r >= signed_sum) { ++q; r -= signed_sum; }
    return q;
}

// Per row of m: 1 if its uids strictly increase (also for a matrix given without rows). Then so do
// those of every matrix built from the row by dropping entries (masks, the clip).
std::vector<std::uint8_t> increasing_rows(const SparseU16& m, std::size_t n) {
    std::vector<std::uint8_t> out(n, 1);
    if (m.indptr.empty()) return out;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t ok = 1;
        for (std::uint64_t k = m.indptr[i] + 1; k < m.indptr[i + 1]; ++k) ok &= m.indices[k] > m.indices[k - 1] ? 1 : 0;
        out[i] = ok;
    }
    return out;
}

void to_u16(const Vector& v, std::vector<std::uint16_t>& out) {
    out.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = math::fixed_proportion_to_u16(v[i]);
}

// floor(I96F32(share) · I96F32(rao)): both non-negative, so the I96F32 product floors to
// floor(share_bits · rao / 2^32) exactly, which fits in 128 bits.
std::uint64_t scale_emission(I32F32 share, std::uint64_t rao) noexcept {
    if (share.bits <= 0) return 0;
    const fixed::u128 p = static_cast<fixed::u128>(share.bits) * rao;
    const fixed::u128 whole = p >> 32;
    return whole > std::numeric_limits<std::uint64_t>::max() ? std::numeric_limits<std::uint64_t>::max()
                                                             : static_cast<std::uint64_t>(whole);
}

// The per-column prefix-maximum rule of compute_liquid_alpha_values_sparse's merge walk: it
// assumes rows sorted by uid, so an entry is only seen if every earlier entry has a lower uid.
void walk_visible(math::ConstRow row, Vector& dense, std::vector<std::uint16_t>& touched) {
    int last = -1;
    for (const Entry& e : row) {
        if (static_cast<int>(e.col) > last) {
            dense[e.col] = e.value;
            touched.push_back(e.col);
            last = e.col;
        }
    }
}

}  // namespace

void validate(const SubnetState& s) {
    const std::size_t n = s.n;
    if (n == 0) bad("n", "must be at least 1");
    auto check_len = [&](std::size_t got, const char* field, bool optional) {
        if (optional && got == 0) return;
        if (got != n) bad(field, "expected length n = " + std::to_string(n) + ", got " + std::to_string(got));
    };
    if (s.last_update.size() > n) bad("last_update", "longer than n = " + std::to_string(n));
    check_len(s.block_at_registration.size(), "block_at_registration", false);
    check_len(s.alpha_stake.size(), "alpha_stake", false);
    check_len(s.tao_stake.size(), "tao_stake", true);
    if (s.validator_permit.size() > n) bad("validator_permit", "longer than n = " + std::to_string(n));
    if (s.owner_uid && *s.owner_uid >= n) bad("owner_uid", "uid " + std::to_string(*s.owner_uid) + " is not below n");
    if (s.commit_reveal) check_len(s.commit_blocks.size(), "commit_blocks", false);
    validate_sparse(s.weights, n, "weights");
    validate_sparse(s.bonds, n, "bonds");
}

EpochResult epoch(const SubnetState& s) {
    EpochResult out;
    epoch_into(s, out);
    return out;
}

void epoch_into(const SubnetState& s, EpochResult& out) {
    validate(s);
    const std::size_t n = s.n;
    const I32F32 zero = I32F32::zero();

    // 1. Activity.
    math::detail::CachedVector<std::uint64_t> last_update(s.last_update.begin(), s.last_update.end());
    last_update.resize(n, 0);
    std::vector<bool> inactive(n);
    out.active.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t until = 0;
        if (__builtin_add_overflow(last_update[i], s.activity_cutoff_blocks, &until)) until = ~std::uint64_t{0};
        inactive[i] = until < s.current_block;
        out.active[i] = !inactive[i];
    }

    // 2. Stake: alpha + root × tao_weight in I64F64, threshold, normalise, floor to I32F32.
    const U96F32 tw96 = fixed::safe_div(U96F32::from_int(s.tao_weight), U96F32::from_int(~std::uint64_t{0}));
    const I64F64 tao_weight = fixed::saturating_convert<I64F64>(tw96);
    math::detail::CachedVector<I64F64> total(n);
    for (std::size_t i = 0; i < n; ++i) {
        const I64F64 alpha = I64F64::from_int(s.alpha_stake[i]);
        const I64F64 tao = s.tao_stake.empty() ? I64F64::zero() : I64F64::from_int(s.tao_stake[i]);
        total[i] = fixed::saturating_add(alpha, fixed::saturating_mul(tao, tao_weight));
        const bool is_owner = s.owner_uid && *s.owner_uid == i;
        if (!is_owner && fixed::floor_to_u128(total[i]) < s.stake_threshold) total[i] = I64F64::zero();
    }
    I64F64 total_sum = I64F64::zero();
    for (const I64F64& t : total) total_sum = fixed::add(total_sum, t);
    Vector stake(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (total_sum.is_zero() || total[i].bits < 0 || total_sum.bits < 0) {
            const I64F64 share = total_sum.is_zero() ? total[i] : fixed::safe_div(total[i], total_sum);
            stake[i] = fixed::saturating_convert<I32F32>(share);
            continue;
        }
        const auto t = static_cast<fixed::u128>(total[i].bits), sum = static_cast<fixed::u128>(total_sum.bits);
        if (const auto q = stake_share_bits(t, sum)) {
            stake[i] = I32F32::from_bits(*q);
        } else {
            stake[i] = fixed::saturating_convert<I32F32>(fixed::safe_div(total[i], total_sum));
        }
    }

    // 3. Validator permits.
    std::vector<bool> prev_permit(s.validator_permit);
    prev_permit.resize(n, false);
    if (s.owner_uid) prev_permit[*s.owner_uid] = true;
    std::vector<bool> forbid(n);
    for (std::size_t i = 0; i < n; ++i) forbid[i] = !prev_permit[i];
    out.new_validator_permit = math::is_topk_nonzero(stake, s.max_allowed_validators);
    if (s.owner_uid) out.new_validator_permit[*s.owner_uid] = true;

    // 4. Active stake.
    Vector active_stake = stake;
    for (std::size_t i = 0; i < n; ++i)
        if (inactive[i] || forbid[i]) active_stake[i] = zero;
    math::inplace_normalize(active_stake);

    // 5-7. Weights, built row by row in one pass with the same rules as the separate masks:
    // rows of uids without a previous permit are empty (mask_rows), no self weight except the
    // owner's (mask_diag), no weight set before its target registered (outdated, and with
    // commit-reveal, committed before), then each row normalised.
    SparseMatrix weights;
    const std::size_t owner = s.owner_uid ? *s.owner_uid : static_cast<std::size_t>(-1);
    weights.reserve(n, s.weights.indices.size());
    // A row set (and committed) after every registration loses no entry to the two registration
    // masks, only its self weight: it is loaded and summed in one plain pass.
    const std::uint64_t latest_registration = *std::max_element(s.block_at_registration.begin(), s.block_at_registration.end());
    for (std::size_t i = 0; i < n; ++i) {
        if (s.weights.indptr.empty() || forbid[i]) {
            weights.close_row();
            continue;
        }
        const std::uint64_t commit = s.commit_reveal ? s.commit_blocks[i] : 0;
        const std::size_t self = i == owner ? static_cast<std::size_t>(-1) : i;
        Entry* w = weights.begin_row(s.weights.indptr[i + 1] - s.weights.indptr[i]);
        if (last_update[i] > latest_registration && (!s.commit_reveal || commit >= latest_registration)) {
            const std::uint64_t first = s.weights.indptr[i], count = s.weights.indptr[i + 1] - first;
            if (Entry* end = math::whole_row_normalized(s.weights.indices.data() + first, s.weights.values.data() + first,
                                                        count, self, w)) {
                weights.end_row(end);
                continue;
            }
            std::uint64_t row_total = 0;  // u16 values: 64 bits cannot overflow
            for (std::uint64_t k = s.weights.indptr[i]; k < s.weights.indptr[i + 1]; ++k) {
                const std::uint16_t j = s.weights.indices[k], v = s.weights.values[k];
                const bool keep = j != self;
                *w = {j, math::u16_to_fixed(v)};
                row_total += keep ? v : 0;
                w += keep ? 1 : 0;
            }
            weights.end_row(w);
            // The row's I32F32 sum, wrapping as the chain's additions do.
            math::inplace_whole_row_normalize(weights[i], I32F32::from_bits(static_cast<std::int64_t>(row_total << 32)));
            continue;
        }
        for (std::uint64_t k = s.weights.indptr[i]; k < s.weights.indptr[i + 1]; ++k) {
            const std::uint16_t j = s.weights.indices[k];
            const std::uint64_t registered = s.block_at_registration[j];
            const bool drop = j == self || math::mask_applies(math::MaskOp::less_equal, last_update[i], registered) ||
                              (s.commit_reveal && math::mask_applies(math::MaskOp::less, commit, registered));
            *w = {j, math::u16_to_fixed(s.weights.values[k])};
            w += drop ? 0 : 1;
        }
        weights.end_row(w);
        math::inplace_row_normalize(weights[i]);
    }

    // 8. Consensus, clipping, validator trust.
    const I32F32 kappa = math::u16_proportion_to_fixed(s.kappa);
    const Vector consensus = math::weighted_median_col_sparse(active_stake, weights, n, kappa);
    // With the full bonds penalty (the default) the bonds take the clipped weights and nothing
    // reads the weights again: they are clipped where they are.
    const I32F32 penalty = math::u16_proportion_to_fixed(s.bonds_penalty);
    math::ClippedSums clip = penalty == I32F32::one()
                                 ? math::col_clip_sums_sparse(std::move(weights), consensus, active_stake)
                                 : math::col_clip_sums_sparse(weights, consensus, active_stake);
    const SparseMatrix& clipped = clip.clipped;
    const Vector& validator_trust = clip.row_sum;

    // 9. Incentive.
    // Yuma's bonds need the sums before normalisation.
    const Vector incentive_sums = s.yuma3 ? Vector() : clip.matmul;
    Vector incentive = std::move(clip.matmul);
    math::inplace_normalize(incentive);

    // 10. Weights for bonds.
    // interpolate_sparse returns W or Wc unchanged at the ends; refer to them instead of copying.
    SparseMatrix interpolated;
    if (!penalty.is_zero() && penalty != I32F32::one()) interpolated = math::interpolate_sparse(weights, clipped, n, penalty);
    const SparseMatrix& bond_weights = penalty.is_zero() ? weights : penalty == I32F32::one() ? clipped : interpolated;

    // 11. Bonds and dividends.
    const std::uint64_t last_tempo = s.last_mechanism_step_block == 0
                                         ? (s.current_block > s.tempo ? s.current_block - s.tempo : 0)
                                         : s.last_mechanism_step_block + 1;
    Vector dividends;
    SparseMatrix new_bonds;
    // Each source's rows go through one buffer, grown (and zeroed) only for a longer row.
    std::vector<Entry> delta_row, bonds_row;
    auto room = [](std::vector<Entry>& buffer, std::size_t entries) {
        if (buffer.size() < entries) buffer.resize(entries);
        return buffer.data();
    };
    // Row i of the stored bonds, loaded and masked when the moving average reaches it, rather
    // than all of them first (that matrix was about a fifth of a 256-uid epoch's working set): whole
    // numbers for Yuma, proportions for Yuma3.
    const bool masking = bonds_masking(last_tempo, latest_registration);
    const math::RowSource bonds_of = [&](std::size_t i) -> math::Row {
        if (s.bonds.indptr.empty()) return {};
        Entry* const first = room(bonds_row, s.bonds.indptr[i + 1] - s.bonds.indptr[i]);
        return {first, load_bonds_row(s.bonds, i, s.yuma3, masking, last_tempo, s.block_at_registration, first)};
    };
    if (!s.yuma3) {
        // The normalised deltas and bonds are divided row by row inside the moving average
        // (mat_ema_col_normalized_sparse); their column sums come first. With the full penalty
        // the bond weights are the clipped weights, and the deltas' column sums,
        // Σ_i floor(clipped_ij · stake_i) added with saturation in row order, are exactly the
        // incentive's sums from the clip pass (the same products; rows of zero stake add 0 to
        // both).
        const Vector delta_sum =
            penalty == I32F32::one() ? incentive_sums : math::row_hadamard_column_sums(bond_weights, active_stake, n);
        const Vector bonds_sum = whole_bonds_column_sums(s.bonds, n);
        const math::RowSource delta_of = [&](std::size_t i) -> math::Row {
            const math::ConstRow w = bond_weights[i];
            Entry* const first = room(delta_row, w.size());
            math::row_hadamard_row(w, active_stake[i], first);
            return {first, w.size()};
        };
        const I32F32 alpha = math::bonds_moving_average_alpha(s.bonds_moving_average);
        Vector col_sum;
        new_bonds = math::mat_ema_col_normalized_sparse(n, delta_of, delta_sum, bonds_of, bonds_sum, alpha, &col_sum,
                                                        bond_weights.nnz() + s.bonds.indices.size());
        Vector col_max;
        dividends = math::col_normalize_matmul_transpose_sparse(new_bonds, col_sum, incentive, col_max);
        math::inplace_normalize(dividends);
        math::inplace_col_max_upscale_sparse(new_bonds, col_max);
    } else {
        Vector total_bonds;
        const bool any_consensus = std::any_of(consensus.begin(), consensus.end(), [](I32F32 c) { return !c.is_zero(); });
        if (s.liquid_alpha && any_consensus) {
            const I32F32 low = math::u16_proportion_to_fixed(s.alpha_low);
            const I32F32 high = math::u16_proportion_to_fixed(s.alpha_high);
            const I32F32 steepness = I32F32::from_int(s.alpha_sigmoid_steepness);
            // α is needed only where a bond-weight entry exists; compute it there, with the
            // weight and bond values the chain's sorted merge walk would see, a whole row at a
            // time. In a row whose columns strictly increase the walk sees every entry: the
            // weights are the row's own values and the bonds the moving average's old values
            // (prev's row, by column), so the walk's dense rows are needed only otherwise. The
            // stored rows' order tells: the bond weights' rows and the loaded bonds keep only
            // entries of them.
            const std::vector<std::uint8_t> weights_increasing = increasing_rows(s.weights, n);
            const std::vector<std::uint8_t> bonds_increasing = increasing_rows(s.bonds, n);
            Vector w_seen(n, zero), b_seen(n, zero);
            Vector c_in, w_in, b_in;
            std::vector<std::uint16_t> touched;
            auto alpha_row = [&](std::size_t i, math::ConstRow row, math::ConstRow old_row, const I32F32* old_value,
                                 I32F32* alpha_out) {
                if (weights_increasing[i] != 0 && bonds_increasing[i] != 0) {
                    math::alpha_sigmoid_row(row, consensus.data(), old_value, low, high, steepness, alpha_out);
                    return;
                }
                for (std::uint16_t c : touched) { w_seen[c] = zero; b_seen[c] = zero; }
                touched.clear();
                walk_visible(row, w_seen, touched);
                walk_visible(old_row, b_seen, touched);
                if (c_in.size() < row.size()) {
                    c_in.resize(row.size());
                    w_in.resize(row.size());
                    b_in.resize(row.size());
                }
                for (std::size_t k = 0; k < row.size(); ++k) {
                    const std::uint16_t j = row[k].col;
                    c_in[k] = consensus[j];
                    w_in[k] = w_seen[j];
                    b_in[k] = b_seen[j];
                }
                math::alpha_sigmoid_many(c_in.data(), w_in.data(), b_in.data(), row.size(), low, high, steepness,
                                         alpha_out);
            };
            Vector col_sum;
            new_bonds =
                math::mat_ema_alpha_sparse(bond_weights, n, bonds_of, n, alpha_row, &col_sum, weights_increasing.data());
            total_bonds = math::col_normalized_row_dot(new_bonds, incentive, col_sum);
        } else {
            const I32F32 alpha = math::bonds_moving_average_alpha(s.bonds_moving_average);
            Vector col_sum;
            new_bonds =
                math::mat_ema_sparse(bond_weights, bonds_of, alpha, &col_sum, bond_weights.nnz() + s.bonds.indices.size());
            total_bonds = math::col_normalized_row_dot(new_bonds, incentive, col_sum);
        }
        dividends = math::vec_mul(total_bonds, active_stake);
        math::inplace_normalize(dividends);
    }

    // 12. Emission split.
    Vector combined(n);
    for (std::size_t i = 0; i < n; ++i) combined[i] = fixed::saturating_add(incentive[i], dividends[i]);
    const I32F32 combined_sum = math::sum(combined);
    Vector server_share = incentive, validator_share = dividends, combined_share = combined;
    math::inplace_normalize_using_sum(server_share, combined_sum);
    math::inplace_normalize_using_sum(validator_share, combined_sum);
    math::inplace_normalize(combined_share);
    if (combined_sum.is_zero()) {
        if (math::sum(active_stake).is_zero()) {
            validator_share = stake;
            combined_share = stake;
        } else {
            validator_share = active_stake;
            combined_share = active_stake;
        }
    }
    out.emission.resize(n);
    out.server_emission.resize(n);
    out.validator_emission.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.server_emission[i] = scale_emission(server_share[i], s.rao_emission);
        out.validator_emission[i] = scale_emission(validator_share[i], s.rao_emission);
        out.emission[i] = scale_emission(combined_share[i], s.rao_emission);
    }

    // 13. Quantised outputs and the bonds to store.
    to_u16(stake, out.stake_weight);
    to_u16(consensus, out.consensus);
    to_u16(incentive, out.incentive);
    to_u16(dividends, out.dividends);
    to_u16(validator_trust, out.validator_trust);
    // Only rows of permitted uids are stored.
    out.bonds.indptr.assign(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const bool kept = out.new_validator_permit[i] && i < new_bonds.size();
        out.bonds.indptr[i + 1] = out.bonds.indptr[i] + (kept ? new_bonds[i].size() : 0);
    }
    out.bonds.indices.resize(out.bonds.indptr[n]);
    out.bonds.values.resize(out.bonds.indptr[n]);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t k = out.bonds.indptr[i];
        if (k == out.bonds.indptr[i + 1]) continue;
        math::entries_to_u16(new_bonds[i], out.bonds.indices.data() + k, out.bonds.values.data() + k);
    }
}

std::vector<std::uint64_t> split_emissions(std::uint64_t emission, std::size_t count,
                                           const std::vector<std::uint16_t>& split) {
    if (count == 0) bad("mechanism_count", "must be at least 1");
    std::vector<std::uint64_t> shares;
    if (split.empty()) {
        shares.assign(count, emission / count);
    } else {
        for (std::uint16_t w : split)
            shares.push_back(static_cast<std::uint64_t>(static_cast<fixed::u128>(emission) * w / 65535));
        shares.resize(count, 0);
    }
    std::uint64_t given = 0;
    for (std::uint64_t v : shares) given += v;
    if (given < emission) shares[0] += emission - given;
    return shares;
}

MechanismsResult epoch_with_mechanisms(const SubnetState& state, const std::vector<MechanismInput>& mechanisms,
                                       const std::vector<std::uint16_t>& split) {
    if (mechanisms.empty()) bad("mechanisms", "at least one mechanism is needed");
    if (!split.empty() && split.size() > mechanisms.size())
        bad("emission_split", "has more entries than there are mechanisms");
    MechanismsResult result;
    result.emission_shares = split_emissions(state.rao_emission, mechanisms.size(), split);
    const std::size_t n = state.n;
    EpochResult& agg = result.subnet;
    agg.active.assign(n, false);
    agg.new_validator_permit.assign(n, false);
    agg.stake_weight.assign(n, 0);
    agg.consensus.assign(n, 0);
    agg.incentive.assign(n, 0);
    agg.dividends.assign(n, 0);
    agg.validator_trust.assign(n, 0);
    agg.emission.assign(n, 0);
    agg.server_emission.assign(n, 0);
    agg.validator_emission.assign(n, 0);
    for (std::size_t k = 0; k < mechanisms.size(); ++k) {
        SubnetState ms = state;
        ms.weights = mechanisms[k].weights;
        ms.bonds = mechanisms[k].bonds;
        ms.last_update = mechanisms[k].last_update;
        ms.rao_emission = result.emission_shares[k];
        result.mechanisms.push_back(epoch(ms));
        const EpochResult& r = result.mechanisms.back();
        // w_k = share_k / E (U64F64); with E == 0 mechanism 0 carries the whole weight.
        U64F64 w = U64F64::zero();
        if (state.rao_emission == 0) w = k == 0 ? U64F64::one() : U64F64::zero();
        else w = fixed::safe_div(U64F64::from_int(result.emission_shares[k]), U64F64::from_int(state.rao_emission));
        auto blend16 = [&](std::uint16_t existing, std::uint16_t added) {
            const U64F64 v = fixed::saturating_add(U64F64::from_int(existing), fixed::saturating_mul(U64F64::from_int(added), w));
            return fixed::saturating_to_uint<std::uint16_t>(v);
        };
        for (std::size_t i = 0; i < n; ++i) {
            agg.server_emission[i] += r.server_emission[i];
            agg.validator_emission[i] += r.validator_emission[i];
            agg.emission[i] = fixed::saturating_to_uint<std::uint64_t>(fixed::saturating_add(
                U64F64::from_int(agg.emission[i]), fixed::saturating_mul(U64F64::from_int(r.emission[i]), w)));
            agg.dividends[i] = blend16(agg.dividends[i], r.dividends[i]);
            agg.consensus[i] = blend16(agg.consensus[i], r.consensus[i]);
            agg.validator_trust[i] = blend16(agg.validator_trust[i], r.validator_trust[i]);
            agg.stake_weight[i] = blend16(agg.stake_weight[i], r.stake_weight[i]);
            agg.active[i] = agg.active[i] || r.active[i];
            agg.new_validator_permit[i] = agg.new_validator_permit[i] || r.new_validator_permit[i];
        }
    }
    // Incentive at subnet level is mechanism 0's vector.
    agg.incentive = result.mechanisms.front().incentive;
    agg.bonds.indptr.assign(n + 1, 0);
    return result;
}

}  // namespace taocore::consensus
