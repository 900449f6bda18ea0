// SPDX-License-Identifier: MIT
// Differential check of the radix-2^64 field (fe64.hpp, the MULX verification kernels) against the
// portable radix-2^51 reference (field25519.hpp): random values and edge values (0, 1, p - 1, p,
// p + 1, 2^255 - 1, 2^256 - 1, words of all ones, values just below 2^256 - 38, ...), as
// canonical encodings after mul, sq, sqn, add, sub and neg, including long chains that keep feeding
// unreduced outputs back in, and results written over an operand. Built and run by
// tests/test_crypto_backends.py on CPUs that report BMI2 and ADX. Prints "ok" and the number of comparisons, or the first mismatch.
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/detail/fe64.hpp"

using namespace taocore::crypto::detail;
namespace f = taocore::crypto::detail::f64;

// Value-returning forms of the out-reference operations, to keep the checks readable.
static fe from_u256(const f::fe64& a) {
    fe r;
    f::to_fe(r, a);
    return r;
}
static f::fe64 mul(const f::fe64& a, const f::fe64& b) { f::fe64 r; f::mul(r, a, b); return r; }
static f::fe64 sq(const f::fe64& a) { f::fe64 r; f::sq(r, a); return r; }
static f::fe64 add(const f::fe64& a, const f::fe64& b) { f::fe64 r; f::add(r, a, b); return r; }
static f::fe64 sub(const f::fe64& a, const f::fe64& b) { f::fe64 r; f::sub(r, a, b); return r; }
static f::fe64 neg(const f::fe64& a) { f::fe64 r; f::neg(r, a); return r; }
static f::fe64 from_fe(const fe& a) { f::fe64 r; f::from_fe(r, a); return r; }

static bool same(const f::fe64& x, const fe& y, const char* what, long n) {
    std::uint8_t bx[32], by[32];
    fe_to_bytes(bx, from_u256(x));
    fe_to_bytes(by, y);
    if (std::memcmp(bx, by, 32) != 0) {
        std::printf("mismatch in %s at step %ld\n", what, n);
        return false;
    }
    return true;
}

int main() {
    const unsigned long long M = ~0ULL;
    const f::fe64 p{{M - 18, M, M, M >> 1}};
    std::vector<f::fe64> edge = {
        {{0, 0, 0, 0}}, {{1, 0, 0, 0}}, {{2, 0, 0, 0}}, {{37, 0, 0, 0}}, {{38, 0, 0, 0}},
        {{M - 19, M, M, M >> 1}}, p, {{M - 17, M, M, M >> 1}}, {{M, M, M, M >> 1}},
        {{0, 0, 0, 1ULL << 63}}, {{M, M, M, M}}, {{M - 37, M, M, M}}, {{M - 38, M, M, M}},
        {{M - 18, M, M, M}}, {{0, M, 0, M}}, {{M, 0, M, 0}}, {{19, 0, 0, 1ULL << 63}},
        {{M, M, M, 0}}, {{0, 0, 0, M}}, {{1ULL << 63, 1ULL << 63, 1ULL << 63, 1ULL << 63}},
    };
    std::mt19937_64 rng(12345);
    for (int i = 0; i < 2000; ++i) {
        f::fe64 x{{rng(), rng(), rng(), rng()}};
        if (i % 4 == 1) x.v[3] |= 0xffffffff00000000ULL;  // top-heavy values stress the folds
        if (i % 4 == 2) x.v[0] |= 0xffffffffffffff00ULL, x.v[1] = M, x.v[2] = M, x.v[3] = M;
        edge.push_back(x);
    }
    long n = 0;
    for (std::size_t i = 0; i < edge.size(); ++i) {
        for (std::size_t j = 0; j < edge.size(); j += (i < 20 ? 1 : 97)) {
            const f::fe64 &a = edge[i], &b = edge[j];
            const fe A = from_u256(a), B = from_u256(b);
            ++n;
            if (!same(mul(a, b), fe_mul(A, B), "mul", n)) return 1;
            if (!same(add(a, b), fe_carry(fe_add(A, B)), "add", n)) return 1;
            if (!same(sub(a, b), fe_sub(A, B), "sub", n)) return 1;
        }
        // In place: the result may overwrite an operand (the verification loop relies on it).
        const fe A = from_u256(edge[i]);
        {
            const f::fe64 b = edge[(i * 7 + 3) % edge.size()];
            const fe B = from_u256(b);
            f::fe64 x = edge[i], y = b, z = edge[i], w = edge[i], u = edge[i], v = edge[i];
            f::mul(x, x, b);
            f::mul(y, edge[i], y);
            f::mul(z, z, z);
            f::sq(w, w);
            f::add(u, u, u);
            f::sub(v, v, b);
            ++n;
            if (!same(x, fe_mul(A, B), "mul in place", n) || !same(y, fe_mul(A, B), "mul in place", n) ||
                !same(z, fe_sq(A), "mul in place", n) || !same(w, fe_sq(A), "sq in place", n) ||
                !same(u, fe_carry(fe_add(A, A)), "add in place", n) || !same(v, fe_sub(A, B), "sub in place", n))
                return 1;
        }
        {  // sqn: repeated squaring in registers, against as many reference squarings
            const unsigned k = 1 + static_cast<unsigned>(i % 7) * 9;
            f::fe64 x;
            f::sqn(x, edge[i], k);
            ++n;
            if (!same(x, fe_sqn(A, static_cast<int>(k)), "sqn", n)) return 1;
        }
        if (!same(sq(edge[i]), fe_sq(A), "sq", n)) return 1;
        if (!same(neg(edge[i]), fe_neg(A), "neg", n)) return 1;
        if (!same(from_fe(A), A, "from_fe", n)) return 1;
    }
    // Chains: outputs (never fully reduced) fed back in, as in the verification loop.
    f::fe64 x = edge[11], y = edge[12];
    fe X = from_u256(x), Y = from_u256(y);
    for (long k = 0; k < 200000; ++k) {
        switch (k % 5) {
            case 0: x = mul(x, y); X = fe_mul(X, Y); break;
            case 1: y = sq(add(x, y)); Y = fe_sq(fe_add(X, Y)); break;
            case 2: x = sub(x, y); X = fe_sub(X, Y); break;
            case 3: y = add(add(x, x), y); Y = fe_carry(fe_add(fe_add(X, X), Y)); break;
            default: x = mul(neg(x), sq(y)); X = fe_mul(fe_neg(X), fe_sq(Y)); break;
        }
        ++n;
        if (!same(x, X, "chain x", n) || !same(y, Y, "chain y", n)) return 1;
    }
    std::printf("ok %ld\n", n);
    return 0;
}
