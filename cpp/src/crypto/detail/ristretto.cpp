// SPDX-License-Identifier: MIT
#include "crypto/detail/ristretto.hpp"

#include <cstring>
#include <vector>

#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {

void ristretto_encode(std::uint8_t out[32], const ge_p3& p) noexcept {
    const fe u1 = fe_mul(fe_add(p.Z, p.Y), fe_sub(p.Z, p.Y));
    const fe u2 = fe_mul(p.X, p.Y);
    fe invsqrt;
    (void)fe_sqrt_ratio_m1(invsqrt, fe_one, fe_mul(u1, fe_sq(u2)));
    const fe den1 = fe_mul(invsqrt, u1);
    const fe den2 = fe_mul(invsqrt, u2);
    const fe z_inv = fe_mul(fe_mul(den1, den2), p.T);
    const fe ix0 = fe_mul(p.X, fe_sqrtm1);
    const fe iy0 = fe_mul(p.Y, fe_sqrtm1);
    const fe enchanted_denominator = fe_mul(den1, fe_invsqrt_a_minus_d);
    const std::uint64_t rotate = std::uint64_t{0} - fe_is_negative(fe_mul(p.T, z_inv));
    fe x = p.X, y = p.Y, den_inv = den2;
    fe_cmov(x, iy0, rotate);
    fe_cmov(y, ix0, rotate);
    fe_cmov(den_inv, enchanted_denominator, rotate);
    y = fe_cneg(y, fe_is_negative(fe_mul(x, z_inv)));
    const fe s = fe_abs(fe_mul(den_inv, fe_sub(p.Z, y)));
    fe_to_bytes(out, s);
}

namespace {

// DECODE up to the inverse square root, and from it on: ristretto_decode and
// ristretto_decode_many differ only in how the exponentiation between the two halves runs.
struct decode_state {
    fe s, u1, u2, v, v_u2_sqr, uv3;
};

// False for a non-canonical or negative s; else sets the exponentiation's input pow_in.
bool decode_begin(decode_state& st, fe& pow_in, const std::uint8_t in[32]) noexcept {
    st.s = fe_from_bytes(in);
    std::uint8_t check[32];
    fe_to_bytes(check, st.s);
    if (std::memcmp(check, in, 32) != 0) return false;  // s >= p (or bit 255 set)
    if (in[0] & 1) return false;                        // negative s
    const fe ss = fe_sq(st.s);
    st.u1 = fe_sub(fe_one, ss);
    st.u2 = fe_add(fe_one, ss);
    const fe u2_sqr = fe_sq(st.u2);
    st.v = fe_sub(fe_neg(fe_mul(fe_d, fe_sq(st.u1))), u2_sqr);
    st.v_u2_sqr = fe_mul(st.v, u2_sqr);
    pow_in = fe_sqrt_ratio_m1_begin(st.uv3, fe_one, st.v_u2_sqr);
    return true;
}

bool decode_end(ge_p3& out, const decode_state& st, const fe& pw) noexcept {
    fe invsqrt;
    const std::uint64_t was_square = fe_sqrt_ratio_m1_end(invsqrt, fe_one, st.v_u2_sqr, st.uv3, pw);
    const fe den_x = fe_mul(invsqrt, st.u2);
    const fe den_y = fe_mul(fe_mul(invsqrt, den_x), st.v);
    const fe x = fe_abs(fe_mul(fe_add(st.s, st.s), den_x));
    const fe y = fe_mul(st.u1, den_y);
    const fe t = fe_mul(x, y);
    if (was_square == 0 || fe_is_negative(t) != 0 || fe_is_zero_mask(y) != 0) return false;
    out = ge_p3{x, y, fe_one, t};
    return true;
}

}  // namespace

bool ristretto_decode(ge_p3& out, const std::uint8_t in[32]) noexcept {
    decode_state st;
    fe pw;
    if (!decode_begin(st, pw, in)) return false;
    // Encodings are public: the exponentiation may use the radix-2^64 kernels.
    return decode_end(out, st, fe_pow22523_public(pw));
}

bool ristretto_decode_many(ge_p3* out, const std::uint8_t* const* in, std::size_t n) {
    std::vector<decode_state> st(n);
    std::vector<fe> pw(n);
    for (std::size_t i = 0; i < n; ++i)
        if (!decode_begin(st[i], pw[i], in[i])) return false;
    fe_pow22523_public_many(pw.data(), n);
    for (std::size_t i = 0; i < n; ++i)
        if (!decode_end(out[i], st[i], pw[i])) return false;
    return true;
}

bool ristretto_equals(const ge_p3& a, const ge_p3& b) noexcept {
    const std::uint64_t m1 = fe_eq_mask(fe_mul(a.X, b.Y), fe_mul(a.Y, b.X));
    const std::uint64_t m2 = fe_eq_mask(fe_mul(a.Y, b.Y), fe_mul(a.X, b.X));
    return (m1 | m2) != 0;
}

}  // namespace taocore::crypto::detail
