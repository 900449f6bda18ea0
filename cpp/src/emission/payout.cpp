// SPDX-License-Identifier: MIT
#include "taocore/emission/payout.hpp"

#include <string>

namespace taocore::emission {

using fixed::safe_div;
using fixed::saturating_add;
using fixed::saturating_mul;
using fixed::saturating_sub;
using fixed::saturating_to_uint;

namespace {

std::uint64_t floor_u64(U96F32 x) noexcept { return saturating_to_uint<std::uint64_t>(x); }

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) noexcept {
    std::uint64_t r = 0;
    return __builtin_add_overflow(a, b, &r) ? u64_max : r;
}

template <class T>
void check_len(const std::vector<T>& v, std::size_t n, const char* name, bool optional) {
    if (optional && v.empty()) return;
    if (v.size() != n)
        throw InvalidInput(std::string(name) + " has " + std::to_string(v.size()) + " entries, expected " +
                           std::to_string(n));
}

// Σ of each uid's proportions to its children, as U96F32 fractions.
std::vector<U96F32> child_prop_sums(const ChildLinks& links, std::size_t n) {
    std::vector<U96F32> s(n, U96F32::zero());
    for (std::size_t k = 0; k < links.parent.size(); ++k)
        s[links.parent[k]] = saturating_add(s[links.parent[k]], u64_fraction(links.proportion[k]));
    return s;
}

}  // namespace

void validate_links(const ChildLinks& links, std::size_t n) {
    if (links.indptr.empty()) {
        if (!links.parent.empty() || !links.proportion.empty())
            throw InvalidInput("children: parents given without indptr");
        return;
    }
    if (links.indptr.size() != n + 1)
        throw InvalidInput("children: indptr must have n + 1 = " + std::to_string(n + 1) + " entries");
    if (links.indptr.front() != 0) throw InvalidInput("children: indptr must start at 0");
    for (std::size_t i = 0; i < n; ++i)
        if (links.indptr[i + 1] < links.indptr[i]) throw InvalidInput("children: indptr must not decrease");
    if (links.indptr.back() != links.parent.size() || links.parent.size() != links.proportion.size())
        throw InvalidInput("children: indptr, parent and proportion lengths disagree");
    std::vector<u128> sums(n, 0);
    for (std::size_t c = 0; c < n; ++c) {
        for (std::uint64_t k = links.indptr[c]; k < links.indptr[c + 1]; ++k) {
            const std::uint16_t p = links.parent[k];
            if (p >= n) throw InvalidInput("children: parent uid " + std::to_string(p) + " is out of range");
            if (p == c) throw InvalidInput("children: uid " + std::to_string(c) + " is its own parent");
            sums[p] += links.proportion[k];
        }
    }
    for (std::size_t p = 0; p < n; ++p)
        if (sums[p] > u64_max)
            throw InvalidInput("children: the child proportions of uid " + std::to_string(p) + " sum to more than 1");
}

std::vector<std::uint64_t> inherited_stake(const std::vector<std::uint64_t>& own, const ChildLinks& links) {
    const std::size_t n = own.size();
    if (links.empty()) return own;
    const auto sums = child_prop_sums(links, n);
    std::vector<std::uint64_t> out(n);
    for (std::size_t c = 0; c < n; ++c) {
        const U96F32 mine = U96F32::from_int(own[c]);
        U96F32 v = saturating_sub(mine, saturating_mul(mine, sums[c]));
        for (std::uint64_t k = links.indptr[c]; k < links.indptr[c + 1]; ++k)
            v = saturating_add(v, saturating_mul(U96F32::from_int(own[links.parent[k]]),
                                                 u64_fraction(links.proportion[k])));
        out[c] = floor_u64(v);
    }
    return out;
}

std::vector<std::uint64_t> childkey_dividends(const PayoutInput& in) {
    const std::size_t n = in.validator_emission.size();
    if (in.links.empty()) return in.validator_emission;
    const auto sums = child_prop_sums(in.links, n);
    const U96F32 tw = tao_weight_fraction(in.tao_weight);
    const U96F32 burn_frac = u64_fraction(in.ck_burn);
    auto root_of = [&](std::size_t i) { return in.root_stake.empty() ? 0 : in.root_stake[i]; };
    std::vector<std::uint64_t> out(n, 0);
    for (std::size_t h = 0; h < n; ++h) {
        const std::uint64_t e_raw = in.validator_emission[h];
        if (e_raw == 0) continue;
        const U96F32 e = U96F32::from_int(e_raw);
        const std::uint64_t k0 = in.links.indptr[h], k1 = in.links.indptr[h + 1];
        if (k0 == k1) {
            out[h] = sat_add(out[h], e_raw);
            continue;
        }
        const U96F32 keep = saturating_sub(U96F32::one(), sums[h]);
        const U96F32 self_contrib = U96F32::from_int(floor_u64(saturating_add(
            saturating_mul(U96F32::from_int(in.alpha_stake[h]), keep),
            saturating_mul(saturating_mul(U96F32::from_int(root_of(h)), keep), tw))));
        U96F32 total = self_contrib;
        std::vector<U96F32> contrib(k1 - k0);
        for (std::uint64_t k = k0; k < k1; ++k) {
            const std::size_t p = in.links.parent[k];
            const U96F32 prop = u64_fraction(in.links.proportion[k]);
            contrib[k - k0] = saturating_add(saturating_mul(U96F32::from_int(in.alpha_stake[p]), prop),
                                             saturating_mul(saturating_mul(U96F32::from_int(root_of(p)), prop), tw));
            total = saturating_add(total, contrib[k - k0]);
        }
        const U96F32 child_take = u16_fraction(in.childkey_take.empty() ? 0 : in.childkey_take[h]);
        U96F32 remaining = e, takes = U96F32::zero();
        for (std::uint64_t k = k0; k < k1; ++k) {
            const std::size_t p = in.links.parent[k];
            U96F32 ep = saturating_mul(safe_div(contrib[k - k0], total), e);
            remaining = saturating_sub(remaining, ep);
            const bool same_owner = !in.coldkey.empty() && in.coldkey[p] == in.coldkey[h];
            if (!same_owner) {
                const U96F32 burn = saturating_mul(burn_frac, ep);
                const U96F32 take = saturating_mul(child_take, ep);
                ep = saturating_sub(ep, saturating_add(burn, take));
                takes = saturating_add(takes, take);
            }
            out[p] = sat_add(out[p], floor_u64(ep));
        }
        out[h] = sat_add(out[h], floor_u64(saturating_add(remaining, takes)));
    }
    return out;
}

