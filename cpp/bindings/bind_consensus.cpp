// SPDX-License-Identifier: MIT
// taocore._core.consensus: the chain-exact epoch (dicts of numpy arrays in and out) and, for the
// tests that replay subtensor's math assertions, the I32F32 helpers on raw bits.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "taocore/consensus/epoch.hpp"
#include "taocore/consensus/math.hpp"

namespace py = pybind11;
using taocore::consensus::EpochResult;
using taocore::consensus::MechanismInput;
using taocore::consensus::SparseU16;
using taocore::consensus::SubnetState;
namespace math = taocore::consensus::math;
using taocore::fixed::I32F32;

namespace {

// The dict key for a string literal, made (and hashed) once: PyDict_GetItemString builds and
// hashes a new str on every lookup, and the state dicts are read field by field, and the result
// dicts filled, on every epoch call. Keyed by the literal's address; the GIL guards the table,
// whose strings live as long as the process (never released, so never after finalisation).
PyObject* key_of(const char* literal) {
    static auto* const keys = new std::unordered_map<const char*, PyObject*>();
    auto it = keys->find(literal);
    if (it == keys->end()) {
        PyObject* key = PyUnicode_InternFromString(literal);
        if (key == nullptr) throw py::error_already_set();
        it = keys->emplace(literal, key).first;
    }
    return it->second;
}

// The value under `key` (a string literal), or null.
py::handle item_of(const py::dict& d, const char* key) { return PyDict_GetItem(d.ptr(), key_of(key)); }

// The 1-D array under `key` copied into `out` (emptied when the key is absent). Assigned, not
// rebuilt: the epoch binding refills one per-thread state on every call, so a second call reuses
// the vectors' room instead of allocating (and faulting in) the weights and bonds again.
template <class T, class Out>
void fill_from(const py::dict& d, const char* key, Out& out) {
    const py::handle value = item_of(d, key);
    if (!value) {
        out.clear();
        return;
    }
    auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(value);
    if (!arr) throw py::value_error(std::string(key) + ": expected a 1-D array");
    if (arr.ndim() != 1) throw py::value_error(std::string(key) + ": expected a 1-D array");
    // Copied from the range: sizing the vector first would also zero it (an epoch's weights and
    // bonds are most of its input).
    const T* const data = arr.data();
    out.assign(data, data + arr.shape(0));
}

template <class T>
std::vector<T> vec_of(const py::dict& d, const char* key) {
    std::vector<T> out;
    fill_from<T>(d, key, out);
    return out;
}

template <class T>
T scalar_of(const py::dict& d, const char* key, T fallback) {
    const py::handle value = item_of(d, key);
    return value ? value.cast<T>() : fallback;
}

// The CSR arrays of the weights or the bonds (literal keys: item_of).
void fill_sparse(const py::dict& d, bool weights, SparseU16& m) {
    fill_from<std::uint64_t>(d, weights ? "weights_indptr" : "bonds_indptr", m.indptr);
    fill_from<std::uint16_t>(d, weights ? "weights_indices" : "bonds_indices", m.indices);
    fill_from<std::uint16_t>(d, weights ? "weights_values" : "bonds_values", m.values);
}

SparseU16 sparse_of(const py::dict& d, bool weights) {
    SparseU16 m;
    fill_sparse(d, weights, m);
    return m;
}

// Every field of `s` from the dict (absent fields take SubnetState's defaults).
void fill_state(const py::dict& d, SubnetState& s) {
    const SubnetState defaults;
    s.n = scalar_of<std::uint16_t>(d, "n", 0);
    s.current_block = scalar_of<std::uint64_t>(d, "current_block", 0);
    s.tempo = scalar_of<std::uint16_t>(d, "tempo", defaults.tempo);
    s.activity_cutoff_blocks = scalar_of<std::uint64_t>(d, "activity_cutoff_blocks", defaults.activity_cutoff_blocks);
    fill_from<std::uint64_t>(d, "last_update", s.last_update);
    fill_from<std::uint64_t>(d, "block_at_registration", s.block_at_registration);
    fill_from<std::uint64_t>(d, "alpha_stake", s.alpha_stake);
    fill_from<std::uint64_t>(d, "tao_stake", s.tao_stake);
    s.tao_weight = scalar_of<std::uint64_t>(d, "tao_weight", 0);
    s.stake_threshold = scalar_of<std::uint64_t>(d, "stake_threshold", 0);
    s.owner_uid.reset();
    if (const py::handle owner = item_of(d, "owner_uid"); owner && !owner.is_none()) s.owner_uid = owner.cast<std::uint16_t>();
    fill_from<std::uint8_t>(d, "validator_permit", s.validator_permit);
    s.max_allowed_validators = scalar_of<std::uint16_t>(d, "max_allowed_validators", defaults.max_allowed_validators);
    fill_sparse(d, true, s.weights);
    fill_sparse(d, false, s.bonds);
    s.kappa = scalar_of<std::uint16_t>(d, "kappa", defaults.kappa);
    s.bonds_penalty = scalar_of<std::uint16_t>(d, "bonds_penalty", defaults.bonds_penalty);
    s.bonds_moving_average = scalar_of<std::uint64_t>(d, "bonds_moving_average", defaults.bonds_moving_average);
    s.yuma3 = scalar_of<bool>(d, "yuma3", false);
    s.liquid_alpha = scalar_of<bool>(d, "liquid_alpha", false);
    s.alpha_low = scalar_of<std::uint16_t>(d, "alpha_low", defaults.alpha_low);
    s.alpha_high = scalar_of<std::uint16_t>(d, "alpha_high", defaults.alpha_high);
    s.alpha_sigmoid_steepness = scalar_of<std::int16_t>(d, "alpha_sigmoid_steepness", defaults.alpha_sigmoid_steepness);
    s.last_mechanism_step_block = scalar_of<std::uint64_t>(d, "last_mechanism_step_block", 0);
    s.commit_reveal = scalar_of<bool>(d, "commit_reveal", false);
    fill_from<std::uint64_t>(d, "commit_blocks", s.commit_blocks);
    s.rao_emission = scalar_of<std::uint64_t>(d, "rao_emission", 0);
}

template <class T>
py::array_t<T> array_of(const std::vector<T>& v) {
    py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
    if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
    return a;
}

py::array_t<bool> bool_array(const std::vector<bool>& v) {
    py::array_t<bool> a(static_cast<py::ssize_t>(v.size()));
    auto* p = a.mutable_data();
    for (std::size_t i = 0; i < v.size(); ++i) p[i] = v[i];
    return a;
}

void set_item(py::dict& d, const char* key, const py::handle value) {
    if (PyDict_SetItem(d.ptr(), key_of(key), value.ptr()) != 0) throw py::error_already_set();
}

py::dict result_dict(const EpochResult& r) {
    py::dict d;
    set_item(d, "active", bool_array(r.active));
    set_item(d, "stake_weight", array_of(r.stake_weight));
    set_item(d, "consensus", array_of(r.consensus));
    set_item(d, "incentive", array_of(r.incentive));
    set_item(d, "dividends", array_of(r.dividends));
    set_item(d, "validator_trust", array_of(r.validator_trust));
    set_item(d, "emission", array_of(r.emission));
    set_item(d, "server_emission", array_of(r.server_emission));
    set_item(d, "validator_emission", array_of(r.validator_emission));
    set_item(d, "new_validator_permit", bool_array(r.new_validator_permit));
    set_item(d, "bonds_indptr", array_of(r.bonds.indptr));
    set_item(d, "bonds_indices", array_of(r.bonds.indices));
    set_item(d, "bonds_values", array_of(r.bonds.values));
    return d;
}

// ---- raw-bits helpers for the math replay --------------------------------------------------------

using BitsVector = std::vector<std::int64_t>;
using BitsSparse = std::vector<std::vector<std::pair<std::uint16_t, std::int64_t>>>;

math::Vector vin(const BitsVector& v) {
    math::Vector out;
    out.reserve(v.size());
    for (std::int64_t b : v) out.push_back(I32F32::from_bits(b));
    return out;
}
BitsVector vout(const math::Vector& v) {
    BitsVector out;
    out.reserve(v.size());
    for (I32F32 x : v) out.push_back(x.bits);
    return out;
}
math::SparseMatrix sparse_in(const BitsSparse& m) {
    math::SparseMatrix out;
    for (const auto& row : m) {
        for (const auto& [c, b] : row) out.push({c, I32F32::from_bits(b)});
        out.close_row();
    }
    return out;
}
BitsSparse sparse_out(const math::SparseMatrix& m) {
    BitsSparse out(m.size());
    for (std::size_t i = 0; i < m.size(); ++i)
        for (const auto& e : m[i]) out[i].emplace_back(e.col, e.value.bits);
    return out;
}
math::MaskOp mask_op(const std::string& op) {
    if (op == "==") return math::MaskOp::equal;
    if (op == "<") return math::MaskOp::less;
    if (op == "<=") return math::MaskOp::less_equal;
    throw py::value_error("op must be '==', '<' or '<='");
}

void bind_math(py::module_& m) {
    using I = std::int64_t;
    auto bits = [](I b) { return I32F32::from_bits(b); };
    m.def("fixed_proportion_to_u16", [=](I x) { return math::fixed_proportion_to_u16(bits(x)); }, py::arg("x"));
    m.def("u16_proportion_to_fixed", [](std::uint16_t x) { return math::u16_proportion_to_fixed(x).bits; }, py::arg("x"));
    m.def("vec_max_upscale_to_u16", [](const BitsVector& v) { return math::vec_max_upscale_to_u16(vin(v)); }, py::arg("v"));
    m.def("vec_u16_max_upscale_to_u16", &math::vec_u16_max_upscale_to_u16, py::arg("v"));
    m.def("check_vec_max_limited", &math::check_vec_max_limited, py::arg("v"), py::arg("max_limit"));
    m.def("bonds_moving_average_alpha", [](std::uint64_t b) { return math::bonds_moving_average_alpha(b).bits; },
          py::arg("bonds_moving_average"));
    m.def(
        "u64_share",
        [](std::uint64_t num, std::uint64_t den) {
            using taocore::fixed::I64F64;
            const I64F64 share = taocore::fixed::safe_div(I64F64::from_int(num), I64F64::from_int(den));
            const I32F32 narrow = taocore::fixed::saturating_convert<I32F32>(share);
            // I64F64 bits are 128-bit: hand them over as high and low halves joined in Python.
            const auto raw = static_cast<taocore::fixed::u128>(share.bits);
            const py::int_ hi(static_cast<std::uint64_t>(raw >> 64)), lo(static_cast<std::uint64_t>(raw));
            py::object wide = hi.attr("__lshift__")(64).attr("__or__")(lo);
            return py::make_tuple(wide, narrow.bits);
        },
        py::arg("num"), py::arg("den"));
    m.def("exp_safe", [=](I x) { return math::exp_safe(bits(x)).bits; }, py::arg("x"));
    m.def("exp_safe_many", [](const BitsVector& x) {
        const math::Vector in = vin(x);
        math::Vector out(in.size());
        math::exp_safe_many(in.data(), in.size(), out.data());
        return vout(out);
    }, py::arg("x"));
    m.def("alpha_sigmoid_many",
          [](const BitsVector& c, const BitsVector& w, const BitsVector& b, I lo, I hi, I st) {
              if (c.size() != w.size() || c.size() != b.size()) throw py::value_error("lengths differ");
              const math::Vector cv = vin(c), wv = vin(w), bv = vin(b);
              math::Vector out(c.size());
              math::alpha_sigmoid_many(cv.data(), wv.data(), bv.data(), c.size(), I32F32::from_bits(lo),
                                       I32F32::from_bits(hi), I32F32::from_bits(st), out.data());
              return vout(out);
          },
          py::arg("consensus"), py::arg("weight"), py::arg("bond"), py::arg("alpha_low"), py::arg("alpha_high"),
          py::arg("steepness"));
    m.def("sigmoid_safe", [=](I x, I rho, I kappa) { return math::sigmoid_safe(bits(x), bits(rho), bits(kappa)).bits; },
          py::arg("x"), py::arg("rho"), py::arg("kappa"));
    m.def("alpha_sigmoid",
          [=](I c, I w, I b, I lo, I hi, I st) {
              return math::alpha_sigmoid(bits(c), bits(w), bits(b), bits(lo), bits(hi), bits(st)).bits;
          },
          py::arg("consensus"), py::arg("weight"), py::arg("bond"), py::arg("alpha_low"), py::arg("alpha_high"),
          py::arg("steepness"));
    m.def("is_topk", [](const BitsVector& v, std::size_t k) { return math::is_topk(vin(v), k); }, py::arg("v"), py::arg("k"));
    m.def("is_topk_nonzero", [](const BitsVector& v, std::size_t k) { return math::is_topk_nonzero(vin(v), k); },
          py::arg("v"), py::arg("k"));
    m.def("normalize", [](const BitsVector& v) { auto x = vin(v); math::inplace_normalize(x); return vout(x); }, py::arg("v"));
    m.def("vecdiv", [](const BitsVector& x, const BitsVector& y) { return vout(math::vecdiv(vin(x), vin(y))); },
          py::arg("x"), py::arg("y"));
    m.def("row_normalize_sparse", [](const BitsSparse& s) { auto x = sparse_in(s); math::inplace_row_normalize_sparse(x); return sparse_out(x); },
          py::arg("m"));
    m.def("col_normalize_sparse",
          [](const BitsSparse& s, std::size_t c) { auto x = sparse_in(s); math::inplace_col_normalize_sparse(x, c); return sparse_out(x); },
          py::arg("m"), py::arg("columns"));
    m.def("col_max_upscale_sparse",
          [](const BitsSparse& s, std::size_t c) { auto x = sparse_in(s); math::inplace_col_max_upscale_sparse(x, c); return sparse_out(x); },
          py::arg("m"), py::arg("columns"));
    m.def("mask_rows_sparse", [](const std::vector<bool>& mask, const BitsSparse& s) { return sparse_out(math::mask_rows_sparse(mask, sparse_in(s))); },
          py::arg("mask"), py::arg("m"));
    m.def("mask_diag_sparse", [](const BitsSparse& s) { return sparse_out(math::mask_diag_sparse(sparse_in(s))); }, py::arg("m"));
    m.def("mask_diag_sparse_except_index",
          [](const BitsSparse& s, std::size_t k) { return sparse_out(math::mask_diag_sparse_except_index(sparse_in(s), k)); },
          py::arg("m"), py::arg("except_index"));
    m.def("vec_mask_sparse_matrix",
          [](const BitsSparse& s, const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b, const std::string& op) {
              return sparse_out(math::vec_mask_sparse_matrix(sparse_in(s), a, b, mask_op(op)));
          },
          py::arg("m"), py::arg("first"), py::arg("second"), py::arg("op"));
    m.def("matmul_sparse",
          [](const BitsSparse& s, const BitsVector& v, std::size_t c) { return vout(math::matmul_sparse(sparse_in(s), vin(v), c)); },
          py::arg("m"), py::arg("v"), py::arg("columns"));
    m.def("matmul_transpose_sparse",
          [](const BitsSparse& s, const BitsVector& v) { return vout(math::matmul_transpose_sparse(sparse_in(s), vin(v))); },
          py::arg("m"), py::arg("v"));
    m.def("col_normalized_row_dot",
          [](const BitsSparse& s, const BitsVector& v, std::size_t c) {
              return vout(math::col_normalized_row_dot(sparse_in(s), vin(v), c));
          },
          py::arg("m"), py::arg("v"), py::arg("columns"));
    m.def("col_normalize_matmul_transpose_sparse",
          [](const BitsSparse& s, const BitsVector& col_sum, const BitsVector& v) {
              auto x = sparse_in(s);
              math::Vector col_max;
              const math::Vector dot = math::col_normalize_matmul_transpose_sparse(x, vin(col_sum), vin(v), col_max);
              return py::make_tuple(sparse_out(x), vout(dot), vout(col_max));
          },
          py::arg("m"), py::arg("col_sum"), py::arg("v"));
    m.def("row_hadamard_sparse",
          [](const BitsSparse& s, const BitsVector& v) { return sparse_out(math::row_hadamard_sparse(sparse_in(s), vin(v))); },
          py::arg("m"), py::arg("v"));
    m.def("col_clip_sparse",
          [](const BitsSparse& s, const BitsVector& v) { return sparse_out(math::col_clip_sparse(sparse_in(s), vin(v))); },
          py::arg("m"), py::arg("threshold"));
    m.def("interpolate_sparse",
          [=](const BitsSparse& a, const BitsSparse& b, std::size_t c, I r) {
              return sparse_out(math::interpolate_sparse(sparse_in(a), sparse_in(b), c, bits(r)));
          },
          py::arg("m1"), py::arg("m2"), py::arg("columns"), py::arg("ratio"));
    m.def("mat_ema_sparse",
          [=](const BitsSparse& a, const BitsSparse& b, I alpha) { return sparse_out(math::mat_ema_sparse(sparse_in(a), sparse_in(b), bits(alpha))); },
          py::arg("new"), py::arg("old"), py::arg("alpha"));
    m.def("mat_ema_alpha_sparse",
          [](const BitsSparse& a, const BitsSparse& b, const std::vector<BitsVector>& alpha) {
              const std::size_t columns = alpha.empty() ? 0 : alpha.front().size();
              for (const auto& row : alpha)
                  if (row.size() != columns) throw py::value_error("alpha rows must have equal lengths");
              if (alpha.size() != a.size()) return a;
              const math::SparseMatrix old = sparse_in(b);
              return sparse_out(math::mat_ema_alpha_sparse(
                  sparse_in(a), old.size(), [&](std::size_t i) { return old[i]; }, columns,
                  [&](std::size_t i, math::ConstRow row, math::ConstRow, const I32F32*, I32F32* out) {
                      for (std::size_t k = 0; k < row.size(); ++k)
                          if (row[k].col < columns) out[k] = I32F32::from_bits(alpha[i][row[k].col]);
                  }));
          },
          py::arg("new"), py::arg("old"), py::arg("alpha"));
    m.def("mat_ema_alpha_dense",
          [](const std::vector<BitsVector>& a, const std::vector<BitsVector>& b, const std::vector<BitsVector>& alpha) {
              std::vector<math::Vector> x, y, z;
              for (const auto& r : a) x.push_back(vin(r));
              for (const auto& r : b) y.push_back(vin(r));
              for (const auto& r : alpha) z.push_back(vin(r));
              std::vector<BitsVector> out;
              for (const auto& r : math::mat_ema_alpha_dense(x, y, z)) out.push_back(vout(r));
              return out;
          },
          py::arg("new"), py::arg("old"), py::arg("alpha"));
    m.def("weighted_median",
          [=](const BitsVector& stake, const BitsVector& score, I minority, I lo, I hi) {
              return math::weighted_median(vin(stake), vin(score), bits(minority), bits(lo), bits(hi)).bits;
          },
          py::arg("stake"), py::arg("score"), py::arg("minority"), py::arg("lo"), py::arg("hi"));
    m.def("weighted_median_col_sparse",
          [=](const BitsVector& stake, const BitsSparse& s, std::size_t c, I majority) {
              return vout(math::weighted_median_col_sparse(vin(stake), sparse_in(s), c, bits(majority)));
          },
          py::arg("stake"), py::arg("m"), py::arg("columns"), py::arg("majority"));
}

}  // namespace

