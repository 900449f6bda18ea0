// SPDX-License-Identifier: MIT
#include "taocore/crypto/sr25519.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "crypto/detail/edwards.hpp"
#include "crypto/detail/key_cache.hpp"
#include "crypto/detail/merlin.hpp"
#include "crypto/detail/ristretto.hpp"
#include "crypto/detail/scalar25519.hpp"
#include "crypto/detail/secure_zero.hpp"
#include "crypto/detail/verify_item.hpp"
#include "taocore/crypto/hash.hpp"

namespace taocore::crypto::sr25519 {

namespace {

using namespace taocore::crypto::detail;

bytes_view lit(const char* s) noexcept { return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)}; }

void require_size(byte_span b, std::size_t n, const char* field) {
    if (b.size() != n)
        throw std::invalid_argument(std::string(field) + ": expected " + std::to_string(n) + " bytes, got " +
                                    std::to_string(b.size()));
}

// Holds a secret scalar and wipes it on every exit path.
struct secret_scalar {
    scalar s{};
    ~secret_scalar() { secure_zero(&s, sizeof s); }
};

void load_secret(secret_scalar& out, byte_span secret) {
    require_size(secret, secret_key_size, "secret_key");
    // The canonical check runs on the secret, but it only reveals whether the key is valid.
    bool canonical = scalar_is_canonical(secret.data());
    ct_declassify(&canonical, sizeof canonical);
    if (!canonical)
        throw std::invalid_argument("secret_key: scalar is not canonical (>= group order)");
    out.s = scalar_from_canonical_bytes(secret.data());
}

public_key public_of(const scalar& s) noexcept {
    public_key pk;
    ristretto_encode(pk.data(), ge_scalarmult_base(s));
    return pk;
}

// The transcript up to and including the signing context. Its first step (the STROBE
// initialisation) is a Keccak-f permutation of constant data, a third of the hashing a
// verification does; for the context Substrate always uses, the state after the context is built
// once and copied. Public data only (labels and the context).
transcript context_transcript(byte_span context) {
    transcript t(lit("SigningContext"));
    t.append_message(lit(""), context);
    return t;
}

transcript signing_transcript(byte_span context, byte_span message, byte_span pk) {
    static const transcript substrate = context_transcript(substrate_context);
    const bool is_substrate =
        context.size() == substrate_context.size() &&
        std::memcmp(context.data(), substrate_context.data(), substrate_context.size()) == 0;
    transcript t = is_substrate ? substrate : context_transcript(context);
    t.append_message(lit("sign-bytes"), message);
    t.append_message(lit("proto-name"), lit("Schnorr-sig"));
    t.append_message(lit("sign:pk"), pk);
    return t;
}

scalar challenge_scalar(transcript& t, const char* label) {
    std::uint8_t wide[64];
    t.challenge_bytes(lit(label), wide, 64);
    return scalar_from_wide(wide);
}

signature sign_impl(byte_span secret, byte_span pk, byte_span message, byte_span context, rng32_fn rng,
                    void* rng_ctx) {
    secret_scalar key;
    load_secret(key, secret);
    require_size(pk, public_key_size, "public_key");
    transcript t = signing_transcript(context, message, pk);

    std::uint8_t wide[64];
    const bytes_view seeds[1] = {secret.subspan(32, 32)};
    t.witness_bytes(lit("signing"), seeds, wide, 64, rng, rng_ctx);
    secret_scalar r;
    r.s = scalar_from_wide(wide);
    secure_zero(wide, sizeof wide);

    signature sig;
    ristretto_encode(sig.data(), ge_scalarmult_base(r.s));
    t.append_message(lit("sign:R"), byte_span(sig.data(), 32));
    const scalar k = challenge_scalar(t, "sign:c");
    secret_scalar s;
    s.s = scalar_muladd(k, key.s, r.s);
    scalar_to_bytes(sig.data() + 32, s.s);
    sig[63] |= 0x80;
    return sig;
}

