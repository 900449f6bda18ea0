// SPDX-License-Identifier: MIT
// Radix-2^64 (MULX) version of the verification point loop; see detail/verify_fe64.hpp. The
// group formulas are the same complete extended-coordinate formulas as edwards.cpp (a = -1,
// Hisil-Wong-Carter-Dawson), written again over fe64 so the whole loop stays in one
// representation: conversions happen only for the inputs (A's table, R, the base tables once)
// and the result.
//
// Like fe64.hpp and msm-inl.hpp, everything here has internal linkage and calls no inline or
// template function of the baseline code (this file is compiled with ISA flags).
#include "crypto/detail/fe64.hpp"
#include "crypto/detail/msm-inl.hpp"
#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {
namespace {

using f64::fe64;

struct p3 {
    fe64 X, Y, Z, T;
};
struct p2 {
    fe64 X, Y, Z;
};
struct p1p1 {
    fe64 X, Y, Z, T;
};
struct cached {
    fe64 YplusX, YminusX, Z, T2d;
};
struct precomp {
    fe64 yplusx, yminusx, xy2d;
};

inline p3 to_p3(const p1p1& p) noexcept {
    return p3{f64::mul(p.X, p.T), f64::mul(p.Y, p.Z), f64::mul(p.Z, p.T), f64::mul(p.X, p.Y)};
}
inline p2 to_p2(const p1p1& p) noexcept { return p2{f64::mul(p.X, p.T), f64::mul(p.Y, p.Z), f64::mul(p.Z, p.T)}; }

// 2P from X, Y, Z alone: x^2, y^2, 2z^2 and (x + y)^2.
inline p1p1 dbl(const p2& p) noexcept {
    const fe64 xx = f64::sq(p.X), yy = f64::sq(p.Y), zz = f64::sq(p.Z);
    const fe64 zz2 = f64::add(zz, zz);
    const fe64 a = f64::sq(f64::add(p.X, p.Y));
    const fe64 y3 = f64::add(yy, xx), z3 = f64::sub(yy, xx);
    return p1p1{f64::sub(a, y3), y3, z3, f64::sub(zz2, z3)};
}

// P + Q (sign = +) or P - Q: -Q swaps Y+X with Y-X and negates 2dT.
template <bool minus>
inline p1p1 add_cached(const p3& p, const cached& q) noexcept {
    const fe64 a = f64::mul(f64::sub(p.Y, p.X), minus ? q.YplusX : q.YminusX);
    const fe64 b = f64::mul(f64::add(p.Y, p.X), minus ? q.YminusX : q.YplusX);
    const fe64 c = f64::mul(p.T, q.T2d);
    const fe64 zz = f64::mul(p.Z, q.Z);
    const fe64 d = f64::add(zz, zz);
    return minus ? p1p1{f64::sub(b, a), f64::add(b, a), f64::sub(d, c), f64::add(d, c)}
                 : p1p1{f64::sub(b, a), f64::add(b, a), f64::add(d, c), f64::sub(d, c)};
}

// The same with an affine addend (Z = 1): one multiplication fewer.
template <bool minus>
inline p1p1 add_precomp(const p3& p, const precomp& q) noexcept {
    const fe64 a = f64::mul(f64::sub(p.Y, p.X), minus ? q.yplusx : q.yminusx);
    const fe64 b = f64::mul(f64::add(p.Y, p.X), minus ? q.yminusx : q.yplusx);
    const fe64 c = f64::mul(p.T, q.xy2d);
    const fe64 d = f64::add(p.Z, p.Z);
    return minus ? p1p1{f64::sub(b, a), f64::add(b, a), f64::sub(d, c), f64::add(d, c)}
                 : p1p1{f64::sub(b, a), f64::add(b, a), f64::add(d, c), f64::sub(d, c)};
}

cached to_cached(const p3& p, const fe64& d2) noexcept {
    return cached{f64::add(p.Y, p.X), f64::sub(p.Y, p.X), p.Z, f64::mul(p.T, d2)};
}

cached convert(const ge_cached& c) noexcept {
    return cached{f64::from_fe(c.YplusX), f64::from_fe(c.YminusX), f64::from_fe(c.Z), f64::from_fe(c.T2d)};
}

precomp convert(const ge_precomp& c) noexcept {
    return precomp{f64::from_fe(c.yplusx), f64::from_fe(c.yminusx), f64::from_fe(c.xy2d)};
}

struct base_tables64 {
    precomp base[64], base128[64];
};

const base_tables64& tables64(const ge_precomp* base, const ge_precomp* base128) noexcept {
    static const base_tables64 t = [&] {
        base_tables64 r;
        for (int j = 0; j < 64; ++j) {
            r.base[j] = convert(base[j]);
            r.base128[j] = convert(base128[j]);
        }
        return r;
    }();
    return t;
}

p3 from_p3(const ge_p3& p) noexcept {
    return p3{f64::from_fe(p.X), f64::from_fe(p.Y), f64::from_fe(p.Z), f64::from_fe(p.T)};
}

ge_p3 to_ge(const p3& p) noexcept {
    return ge_p3{f64::to_fe(p.X), f64::to_fe(p.Y), f64::to_fe(p.Z), f64::to_fe(p.T)};
}

// The group operations msm-inl.hpp needs, over fe64 (see group51 in msm.cpp for the reference).
struct group64 {
    using point = p3;
    using cached = detail::cached;
    using affine = precomp;
    static point from(const ge_p3& p) noexcept { return from_p3(p); }
    static cached from_cached(const ge_cached& c) noexcept { return convert(c); }
    static ge_p3 out(const point& p) noexcept { return to_ge(p); }
    static point identity() noexcept { return p3{{{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}, {{0, 0, 0, 0}}}; }
    static point dbl(const point& p) noexcept { return to_p3(detail::dbl(p2{p.X, p.Y, p.Z})); }
    static point add(const point& p, const cached& q) noexcept { return to_p3(add_cached<false>(p, q)); }
    static point sub(const point& p, const cached& q) noexcept { return to_p3(add_cached<true>(p, q)); }
    static cached to_cached(const point& p) noexcept { return detail::to_cached(p, d2()); }
    static point add_p3(const point& p, const point& q) noexcept { return add(p, to_cached(q)); }
    static point neg(const point& p) noexcept { return p3{f64::neg(p.X), p.Y, p.Z, f64::neg(p.T)}; }
    static affine to_affine(const point& p) noexcept {  // p.Z == 1
        return precomp{f64::add(p.Y, p.X), f64::sub(p.Y, p.X), f64::mul(p.T, d2())};
    }
    static point madd(const point& p, const affine& q) noexcept { return to_p3(add_precomp<false>(p, q)); }
    static point msub(const point& p, const affine& q) noexcept { return to_p3(add_precomp<true>(p, q)); }
    static const fe64& d2() noexcept {
        static const fe64 v = f64::from_fe(fe_d2);
        return v;
    }
};

fe64 sqn(fe64 a, int n) noexcept {
    for (int i = 0; i < n; ++i) a = f64::sq(a);
    return a;
}

}  // namespace

fe fe_pow22523_fe64(const fe& z51) noexcept {
    // The addition chain of fe_pow2_250_1 / fe_pow22523 in field25519.hpp, step for step.
    const fe64 z = f64::from_fe(z51);
    const fe64 z2 = f64::sq(z);
    const fe64 z9 = f64::mul(sqn(z2, 2), z);
    const fe64 z11 = f64::mul(z9, z2);
    const fe64 z2_5_0 = f64::mul(f64::sq(z11), z9);
    const fe64 z2_10_0 = f64::mul(sqn(z2_5_0, 5), z2_5_0);
    const fe64 z2_20_0 = f64::mul(sqn(z2_10_0, 10), z2_10_0);
    const fe64 z2_40_0 = f64::mul(sqn(z2_20_0, 20), z2_20_0);
    const fe64 z2_50_0 = f64::mul(sqn(z2_40_0, 10), z2_10_0);
    const fe64 z2_100_0 = f64::mul(sqn(z2_50_0, 50), z2_50_0);
    const fe64 z2_200_0 = f64::mul(sqn(z2_100_0, 100), z2_100_0);
    const fe64 z2_250_0 = f64::mul(sqn(z2_200_0, 50), z2_50_0);
    return f64::to_fe(f64::mul(sqn(z2_250_0, 2), z));
}

ge_p3 multiscalar_mul_fe64(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n, int algorithm,
                           int window, const ge_cached* const* odd_multiples) {
    return msm_impl::multiscalar_mul<group64>(scalars, points, n, algorithm, window, odd_multiples);
}

ge_p3 verify_loop_fe64(const verify_digits& digits, const ge_cached neg_a_table[8], const ge_p3& r_signed,
                       const ge_precomp* base, const ge_precomp* base128) noexcept {
    const base_tables64& t = tables64(base, base128);
    const fe64 d2 = f64::from_fe(fe_d2);
    cached a_tab[8], r_tab[8];
    for (int j = 0; j < 8; ++j) a_tab[j] = convert(neg_a_table[j]);
    // Odd multiples R', 3R', ..., 15R'.
    const p3 r1 = from_p3(r_signed);
    r_tab[0] = to_cached(r1, d2);
    const p3 r2 = to_p3(dbl(p2{r1.X, r1.Y, r1.Z}));
    for (int j = 1; j < 8; ++j) r_tab[j] = to_cached(to_p3(add_cached<false>(r2, r_tab[j - 1])), d2);

    const fe64 zero{{0, 0, 0, 0}}, one{{1, 0, 0, 0}};
    p2 r{zero, one, one};
    for (int i = digits.top;; --i) {
        p1p1 q = dbl(r);
        const int dc = digits.c[i], dd = digits.d[i], dl = digits.lo[i], dh = digits.hi[i];
        if (dc > 0) q = add_cached<false>(to_p3(q), a_tab[dc / 2]);
        else if (dc < 0) q = add_cached<true>(to_p3(q), a_tab[(-dc) / 2]);
        if (dd > 0) q = add_cached<false>(to_p3(q), r_tab[dd / 2]);
        else if (dd < 0) q = add_cached<true>(to_p3(q), r_tab[(-dd) / 2]);
        if (dl > 0) q = add_precomp<false>(to_p3(q), t.base[dl / 2]);
        else if (dl < 0) q = add_precomp<true>(to_p3(q), t.base[(-dl) / 2]);
        if (dh > 0) q = add_precomp<false>(to_p3(q), t.base128[dh / 2]);
        else if (dh < 0) q = add_precomp<true>(to_p3(q), t.base128[(-dh) / 2]);
        if (i == 0) {
            return to_ge(to_p3(q));
        }
        r = to_p2(q);
    }
}

}  // namespace taocore::crypto::detail
