// SPDX-License-Identifier: MIT
// taocore._core.emission: block emission, the coinbase formulas, epoch payouts and the network
// model. Fixed-point values cross as raw integer bits (Python ints); arrays as numpy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "taocore/emission/block_emission.hpp"
#include "taocore/emission/coinbase.hpp"
#include "taocore/emission/network.hpp"
#include "taocore/emission/payout.hpp"

namespace py = pybind11;
namespace em = taocore::emission;
using taocore::fixed::i128;
using taocore::fixed::u128;

namespace em_bind {

py::int_ int_of(u128 v) {
    py::int_ hi(static_cast<std::uint64_t>(v >> 64));
    py::int_ lo(static_cast<std::uint64_t>(v));
    return py::int_(hi.attr("__lshift__")(64).attr("__or__")(lo));
}
py::int_ int_of(i128 v) {
    if (v >= 0) return int_of(static_cast<u128>(v));
    return py::int_(int_of(static_cast<u128>(0) - static_cast<u128>(v)).attr("__neg__")());
}
u128 u128_of(const py::int_& x, const char* name) {
    if (x.attr("__lt__")(0).cast<bool>() || x.attr("bit_length")().cast<int>() > 128)
        throw py::value_error(std::string(name) + ": out of range for 128 bits");
    const auto lo = x.attr("__and__")(py::int_(~std::uint64_t{0})).cast<std::uint64_t>();
    const auto hi = x.attr("__rshift__")(64).cast<std::uint64_t>();
    return (static_cast<u128>(hi) << 64) | lo;
}

template <class T>
std::vector<T> vec_of(const py::handle& obj, const char* name) {
    if (obj.is_none()) return {};
    auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!arr || arr.ndim() != 1) throw py::value_error(std::string(name) + ": expected a 1-D array");
    std::vector<T> out(static_cast<std::size_t>(arr.shape(0)));
    if (!out.empty()) std::memcpy(out.data(), arr.data(), out.size() * sizeof(T));
    return out;
}
std::vector<bool> bools_of(const py::handle& obj, const char* name) {
    const auto raw = vec_of<std::uint8_t>(obj, name);
    return {raw.begin(), raw.end()};
}
template <class T>
py::array_t<T> array_of(const std::vector<T>& v) {
    py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
    if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
    return a;
}

em::ChildLinks links_of(const py::handle& indptr, const py::handle& parent, const py::handle& proportion) {
    em::ChildLinks l;
    l.indptr = vec_of<std::uint64_t>(indptr, "children indptr");
    l.parent = vec_of<std::uint16_t>(parent, "children parent");
    l.proportion = vec_of<std::uint64_t>(proportion, "children proportion");
    return l;
}

}  // namespace em_bind

using namespace em_bind;

