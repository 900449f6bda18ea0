// SPDX-License-Identifier: MIT
// sr25519 / ed25519 / Merlin glue for taocore._core.crypto. Inputs are copied or pinned, then the
// GIL is released around the curve arithmetic.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "casters.hpp"
#include "taocore/crypto/ed25519.hpp"
#include "taocore/crypto/merlin.hpp"
#include "taocore/crypto/sr25519.hpp"

namespace py = pybind11;
using namespace taocore;
using taocore::bindings::byte_view;
using taocore::bindings::to_bytes;

namespace {

template <std::size_t N>
py::bytes out(const std::array<std::uint8_t, N>& a) {
    return to_bytes(a.data(), a.size());
}

// Secret material copied into Python bytes must not also linger in this frame.
template <std::size_t N>
py::bytes out_secret(std::array<std::uint8_t, N>& a) {
    py::bytes b = to_bytes(a.data(), a.size());
    std::memset(a.data(), 0, a.size());
    __asm__ __volatile__("" : : "r"(a.data()) : "memory");  // keep the store (as secure_zero does)
    return b;
}

// A fixed rng32 supplied from Python (tests only).
struct fixed_rng {
    std::array<std::uint8_t, 32> bytes{};
    static void fill(std::uint8_t o[32], void* ctx) {
        std::memcpy(o, static_cast<fixed_rng*>(ctx)->bytes.data(), 32);
    }
};

std::optional<fixed_rng> rng_arg(const py::object& rng32) {
    if (rng32.is_none()) return std::nullopt;
    byte_view v(rng32);
    if (v.size() != 32) throw std::invalid_argument("rng32: expected 32 bytes, got " + std::to_string(v.size()));
    fixed_rng r;
    std::memcpy(r.bytes.data(), v.span().data(), 32);
    return r;
}

py::bytes vec_bytes(const std::vector<std::uint8_t>& v) { return to_bytes(v.data(), v.size()); }

py::bytes strobe_out(const crypto::strobe128& s) {
    std::uint8_t b[crypto::strobe128::serialized_size];
    s.serialize(b);
    return to_bytes(b, sizeof b);
}

std::vector<std::vector<std::uint8_t>> copy_all(const py::sequence& seq) {
    std::vector<std::vector<std::uint8_t>> r;
    for (const auto& item : seq) {
        byte_view v(item);
        r.emplace_back(v.span().begin(), v.span().end());
    }
    return r;
}

}  // namespace

