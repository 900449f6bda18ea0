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

// A second bound on the floors' loss, tight where the interval's open entries are (small x).
// Each step loses e_i < e_{i-1}·x/i + 1 (the recursion above, whose sum is E), and also
// e_i <= T_i = x^i/i! (in units of 2^-32), since the chain's term is never negative: once T_i
// falls below a unit the term is 0 and its loss is no longer a unit but T_i. Both bounds grow
// with x, so for x below a cell's top x1 the loss is at most B(x1) = Σ_{i=2}^{31} min(ê_i(x1),
// T_i(x1)) with ê_i = ê_{i-1}·x1/i + 1, ê_1 = 0. Near x = 0, E counts a unit for each of the
// thirty steps while only the first few terms are nonzero (B(2^-4) ≈ 5.5 against E ≈ 30.3), and
// the interval's width is mostly that loss: in a 256-uid epoch at steepness 1000 the open
// entries fall from ~23% to ~11% (a model of both bounds over the chain's own series).
// Cell c covers the binade [2^(c-16), 2^(c-15)) and the x below it (cell 0); from x = 1 up, B of
// a binade's top exceeds E within it, and the kernel uses E alone.
inline constexpr int kLossCells = 16;
inline constexpr int kLossFirstExponent = -16;
struct LossCells {
    double bound[kLossCells];
};
// Doubles with at most ~100 roundings per cell, each relative 2^-53: the result raised by 2^-40
// and a thousandth of a unit is an upper bound with room.
constexpr LossCells make_loss_cells() {
    LossCells cells{};
    for (int c = 0; c < kLossCells; ++c) {
        double top = 1.0;  // 2^(c + kLossFirstExponent + 1), built by exact halvings
        for (int k = 0; k < -(c + kLossFirstExponent + 1); ++k) top *= 0.5;
        double bound = 0.0, recursion = 0.0, term = top * 0x1p32;  // T_1 in units
        for (int i = 2; i <= kTerms; ++i) {
            recursion = recursion * top / i + 1.0;
            term = term * top / i;
            bound += recursion < term ? recursion : term;
        }
        cells.bound[c] = bound * (1.0 + 0x1p-40) + 0x1p-10;
    }
    return cells;
}
inline constexpr LossCells kLossCellBounds = make_loss_cells();

}  // namespace taocore::consensus::detail