namespace {

template <class T>
T get(const py::dict& d, const char* key, T fallback) {
    if (!d.contains(key) || d[key].is_none()) return fallback;
    return d[key].cast<T>();
}

taocore::consensus::SparseU16 sparse_of(const py::dict& d, const std::string& prefix) {
    taocore::consensus::SparseU16 m;
    m.indptr = vec_of<std::uint64_t>(d[(prefix + "_indptr").c_str()], "indptr");
    m.indices = vec_of<std::uint16_t>(d[(prefix + "_indices").c_str()], "indices");
    m.values = vec_of<std::uint16_t>(d[(prefix + "_values").c_str()], "values");
    return m;
}

// The consensus SubnetState fields (as taocore.consensus builds them) plus the network's own.
em::SubnetConfig config_of(const py::dict& d) {
    em::SubnetConfig c;
    auto& s = c.epoch;
    s.n = get<std::uint16_t>(d, "n", 0);
    s.current_block = get<std::uint64_t>(d, "current_block", 0);
    s.tempo = get<std::uint16_t>(d, "tempo", s.tempo);
    s.activity_cutoff_blocks = get<std::uint64_t>(d, "activity_cutoff_blocks", s.activity_cutoff_blocks);
    s.last_update = vec_of<std::uint64_t>(d["last_update"], "last_update");
    s.block_at_registration = vec_of<std::uint64_t>(d["block_at_registration"], "block_at_registration");
    s.stake_threshold = get<std::uint64_t>(d, "stake_threshold", 0);
    if (d.contains("owner_uid") && !d["owner_uid"].is_none()) s.owner_uid = d["owner_uid"].cast<std::uint16_t>();
    s.validator_permit = bools_of(d["validator_permit"], "validator_permit");
    s.max_allowed_validators = get<std::uint16_t>(d, "max_allowed_validators", s.max_allowed_validators);
    s.weights = sparse_of(d, "weights");
    s.bonds = sparse_of(d, "bonds");
    s.kappa = get<std::uint16_t>(d, "kappa", s.kappa);
    s.bonds_penalty = get<std::uint16_t>(d, "bonds_penalty", s.bonds_penalty);
    s.bonds_moving_average = get<std::uint64_t>(d, "bonds_moving_average", s.bonds_moving_average);
    s.yuma3 = get<bool>(d, "yuma3", false);
    s.liquid_alpha = get<bool>(d, "liquid_alpha", false);
    s.alpha_low = get<std::uint16_t>(d, "alpha_low", s.alpha_low);
    s.alpha_high = get<std::uint16_t>(d, "alpha_high", s.alpha_high);
    s.alpha_sigmoid_steepness = get<std::int16_t>(d, "alpha_sigmoid_steepness", s.alpha_sigmoid_steepness);
    s.last_mechanism_step_block = get<std::uint64_t>(d, "last_mechanism_step_block", 0);
    s.commit_reveal = get<bool>(d, "commit_reveal", false);
    if (d.contains("commit_blocks")) s.commit_blocks = vec_of<std::uint64_t>(d["commit_blocks"], "commit_blocks");

    c.netuid = get<std::uint16_t>(d, "netuid", 1);
    c.hotkey = vec_of<std::uint64_t>(d["hotkey_ids"], "hotkeys");
    c.coldkey = vec_of<std::uint64_t>(d["coldkey_ids"], "coldkeys");
    c.alpha_stake = vec_of<std::uint64_t>(d["alpha_stake"], "alpha_stake");
    c.root_stake = vec_of<std::uint64_t>(d["root_stake"], "root_stake");
    c.take = vec_of<std::uint16_t>(d["take"], "take");
    c.childkey_take = vec_of<std::uint16_t>(d["childkey_take"], "childkey_take");
    c.links = links_of(d["children_indptr"], d["children_parent"], d["children_proportion"]);
    c.nominator_uid = vec_of<std::uint16_t>(d["nominator_uid"], "nominators");
    c.nominator_coldkey = vec_of<std::uint64_t>(d["nominator_coldkey"], "nominators");
    c.nominator_alpha = vec_of<std::uint64_t>(d["nominator_alpha"], "nominators");
    c.owner_coldkey = get<std::uint64_t>(d, "owner_coldkey_id", 0);
    if (d.contains("owner_hotkey_uid") && !d["owner_hotkey_uid"].is_none())
        c.owner_hotkey_uid = d["owner_hotkey_uid"].cast<std::uint16_t>();
    c.owner_cut = get<std::uint16_t>(d, "owner_cut", c.owner_cut);
    c.owner_cut_enabled = get<bool>(d, "owner_cut_enabled", true);
    c.emission_enabled = get<bool>(d, "emission_enabled", true);
    c.recycle_owner_incentive = get<bool>(d, "recycle_owner_incentive", false);
    c.ck_burn = get<std::uint64_t>(d, "ck_burn", 0);
    c.tao_reserve = get<std::uint64_t>(d, "tao_reserve", 0);
    c.alpha_in = get<std::uint64_t>(d, "alpha_in", 0);
    c.alpha_out = get<std::uint64_t>(d, "alpha_out", 0);
    c.moving_price = em::I96F32::from_bits(static_cast<i128>(u128_of(d["moving_price_bits"].cast<py::int_>(), "moving_price")));
    c.moving_alpha = em::I96F32::from_bits(static_cast<i128>(u128_of(d["moving_alpha_bits"].cast<py::int_>(), "moving_alpha")));
    c.halving_blocks = get<std::uint64_t>(d, "halving_blocks", c.halving_blocks);
    c.first_emission_block = get<std::uint64_t>(d, "first_emission_block", 0);
    if (d.contains("last_epoch_block") && !d["last_epoch_block"].is_none())
        c.last_epoch_block = d["last_epoch_block"].cast<std::uint64_t>();
    c.refresh_weights = get<bool>(d, "refresh_weights", true);
    return c;
}

py::array_t<std::uint64_t> view_of(const py::object& owner, const std::vector<std::uint64_t>& v) {
    py::array_t<std::uint64_t> a({static_cast<py::ssize_t>(v.size())}, {static_cast<py::ssize_t>(sizeof(std::uint64_t))},
                                 v.data(), owner);
    a.attr("setflags")(py::arg("write") = false);
    return a;
}

void bind_network(py::module_& m) {
    py::class_<em::Network>(m, "Network", py::metaclass(reinterpret_cast<PyObject*>(&PyType_Type)))
        .def(py::init([](std::uint64_t block, std::uint64_t total_issuance, std::uint64_t root_tao,
                         std::uint64_t tao_weight, std::uint32_t max_epochs_per_block, bool record_history) {
                 em::NetworkConfig c;
                 c.block = block;
                 c.total_issuance = total_issuance;
                 c.root_tao = root_tao;
                 c.tao_weight = tao_weight;
                 c.max_epochs_per_block = max_epochs_per_block;
                 c.record_history = record_history;
                 return std::make_unique<em::Network>(c);
             }),
             py::arg("block"), py::arg("total_issuance"), py::arg("root_tao"), py::arg("tao_weight"),
             py::arg("max_epochs_per_block"), py::arg("record_history"))
        .def("add_subnet", [](em::Network& net, const py::dict& d) { net.add_subnet(config_of(d)); }, py::arg("config"))
        .def("step", [](em::Network& net, std::uint64_t blocks, bool check) {
                 std::vector<std::uint16_t> ran;
                 py::gil_scoped_release release;
                 for (std::uint64_t k = 0; k < blocks; ++k) {
                     auto r = net.step();
                     ran.insert(ran.end(), r.begin(), r.end());
                     if (check) net.check();
                 }
                 return ran;
             }, py::arg("blocks"), py::arg("check"))
        .def("check", [](const em::Network& net) {
                 try {
                     net.check();
                 } catch (const std::logic_error& e) {
                     throw py::value_error(e.what());
                 }
             })
        .def_property_readonly("block", &em::Network::block)
        .def_property_readonly("total_issuance", &em::Network::total_issuance)
        .def_property_readonly("minted_tao", [](const em::Network& n) { return int_of(n.minted_tao()); })
        .def_property_readonly("recycled_tao", [](const em::Network& n) { return int_of(n.recycled_tao()); })
        .def("netuids", &em::Network::netuids)
        .def("stake_of", &em::Network::stake_of, py::arg("netuid"), py::arg("uid"), py::arg("coldkey"))
        .def("nominations", [](const em::Network& net, std::uint16_t netuid, std::uint16_t uid) {
                 const auto& s = net.subnet(netuid);
                 if (uid >= s.stake.size()) throw em::InvalidInput("uid " + std::to_string(uid) + " is out of range");
                 std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
                 for (const auto& x : s.noms[uid]) out.emplace_back(x.coldkey, net.stake_of(netuid, uid, x.coldkey));
                 return out;
             }, py::arg("netuid"), py::arg("uid"))
        .def("view", [](const py::object& self, std::uint16_t netuid, const std::string& name) {
                 const auto& s = self.cast<const em::Network&>().subnet(netuid);
                 if (name == "stake") return view_of(self, s.stake);
                 if (name == "root_stake") return view_of(self, s.cfg.root_stake);
                 if (name == "root_claimable") return view_of(self, s.root_claimable);
                 if (name == "hotkey") return view_of(self, s.cfg.hotkey);
                 if (name == "coldkey") return view_of(self, s.cfg.coldkey);
                 throw em::InvalidInput("no per-uid array named " + name);
             }, py::arg("netuid"), py::arg("name"))
        .def("info", [](const em::Network& net, std::uint16_t netuid) {
                 const auto& s = net.subnet(netuid);
                 py::dict d;
                 d["tao_reserve"] = s.tao_reserve;
                 d["alpha_in"] = s.alpha_in;
                 d["alpha_out"] = s.alpha_out;
                 d["moving_price_bits"] = int_of(static_cast<u128>(s.moving_price.bits));
                 d["root_proportion_bits"] = int_of(s.root_prop.bits);
                 d["miner_burned_bits"] = int_of(s.miner_burned.bits);
                 d["pending_server"] = s.pending_server;
                 d["pending_validator"] = s.pending_validator;
                 d["pending_root"] = s.pending_root;
                 d["pending_owner_cut"] = s.pending_owner_cut;
                 d["owner_stake"] = s.owner_stake;
                 d["protocol_alpha"] = s.protocol_alpha;
                 d["last_epoch_block"] = s.last_epoch_block;
                 d["pending_epoch_at"] = s.pending_epoch_at;
                 d["blocks_since_last_step"] = s.blocks_since_last_step;
                 d["epoch_index"] = s.epoch_index;
                 d["epochs_run"] = s.epochs_run;
                 d["epochs_deferred"] = s.epochs_deferred;
                 d["tempo"] = s.cfg.epoch.tempo;
                 d["initial_alpha_out_free"] = s.initial_alpha_out_free;
                 d["minted_alpha_in"] = int_of(s.minted_alpha_in);
                 d["minted_alpha_out"] = int_of(s.minted_alpha_out);
                 d["swapped_alpha"] = int_of(s.swapped_alpha);
                 d["recycled_alpha"] = int_of(s.recycled_alpha);
                 d["burned_alpha"] = int_of(s.burned_alpha);
                 d["uncredited_alpha"] = int_of(s.uncredited_alpha);
                 d["tao_injected"] = int_of(s.tao_in_total);
                 return d;
             }, py::arg("netuid"))
        .def("hotkey_history", [](const em::Network& net) {
                 const auto& h = net.hotkey_rows();
                 py::dict d;
                 d["block"] = array_of(h.block);
                 d["netuid"] = array_of(h.netuid);
                 d["uid"] = array_of(h.uid);
                 d["hotkey"] = array_of(h.hotkey);
                 d["coldkey"] = array_of(h.coldkey);
                 d["incentive"] = array_of(h.incentive);
                 d["take"] = array_of(h.take);
                 d["nominator"] = array_of(h.nominator);
                 d["root_take"] = array_of(h.root_take);
                 d["root_nominator"] = array_of(h.root_nominator);
                 return d;
             })
        .def("coldkey_history", [](const em::Network& net) {
                 const auto& h = net.coldkey_rows();
                 py::dict d;
                 d["block"] = array_of(h.block);
                 d["netuid"] = array_of(h.netuid);
                 d["coldkey"] = array_of(h.coldkey);
                 d["hotkey"] = array_of(h.hotkey);
                 d["amount"] = array_of(h.amount);
                 return d;
             })
        .def("clear_history", &em::Network::clear_history);
}

}  // namespace

