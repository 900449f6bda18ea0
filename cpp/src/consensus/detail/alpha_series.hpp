// SPDX-License-Identifier: MIT
// The series' coefficients shared by the liquid-alpha interval kernels of every ISA
// (alpha_bounds_avx512.cpp, alpha_bounds_avx2.cpp): both evaluate the same polynomials, so their
// error bounds (and the margins that rest on them) are argued once, here.
#pragma once

namespace taocore::consensus::detail {

inline constexpr int kTerms = 31;  // the chain's series: 1 + x + terms i = 2..31

struct SeriesCoefficients {
    double p[kTerms + 1];  // 1/i!: P(x) = Σ p[i] x^i
    double e[kTerms - 1];  // Σ_{k=2}^{31-m} k!/(k+m)!: E(x) = Σ e[m] x^m bounds the floors' loss
    // max over m >= 2 of e[m] / p[m] (about 0.6, at m = 2), raised by 2^-40 over the two
    // coefficients' rounding: then E(x) <= e[0] + e[1]·x + loss_ratio·(P(x) − 1 − x) for x >= 0
    // term by term, which costs two FMAs where E's own Horner chain took 29, and is as tight
    // near x = 0 (where the interval's open entries are) and loose only by a few units where
    // the sum is huge and a unit does not matter.
    double loss_ratio;
};

// Each coefficient is a product or sum of at most ~60 correctly rounded positive operations, so
// its relative error is below 2^-46; the kernel's margins (2^-40) cover it with room.
constexpr SeriesCoefficients make_series_coefficients() {
    SeriesCoefficients c{};
    c.p[0] = 1.0;
    for (int i = 1; i <= kTerms; ++i) c.p[i] = c.p[i - 1] / i;
    for (int m = 0; m < kTerms - 1; ++m) {
        double sum = 0.0;
        for (int k = 2; k <= kTerms - m; ++k) {
            double ratio = 1.0;  // k!/(k+m)!
            for (int j = k + 1; j <= k + m; ++j) ratio /= j;
            sum += ratio;
        }
        c.e[m] = sum;
    }
    c.loss_ratio = 0.0;
    for (int m = 2; m < kTerms - 1; ++m) c.loss_ratio = c.e[m] / c.p[m] > c.loss_ratio ? c.e[m] / c.p[m] : c.loss_ratio;
    c.loss_ratio *= 1.0 + 0x1p-40;
    return c;
}
inline constexpr SeriesCoefficients kSeries = make_series_coefficients();

// The loss bound's constant term, e[0] = 30, is one unit for each of the steps i = 2..31 (the
// recurrence e_i < e_{i−1}·x/i + 1). A step whose true term T_i = x^i/i!·2^32 is below 1 gives
// t_i = 0 (t_i <= T_i, an integer), and so do all later ones, whose loss is then T_i itself.
// So where T_{K+1}(x) < 1 (and x <= (K + 2) / 2, so that each later term is at most half the
// one before), the steps past K lose Σ_{i>K} T_i < 2 T_{K+1} < 2 in all, and the steps up to K
// follow the recurrence with K − 1 units, whose higher coefficients are each at most E's: the
// constant term may be K + 1 instead of 30. T is increasing in x, so each tier below holds for
// every x under its limit (checked at compile time, with room for the rounding of the check).
// Near a = 0, where the open entries are, this narrows the interval about threefold: at
// steepness 1000 (|a| <= 5) the open entries fall from ~23% to ~13%. Both interval kernels take
// it, each in its own instructions.
struct LossTier {
    double below;  // x (not bits) under this...
    int steps;     // ...leaves at most this many nonzero terms (K)
};
inline constexpr LossTier kLossTiers[] = {{2.0, 17}, {1.0, 12}, {0.34, 8}, {0.05, 5}};
constexpr bool loss_tiers_hold() {
    for (const LossTier& t : kLossTiers) {
        double term = 0x1p32;  // T_{K+1}(below)
        for (int i = 1; i <= t.steps + 1; ++i) term = term * t.below / i;
        if (!(term < 0.99) || !(t.below <= (t.steps + 2) / 2.0) || t.steps + 1 > 30) return false;
    }
    return true;
}
static_assert(loss_tiers_hold());

}  // namespace taocore::consensus::detail
