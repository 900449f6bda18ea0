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

void bind_emission(py::module_& m) {
    py::register_local_exception<em::InvalidInput>(m, "InvalidInput", PyExc_ValueError);

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

}