void bind_emission(py::module_& m) {
    py::register_local_exception<em::InvalidInput>(m, "InvalidInput", PyExc_ValueError);
    py::register_local_exception<taocore::consensus::InvalidState>(m, "InvalidState", PyExc_ValueError);

    m.def("block_emission", &taocore::emission::block_emission, py::arg("issuance"),
          "Rao per block at this issuance, bit-exact with subtensor's halving schedule.");

    m.def(
        "root_proportion",
        [](std::uint64_t root_tao, std::uint64_t tao_weight, std::uint64_t alpha_issuance) {
            return int_of(em::root_proportion(root_tao, tao_weight, alpha_issuance).bits);
        },
        py::arg("root_tao"), py::arg("tao_weight"), py::arg("alpha_issuance"));

    m.def(
        "participant_split",
        [](std::uint64_t alpha_emission, std::uint16_t owner_cut, const py::int_& root_prop_bits, bool root_sell,
           bool owner_cut_enabled) {
            const auto s = em::participant_split(alpha_emission, owner_cut,
                                                 em::U96F32::from_bits(u128_of(root_prop_bits, "root_proportion")),
                                                 root_sell, owner_cut_enabled);
            return py::make_tuple(s.alpha_out, s.owner_cut, s.server, s.validator, s.root, s.recycled);
        },
        py::arg("alpha_emission"), py::arg("owner_cut"), py::arg("root_proportion_bits"), py::arg("root_sell"),
        py::arg("owner_cut_enabled"));

    m.def(
        "subnet_shares",
        [](const std::vector<py::int_>& moving_price_bits, const std::vector<py::int_>& miner_burned_bits,
           const std::vector<bool>& enabled) {
            std::vector<em::I96F32> mp;
            for (const auto& b : moving_price_bits)
                mp.push_back(em::I96F32::from_bits(static_cast<i128>(u128_of(b, "moving_prices"))));
            std::vector<em::U64F64> mb;
            for (const auto& b : miner_burned_bits) mb.push_back(em::U64F64::from_bits(u128_of(b, "miner_burned")));
            std::vector<py::int_> out;
            for (const auto& s : em::subnet_shares(mp, mb, enabled)) out.push_back(int_of(s.bits));
            return out;
        },
        py::arg("moving_price_bits"), py::arg("miner_burned_bits"), py::arg("enabled"));

    m.def(
        "tao_emission_for_share",
        [](std::uint64_t block_emission, const py::int_& share_bits) {
            return int_of(em::tao_emission_for_share(block_emission,
                                                     em::U64F64::from_bits(u128_of(share_bits, "share")))
                              .bits);
        },
        py::arg("block_emission"), py::arg("share_bits"));

    m.def(
        "pool_price", [](std::uint64_t t, std::uint64_t a) { return int_of(em::pool_price(t, a).bits); },
        py::arg("tao_reserve"), py::arg("alpha_reserve"));

    m.def(
        "subnet_terms",
        [](const py::int_& tao_em_bits, const py::int_& price_bits, std::uint64_t alpha_emission,
           const py::int_& root_prop_bits) {
            const auto t = em::subnet_terms(em::U96F32::from_bits(u128_of(tao_em_bits, "tao_emission")),
                                            em::U96F32::from_bits(u128_of(price_bits, "price")), alpha_emission,
                                            em::U96F32::from_bits(u128_of(root_prop_bits, "root_proportion")));
            return py::make_tuple(int_of(t.tao_in.bits), int_of(t.alpha_in.bits), int_of(t.excess_tao.bits));
        },
        py::arg("tao_emission_bits"), py::arg("price_bits"), py::arg("alpha_emission"), py::arg("root_proportion_bits"));

    m.def("swap_tao_for_alpha", &em::swap_tao_for_alpha, py::arg("tao_reserve"), py::arg("alpha_reserve"),
          py::arg("tao"));

    m.def(
        "update_moving_price",
        [](const py::int_& old_bits, const py::int_& price_bits, const py::int_& alpha_bits, std::uint64_t block,
           std::uint64_t first_emission_block, std::uint64_t halving_blocks) {
            const auto r = em::update_moving_price(
                em::I96F32::from_bits(static_cast<i128>(u128_of(old_bits, "moving_price"))),
                em::U96F32::from_bits(u128_of(price_bits, "price")),
                em::I96F32::from_bits(static_cast<i128>(u128_of(alpha_bits, "moving_alpha"))), block,
                first_emission_block, halving_blocks);
            return int_of(r.bits);
        },
        py::arg("old_bits"), py::arg("price_bits"), py::arg("moving_alpha_bits"), py::arg("block"),
        py::arg("first_emission_block"), py::arg("halving_blocks"));

    m.def("blocks_until_next_auto_epoch", &em::blocks_until_next_auto_epoch, py::arg("last_epoch_block"),
          py::arg("tempo"), py::arg("block"));

    m.def(
        "inherited_stake",
        [](const py::handle& own, const py::handle& indptr, const py::handle& parent, const py::handle& proportion) {
            const auto o = vec_of<std::uint64_t>(own, "stake");
            const auto l = links_of(indptr, parent, proportion);
            em::validate_links(l, o.size());
            return array_of(em::inherited_stake(o, l));
        },
        py::arg("own"), py::arg("indptr"), py::arg("parent"), py::arg("proportion"));

    m.def(
        "distribute_epoch",
        [](const py::dict& d) {
            em::PayoutInput in;
            in.pending_server = d["pending_server"].cast<std::uint64_t>();
            in.pending_validator = d["pending_validator"].cast<std::uint64_t>();
            in.pending_root = d["pending_root"].cast<std::uint64_t>();
            in.pending_owner_cut = d["pending_owner_cut"].cast<std::uint64_t>();
            in.server_emission = vec_of<std::uint64_t>(d["server_emission"], "server_emission");
            in.validator_emission = vec_of<std::uint64_t>(d["validator_emission"], "validator_emission");
            in.alpha_stake = vec_of<std::uint64_t>(d["alpha_stake"], "alpha_stake");
            in.root_stake = vec_of<std::uint64_t>(d["root_stake"], "root_stake");
            in.take = vec_of<std::uint16_t>(d["take"], "take");
            in.childkey_take = vec_of<std::uint16_t>(d["childkey_take"], "childkey_take");
            in.coldkey = vec_of<std::uint64_t>(d["coldkey"], "coldkey");
            in.owner_hotkey = bools_of(d["owner_hotkey"], "owner_hotkey");
            in.links = links_of(d["children_indptr"], d["children_parent"], d["children_proportion"]);
            in.tao_weight = d["tao_weight"].cast<std::uint64_t>();
            in.ck_burn = d["ck_burn"].cast<std::uint64_t>();
            in.recycle_owner_incentive = d["recycle_owner_incentive"].cast<bool>();
            em::Payout p;
            {
                py::gil_scoped_release release;
                p = em::distribute_epoch(in);
            }
            py::dict r;
            r["incentive"] = array_of(p.incentive);
            r["take"] = array_of(p.take);
            r["nominator"] = array_of(p.nominator);
            r["root_take"] = array_of(p.root_take);
            r["root_nominator"] = array_of(p.root_nominator);
            r["dividend_weight"] = array_of(p.dividend_weight);
            r["owner_cut"] = p.owner_cut;
            r["burned"] = p.burned;
            r["recycled"] = p.recycled;
            r["input_total"] = int_of(p.input_total);
            r["uncredited"] = int_of(p.uncredited());
            return r;
        },
        py::arg("inputs"));


    bind_network(m);
}
