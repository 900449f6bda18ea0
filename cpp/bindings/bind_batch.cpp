// SPDX-License-Identifier: MIT
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <deque>
#include <string>
#include <vector>

#include "casters.hpp"
#include "taocore/crypto/batch.hpp"

namespace py = pybind11;
using namespace taocore;
using taocore::bindings::byte_view;

namespace {

crypto::signature_scheme scheme_arg(const std::string& name) {
    if (name == "sr25519") return crypto::signature_scheme::sr25519;
    if (name == "ed25519") return crypto::signature_scheme::ed25519;
    throw std::invalid_argument("crypto_type must be 'sr25519' or 'ed25519', got '" + name + "'");
}

// Buffer views of every item, held (with the GIL) until the native call is done.
struct batch_args {
    std::deque<byte_view> views;
    std::vector<crypto::byte_span> pks, msgs, sigs;

    batch_args(const py::sequence& public_keys, const py::sequence& messages, const py::sequence& signatures) {
        const std::size_t n = py::len(public_keys);
        if (py::len(messages) != n || py::len(signatures) != n)
            throw std::invalid_argument("public_keys, messages and signatures must have the same length (" +
                                        std::to_string(n) + ", " + std::to_string(py::len(messages)) + ", " +
                                        std::to_string(py::len(signatures)) + ")");
        for (std::size_t i = 0; i < n; ++i) {
            pks.push_back(views.emplace_back(public_keys[i]).span());
            msgs.push_back(views.emplace_back(messages[i]).span());
            sigs.push_back(views.emplace_back(signatures[i]).span());
        }
    }
};

}  // namespace

void bind_crypto_batch(py::module_& m) {
    m.def(
        "verify_batch",
        [](const py::sequence& public_keys, const py::sequence& messages, const py::sequence& signatures,
           const std::string& crypto_type) {
            const auto scheme = scheme_arg(crypto_type);
            batch_args a(public_keys, messages, signatures);
            // Safe without the GIL: the buffer exports pin every input until `a` is destroyed.
            py::gil_scoped_release release;
            return crypto::verify_batch(scheme, a.pks.data(), a.msgs.data(), a.sigs.data(), a.pks.size());
        },
        py::arg("public_keys"), py::arg("messages"), py::arg("signatures"), py::arg("crypto_type") = "sr25519");
    m.def(
        "verify_many",
        [](const py::sequence& public_keys, const py::sequence& messages, const py::sequence& signatures,
           const std::string& crypto_type, unsigned threads) {
            const auto scheme = scheme_arg(crypto_type);
            batch_args a(public_keys, messages, signatures);
            std::string ok(a.pks.size(), '\0');
            {
                py::gil_scoped_release release;
                crypto::verify_many(scheme, a.pks.data(), a.msgs.data(), a.sigs.data(), a.pks.size(),
                                    reinterpret_cast<std::uint8_t*>(ok.data()), threads);
            }
            return py::bytes(ok);
        },
        py::arg("public_keys"), py::arg("messages"), py::arg("signatures"), py::arg("crypto_type") = "sr25519",
        py::arg("threads") = 1u);
    m.def(
        "_multiscalar_mul",
        [](const py::bytes& scalars, const py::bytes& points, int algorithm, int window, bool projective,
           bool tables) {
            const std::string s = scalars, p = points;
            if (s.size() % 32 != 0 || s.size() != p.size())
                throw std::invalid_argument("scalars and points: 32 bytes each, as many of both");
            std::uint8_t out[32];
            if (!crypto::multiscalar_mul_for_tests(reinterpret_cast<const std::uint8_t*>(s.data()),
                                                   reinterpret_cast<const std::uint8_t*>(p.data()), s.size() / 32,
                                                   algorithm, window, projective, tables, out))
                throw std::invalid_argument("a point does not decode, or a bad algorithm / window");
            return py::bytes(reinterpret_cast<const char*>(out), 32);
        },
        "Test support: the encoding of sum s_i P_i by the batch verifier's multi-scalar multiplication.",
        py::arg("scalars"), py::arg("points"), py::arg("algorithm") = 0, py::arg("window") = 0,
        py::arg("projective") = false, py::arg("tables") = false);
}
