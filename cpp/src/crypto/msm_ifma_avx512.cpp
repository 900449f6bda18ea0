// SPDX-License-Identifier: MIT
// The multi-scalar multiplication of msm-inl.hpp over AVX-512 IFMA: a point's four coordinates
// sit in the four 64-bit lanes of 256-bit registers (radix 2^52, detail/fe52.hpp), so each of
// the group formulas' rounds of independent multiplications is one vector multiplication. An
// addition is two of them (the sums and differences of the inputs times the addend's, then the
// completed point's four products) and a doubling a squaring and a multiplication, against seven
// to nine radix-2^64 multiplications one after another. Selected by msm.cpp under the avx512
// backend; the radix-2^51 instance in msm.cpp is the reference.
//
// The formulas are the complete extended-coordinate ones of verify_fe64_avx2.cpp (a = -1,
// Hisil-Wong-Carter-Dawson); only the arrangement of the lanes is new.
#include "crypto/detail/fe52.hpp"
#include "crypto/detail/msm-inl.hpp"
#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {
namespace {

using V = f52::V256;
using f4 = f52::fe52<V>;

// Lane k of r takes lane sel_k of a (_MM_SHUFFLE order: the last argument is lane 0).
template <int imm>
inline void perm(f4& r, const f4& a) noexcept {
    for (int k = 0; k < 5; ++k) r.l[k] = _mm256_permute4x64_epi64(a.l[k], imm);
}

// Lanes whose bit is set in mask take b, the others a.
template <int mask>
inline void blend(f4& r, const f4& a, const f4& b) noexcept {
    constexpr int m32 = (mask & 1 ? 0x03 : 0) | (mask & 2 ? 0x0c : 0) | (mask & 4 ? 0x30 : 0) | (mask & 8 ? 0xc0 : 0);
    for (int k = 0; k < 5; ++k) r.l[k] = _mm256_blend_epi32(a.l[k], b.l[k], m32);
}

inline void zero(f4& r) noexcept {
    for (int k = 0; k < 5; ++k) r.l[k] = V::zero();
}

// Lane j of r = element e[j] (radix 2^51).
void load(f4& r, const fe* const e[4]) noexcept {
    alignas(32) f52::u64 limb[5][4];
    for (int j = 0; j < 4; ++j) {
        f52::u64 l[5];
        f52::from_fe(l, *e[j]);
        for (int k = 0; k < 5; ++k) limb[k][j] = l[k];
    }
    for (int k = 0; k < 5; ++k) r.l[k] = V::load(limb[k]);
}

void store(fe* const e[4], const f4& a) noexcept {
    alignas(32) f52::u64 limb[5][4];
    for (int k = 0; k < 5; ++k) V::store(limb[k], a.l[k]);
    for (int j = 0; j < 4; ++j) {
        const f52::u64 l[5] = {limb[0][j], limb[1][j], limb[2][j], limb[3][j], limb[4][j]};
        f52::to_fe(*e[j], l);
    }
}

struct point {  // lanes X, Y, Z, T
    f4 v;
};
struct cached {  // lanes Y - X, Y + X, 2Z, 2dT (an affine addend is the same with 2Z = 2)
    f4 v;
};

// a - b in the lanes set in mask, a + b in the others (one normalisation for both).
template <int mask>
inline void add_sub(f4& r, const f4& a, const f4& b) noexcept {
    constexpr int m32 = (mask & 1 ? 0x03 : 0) | (mask & 2 ? 0x0c : 0) | (mask & 4 ? 0x30 : 0) | (mask & 8 ? 0xc0 : 0);
    V::reg z[5];
    for (int k = 0; k < 5; ++k) {
        const V::reg negated = V::sub(V::set1(f52::p4[k]), b.l[k]);  // see f52::sub
        z[k] = V::add(a.l[k], _mm256_blend_epi32(b.l[k], negated, m32));
    }
    f52::normalize<V>(r, z);
}

// (Y - X, Y + X, Z, T) from (X, Y, Z, T).
inline void sums(f4& t, const f4& p) noexcept {
    f4 a, b, z;
    perm<_MM_SHUFFLE(3, 2, 1, 1)>(a, p);  // Y, Y, Z, T
    perm<_MM_SHUFFLE(0, 0, 0, 0)>(b, p);  // X everywhere
    zero(z);
    blend<0b1100>(b, b, z);  // X, X, 0, 0
    add_sub<0b0001>(t, a, b);
}

// p[j] + q[j] for j < K, each step for all K before the next so the additions' latencies overlap:
// (A, B, D, C) = (Y1 - X1, Y1 + X1, Z1, T1) * q, then (E, G, F, E) * (F, H, G, H) with
// E = B - A, F = D - C, G = D + C, H = B + A.
template <int K>
inline void add_cached(point* const p[K], const f4* const q[K]) noexcept {
    f4 t[K], m[K], a[K], b[K], l[K], r[K];
    for (int j = 0; j < K; ++j) sums(t[j], p[j]->v);
    for (int j = 0; j < K; ++j) f52::mul<V>(m[j], t[j], *q[j]);
    for (int j = 0; j < K; ++j) {
        perm<_MM_SHUFFLE(1, 2, 2, 1)>(a[j], m[j]);  // B, D, D, B
        perm<_MM_SHUFFLE(0, 3, 3, 0)>(b[j], m[j]);  // A, C, C, A
        add_sub<0b1101>(l[j], a[j], b[j]);           // E, G, F, E
        perm<_MM_SHUFFLE(1, 2, 1, 2)>(a[j], m[j]);  // D, B, D, B
        perm<_MM_SHUFFLE(0, 3, 0, 3)>(b[j], m[j]);  // C, A, C, A
        add_sub<0b0001>(r[j], a[j], b[j]);           // F, H, G, H
    }
    for (int j = 0; j < K; ++j) f52::mul<V>(p[j]->v, l[j], r[j]);
}

inline void add_cached(point& p, const f4& q) noexcept {
    point* const pp[1] = {&p};
    const f4* const qq[1] = {&q};
    add_cached<1>(pp, qq);
}

// -q = (Y + X, Y - X, 2Z, -2dT).
inline void negate_cached(f4& r, const f4& q) noexcept {
    f4 sw, z, n;
    perm<_MM_SHUFFLE(3, 2, 0, 1)>(sw, q);
    zero(z);
    f52::sub<V>(n, z, sw);
    blend<0b1000>(r, sw, n);
}

const f4& cached_scale() noexcept {  // lanes 1, 1, 2, 2d
    static const f4 v = [] {
        const fe one{{1, 0, 0, 0, 0}}, two{{2, 0, 0, 0, 0}};
        const fe* e[4] = {&one, &one, &two, &fe_d2};
        f4 r;
        load(r, e);
        return r;
    }();
    return v;
}

// 2P: (xx, yy, zz, s) = (X, Y, Z, X + Y)^2; with YY = yy + xx, ZZ = yy - xx, XX = s - YY and
// TT = 2zz - ZZ, 2P = (XX, YY, ZZ, XX) * (TT, ZZ, TT, YY).
inline void dbl(point& p) noexcept {
    f4 u, w, z, sqv, a, b, plus, minus, w1, w2, from, xt, l, r;
    zero(z);
    perm<_MM_SHUFFLE(0, 2, 1, 0)>(u, p.v);  // X, Y, Z, X
    perm<_MM_SHUFFLE(1, 1, 1, 1)>(w, p.v);
    blend<0b1000>(w, z, w);  // 0, 0, 0, Y
    f52::add<V>(u, u, w);
    f52::sq<V>(sqv, u);
    perm<_MM_SHUFFLE(1, 1, 1, 1)>(a, sqv);  // yy
    perm<_MM_SHUFFLE(0, 0, 0, 0)>(b, sqv);  // xx
    f52::add<V>(plus, a, b);                // YY
    f52::sub<V>(minus, a, b);               // ZZ
    perm<_MM_SHUFFLE(2, 2, 2, 3)>(w1, sqv);  // s, zz, zz, zz
    blend<0b0100>(w2, z, w1);                // 0, 0, zz, 0
    f52::add<V>(w1, w1, w2);                 // s, ., 2zz, .
    blend<0b0100>(from, plus, minus);        // YY, ., ZZ, .
    f52::sub<V>(xt, w1, from);               // XX, ., TT, .
    perm<_MM_SHUFFLE(0, 0, 0, 0)>(l, xt);
    blend<0b0010>(l, l, plus);
    blend<0b0100>(l, l, minus);  // XX, YY, ZZ, XX
    perm<_MM_SHUFFLE(2, 2, 2, 2)>(r, xt);
    blend<0b0010>(r, r, minus);
    blend<0b1000>(r, r, plus);  // TT, ZZ, TT, YY
    f52::mul<V>(p.v, l, r);
}

struct group_ifma {
    using point = detail::point;
    using cached = detail::cached;
    using affine = detail::cached;
    static point from(const ge_p3& p) noexcept {
        const fe* e[4] = {&p.X, &p.Y, &p.Z, &p.T};
        point r;
        load(r.v, e);
        return r;
    }
    static cached from_cached(const ge_cached& c) noexcept {
        const fe* e[4] = {&c.YminusX, &c.YplusX, &c.Z, &c.T2d};
        f4 v, z, w;
        load(v, e);
        zero(z);
        blend<0b0100>(w, z, v);
        cached r;
        f52::add<V>(r.v, v, w);  // Z doubled
        return r;
    }
    static ge_p3 out(const point& p) noexcept {
        ge_p3 r;
        fe* e[4] = {&r.X, &r.Y, &r.Z, &r.T};
        store(e, p.v);
        return r;
    }
    static point identity() noexcept {
        const fe zero_fe{{0, 0, 0, 0, 0}}, one{{1, 0, 0, 0, 0}};
        const fe* e[4] = {&zero_fe, &one, &one, &zero_fe};
        point r;
        load(r.v, e);
        return r;
    }
    static void dbl(point& p) noexcept { detail::dbl(p); }
    static void add(point& p, const cached& c) noexcept { add_cached(p, c.v); }
    static void sub(point& p, const cached& c) noexcept {
        f4 n;
        negate_cached(n, c.v);
        add_cached(p, n);
    }
    static cached to_cached(const point& p) noexcept {
        f4 t;
        sums(t, p.v);
        cached r;
        f52::mul<V>(r.v, t, cached_scale());
        return r;
    }
    static void add_p3(point& p, const point& q) noexcept {
        const cached c = to_cached(q);
        add_cached(p, c.v);
    }
    static point neg(const point& p) noexcept {
        f4 z, n;
        zero(z);
        f52::sub<V>(n, z, p.v);
        point r;
        blend<0b1001>(r.v, p.v, n);
        return r;
    }
    static affine to_affine(const point& p) noexcept { return to_cached(p); }  // Z = 1: 2Z = 2
    static void madd(point& p, const affine& q) noexcept { add(p, q); }
    static void msub(point& p, const affine& q) noexcept { sub(p, q); }
    static void madd_pair(point& p1, const affine& q1, bool minus1, point& p2, const affine& q2,
                          bool minus2) noexcept {
        f4 n1, n2;
        if (minus1) negate_cached(n1, q1.v);
        if (minus2) negate_cached(n2, q2.v);
        point* const pp[2] = {&p1, &p2};
        const f4* const qq[2] = {minus1 ? &n1 : &q1.v, minus2 ? &n2 : &q2.v};
        add_cached<2>(pp, qq);
    }
    static void add_p3_pair(point& p1, const point& q1, point& p2, const point& q2) noexcept {
        const cached c1 = to_cached(q1), c2 = to_cached(q2);  // both read before either sum is written
        point* const pp[2] = {&p1, &p2};
        const f4* const qq[2] = {&c1.v, &c2.v};
        add_cached<2>(pp, qq);
    }
};

}  // namespace

ge_p3 multiscalar_mul_ifma(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n, int algorithm,
                           int window, const ge_cached* const* odd_multiples) {
    return msm_impl::multiscalar_mul<group_ifma>(scalars, points, n, algorithm, window, odd_multiples);
}

}  // namespace taocore::crypto::detail