transcript hdkd_transcript(byte_span i, byte_span cc) {
    require_size(cc, chain_code_size, "chain_code");
    transcript t(lit("SchnorrRistrettoHDKD"));
    t.append_message(lit("sign-bytes"), i);
    t.append_message(lit("chain-code"), cc);
    return t;
}

// Appends the parent public key and draws the soft-derivation scalar and child chain code.
scalar soft_scalar(transcript& t, byte_span pk, chain_code& cc_out) {
    t.append_message(lit("public-key"), pk);
    const scalar sc = challenge_scalar(t, "HDKD-scalar");
    t.challenge_bytes(lit("HDKD-chaincode"), cc_out.data(), cc_out.size());
    return sc;
}

}  // namespace

secret_key expand_mini_secret(byte_span mini) {
    require_size(mini, mini_secret_size, "mini_secret");
    auto h = crypto::sha512(mini);
    h[0] &= 248;
    h[31] &= 63;
    h[31] |= 64;
    secret_key sk;
    // key = clamped / 8: a 3-bit right shift of the 256-bit little-endian value (< 2^252 < l).
    for (int i = 0; i < 31; ++i)
        sk[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((h[static_cast<std::size_t>(i)] >> 3) |
                                                                    (h[static_cast<std::size_t>(i) + 1] << 5));
    sk[31] = static_cast<std::uint8_t>(h[31] >> 3);
    std::memcpy(sk.data() + 32, h.data() + 32, 32);
    secure_zero(h.data(), h.size());
    return sk;
}

void check_secret_key(byte_span secret) {
    secret_scalar key;
    load_secret(key, secret);
}

public_key public_from_secret(byte_span secret) {
    secret_scalar key;
    load_secret(key, secret);
    return public_of(key.s);
}

signature sign(byte_span secret, byte_span pk, byte_span message, byte_span context) {
    return sign_impl(secret, pk, message, context, os_rng32, nullptr);
}

signature sign(byte_span secret, byte_span pk, byte_span message, byte_span context, rng32_fn rng, void* rng_ctx) {
    if (rng == nullptr) throw std::invalid_argument("rng: must not be null");
    return sign_impl(secret, pk, message, context, rng, rng_ctx);
}

bool verify(byte_span pk, byte_span message, byte_span sig, byte_span context) noexcept {
    verify_item item;
    ge_cached neg_a_table[8];
    if (!sr25519_prepare(item, pk, message, sig, context, neg_a_table)) return false;
    // encode(sB - kA) == R_bytes  <=>  R_bytes decodes and sB - kA - R is 0 in ristretto255, i.e.
    // lies in E[4] (X == 0 or Y == 0); a non-canonical or invalid R can never match. Decoded
    // points lie in 2E, so the torsion part of sB - kA - R is in E[4] and multiplying by the
    // half-GCD's d (invertible mod l) keeps the answer.
    const ge_p3 p = ge_verify_combination_vartime(item.s, item.k, neg_a_table, item.R);
    return fe_is_zero_mask(p.X) != 0 || fe_is_zero_mask(p.Y) != 0;
}

hard_derived derive_hard(byte_span secret, byte_span cc, byte_span i) {
    require_size(secret, secret_key_size, "secret_key");
    check_secret_key(secret);
    transcript t = hdkd_transcript(i, cc);
    t.append_message(lit("secret-key"), secret.first(32));  // the canonical scalar only
    hard_derived out;
    t.challenge_bytes(lit("HDKD-hard"), out.mini.data(), out.mini.size());
    t.challenge_bytes(lit("HDKD-chaincode"), out.chain.data(), out.chain.size());
    out.secret = expand_mini_secret(out.mini);
    return out;
}

soft_derived_secret derive_soft(byte_span secret, byte_span cc, byte_span i) {
    return derive_soft(secret, cc, i, os_rng32, nullptr);
}

soft_derived_secret derive_soft(byte_span secret, byte_span cc, byte_span i, rng32_fn rng, void* rng_ctx) {
    if (rng == nullptr) throw std::invalid_argument("rng: must not be null");
    secret_scalar key;
    load_secret(key, secret);
    transcript t = hdkd_transcript(i, cc);
    const public_key pk = public_of(key.s);
    soft_derived_secret out;
    const scalar sc = soft_scalar(t, pk, out.chain);
    secret_scalar child;
    child.s = scalar_add(key.s, sc);
    scalar_to_bytes(out.secret.data(), child.s);
    const bytes_view seeds[2] = {secret.subspan(32, 32), secret};
    t.witness_bytes(lit("HDKD-nonce"), seeds, out.secret.data() + 32, 32, rng, rng_ctx);
    return out;
}

soft_derived_public derive_soft_public(byte_span pk, byte_span cc, byte_span i) {
    require_size(pk, public_key_size, "public_key");
    ge_p3 A;
    if (!ristretto_decode(A, pk.data())) throw std::invalid_argument("public_key: not a valid ristretto255 encoding");
    transcript t = hdkd_transcript(i, cc);
    soft_derived_public out;
    const scalar sc = soft_scalar(t, pk, out.chain);
    ristretto_encode(out.pub.data(), ge_add_p3(A, ge_scalarmult_base(sc)));
    return out;
}

secret_key secret_to_ed25519_form(byte_span secret) {
    check_secret_key(secret);
    secret_key out;
    std::uint8_t carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        out[i] = static_cast<std::uint8_t>((secret[i] << 3) | carry);
        carry = static_cast<std::uint8_t>(secret[i] >> 5);
    }
    std::memcpy(out.data() + 32, secret.data() + 32, 32);
    return out;
}

