// SPDX-License-Identifier: MIT
// Differential check of the radix-2^52 AVX-512 IFMA field (crypto/detail/fe52.hpp) against the
// portable radix-2^51 reference (field25519.hpp), at both register widths: mul, sq, add and sub
// on edge values (0, 1, p - 1, p, p + 1, 2^255 - 1, limbs at the 2^54 bound fe_mul accepts,
// normal limbs at their maxima, ...) and random ones, including long chains that keep feeding
// outputs back in; then the batched exponentiation (pow22523_ifma_avx512.cpp) against
// fe_pow22523 in batches whose sizes leave partial passes. Compared as canonical encodings;
// every output must also be in normal form. Built and run by tests/test_crypto_backends.py on
// CPUs that report AVX-512 IFMA. Prints "ok" and the number of comparisons, or the first mismatch.
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/pow22523_ifma_avx512.cpp"

using namespace taocore::crypto::detail;
namespace f = taocore::crypto::detail::f52;

namespace {

long checks = 0;

bool same(const fe& got, const fe& want, const char* what, std::size_t i) {
    std::uint8_t a[32], b[32];
    fe_to_bytes(a, got);
    fe_to_bytes(b, want);
    ++checks;
    if (std::memcmp(a, b, 32) != 0) {
        std::printf("mismatch in %s at input %zu\n", what, i);
        return false;
    }
    return true;
}

bool normal(const f::u64 l[5]) {
    for (int k = 0; k < 4; ++k)
        if (l[k] >> 52) return false;
    return (l[4] >> 48) == 0;
}

// Runs op on lanes of V-wide registers filled from xs / ys (cycled) and compares each lane with ref.
template <class V, class Op, class Ref>
bool lanes_agree(const std::vector<fe>& xs, const std::vector<fe>& ys, Op op, Ref ref, const char* what) {
    constexpr int L = V::lanes;
    for (std::size_t start = 0; start < xs.size(); start += L) {
        f::u64 la[5][L], lb[5][L];
        fe a[L], b[L];
        for (int j = 0; j < L; ++j) {
            a[j] = xs[(start + j) % xs.size()];
            b[j] = ys[(start + 7 * j + 3) % ys.size()];
            f::u64 t[5];
            f::from_fe(t, a[j]);
            if (!normal(t)) return std::printf("from_fe not normal (%s)\n", what), false;
            for (int k = 0; k < 5; ++k) la[k][j] = t[k];
            f::from_fe(t, b[j]);
            for (int k = 0; k < 5; ++k) lb[k][j] = t[k];
        }
        f::fe52<V> va, vb, vr;
        for (int k = 0; k < 5; ++k) va.l[k] = V::load(la[k]), vb.l[k] = V::load(lb[k]);
        // Long chains: the result goes back in as the left operand eight times.
        fe want[L];
        for (int j = 0; j < L; ++j) want[j] = a[j];
        vr = va;
        for (int round = 0; round < 8; ++round) {
            op(vr, vr, vb);
            for (int j = 0; j < L; ++j) want[j] = ref(want[j], b[j]);
        }
        f::u64 lr[5][L];
        for (int k = 0; k < 5; ++k) V::store(lr[k], vr.l[k]);
        for (int j = 0; j < L; ++j) {
            const f::u64 t[5] = {lr[0][j], lr[1][j], lr[2][j], lr[3][j], lr[4][j]};
            if (!normal(t)) return std::printf("%s output not normal at input %zu\n", what, start + j), false;
            fe got;
            f::to_fe(got, t);
            if (!same(got, want[j], what, start + j)) return false;
        }
    }
    return true;
}

template <class V>
bool field_agrees(const std::vector<fe>& in) {
    using F = f::fe52<V>;
    return lanes_agree<V>(in, in, [](F& r, const F& a, const F& b) { f::mul<V>(r, a, b); },
                          [](const fe& a, const fe& b) { return fe_mul(a, b); }, "mul") &&
           lanes_agree<V>(in, in, [](F& r, const F& a, const F&) { f::sq<V>(r, a); },
                          [](const fe& a, const fe&) { return fe_sq(a); }, "sq") &&
           lanes_agree<V>(in, in, [](F& r, const F& a, const F& b) { f::add<V>(r, a, b); },
                          [](const fe& a, const fe& b) { return fe_carry(fe_add(fe_carry(a), fe_carry(b))); }, "add") &&
           lanes_agree<V>(in, in, [](F& r, const F& a, const F& b) { f::sub<V>(r, a, b); },
                          [](const fe& a, const fe& b) { return fe_sub(fe_carry(a), fe_carry(b)); }, "sub");
}

}  // namespace

int main() {
    const std::uint64_t m51 = (std::uint64_t{1} << 51) - 1, m54 = (std::uint64_t{1} << 54) - 1;
    std::vector<fe> in = {
        {{0, 0, 0, 0, 0}}, {{1, 0, 0, 0, 0}}, {{2, 0, 0, 0, 0}},
        {{m51 - 19, m51, m51, m51, m51}},  // p - 1
        {{m51 - 18, m51, m51, m51, m51}},  // p
        {{m51 - 17, m51, m51, m51, m51}},  // p + 1
        {{m51, m51, m51, m51, m51}},       // 2^255 - 1
        {{m54, m54, m54, m54, m54}}, {{m54, 0, 0, 0, m54}}, {{0, 0, 0, 0, m54}}, {{m54, 0, 0, 0, 0}},
        {{19, 0, 0, 0, std::uint64_t{1} << 51}}, fe_d, fe_d2, fe_sqrtm1, fe_invsqrt_a_minus_d,
    };
    std::mt19937_64 rng(2026);
    for (int i = 0; i < 3000; ++i) {
        fe x;
        for (auto& l : x.v) l = rng() & (i % 3 == 0 ? m54 : m51);
        if (i % 5 == 1) x.v[4] = m51, x.v[3] = m51;  // top-heavy values stress the folds
        in.push_back(x);
    }
    if (!field_agrees<f::V256>(in) || !field_agrees<f::V512>(in)) return 1;
    for (std::size_t size : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, in.size()}) {
        for (std::size_t start = 0; start + size <= in.size(); start += size) {
            std::vector<fe> got(in.begin() + static_cast<long>(start), in.begin() + static_cast<long>(start + size));
            fe_pow22523_many_ifma(got.data(), size);
            for (std::size_t i = 0; i < size; ++i)
                if (!same(got[i], fe_pow22523(in[start + i]), "pow22523", start + i)) return 1;
            if (size == 1 && start >= 64) break;  // single passes: the edge values are enough
        }
    }
    std::printf("ok %ld\n", checks);
    return 0;
}