void bind_consensus(py::module_& m) {
    m.def(
        "epoch",
        [](const py::dict& fields) {
            // Per thread, refilled every call: the input copies and the result reuse the
            // previous call's vectors (see fill_from and consensus::epoch_into).
            thread_local SubnetState s;
            thread_local EpochResult r;
            fill_state(fields, s);
            {
                py::gil_scoped_release release;
                taocore::consensus::epoch_into(s, r);
            }
            return result_dict(r);
        },
        py::arg("state"), "One chain-exact epoch of one mechanism; dict of numpy arrays in and out.");
    m.def(
        "epoch_with_mechanisms",
        [](const py::dict& fields, const py::list& mechanisms, const std::vector<std::uint16_t>& split) {
            SubnetState s;
            fill_state(fields, s);
            std::vector<MechanismInput> inputs;
            for (const auto& item : mechanisms) {
                const py::dict d = item.cast<py::dict>();
                inputs.push_back({sparse_of(d, true), sparse_of(d, false), vec_of<std::uint64_t>(d, "last_update")});
            }
            taocore::consensus::MechanismsResult r;
            {
                py::gil_scoped_release release;
                r = taocore::consensus::epoch_with_mechanisms(s, inputs, split);
            }
            py::dict out = result_dict(r.subnet);
            py::list per;
            for (const auto& e : r.mechanisms) per.append(result_dict(e));
            out["mechanisms"] = per;
            out["emission_shares"] = array_of(r.emission_shares);
            return out;
        },
        py::arg("state"), py::arg("mechanisms"), py::arg("split"),
        "Split the emission over mechanisms, run each, aggregate as the chain does.");
    m.def("split_emissions", &taocore::consensus::split_emissions, py::arg("emission"), py::arg("count"),
          py::arg("split"), "The chain's split of a subnet's emission over its mechanisms.");
    bind_math(m);
}