Payout distribute_epoch(const PayoutInput& in) {
    const std::size_t n = in.server_emission.size();
    check_len(in.validator_emission, n, "validator_emission", false);
    check_len(in.alpha_stake, n, "alpha_stake", false);
    check_len(in.root_stake, n, "root_stake", true);
    check_len(in.take, n, "take", true);
    check_len(in.childkey_take, n, "childkey_take", true);
    check_len(in.coldkey, n, "coldkey", true);
    check_len(in.owner_hotkey, n, "owner_hotkey", true);
    validate_links(in.links, n);

    Payout out;
    out.incentive.assign(n, 0);
    out.take.assign(n, 0);
    out.nominator.assign(n, 0);
    out.root_take.assign(n, 0);
    out.root_nominator.assign(n, 0);
    out.input_total = static_cast<u128>(in.pending_server) + in.pending_validator + in.pending_root +
                      in.pending_owner_cut;

    u128 incentive_sum = 0;
    for (auto v : in.server_emission) incentive_sum += v;
    const U96F32 validator_alpha =
        incentive_sum != 0 ? U96F32::from_int(in.pending_validator)
                           : saturating_add(U96F32::from_int(in.pending_validator), U96F32::from_int(in.pending_server));
    const U96F32 root_alpha = U96F32::from_int(in.pending_root);

    // 1. owner cut, to the owner's hotkey.
    out.owner_cut = in.pending_owner_cut;
    u128 credited = out.owner_cut;

    // 2. incentives: withheld from owner hotkeys (burned or recycled), credited to the others.
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t v = in.server_emission[i];
        if (!in.owner_hotkey.empty() && in.owner_hotkey[i]) {
            (in.recycle_owner_incentive ? out.recycled : out.burned) += v;
        } else {
            out.incentive[i] = v;
        }
        credited += v;
    }

    // 3. dividend weights (after the childkey split), split into alpha and root parts by stake.
    out.dividend_weight = childkey_dividends(in);
    const U96F32 tw = tao_weight_fraction(in.tao_weight);
    std::vector<U96F32> alpha_div(n, U96F32::zero()), root_div(n, U96F32::zero());
    U96F32 alpha_total = U96F32::zero(), root_total = U96F32::zero();
    for (std::size_t i = 0; i < n; ++i) {
        if (out.dividend_weight[i] == 0) continue;
        const U96F32 d = U96F32::from_int(out.dividend_weight[i]);
        const U96F32 ra = saturating_mul(U96F32::from_int(in.root_stake.empty() ? 0 : in.root_stake[i]), tw);
        const U96F32 rp = fixed::checked_div(ra, saturating_add(U96F32::from_int(in.alpha_stake[i]), ra))
                              .value_or(U96F32::zero());
        root_div[i] = saturating_mul(d, rp);
        alpha_div[i] = saturating_sub(d, root_div[i]);
        alpha_total = saturating_add(alpha_total, alpha_div[i]);
        root_total = saturating_add(root_total, root_div[i]);
    }

    // 4. pay: take to the hotkey's owner, the rest to its nominators / root stakers.
    for (std::size_t i = 0; i < n; ++i) {
        if (out.dividend_weight[i] == 0) continue;
        const U96F32 take_frac = u16_fraction(in.take.empty() ? default_delegate_take : in.take[i]);
        const U96F32 a = saturating_mul(safe_div(alpha_div[i], alpha_total), validator_alpha);
        if (!a.is_zero()) {
            const U96F32 t = saturating_mul(take_frac, a);
            out.take[i] = floor_u64(t);
            out.nominator[i] = floor_u64(saturating_sub(a, t));
        }
        const U96F32 r = saturating_mul(safe_div(root_div[i], root_total), root_alpha);
        if (!r.is_zero()) {
            const U96F32 t = saturating_mul(take_frac, r);
            out.root_take[i] = floor_u64(t);
            const std::uint64_t rest = floor_u64(saturating_sub(r, t));
            const std::uint64_t rs = in.root_stake.empty() ? 0 : in.root_stake[i];
            if (rest > rs) out.root_take[i] = sat_add(out.root_take[i], rest);  // staked to the owner
            else out.root_nominator[i] = rest;
        }
        credited += static_cast<u128>(out.take[i]) + out.nominator[i] + out.root_take[i] + out.root_nominator[i];
    }
    out.credited_total = credited;
    return out;
}

}  // namespace taocore::emission
