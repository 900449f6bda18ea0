// SPDX-License-Identifier: MIT
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <optional>
#include <string>

#include "casters.hpp"
#include "taocore/crypto/hash.hpp"
#include "taocore/crypto/ss58.hpp"

namespace py = pybind11;
using namespace taocore;
using taocore::bindings::backend_arg;
using taocore::bindings::byte_view;
using taocore::bindings::gil_release_threshold;
using taocore::bindings::to_bytes;

namespace {

template <class Hasher>
py::bytes hash_with(Hasher& h, const byte_view& data) {
    if (data.size() >= gil_release_threshold) {
        py::gil_scoped_release release;
        h.update(data.span());
    } else {
        h.update(data.span());
    }
    const auto digest = h.finalize();
    return to_bytes(digest.data(), digest.size());
}

}  // namespace

void bind_crypto(py::module_& m) {
    using opt_backend = std::optional<std::string>;
    m.def(
        "sha512",
        [](const py::handle& data, const opt_backend& backend) {
            byte_view v(data);
            crypto::sha512_hasher h(backend_arg(backend));
            return hash_with(h, v);
        },
        py::arg("data"), py::kw_only(), py::arg("backend") = py::none());
    m.def(
        "sha3_256",
        [](const py::handle& data, const opt_backend& backend) {
            byte_view v(data);
            crypto::sha3_256_hasher h(backend_arg(backend));
            return hash_with(h, v);
        },
        py::arg("data"), py::kw_only(), py::arg("backend") = py::none());
    m.def(
        "blake2b",
        [](const py::handle& data, long long digest_size, const py::handle& key, const opt_backend& backend) {
            // A signed size, so a negative one is a ValueError from the one check below.
            if (digest_size < 1 || digest_size > 64)
                throw py::value_error("digest_size must be between 1 and 64, got " + std::to_string(digest_size));
            byte_view v(data), k(key);
            crypto::blake2b_hasher h(static_cast<std::size_t>(digest_size), k.span(), backend_arg(backend));
            if (v.size() >= gil_release_threshold) {
                py::gil_scoped_release release;
                h.update(v.span());
            } else {
                h.update(v.span());
            }
            std::array<std::uint8_t, crypto::blake2b_max_digest_size> out;
            h.finalize(out.data());
            return to_bytes(out.data(), h.digest_size());
        },
        py::arg("data"), py::arg("digest_size") = 64, py::arg("key") = py::bytes(), py::kw_only(),
        py::arg("backend") = py::none());
    m.def(
        "keccak_f1600",
        [](const py::handle& state, const opt_backend& backend) {
            byte_view v(state);
            if (v.size() != 200) throw py::value_error("state must be 200 bytes, got " + std::to_string(v.size()));
            std::uint64_t lanes[crypto::keccak_state_lanes];
            std::memcpy(lanes, v.span().data(), sizeof lanes);
            crypto::keccak_f1600(lanes, backend_arg(backend));
            return to_bytes(reinterpret_cast<const std::uint8_t*>(lanes), sizeof lanes);
        },
        py::arg("state"), py::kw_only(), py::arg("backend") = py::none());
    m.def(
        "ss58_encode",
        [](const py::handle& account_id, std::uint32_t ss58_format) {
            byte_view v(account_id);
            return crypto::ss58_encode(v.span(), ss58_format);
        },
        py::arg("account_id"), py::arg("ss58_format") = crypto::ss58_bittensor_format);
    m.def(
        "ss58_decode",
        [](std::string_view address, std::optional<std::uint32_t> valid_ss58_format) {
            const auto decoded = crypto::ss58_decode(address, valid_ss58_format);
            return py::make_tuple(to_bytes(decoded.account_id.data(), decoded.account_id.size()),
                                  decoded.format);
        },
        py::arg("address"), py::arg("valid_ss58_format") = py::none());
}