secret_key secret_from_ed25519_form(byte_span ed_form) {
    require_size(ed_form, secret_key_size, "secret_key");
    secret_key out;
    for (std::size_t i = 0; i < 31; ++i)
        out[i] = static_cast<std::uint8_t>((ed_form[i] >> 3) | (ed_form[i + 1] << 5));
    out[31] = static_cast<std::uint8_t>(ed_form[31] >> 3);
    std::memcpy(out.data() + 32, ed_form.data() + 32, 32);
    try {
        check_secret_key(out);
    } catch (...) {
        secure_zero(out.data(), out.size());
        throw;
    }
    return out;
}

public_key ristretto255_base_mul(byte_span sc) {
    require_size(sc, 32, "scalar");
    secret_scalar k;
    k.s = scalar_from_bytes_mod_order(sc.data());
    return public_of(k.s);
}

bool ristretto255_is_valid(byte_span encoding) noexcept {
    ge_p3 p;
    return encoding.size() == 32 && ristretto_decode(p, encoding.data());
}

}  // namespace taocore::crypto::sr25519

namespace taocore::crypto::detail {

bool sr25519_prepare(verify_item& out, bytes_in pk, bytes_in message, bytes_in sig, bytes_in context,
                     ge_cached* neg_a_table, bool decode_r) noexcept {
    using namespace taocore::crypto::sr25519;
    if (pk.size() != public_key_size || sig.size() != signature_size) return false;
    if ((sig[63] & 0x80) == 0) return false;  // not marked as a schnorrkel signature
    std::uint8_t s_bytes[32];
    std::memcpy(s_bytes, sig.data() + 32, 32);
    s_bytes[31] &= 0x7f;
    if (!scalar_is_canonical(s_bytes)) return false;
    if (!decode_public_key_cached(key_encoding::ristretto255, pk.data(), out.A, neg_a_table)) return false;
    if (decode_r && !ristretto_decode(out.R, sig.data())) return false;
    try {
        transcript t = signing_transcript(context, message, pk);
        t.append_message(lit("sign:R"), sig.first(32));
        out.k = challenge_scalar(t, "sign:c");
    } catch (...) {
        return false;  // only a message over 2^32 - 1 bytes can throw
    }
    out.s = scalar_from_canonical_bytes(s_bytes);
    return true;
}

}  // namespace taocore::crypto::detail
