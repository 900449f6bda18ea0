// SPDX-License-Identifier: MIT
#include "taocore/crypto/ed25519.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "crypto/detail/edwards.hpp"
#include "crypto/detail/hot_keys.hpp"
#include "crypto/detail/key_cache.hpp"
#include "crypto/detail/scalar25519.hpp"
#include "crypto/detail/secure_zero.hpp"
#include "crypto/detail/verify_item.hpp"
#include "taocore/crypto/hash.hpp"

namespace taocore::crypto::ed25519 {

namespace {

using namespace taocore::crypto::detail;

void require_seed(byte_span seed) {
    if (seed.size() != seed_size)
        throw std::invalid_argument("seed: expected 32 bytes, got " + std::to_string(seed.size()));
}

// The clamped secret scalar (as an integer mod l) and the nonce prefix; wiped on destruction.
struct expanded {
    scalar a{};
    std::uint8_t prefix[32]{};
    public_key pub{};
    explicit expanded(byte_span seed, bool with_public = true) {
        auto h = crypto::sha512(seed);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        a = scalar_from_bytes_mod_order(h.data());  // a*B only depends on a mod l
        std::memcpy(prefix, h.data() + 32, 32);
        secure_zero(h.data(), h.size());
        if (with_public) ge_to_bytes(pub.data(), ge_scalarmult_base(a));
    }
    ~expanded() {
        secure_zero(&a, sizeof a);
        secure_zero(prefix, sizeof prefix);
    }
    expanded(const expanded&) = delete;
    expanded& operator=(const expanded&) = delete;
};

scalar hash_to_scalar(byte_span a, byte_span b, byte_span c) {
    sha512_hasher h;
    h.update(a).update(b).update(c);
    auto d = h.finalize();
    const scalar s = scalar_from_wide(d.data());
    secure_zero(d.data(), d.size());
    return s;
}

// ed25519_prepare_zip215 up to R's square root, which is left running in r (see
// ge_decode_job): out.R is not set.
bool start_zip215(verify_item& out, ge_decode_job& r, byte_span pk, byte_span message, byte_span sig,
                  ge_cached* neg_a_table) noexcept {
    if (pk.size() != public_key_size || sig.size() != signature_size) return false;
    const std::uint8_t* s_bytes = sig.data() + 32;
    if (!scalar_is_canonical(s_bytes)) return false;  // ZIP-215 still requires s < l
    if (!decode_public_key_cached(key_encoding::ed25519_zip215, pk.data(), out.A, neg_a_table)) return false;
    if (!ge_decode_start(r, sig.data(), false)) return false;
    try {
        out.k = hash_to_scalar(sig.first(32), pk, message);
    } catch (...) {
        return false;  // only an unusable TAOCORE_FORCE_BACKEND can throw here
    }
    out.s = scalar_from_canonical_bytes(s_bytes);
    return true;
}

}  // namespace

public_key public_from_seed(byte_span seed) {
    require_seed(seed);
    const expanded e(seed);
    return e.pub;
}

namespace {

signature sign_expanded(const expanded& e, byte_span pub, byte_span message) {
    scalar r = hash_to_scalar(byte_span(e.prefix, 32), message, {});
    signature sig;
    ge_to_bytes(sig.data(), ge_scalarmult_base(r));
    const scalar k = hash_to_scalar(byte_span(sig.data(), 32), pub, message);
    scalar s = scalar_muladd(k, e.a, r);
    scalar_to_bytes(sig.data() + 32, s);
    secure_zero(&r, sizeof r);
    secure_zero(&s, sizeof s);
    return sig;
}

}  // namespace

signature sign(byte_span seed, byte_span message) {
    require_seed(seed);
    const expanded e(seed);
    return sign_expanded(e, e.pub, message);
}

signature sign(byte_span seed, byte_span pub, byte_span message) {
    require_seed(seed);
    if (pub.size() != public_key_size)
        throw std::invalid_argument("public_key: expected 32 bytes, got " + std::to_string(pub.size()));
    const expanded e(seed, false);
    return sign_expanded(e, pub, message);
}

bool verify(byte_span pk, byte_span message, byte_span sig, verify_policy policy) noexcept {
    if (policy != verify_policy::strict) {
        verify_item item;
        ge_cached neg_a_table[8];
        ge_decode_job r;
        if (!start_zip215(item, r, pk, message, sig, neg_a_table)) return false;
        // [8](sB - kA - R) == 0; multiplying by d != 0 mod l first does not change the answer.
        ge_p3 p;
        if (const auto hot = hot_ed25519_key(pk.data(), item.A)) {
            // sB - kA first (R's root advancing meanwhile), then - R.
            p = ge_hot_combination_vartime(item.s, item.k, *hot, &r.root);
            if (!ge_decode_finish(r, item.R)) return false;
            p = ge_sub_p3(p, item.R);
        } else if (!ge_verify_combination_vartime(p, item.s, item.k, neg_a_table, r)) {
            return false;
        }
        return ge_is_identity_vartime(ge_mul_cofactor(p));
    }
    if (pk.size() != public_key_size || sig.size() != signature_size) return false;
    const std::uint8_t* s_bytes = sig.data() + 32;
    if (!scalar_is_canonical(s_bytes)) return false;  // RFC 8032 §5.1.7
    ge_p3 A, R;
    // With y canonical, the lenient (cached) decoding gives the strict one's point, or succeeds
    // where the strict one fails only for x = 0 with the sign bit: A = (0, +-1), of small order
    // and rejected just below either way.
    if (!ge_y_is_canonical(pk.data()) || !decode_public_key_cached(key_encoding::ed25519_zip215, pk.data(), A, nullptr))
        return false;
    if (ge_is_identity_vartime(ge_mul_cofactor(A))) return false;
    scalar k;
    try {
        k = hash_to_scalar(sig.first(32), pk, message);
    } catch (...) {
        return false;  // only an unusable TAOCORE_FORCE_BACKEND can throw here
    }
    if (const auto hot = hot_ed25519_key(pk.data(), A)) {
        // encode(sB - kA) == R's bytes iff they decode under the strict rule to that very point
        // (encodings are unique once canonical), so R is decoded -- its root advancing during the
        // loop -- and compared as a point. A non-canonical R fails here and below alike, so the
        // small-order rule needs only this decoding.
        ge_decode_job r;
        if (!ge_decode_start(r, sig.data(), true)) return false;
        const ge_p3 p = ge_hot_combination_vartime(scalar_from_canonical_bytes(s_bytes), k, *hot, &r.root);
        return ge_decode_finish(r, R) && !ge_is_identity_vartime(ge_mul_cofactor(R)) && ge_equal_vartime(p, R);
    }
    // libsodium's small-order blocklist ignores the sign bit and covers the non-canonical
    // encodings y = p, p + 1; a lenient decode followed by [8]P == 0 is the same set.
    if (ge_from_bytes_vartime(R, sig.data(), false) && ge_is_identity_vartime(ge_mul_cofactor(R))) return false;
    const scalar s = scalar_from_canonical_bytes(s_bytes);
    // Cofactorless: the exact point must match, so no half-size-scalar shortcut here.
    std::uint8_t check[32];
    // Negate the point, not the scalar: A may carry torsion, and (l - k)A != -kA then.
    ge_to_bytes(check, ge_double_scalarmult_vartime(k, ge_neg(A), s));
    return std::memcmp(check, sig.data(), 32) == 0;
}

}  // namespace taocore::crypto::ed25519

namespace taocore::crypto::detail {

bool ed25519_prepare_zip215(verify_item& out, bytes_in pk, bytes_in message, bytes_in sig,
                            ge_cached* neg_a_table) noexcept {
    ge_decode_job r;
    return ed25519::start_zip215(out, r, pk, message, sig, neg_a_table) && ge_decode_finish(r, out.R);
}

}  // namespace taocore::crypto::detail
