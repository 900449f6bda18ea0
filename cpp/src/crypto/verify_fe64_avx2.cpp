// SPDX-License-Identifier: MIT
// Radix-2^64 (MULX) version of the verification point loop; see detail/verify_fe64.hpp. The
// group formulas are the same complete extended-coordinate formulas as edwards.cpp (a = -1,
// Hisil-Wong-Carter-Dawson), written again over fe64 so the whole loop stays in one
// representation: conversions happen only for the inputs (A's table, R, the base tables once)
// and the result.
#include "crypto/detail/fe64.hpp"
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

}  // namespace

ge_p3 verify_loop_fe64(const verify_digits& digits, const ge_cached neg_a_table[8], const ge_p3& r_signed,
                       const ge_precomp* base, const ge_precomp* base128) noexcept {
    const base_tables64& t = tables64(base, base128);
    const fe64 d2 = f64::from_fe(fe_d2);
    cached a_tab[8], r_tab[8];
    for (int j = 0; j < 8; ++j) a_tab[j] = convert(neg_a_table[j]);
    // Odd multiples R', 3R', ..., 15R'.
    const p3 r1{f64::from_fe(r_signed.X), f64::from_fe(r_signed.Y), f64::from_fe(r_signed.Z),
                f64::from_fe(r_signed.T)};
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
            const p3 out = to_p3(q);
            return ge_p3{f64::to_fe(out.X), f64::to_fe(out.Y), f64::to_fe(out.Z), f64::to_fe(out.T)};
        }
        r = to_p2(q);
    }
}

}  // namespace taocore::crypto::detail
