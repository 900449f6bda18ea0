// SPDX-License-Identifier: MIT
// The liquid-alpha interval kernel's series sum and loss-bound tail
// (cpp/src/consensus/detail/series_exp_avx512.hpp) against the series they stand for,
// P(x) = Σ_{i<=31} x^i/i! and P − 1 − x, summed in long double (64-bit significands: far below
// the bounds checked). series_by_exp at x = a / 2^32 for every kind of exponent the kernel gives
// it: random ones in (0, 5], the smallest, the largest, and those around the multiples of
// ln 2 / 2 where the reduction's n changes; its bounds: P within 2^-48.8 (relative), the tail
// within 2^-41.5 (absolute). series_by_horner on (0, 20] (the clamp): both within 2^-46
// (relative). Prints "ok" and the worst errors, or "fail".
#include "consensus/detail/series_exp_avx512.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

using taocore::consensus::detail::series_by_exp;

// P(x) and its tail Σ_{i>=2} x^i/i! (summed on its own: P − 1 − x would cancel for small x).
struct Series {
    long double sum, tail;
};
static Series series(long double x) {
    long double term = x, tail = 0.0L;
    for (int i = 2; i <= 31; ++i) {
        term = term * x / i;
        tail += term;
    }
    return {1.0L + x + tail, tail};
}

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
            const Series want = series(xs[l]);
            worst = std::fmax(worst, static_cast<double>(std::fabs((out[l] - want.sum) / want.sum)));
            worst_tail = std::fmax(worst_tail, static_cast<double>(std::fabs(tails[l] - want.tail)));
        }
    }
    // Horner's rule, eight vectors at a time as the kernel runs it.
    double horner = 0.0, horner_tail = 0.0;
    const std::uint64_t clamp = std::uint64_t{20} << 32;
    for (long t = 0; t < 1000000; t += 64) {
        alignas(64) double xs[64], ps[64], tails[64];
        for (double& v : xs) v = static_cast<double>(rng() % 2 == 0 ? rng() % clamp + 1 : clamp - rng() % 4096) * 0x1p-32;
        __m512d x[8], p[8], tail[8];
        for (int g = 0; g < 8; ++g) x[g] = _mm512_load_pd(xs + 8 * g);
        taocore::consensus::detail::series_by_horner(x, p, tail);
        for (int g = 0; g < 8; ++g) {
            _mm512_store_pd(ps + 8 * g, p[g]);
            _mm512_store_pd(tails + 8 * g, tail[g]);
        }
        for (int l = 0; l < 64; ++l) {
            const Series want = series(xs[l]);
            horner = std::fmax(horner, static_cast<double>(std::fabs((ps[l] - want.sum) / want.sum)));
            horner_tail = std::fmax(horner_tail, static_cast<double>(std::fabs((tails[l] - want.tail) / want.tail)));
        }
    }
    const bool ok = worst <= std::exp2(-48.8) && worst_tail <= std::exp2(-41.5) && horner <= std::exp2(-46.0) &&
                    horner_tail <= std::exp2(-46.0);
    std::printf("%s: by exp, worst relative error of P 2^%.2f, of its tail (absolute) 2^%.2f; by Horner, of P 2^%.2f, "
                "of its tail 2^%.2f\n",
                ok ? "ok" : "fail", std::log2(worst), std::log2(worst_tail), std::log2(horner), std::log2(horner_tail));
    return ok ? 0 : 1;
}
