// SPDX-License-Identifier: MIT
// Radix-2^64 (MULX/ADX) version of the verification point loop; see detail/verify_fe64.hpp. The
// group formulas are the same complete extended-coordinate formulas as edwards.cpp (a = -1,
// Hisil-Wong-Carter-Dawson), written again over fe64 so the whole loop stays in one
// representation: conversions happen only for the inputs (A's table, R, the base tables once)
// and the result.
//
// Every formula writes its result through an out-reference and keeps its temporaries as named
// locals: no point or field element is copied as a whole right after it was computed (see
// fe64.hpp for why that matters more than instruction counts).
//
// Like fe64.hpp and msm-inl.hpp, everything here has internal linkage and calls no inline or
// template function of the baseline code (this file is compiled with ISA flags).
#include "crypto/detail/fe64.hpp"
#include "crypto/detail/msm-inl.hpp"
#include "crypto/detail/verify_fe64.hpp"

#include <new>

namespace taocore::crypto::detail {
namespace {

using f64::fe64;

struct p3 {  // extended (X:Y:Z:T); doubling reads only X, Y, Z
    fe64 X, Y, Z, T;
};
struct p1p1 {  // completed: x = X/Z, y = Y/T
    fe64 X, Y, Z, T;
};
struct cached {  // Y+X, Y-X, 2Z (doubled once here rather than in every addition), 2dT
    fe64 YplusX, YminusX, Z2, T2d;
};
struct precomp {  // affine y+x, y-x, 2dxy
    fe64 yplusx, yminusx, xy2d;
};

void to_p3(p3& r, const p1p1& p) noexcept {
    f64::mul(r.X, p.X, p.T);
    f64::mul(r.Y, p.Y, p.Z);
    f64::mul(r.Z, p.Z, p.T);
    f64::mul(r.T, p.X, p.Y);
}

// X, Y, Z only: enough when the next step is a doubling.
void to_p2(p3& r, const p1p1& p) noexcept {
    f64::mul(r.X, p.X, p.T);
    f64::mul(r.Y, p.Y, p.Z);
    f64::mul(r.Z, p.Z, p.T);
}

// 2P from X, Y, Z alone: x^2, y^2, 2z^2 and (x + y)^2. Forced inline: it runs ~130 times per
// verification and the call with its register saves was measured at ~1.5% of the instructions
// (inlining to_p3 as well made the compiler spill more and lost as much).
[[gnu::always_inline]] inline void dbl(p1p1& o, const p3& p) noexcept {
    fe64 xx, yy, zz2, s;
    f64::sq(xx, p.X);
    f64::sq(yy, p.Y);
    f64::sq(zz2, p.Z);
    f64::add(zz2, zz2, zz2);
    f64::add(s, p.X, p.Y);
    f64::sq(s, s);
    f64::add(o.Y, yy, xx);
    f64::sub(o.Z, yy, xx);
    f64::sub(o.X, s, o.Y);
    f64::sub(o.T, zz2, o.Z);
}

// P + Q (minus = false) or P - Q from Q's y+x, y-x and 2d·t and d = 2 Z z': with
// a = (Y-X)(y-x), b = (Y+X)(y+x) and c = T·2d·t the completed sum is (b-a, b+a, d+c, d-c);
// -Q swaps y+x with y-x and negates 2d·t, i.e. swaps the roles of c's sign.
template <bool minus>
void add_parts(p1p1& o, const p3& p, const fe64& yplusx, const fe64& yminusx, const fe64& t2d,
               const fe64& d) noexcept {
    fe64 a, b, c;
    f64::sub(a, p.Y, p.X);
    f64::mul(a, a, minus ? yplusx : yminusx);
    f64::add(b, p.Y, p.X);
    f64::mul(b, b, minus ? yminusx : yplusx);
    f64::mul(c, p.T, t2d);
    f64::sub(o.X, b, a);
    f64::add(o.Y, b, a);
    if (minus) {
        f64::sub(o.Z, d, c);
        f64::add(o.T, d, c);
    } else {
        f64::add(o.Z, d, c);
        f64::sub(o.T, d, c);
    }
}

template <bool minus>
void add_cached(p1p1& o, const p3& p, const cached& q) noexcept {
    fe64 d;
    f64::mul(d, p.Z, q.Z2);
    add_parts<minus>(o, p, q.YplusX, q.YminusX, q.T2d, d);
}

// The same with an affine addend (z' = 1): one multiplication fewer.
template <bool minus>
void add_precomp(p1p1& o, const p3& p, const precomp& q) noexcept {
    fe64 d;
    f64::add(d, p.Z, p.Z);
    add_parts<minus>(o, p, q.yplusx, q.yminusx, q.xy2d, d);
}

const fe64& d2() noexcept {
    static const fe64 v = [] {
        fe64 r;
        f64::from_fe(r, fe_d2);
        return r;
    }();
    return v;
}

void to_cached(cached& r, const p3& p) noexcept {
    f64::add(r.YplusX, p.Y, p.X);
    f64::sub(r.YminusX, p.Y, p.X);
    f64::add(r.Z2, p.Z, p.Z);
    f64::mul(r.T2d, p.T, d2());
}

void convert(cached& r, const ge_cached& c) noexcept {
    f64::from_fe(r.YplusX, c.YplusX);
    f64::from_fe(r.YminusX, c.YminusX);
    f64::from_fe(r.Z2, c.Z);
    f64::add(r.Z2, r.Z2, r.Z2);
    f64::from_fe(r.T2d, c.T2d);
}

void convert(precomp& r, const ge_precomp& c) noexcept {
    f64::from_fe(r.yplusx, c.yplusx);
    f64::from_fe(r.yminusx, c.yminusx);
    f64::from_fe(r.xy2d, c.xy2d);
}

void from_ge(p3& r, const ge_p3& p) noexcept {
    f64::from_fe(r.X, p.X);
    f64::from_fe(r.Y, p.Y);
    f64::from_fe(r.Z, p.Z);
    f64::from_fe(r.T, p.T);
}

ge_p3 to_ge(const p3& p) noexcept {
    ge_p3 r;
    f64::to_fe(r.X, p.X);
    f64::to_fe(r.Y, p.Y);
    f64::to_fe(r.Z, p.Z);
    f64::to_fe(r.T, p.T);
    return r;
}

// The odd multiples of B, 2^64 B, 2^128 B and 2^192 B (base_powers in verify_fe64.hpp).
struct base_tables64 {
    precomp t[base_powers][base_table_size];
};

const base_tables64& tables64(const ge_precomp* const base[base_powers]) noexcept {
    static const base_tables64 t = [&] {
        base_tables64 r;
        for (int i = 0; i < base_powers; ++i)
            for (int j = 0; j < base_table_size; ++j) convert(r.t[i][j], base[i][j]);
        return r;
    }();
    return t;
}

// out[j] = (2j + 1) P for j < n.
void odd_multiples(cached* out, int n, const p3& p) noexcept {
    p3 p2, m;
    p1p1 q;
    to_cached(out[0], p);
    dbl(q, p);
    to_p3(p2, q);
    for (int j = 1; j < n; ++j) {
        add_cached<false>(q, p2, out[j - 1]);
        to_p3(m, q);
        to_cached(out[j], m);
    }
}

// The running point's step for one digit: nothing for 0, else (q as a full point) +- the
// table's entry |digit| (odd). q holds the completed point before and after.
template <class Entry>
[[gnu::always_inline]] inline void add_digit(p1p1& q, p3& p, int digit, const Entry* table) noexcept {
    if (digit == 0) return;
    to_p3(p, q);
    const int idx = (digit > 0 ? digit : -digit) / 2;
    if constexpr (sizeof(Entry) == sizeof(cached)) {
        if (digit > 0) add_cached<false>(q, p, table[idx]);
        else add_cached<true>(q, p, table[idx]);
    } else {
        if (digit > 0) add_precomp<false>(q, p, table[idx]);
        else add_precomp<true>(q, p, table[idx]);
    }
}

// A hot key's tables (hot_key_tables): odd multiples of -2^(64 j) A.
struct hot_tables {
    cached t[base_powers][hot_key_table_size];
};
static_assert(sizeof(hot_tables) <= sizeof(hot_key_tables::bytes) && alignof(hot_tables) <= 32);

// The group operations msm-inl.hpp needs, over fe64 (see group51 in msm.cpp for the reference).
// The policy's by-value interface costs a copy per call; the single-signature loop below does
// not go through it.
struct group64 {
    using point = p3;
    using cached = detail::cached;
    using affine = precomp;
    static point from(const ge_p3& p) noexcept {
        point r;
        from_ge(r, p);
        return r;
    }
    static cached from_cached(const ge_cached& c) noexcept {
        cached r;
        convert(r, c);
        return r;
    }
    static ge_p3 out(const point& p) noexcept { return to_ge(p); }
    static point identity() noexcept { return p3{{{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}, {{0, 0, 0, 0}}}; }
    // In place: each reads p whole before to_p3 writes it.
    static void dbl(point& p) noexcept {
        p1p1 q;
        detail::dbl(q, p);
        to_p3(p, q);
    }
    static void add(point& p, const cached& c) noexcept {
        p1p1 q;
        add_cached<false>(q, p, c);
        to_p3(p, q);
    }
    static void sub(point& p, const cached& c) noexcept {
        p1p1 q;
        add_cached<true>(q, p, c);
        to_p3(p, q);
    }
    static cached to_cached(const point& p) noexcept {
        cached r;
        detail::to_cached(r, p);
        return r;
    }
    static void add_p3(point& p, const point& q) noexcept {
        cached c;
        detail::to_cached(c, q);
        add(p, c);
    }
    static point neg(const point& p) noexcept {
        point r;
        f64::neg(r.X, p.X);
        r.Y = p.Y;
        r.Z = p.Z;
        f64::neg(r.T, p.T);
        return r;
    }
    static affine to_affine(const point& p) noexcept {  // p.Z == 1: (y + x, y - x, 2d·xy)
        affine r;
        f64::add(r.yplusx, p.Y, p.X);
        f64::sub(r.yminusx, p.Y, p.X);
        f64::mul(r.xy2d, p.T, d2());
        return r;
    }
    static void madd(point& p, const affine& q) noexcept {
        p1p1 o;
        add_precomp<false>(o, p, q);
        to_p3(p, o);
    }
    static void msub(point& p, const affine& q) noexcept {
        p1p1 o;
        add_precomp<true>(o, p, q);
        to_p3(p, o);
    }
};

}  // namespace

namespace {

// The resumable form of the shared chain (pow_chain.hpp): pow22523_fe64_advance can stop between
// any two squarings.
namespace pow {
using namespace pow_chain;
constexpr const auto& chain = pow_chain::pow22523;
constexpr int steps = static_cast<int>(chain.size());

struct state {
    fe64 saved[regs];
    fe64 acc;       // chain[at].src squared so far, once started
    int at;         // the step under way
    int remaining;  // its squarings still to do
    bool started;   // whether acc holds them (else they start from saved[src])
};
static_assert(sizeof(state) <= sizeof(pow22523_job::state) && alignof(state) <= 32);
}  // namespace pow

}  // namespace

void pow22523_fe64_start(pow22523_job& job, const fe& z) noexcept {
    pow::state& st = *new (job.state) pow::state;
    f64::from_fe(st.saved[pow::z1], z);
    st.at = 0;
    st.remaining = pow::chain[0].squarings;
    st.started = false;
    job.running = true;
}

void pow22523_fe64_advance(pow22523_job& job, int squarings) noexcept {
    if (!job.running) return;
    pow::state& st = *std::launder(reinterpret_cast<pow::state*>(job.state));
    // Values are squared and multiplied where they lie (no fresh fe64 is copied as a whole; see
    // fe64.hpp): a step's last squaring writes straight to its destination when nothing follows.
    for (;;) {
        const pow::step& op = pow::chain[st.at];
        const fe64& from = st.started ? st.acc : st.saved[op.src];
        if (st.remaining > 0) {
            if (squarings <= 0) return;
            const int n = st.remaining < squarings ? st.remaining : squarings;
            const bool last = n == st.remaining;
            f64::sqn(last && op.times == pow::nothing ? st.saved[op.dst] : st.acc, from, static_cast<unsigned>(n));
            st.started = true;
            st.remaining -= n;
            squarings -= n;
            if (!last) return;
            if (op.times != pow::nothing) f64::mul(st.saved[op.dst], st.acc, st.saved[op.times]);
        } else {
            f64::mul(st.saved[op.dst], from, st.saved[op.times]);
        }
        if (++st.at == pow::steps) {
            f64::to_fe(job.result, st.saved[pow::result]);
            job.running = false;
            return;
        }
        st.remaining = pow::chain[st.at].squarings;
        st.started = false;
    }
}

ge_p3 ge_mul_cofactor_fe64(const ge_p3& p) noexcept {
    p3 r;
    p1p1 q;
    from_ge(r, p);
    dbl(q, r);
    to_p2(r, q);
    dbl(q, r);
    to_p2(r, q);
    dbl(q, r);
    to_p3(r, q);
    return to_ge(r);
}

ge_p3 multiscalar_mul_fe64(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n, int algorithm,
                           int window, const ge_cached* const* odd_multiples) {
    return msm_impl::multiscalar_mul<group64>(scalars, points, n, algorithm, window, odd_multiples);
}

ge_p3 verify_loop_fe64(const verify_digits& digits, const ge_cached neg_a_table[8], const ge_p3& r_signed,
                       const ge_precomp* const base[base_powers]) noexcept {
    const base_tables64& t = tables64(base);
    cached a_tab[8], r_tab[8];
    for (int j = 0; j < 8; ++j) convert(a_tab[j], neg_a_table[j]);
    p3 p;
    p1p1 q;
    from_ge(p, r_signed);
    odd_multiples(r_tab, 8, p);

    // p holds the running point: X, Y, Z before a doubling, all four before an addition.
    p = p3{{{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}, {{0, 0, 0, 0}}};
    for (int i = digits.top;; --i) {
        dbl(q, p);
        add_digit(q, p, digits.c[i], a_tab);
        add_digit(q, p, digits.d[i], r_tab);
        add_digit(q, p, digits.lo[i], t.t[0]);
        add_digit(q, p, digits.hi[i], t.t[base_power_128]);
        if (i == 0) {
            to_p3(p, q);
            return to_ge(p);
        }
        to_p2(p, q);
    }
}

void hot_key_build_fe64(hot_key_tables& out, const ge_p3& A) noexcept {
    hot_tables& h = *new (out.bytes) hot_tables;
    p3 p;
    p1p1 q;
    from_ge(p, A);
    f64::neg(p.X, p.X);
    f64::neg(p.T, p.T);
    for (int part = 0;; ++part) {
        odd_multiples(h.t[part], hot_key_table_size, p);
        if (part + 1 == base_powers) return;
        for (int j = 0; j < base_part_bits; ++j) {
            dbl(q, p);
            if (j + 1 < base_part_bits) to_p2(p, q);
            else to_p3(p, q);
        }
    }
}

ge_p3 verify_loop_hot_fe64(const hot_digits& digits, const hot_key_tables& key, pow22523_job* background,
                           const ge_precomp* const base[base_powers]) noexcept {
    const base_tables64& t = tables64(base);
    const hot_tables& h = *std::launder(reinterpret_cast<const hot_tables*>(key.bytes));
    // One squaring of R's root at a time, spread over the step (eight per step: the chain's ~250
    // over 32 steps): each is a short dependent chain the out-of-order core runs beside the point
    // formulas (one block of four per step, with 64 steps, was measured ~3% slower).
    const auto root_step = [background] {
        if (background != nullptr) pow22523_fe64_advance(*background, 1);
    };
    p3 p{{{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{1, 0, 0, 0}}, {{0, 0, 0, 0}}};
    p1p1 q;
    for (int i = digits.top;; --i) {
        dbl(q, p);
        for (int j = 0; j < base_powers; ++j) {
            add_digit(q, p, digits.k[base_part_bits * j + i], h.t[j]);
            if (j % 2 == 1) root_step();
        }
        for (int j = 0; j < base_powers; ++j) {
            add_digit(q, p, digits.s[base_part_bits * j + i], t.t[j]);
            if (j % 2 == 1) root_step();
        }
        if (i == 0) {
            to_p3(p, q);
            return to_ge(p);
        }
        to_p2(p, q);
    }
}

}  // namespace taocore::crypto::detail
