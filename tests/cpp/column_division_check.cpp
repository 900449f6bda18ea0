// SPDX-License-Identifier: MIT
// The AVX2 column division (cpp/src/consensus/detail/column_division.hpp), or with
// CHECK_AVX512 its AVX-512 build, against the chain's saturating_div: random divisors of every
// magnitude and kind, numerators near whole quotients, whole numbers, negatives, columns out of
// range, rows of consecutive columns (the kernels' table loads), and every numerator below 2^20
// (scaled) for a set of edge divisors. Prints "ok" or the first mismatches.
#include "consensus/detail/column_division.hpp"
#include "taocore/consensus/math.hpp"
#include <cstdio>
#include <random>
#include <vector>
using namespace taocore;
using namespace taocore::consensus;
using fixed::I32F32;
static void fb(math::Entry& e, const void* c) {
    const auto& d = *static_cast<const std::vector<I32F32>*>(c);
    if (e.col >= d.size() || d[e.col].is_zero()) return;
    e.value = fixed::saturating_div(e.value, d[e.col]);
}
#if defined(CHECK_AVX512)
static const auto divide_columns = &detail::divide_columns_avx512;
static bool supported() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"); }
#else
static const auto divide_columns = &detail::divide_columns_avx2;
static bool supported() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif
int main() {
    if (!supported()) {
        std::printf("ok (the kernel's instructions are missing: skipped)\n");
        return 0;
    }
    std::mt19937_64 rng(7);
    long long bad = 0, total = 0;
    for (int round = 0; round < 1500; ++round) {
        const std::size_t cols = 1 + rng() % 300;
        std::vector<I32F32> div(cols);
        for (auto& d : div) {
            int kind = rng() % 8;
            std::int64_t v;
            if (kind == 0) v = (std::int64_t)(rng() % 70000) << 32;            // whole
            else if (kind == 1) v = (std::int64_t)(rng() >> (1 + rng() % 63)); // any magnitude
            else if (kind == 2) v = (std::int64_t{1} << (rng() % 63)) + (std::int64_t)(rng() % 3) - 1;
            else if (kind == 3) v = -(std::int64_t)(rng() % 1000);
            else if (kind == 4) v = (std::int64_t)(rng() % (1ull << 38));
            else if (kind == 5) v = (std::int64_t)(rng() % (1ull << 22)) << 32;
            else if (kind == 6) v = (std::int64_t)(rng() % 5);
            else v = (std::int64_t)((1ull << 52) - 1 - rng() % 1000);
            d = I32F32::from_bits(v);
        }
        std::vector<double> pairs(2 * cols);
        for (std::size_t j = 0; j < cols; ++j) detail::column_reciprocal(div[j].bits, &pairs[2 * j]);
        const std::size_t n = rng() % 1200;
        std::vector<math::Entry> e(n);
        const bool runs = round % 2 == 0;  // mostly dense rows: consecutive columns
        for (auto& x : e) {
            std::uint16_t c = (rng() % 10 == 0) ? (std::uint16_t)(rng() % 400) : (std::uint16_t)(rng() % cols);
            if ((runs ? rng() % 40 != 0 : rng() % 3 == 0) && &x != e.data()) c = (std::uint16_t)((&x - 1)->col + 1);
            std::int64_t d = c < cols ? div[c].bits : 1;
            std::int64_t a;
            int kind = rng() % 7;
            if (kind == 0 && d > 0) {  // near an integer quotient: a ≈ k·d / 2^32
                unsigned __int128 k = rng() % (1ull << (rng() % 51));
                a = (std::int64_t)((k * (unsigned __int128)d) >> 32) + (std::int64_t)(rng() % 3) - 1;
            } else if (kind == 1) a = (std::int64_t)(rng() % (1ull << 32));
            else if (kind == 2) a = (std::int64_t)(rng() % 65536) << 32;
            else if (kind == 3) a = (std::int64_t)rng();
            else if (kind == 4 && d > 0) a = d - (std::int64_t)(rng() % 3);
            else if (kind == 5) a = (std::int64_t)(rng() >> (rng() % 64));
            else a = (std::int64_t)(rng() % (1ull << 53));
            x = {c, I32F32::from_bits(a)};
        }
        std::vector<math::Entry> ref = e;
        for (auto& x : ref) fb(x, &div);
        detail::ColumnReciprocals t{pairs.data(), cols};
        divide_columns(e.data(), n, t, fb, &div);
        for (std::size_t k = 0; k < n; ++k) {
            ++total;
            if (e[k].col != ref[k].col || e[k].value.bits != ref[k].value.bits) {
                if (bad < 10) std::printf("bad col %u a? got %lld want %lld\n", e[k].col, (long long)e[k].value.bits, (long long)ref[k].value.bits);
                ++bad;
            }
        }
    }
    // Exhaustive: every a in [0, 2^20) against a set of divisors; plus whole a.
    std::vector<I32F32> div;
    for (std::int64_t d : {std::int64_t{2}, std::int64_t{3}, std::int64_t{7}, std::int64_t{4096}, std::int64_t{8191}, std::int64_t{8192},
                           std::int64_t{8193}, std::int64_t{65535}, std::int64_t{1} << 32, (std::int64_t{1} << 32) + 1,
                           (std::int64_t{1} << 32) - 1, std::int64_t{123456789}, std::int64_t{3} << 32, std::int64_t{65535} << 32,
                           (std::int64_t{64} * 65535) << 32, std::int64_t{274877906943}, (std::int64_t{1} << 51) + 12345})
        div.push_back(I32F32::from_bits(d));
    std::vector<double> pairs(2 * div.size());
    for (std::size_t j = 0; j < div.size(); ++j) detail::column_reciprocal(div[j].bits, &pairs[2 * j]);
    detail::ColumnReciprocals t{pairs.data(), div.size()};
    for (int whole = 0; whole < 2; ++whole) {
        std::vector<math::Entry> e;
        for (std::uint16_t c = 0; c < div.size(); ++c)
            for (std::int64_t a = 0; a < (1 << 20); ++a) e.push_back({c, I32F32::from_bits(whole ? a << 32 : a * 4099)});
        std::vector<math::Entry> ref = e;
        for (auto& x : ref) fb(x, &div);
        divide_columns(e.data(), e.size(), t, fb, &div);
        for (std::size_t k = 0; k < e.size(); ++k) { ++total; bad += e[k].value.bits != ref[k].value.bits; }
    }
    std::printf("%s: checked %lld, mismatches %lld\n", bad == 0 ? "ok" : "FAILED", total, bad);
    return bad != 0;
}
