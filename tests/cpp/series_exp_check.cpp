// SPDX-License-Identifier: MIT
// The liquid-alpha interval kernel's series sum by the exponential (series_by_exp in
// cpp/src/consensus/detail/series_exp_avx512.hpp) against the series it stands for,
// P(x) = Σ_{i<=31} x^i/i!, summed in long double (64-bit significands: far below the bounds
// checked), at x = a / 2^32 for a every kind of exponent the kernel gives it: random ones in
// (0, 5], the smallest, the largest, and those around the multiples of ln 2 / 2 where the
// reduction's n changes. Checks the header's bounds: P within 2^-48.8 (relative) and P − 1 − x
// within 2^-41.5 (absolute). Prints "ok" and the worst errors, or "fail".
#include "consensus/detail/series_exp_avx512.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

using taocore::consensus::detail::series_by_exp;

int main() {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) {
        std::printf("ok (the kernel's instructions are missing: skipped)\n");
        return 0;
    }
    const std::uint64_t top = std::uint64_t{5} << 32;
    std::mt19937_64 rng(7);
    double worst = 0.0, worst_tail = 0.0;
    for (long t = 0; t < 3000000; t += 8) {
        alignas(64) double xs[8], out[8], tails[8];
        for (int l = 0; l < 8; ++l) {
            std::uint64_t a = 0;
            switch (rng() % 4) {
                case 0: a = rng() % top + 1; break;
                case 1: a = rng() % 4096; break;
                case 2: a = top - rng() % 4096; break;
                default: {
                    const double h = static_cast<double>(rng() % 15) * 0.5 * 0.69314718055994530942;
                    const std::int64_t c = static_cast<std::int64_t>(h * 4294967296.0) + static_cast<std::int64_t>(rng() % 64) - 32;
                    a = c < 0 ? 0 : static_cast<std::uint64_t>(c) > top ? top : static_cast<std::uint64_t>(c);
                }
            }
            xs[l] = static_cast<double>(a) * 0x1p-32;
        }
        __m512d p, tail;
        series_by_exp(_mm512_load_pd(xs), p, tail);
        _mm512_store_pd(out, p);
        _mm512_store_pd(tails, tail);
        for (int l = 0; l < 8; ++l) {
            const long double x = xs[l];
            long double term = 1.0L, sum = 1.0L;
            for (int i = 1; i <= 31; ++i) {
                term = term * x / i;
                sum += term;
            }
            worst = std::fmax(worst, static_cast<double>(std::fabs((out[l] - sum) / sum)));
            worst_tail = std::fmax(worst_tail, static_cast<double>(std::fabs(tails[l] - (sum - 1.0L - x))));
        }
    }
    const bool ok = worst <= std::exp2(-48.8) && worst_tail <= std::exp2(-41.5);
    std::printf("%s: worst relative error of P 2^%.2f, of its tail (absolute) 2^%.2f\n", ok ? "ok" : "fail",
                std::log2(worst), std::log2(worst_tail));
    return ok ? 0 : 1;
}
