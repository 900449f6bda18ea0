// SPDX-License-Identifier: MIT
#include "taocore/emission/network.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "taocore/emission/block_emission.hpp"

namespace taocore::emission {

namespace {

constexpr int share_scale = 32;  // initial shares = rao << 32, so later credits stay precise

std::string sn(std::uint16_t netuid) { return "subnet " + std::to_string(netuid) + ": "; }

// a * b / d, floored, for d > 0 (256-bit intermediate); saturates at u128 max.
u128 mul_div(u128 a, u128 b, u128 d) {
    const auto q = fixed::detail::div_wide(fixed::detail::mul_wide(a, b), d);
    return q ? *q : ~static_cast<u128>(0);
}

std::uint64_t add_sat(std::uint64_t a, std::uint64_t b) {
    std::uint64_t r = 0;
    return __builtin_add_overflow(a, b, &r) ? u64_max : r;
}

template <class T>
void need_len(const std::vector<T>& v, std::size_t n, const std::string& what) {
    if (v.size() != n)
        throw InvalidInput(what + " has " + std::to_string(v.size()) + " entries, expected " + std::to_string(n));
}

}  // namespace

Network::Network(const NetworkConfig& cfg)
    : cfg_(cfg), block_(cfg.block), issuance_(cfg.total_issuance), initial_issuance_(cfg.total_issuance) {
    if (cfg.total_issuance > total_supply_rao) throw InvalidInput("total_issuance exceeds the total supply");
    if (cfg.max_epochs_per_block == 0) throw InvalidInput("max_epochs_per_block must be at least 1");
}

void Network::add_subnet(SubnetConfig cfg) {
    const std::uint16_t netuid = cfg.netuid;
    if (netuid == 0) throw InvalidInput("netuid 0 is the root subnet and cannot be added");
    if (subnets_.count(netuid)) throw InvalidInput("netuid " + std::to_string(netuid) + " already exists");
    const std::size_t n = cfg.epoch.n;
    if (n == 0) throw InvalidInput(sn(netuid) + "n must be at least 1");
    need_len(cfg.hotkey, n, sn(netuid) + "hotkeys");
    need_len(cfg.coldkey, n, sn(netuid) + "coldkeys");
    need_len(cfg.alpha_stake, n, sn(netuid) + "alpha_stake");
    if (cfg.root_stake.empty()) cfg.root_stake.assign(n, 0);
    need_len(cfg.root_stake, n, sn(netuid) + "root_stake");
    if (cfg.take.empty()) cfg.take.assign(n, default_delegate_take);
    need_len(cfg.take, n, sn(netuid) + "take");
    if (cfg.childkey_take.empty()) cfg.childkey_take.assign(n, 0);
    need_len(cfg.childkey_take, n, sn(netuid) + "childkey_take");
    try {
        validate_links(cfg.links, n);
    } catch (const InvalidInput& e) {
        throw InvalidInput(sn(netuid) + e.what());
    }
    if (cfg.owner_hotkey_uid && *cfg.owner_hotkey_uid >= n)
        throw InvalidInput(sn(netuid) + "owner_hotkey uid is out of range");
    need_len(cfg.nominator_coldkey, cfg.nominator_uid.size(), sn(netuid) + "nominator coldkeys");
    need_len(cfg.nominator_alpha, cfg.nominator_uid.size(), sn(netuid) + "nominator amounts");
    cfg.epoch.alpha_stake.assign(n, 0);
    cfg.epoch.tao_stake.assign(n, 0);
    try {
        consensus::validate(cfg.epoch);
    } catch (const std::invalid_argument& e) {
        throw InvalidInput(sn(netuid) + e.what());
    }

    auto s = std::make_unique<Subnet>();
    s->stake.assign(n, 0);
    s->noms.assign(n, {});
    s->total_shares.assign(n, 0);
    s->root_claimable.assign(n, 0);
    u128 held = 0;
    s->cfg = std::move(cfg);
    Subnet& r = *s;
    for (std::size_t i = 0; i < n; ++i) {
        r.noms[i].push_back({r.cfg.coldkey[i], 0});
        credit(r, static_cast<std::uint16_t>(i), r.cfg.coldkey[i], r.cfg.alpha_stake[i]);
        held += r.cfg.alpha_stake[i];
    }
    for (std::size_t k = 0; k < r.cfg.nominator_uid.size(); ++k) {
        if (r.cfg.nominator_uid[k] >= n) throw InvalidInput(sn(netuid) + "nominator uid is out of range");
        credit(r, r.cfg.nominator_uid[k], r.cfg.nominator_coldkey[k], r.cfg.nominator_alpha[k]);
        held += r.cfg.nominator_alpha[k];
    }
    if (held > r.cfg.alpha_out)
        throw InvalidInput(sn(netuid) + "alpha_out (" + std::to_string(r.cfg.alpha_out) +
                           ") is less than the alpha staked on its hotkeys");
    if (static_cast<u128>(r.cfg.alpha_in) + r.cfg.alpha_out > total_supply_rao)
        throw InvalidInput(sn(netuid) + "alpha_in + alpha_out exceeds the total supply");
    r.tao_reserve = r.initial_tao_reserve = r.cfg.tao_reserve;
    r.alpha_in = r.initial_alpha_in = r.cfg.alpha_in;
    r.alpha_out = r.cfg.alpha_out;
    r.initial_alpha_out_free = r.cfg.alpha_out - static_cast<std::uint64_t>(held);
    r.moving_price = r.cfg.moving_price;
    const std::uint16_t tempo = r.cfg.epoch.tempo;
    r.last_epoch_block = r.cfg.last_epoch_block ? *r.cfg.last_epoch_block
                                                : (tempo == 0 ? block_ : block_ - std::min<std::uint64_t>(block_, netuid % tempo));
    r.last_mechanism_step_block = r.cfg.epoch.last_mechanism_step_block;
    subnets_.emplace(netuid, std::move(s));
}

Subnet& Network::subnet(std::uint16_t netuid) {
    auto it = subnets_.find(netuid);
    if (it == subnets_.end()) throw InvalidInput("unknown netuid " + std::to_string(netuid));
    return *it->second;
}
const Subnet& Network::subnet(std::uint16_t netuid) const {
    auto it = subnets_.find(netuid);
    if (it == subnets_.end()) throw InvalidInput("unknown netuid " + std::to_string(netuid));
    return *it->second;
}

std::vector<std::uint16_t> Network::netuids() const {
    std::vector<std::uint16_t> out;
    for (const auto& kv : subnets_) out.push_back(kv.first);
    return out;
}

void Network::credit(Subnet& s, std::uint16_t uid, std::uint64_t coldkey, std::uint64_t amount) {
    if (amount == 0) return;
    const std::uint64_t t = s.stake[uid];
    const u128 total = s.total_shares[uid];
    const u128 add = (total == 0 || t == 0) ? (static_cast<u128>(amount) << share_scale) : mul_div(amount, total, t);
    auto& list = s.noms[uid];
    auto it = std::find_if(list.begin(), list.end(), [&](const Nomination& x) { return x.coldkey == coldkey; });
    if (it == list.end()) list.push_back({coldkey, add});
    else it->shares += add;
    s.total_shares[uid] = total + add;
    s.stake[uid] = add_sat(t, amount);
}

std::uint64_t Network::stake_of(std::uint16_t netuid, std::uint16_t uid, std::uint64_t coldkey) const {
    const Subnet& s = subnet(netuid);
    if (uid >= s.stake.size()) throw InvalidInput("uid " + std::to_string(uid) + " is out of range");
    if (s.total_shares[uid] == 0) return 0;
    for (const auto& x : s.noms[uid])
        if (x.coldkey == coldkey) return static_cast<std::uint64_t>(mul_div(s.stake[uid], x.shares, s.total_shares[uid]));
    return 0;
}

void Network::clear_history() {
    hk_rows_ = {};
    ck_rows_ = {};
}

std::vector<std::uint16_t> Network::step() {
    const std::uint64_t b = ++block_;
    const std::uint64_t em = block_emission(issuance_);
    const std::uint64_t mint = std::min(em, total_supply_rao - std::min(issuance_, total_supply_rao));
    minted_tao_ += mint;

    // run_coinbase: shares over the subnets that emit, then each subnet's terms and split.
    std::vector<Subnet*> to_emit;
    for (auto& kv : subnets_)
        if (kv.second->cfg.first_emission_block <= b) to_emit.push_back(kv.second.get());
    std::vector<I96F32> prices(to_emit.size());
    std::vector<U64F64> burned(to_emit.size());
    std::vector<bool> enabled(to_emit.size());
    for (std::size_t k = 0; k < to_emit.size(); ++k) {
        prices[k] = to_emit[k]->moving_price;
        burned[k] = to_emit[k]->miner_burned;
        enabled[k] = to_emit[k]->cfg.emission_enabled;
    }
    const auto shares = subnet_shares(prices, burned, enabled);
    const bool root_sell = root_sell_flag(prices);
    u128 credited = 0;
    for (std::size_t k = 0; k < to_emit.size(); ++k) {
        Subnet& s = *to_emit[k];
        const std::uint64_t issuance = s.alpha_in + s.alpha_out;
        const std::uint64_t alpha_em = block_emission(issuance);
        const U96F32 tao_em = tao_emission_for_share(mint, shares[k]);
        const U96F32 price = pool_price(s.tao_reserve, s.alpha_in);
        s.root_prop = root_proportion(cfg_.root_tao, cfg_.tao_weight, issuance);
        const SubnetTerms t = subnet_terms(tao_em, price, alpha_em, s.root_prop);
        const std::uint64_t tao_in = fixed::saturating_to_uint<std::uint64_t>(t.tao_in);
        const std::uint64_t alpha_inj = fixed::saturating_to_uint<std::uint64_t>(t.alpha_in);
        const std::uint64_t excess = fixed::saturating_to_uint<std::uint64_t>(t.excess_tao);
        s.tao_reserve += tao_in;
        s.alpha_in += alpha_inj;
        s.minted_alpha_in += alpha_inj;
        const std::uint64_t bought = swap_tao_for_alpha(s.tao_reserve, s.alpha_in, excess);
        s.tao_reserve += excess;
        s.alpha_in -= bought;
        s.alpha_out += bought;
        s.protocol_alpha += bought;
        s.swapped_alpha += bought;
        s.tao_in_total += static_cast<u128>(tao_in) + excess;
        credited += static_cast<u128>(tao_in) + excess;

        const ParticipantSplit p = participant_split(alpha_em, s.cfg.owner_cut, s.root_prop, root_sell,
                                                     s.cfg.owner_cut_enabled);
        s.alpha_out += p.alpha_out - p.recycled;
        s.minted_alpha_out += p.alpha_out;
        s.recycled_alpha += p.recycled;
        s.pending_owner_cut += p.owner_cut;
        s.pending_server += p.server;
        s.pending_validator += p.validator;
        s.pending_root += p.root;
        s.uncredited_alpha += p.uncredited();
    }
    recycled_tao_ += static_cast<u128>(mint) - credited;
    issuance_ += static_cast<std::uint64_t>(credited);

    // drain_pending: the epoch schedule with MaxEpochsPerBlock deferral.
    std::vector<std::uint16_t> ran;
    std::uint32_t run_now = 0;
    for (auto& kv : subnets_) {
        Subnet& s = *kv.second;
        s.blocks_since_last_step += 1;
        if (!should_run_epoch(s.cfg.epoch.tempo, s.last_epoch_block, s.pending_epoch_at, s.blocks_since_last_step, b))
            continue;
        if (run_now >= cfg_.max_epochs_per_block) {
            s.pending_epoch_at = b + 1;
            s.epochs_deferred += 1;
            continue;
        }
        s.blocks_since_last_step = 0;
        distribute(s);
        s.last_mechanism_step_block = b;
        s.last_epoch_block = b;
        s.pending_epoch_at = 0;
        s.epoch_index += 1;
        s.epochs_run += 1;
        ++run_now;
        ran.push_back(kv.first);
    }

    // Moving prices, after they were used.
    for (Subnet* s : to_emit)
        s->moving_price = update_moving_price(s->moving_price, pool_price(s->tao_reserve, s->alpha_in),
                                              s->cfg.moving_alpha, b, s->cfg.first_emission_block,
                                              s->cfg.halving_blocks);
    return ran;
}

void Network::distribute(Subnet& s) {
    const std::uint64_t b = block_;
    PayoutInput in;
    in.pending_server = s.pending_server;
    in.pending_validator = s.pending_validator;
    in.pending_root = s.pending_root;
    in.pending_owner_cut = s.pending_owner_cut;
    s.pending_server = s.pending_validator = s.pending_root = s.pending_owner_cut = 0;
    const std::uint64_t total = add_sat(add_sat(in.pending_server, in.pending_validator), in.pending_root);

    consensus::SubnetState& st = s.cfg.epoch;
    const std::size_t n = st.n;
    st.alpha_stake = inherited_stake(s.stake, s.cfg.links);
    st.tao_stake = inherited_stake(s.cfg.root_stake, s.cfg.links);
    st.tao_weight = cfg_.tao_weight;
    st.current_block = b;
    st.rao_emission = total;
    st.last_mechanism_step_block = s.last_mechanism_step_block;
    if (s.cfg.refresh_weights && st.weights.indptr.size() == n + 1) {
        st.last_update.resize(n, 0);
        for (std::size_t i = 0; i < n; ++i)
            if (st.weights.indptr[i + 1] > st.weights.indptr[i]) st.last_update[i] = b;
    }
    consensus::EpochResult r = consensus::epoch(st);
    st.bonds = std::move(r.bonds);
    st.validator_permit = r.new_validator_permit;

    in.server_emission = std::move(r.server_emission);
    in.validator_emission = std::move(r.validator_emission);
    in.alpha_stake = s.stake;
    in.root_stake = s.cfg.root_stake;
    in.take = s.cfg.take;
    in.childkey_take = s.cfg.childkey_take;
    in.coldkey = s.cfg.coldkey;
    in.owner_hotkey.assign(n, false);
    for (std::size_t i = 0; i < n; ++i)
        in.owner_hotkey[i] = s.cfg.coldkey[i] == s.cfg.owner_coldkey ||
                             (s.cfg.owner_hotkey_uid && *s.cfg.owner_hotkey_uid == i);
    in.links = s.cfg.links;
    in.tao_weight = cfg_.tao_weight;
    in.ck_burn = s.cfg.ck_burn;
    in.recycle_owner_incentive = s.cfg.recycle_owner_incentive;
    const Payout p = distribute_epoch(in);

    const bool hist = cfg_.record_history;
    const auto netuid = s.cfg.netuid;
    auto ck_row = [&](std::uint64_t coldkey, std::uint64_t hotkey, std::uint64_t amount) {
        if (!hist || amount == 0) return;
        ck_rows_.block.push_back(b);
        ck_rows_.netuid.push_back(netuid);
        ck_rows_.coldkey.push_back(coldkey);
        ck_rows_.hotkey.push_back(hotkey);
        ck_rows_.amount.push_back(amount);
    };

    if (p.owner_cut) {
        if (s.cfg.owner_hotkey_uid) {
            credit(s, *s.cfg.owner_hotkey_uid, s.cfg.owner_coldkey, p.owner_cut);
            ck_row(s.cfg.owner_coldkey, s.cfg.hotkey[*s.cfg.owner_hotkey_uid], p.owner_cut);
        } else {
            s.owner_stake += p.owner_cut;
            ck_row(s.cfg.owner_coldkey, u64_max, p.owner_cut);
        }
    }
    u128 incentive_sum = 0;
    for (auto v : in.server_emission) incentive_sum += v;
    for (std::size_t i = 0; i < n; ++i) {
        const auto uid = static_cast<std::uint16_t>(i);
        const std::uint64_t ck = s.cfg.coldkey[i], hk = s.cfg.hotkey[i];
        const std::uint64_t owner_part = add_sat(add_sat(p.incentive[i], p.take[i]), p.root_take[i]);
        credit(s, uid, ck, p.incentive[i]);
        credit(s, uid, ck, p.take[i]);
        credit(s, uid, ck, p.root_take[i]);
        if (p.nominator[i]) {
            if (hist) {
                // Pro-rata split for the history, floored (the pool keeps the exact value).
                for (const auto& x : s.noms[i]) {
                    const auto part = static_cast<std::uint64_t>(mul_div(p.nominator[i], x.shares, s.total_shares[i]));
                    if (x.coldkey == ck) ck_row(ck, hk, add_sat(owner_part, part));
                    else ck_row(x.coldkey, hk, part);
                }
            }
            s.stake[i] = add_sat(s.stake[i], p.nominator[i]);
        } else {
            ck_row(ck, hk, owner_part);
        }
        s.root_claimable[i] = add_sat(s.root_claimable[i], p.root_nominator[i]);
        if (hist && (p.incentive[i] | p.take[i] | p.nominator[i] | p.root_take[i] | p.root_nominator[i])) {
            hk_rows_.block.push_back(b);
            hk_rows_.netuid.push_back(netuid);
            hk_rows_.uid.push_back(uid);
            hk_rows_.hotkey.push_back(hk);
            hk_rows_.coldkey.push_back(ck);
            hk_rows_.incentive.push_back(p.incentive[i]);
            hk_rows_.take.push_back(p.take[i]);
            hk_rows_.nominator.push_back(p.nominator[i]);
            hk_rows_.root_take.push_back(p.root_take[i]);
            hk_rows_.root_nominator.push_back(p.root_nominator[i]);
        }
    }
    s.burned_alpha += p.burned;
    s.recycled_alpha += p.recycled;
    s.alpha_out -= std::min(s.alpha_out, p.recycled);
    s.uncredited_alpha += p.uncredited();
    const U64F64 withheld = U64F64::from_int(p.burned + p.recycled);
    s.miner_burned = incentive_sum == 0
                         ? U64F64::zero()
                         : fixed::checked_div(withheld, fixed::saturating_convert<U64F64>(
                                                            U96F32::from_bits(incentive_sum << 32)))
                               .value_or(U64F64::zero());
}

void Network::check() const {
    auto fail = [](const std::string& what) { throw std::logic_error("accounting: " + what); };
    i128 pool_gain = 0;
    for (const auto& kv : subnets_) {
        const Subnet& s = *kv.second;
        const std::string where = sn(kv.first);
        pool_gain += static_cast<i128>(s.tao_reserve) - static_cast<i128>(s.initial_tao_reserve);
        if (static_cast<i128>(s.tao_reserve) - s.initial_tao_reserve != static_cast<i128>(s.tao_in_total))
            fail(where + "TAO reserve != initial + TAO injected");
        const i128 issuance = static_cast<i128>(s.alpha_in) + s.alpha_out;
        const i128 expect_issuance = static_cast<i128>(s.initial_alpha_in) + s.cfg.alpha_out +
                                     static_cast<i128>(s.minted_alpha_in) + static_cast<i128>(s.minted_alpha_out) -
                                     static_cast<i128>(s.recycled_alpha);
        if (issuance != expect_issuance) fail(where + "alpha issuance != initial + minted - recycled");
        if (static_cast<i128>(s.alpha_in) != static_cast<i128>(s.initial_alpha_in) +
                                                  static_cast<i128>(s.minted_alpha_in) -
                                                  static_cast<i128>(s.swapped_alpha))
            fail(where + "alpha_in != initial + injected - swapped out");
        i128 held = static_cast<i128>(s.initial_alpha_out_free) + s.owner_stake + s.protocol_alpha +
                    s.pending_server + s.pending_validator + s.pending_root + s.pending_owner_cut +
                    static_cast<i128>(s.burned_alpha) + s.uncredited_alpha;
        for (std::size_t i = 0; i < s.stake.size(); ++i) {
            held += static_cast<i128>(s.stake[i]) + s.root_claimable[i];
            u128 shares = 0;
            for (const auto& x : s.noms[i]) shares += x.shares;
            if (shares != s.total_shares[i]) fail(where + "share pool of uid " + std::to_string(i));
        }
        if (held != static_cast<i128>(s.alpha_out))
            fail(where + "alpha_out != stakes + pending + claimable + owner + protocol + burned + uncredited");
    }
    if (pool_gain != static_cast<i128>(issuance_) - static_cast<i128>(initial_issuance_))
        fail("TAO issuance growth != TAO added to the pools");
    if (minted_tao_ != static_cast<u128>(issuance_ - initial_issuance_) + recycled_tao_)
        fail("TAO minted != credited + recycled");
    if (issuance_ > total_supply_rao) fail("TAO issuance exceeds the supply");
}

}  // namespace taocore::emission