void bind_crypto_sign(py::module_& m) {
    // ---- sr25519 --------------------------------------------------------------------------
    m.def(
        "sr25519_keypair_from_mini_secret",
        [](const py::handle& mini) {
            byte_view v(mini);
            auto sk = crypto::sr25519::expand_mini_secret(v.span());
            const auto pk = crypto::sr25519::public_from_secret(sk);
            return py::make_tuple(out_secret(sk), out(pk));
        },
        py::arg("mini_secret"),
        "ExpandEd25519 (as sp-core): returns (secret_key 64 B = scalar || nonce, public_key 32 B).");
    m.def(
        "sr25519_public_from_secret",
        [](const py::handle& secret) {
            byte_view v(secret);
            return out(crypto::sr25519::public_from_secret(v.span()));
        },
        py::arg("secret_key"));
    m.def(
        "sr25519_sign",
        [](const py::handle& secret, const py::handle& public_key, const py::handle& message, const py::handle& context,
           const py::object& rng32) {
            byte_view s(secret), p(public_key), msg(message), ctx(context);
            auto rng = rng_arg(rng32);
            crypto::sr25519::signature sig;
            {
                py::gil_scoped_release release;
                sig = rng ? crypto::sr25519::sign(s.span(), p.span(), msg.span(), ctx.span(), fixed_rng::fill, &*rng)
                          : crypto::sr25519::sign(s.span(), p.span(), msg.span(), ctx.span());
            }
            return out(sig);
        },
        py::arg("secret_key"), py::arg("public_key"), py::arg("message"), py::kw_only(),
        py::arg("context") = py::bytes("substrate"), py::arg("rng32") = py::none(),
        "Schnorrkel signature. rng32 fixes the transcript RNG's external randomness (tests only).");
    m.def(
        "sr25519_verify",
        [](const py::handle& public_key, const py::handle& message, const py::handle& signature,
           const py::handle& context) {
            byte_view p(public_key), msg(message), sig(signature), ctx(context);
            py::gil_scoped_release release;
            return crypto::sr25519::verify(p.span(), msg.span(), sig.span(), ctx.span());
        },
        py::arg("public_key"), py::arg("message"), py::arg("signature"), py::kw_only(),
        py::arg("context") = py::bytes("substrate"), "schnorrkel verify; False (never an error) for malformed input.");
    m.def(
        "sr25519_derive_hard",
        [](const py::handle& secret, const py::handle& chain_code, const py::handle& i) {
            byte_view s(secret), cc(chain_code), iv(i);
            crypto::sr25519::hard_derived d;
            {
                py::gil_scoped_release release;
                d = crypto::sr25519::derive_hard(s.span(), cc.span(), iv.span());
            }
            return py::make_tuple(out_secret(d.mini), out_secret(d.secret), out(d.chain));
        },
        py::arg("secret_key"), py::arg("chain_code"), py::arg("i") = py::bytes(""),
        "Hard HDKD: returns (child mini secret, child secret key, child chain code).");
    m.def(
        "sr25519_derive_soft",
        [](const py::handle& secret, const py::handle& chain_code, const py::handle& i, const py::object& rng32) {
            byte_view s(secret), cc(chain_code), iv(i);
            auto rng = rng_arg(rng32);
            crypto::sr25519::soft_derived_secret d;
            {
                py::gil_scoped_release release;
                d = rng ? crypto::sr25519::derive_soft(s.span(), cc.span(), iv.span(), fixed_rng::fill, &*rng)
                        : crypto::sr25519::derive_soft(s.span(), cc.span(), iv.span());
            }
            return py::make_tuple(out_secret(d.secret), out(d.chain));
        },
        py::arg("secret_key"), py::arg("chain_code"), py::arg("i") = py::bytes(""), py::kw_only(),
        py::arg("rng32") = py::none(), "Soft HDKD of a secret key: returns (child secret key, child chain code).");
    m.def(
        "sr25519_derive_soft_public",
        [](const py::handle& public_key, const py::handle& chain_code, const py::handle& i) {
            byte_view p(public_key), cc(chain_code), iv(i);
            crypto::sr25519::soft_derived_public d;
            {
                py::gil_scoped_release release;
                d = crypto::sr25519::derive_soft_public(p.span(), cc.span(), iv.span());
            }
            return py::make_tuple(out(d.pub), out(d.chain));
        },
        py::arg("public_key"), py::arg("chain_code"), py::arg("i") = py::bytes(""));
    m.def(
        "sr25519_secret_to_ed25519_form",
        [](const py::handle& secret) {
            byte_view v(secret);
            auto r = crypto::sr25519::secret_to_ed25519_form(v.span());
            return out_secret(r);
        },
        py::arg("secret_key"));
    m.def(
        "sr25519_secret_from_ed25519_form",
        [](const py::handle& secret) {
            byte_view v(secret);
            auto r = crypto::sr25519::secret_from_ed25519_form(v.span());
            return out_secret(r);
        },
        py::arg("secret_key"));
    m.def(
        "ristretto255_base_mul",
        [](const py::handle& sc) {
            byte_view v(sc);
            return out(crypto::sr25519::ristretto255_base_mul(v.span()));
        },
        py::arg("scalar"));
    m.def(
        "ristretto255_is_valid",
        [](const py::handle& enc) {
            byte_view v(enc);
            return crypto::sr25519::ristretto255_is_valid(v.span());
        },
        py::arg("encoding"));

    // ---- ed25519 --------------------------------------------------------------------------
    m.def(
        "ed25519_public_from_seed",
        [](const py::handle& seed) {
            byte_view v(seed);
            return out(crypto::ed25519::public_from_seed(v.span()));
        },
        py::arg("seed"));
    m.def(
        "ed25519_sign",
        [](const py::handle& seed, const py::handle& message) {
            byte_view s(seed), msg(message);
            crypto::ed25519::signature sig;
            {
                py::gil_scoped_release release;
                sig = crypto::ed25519::sign(s.span(), msg.span());
            }
            return out(sig);
        },
        py::arg("seed"), py::arg("message"));
    m.def(
        "ed25519_sign_with_public",
        [](const py::handle& seed, const py::handle& public_key, const py::handle& message) {
            byte_view s(seed), p(public_key), msg(message);
            crypto::ed25519::signature sig;
            {
                py::gil_scoped_release release;
                sig = crypto::ed25519::sign(s.span(), p.span(), msg.span());
            }
            return out(sig);
        },
        py::arg("seed"), py::arg("public_key"), py::arg("message"),
        "RFC 8032 signature trusting public_key = ed25519_public_from_seed(seed) (half the work).");
    m.def(
        "ed25519_verify",
        [](const py::handle& public_key, const py::handle& message, const py::handle& signature, bool strict) {
            byte_view p(public_key), msg(message), sig(signature);
            py::gil_scoped_release release;
            return crypto::ed25519::verify(p.span(), msg.span(), sig.span(),
                                           strict ? crypto::ed25519::verify_policy::strict
                                                  : crypto::ed25519::verify_policy::zip215);
        },
        py::arg("public_key"), py::arg("message"), py::arg("signature"), py::kw_only(), py::arg("strict") = false,
        "strict=False: ZIP-215 (sp-core / ed25519-zebra); strict=True: RFC 8032 / libsodium.");

    // ---- STROBE-128 / Merlin (known-answer tests) ----------------------------------------
    // Value-style API: a transcript is its 203-byte serialised STROBE state (200 state bytes, pos,
    // pos_begin, cur_flags); every call takes a state and returns the next one.
    m.def(
        "strobe128_new",
        [](const py::handle& label) {
            byte_view v(label);
            return strobe_out(crypto::strobe128(v.span()));
        },
        py::arg("protocol_label"));
    m.def(
        "strobe128_op",
        [](const py::handle& state, const std::string& op, const py::handle& data, std::size_t n, bool more) {
            byte_view st(state), d(data);
            crypto::strobe128 s = crypto::strobe128::deserialize(st.span());
            std::vector<std::uint8_t> o;
            if (op == "meta_ad") {
                s.meta_ad(d.span(), more);
            } else if (op == "ad") {
                s.ad(d.span(), more);
            } else if (op == "key") {
                s.key(d.span(), more);
            } else if (op == "prf") {
                o.resize(n);
                s.prf(o.data(), n, more);
            } else {
                throw std::invalid_argument("op: expected meta_ad, ad, key or prf, got '" + op + "'");
            }
            return py::make_tuple(strobe_out(s), vec_bytes(o));
        },
        py::arg("state"), py::arg("op"), py::arg("data") = py::bytes(""), py::kw_only(), py::arg("n") = 0,
        py::arg("more") = false, "Returns (next state, PRF output or b'').");
    m.def(
        "merlin_new",
        [](const py::handle& label) {
            byte_view v(label);
            return strobe_out(crypto::merlin_transcript(v.span()).strobe());
        },
        py::arg("label"));
    m.def(
        "merlin_append_message",
        [](const py::handle& state, const py::handle& label, const py::handle& message) {
            byte_view st(state), l(label), msg(message);
            auto t = crypto::merlin_transcript::from_strobe(crypto::strobe128::deserialize(st.span()));
            t.append_message(l.span(), msg.span());
            return strobe_out(t.strobe());
        },
        py::arg("state"), py::arg("label"), py::arg("message"));
    m.def(
        "merlin_append_u64",
        [](const py::handle& state, const py::handle& label, std::uint64_t x) {
            byte_view st(state), l(label);
            auto t = crypto::merlin_transcript::from_strobe(crypto::strobe128::deserialize(st.span()));
            t.append_u64(l.span(), x);
            return strobe_out(t.strobe());
        },
        py::arg("state"), py::arg("label"), py::arg("x"));
    m.def(
        "merlin_challenge_bytes",
        [](const py::handle& state, const py::handle& label, std::size_t n) {
            byte_view st(state), l(label);
            auto t = crypto::merlin_transcript::from_strobe(crypto::strobe128::deserialize(st.span()));
            std::vector<std::uint8_t> o(n);
            t.challenge_bytes(l.span(), o.data(), n);
            return py::make_tuple(strobe_out(t.strobe()), vec_bytes(o));
        },
        py::arg("state"), py::arg("label"), py::arg("n"), "Returns (next state, challenge).");
    m.def(
        "merlin_witness_bytes",
        [](const py::handle& state, const py::handle& label, const py::sequence& nonce_seeds, std::size_t n,
           const py::object& rng32) {
            byte_view st(state), l(label);
            const auto t = crypto::merlin_transcript::from_strobe(crypto::strobe128::deserialize(st.span()));
            const auto seeds = copy_all(nonce_seeds);
            std::vector<crypto::bytes_view> views(seeds.begin(), seeds.end());
            auto rng = rng_arg(rng32);
            std::vector<std::uint8_t> o(n);
            if (rng)
                t.witness_bytes(l.span(), views, o.data(), n, fixed_rng::fill, &*rng);
            else
                t.witness_bytes(l.span(), views, o.data(), n, crypto::os_rng32, nullptr);
            return vec_bytes(o);
        },
        py::arg("state"), py::arg("label"), py::arg("nonce_seeds"), py::arg("n"), py::kw_only(),
        py::arg("rng32") = py::none(),
        "Transcript RNG (the state is not advanced): rekey with each nonce seed, finalise with rng32 (OS if "
        "None), fill n bytes.");
}
