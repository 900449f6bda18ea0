// SPDX-License-Identifier: MIT
// Liquid alpha without the exp series where floating point proves the answer (math.cpp's
// alpha_sigmoid_many). The chain computes α = low + floor(σ·(high − low)) with
// σ = 1 / (1 + exp_safe(a)), and exp_safe(a) is substrate_fixed's truncated Taylor series with a
// floor at every step (spec §1.3): about thirty dependent multiply-divide steps per bond entry.
//
// The floors only ever lose, and by a bounded amount: with T_i = x^i / i! (in units of 2^-32)
// and the chain's term t_i = floor(t_{i-1}·x / i), the shortfall e_i = T_i − t_i satisfies
// e_i < e_{i-1}·x/i + 1 (e_1 = 0), so the chain's sum lies in [P(x) − E(x), P(x)] where
// P(x) = Σ_{i≤31} x^i/i! and E(x) = Σ_m x^m Σ_{k=2}^{31−m} k!/(k+m)! — both polynomials with
// non-negative coefficients, which Horner's rule evaluates in double to a relative error below
// 2^-46 (the kernel bounds E from above by its first two terms and a multiple of P's tail,
// alpha_bounds_avx512.cpp, with a constant term tighter near x = 0: kLossTiers). σ and
// α are monotone in that sum, so its interval, carried through the divisions with a
// margin for their rounding, gives an interval of α; where both ends give the same α, that is the
// chain's α. The others (near a = 0 the interval spans a step of α) go through the exact series.
// So every result is exact whatever the floating-point unit or ISA: a backend can only settle
// more or fewer entries, never different bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

/// Builds for AVX-512 (eight lanes) and AVX2 (four).
/// For the exponents a[0..count) (I32F32 bits, clamped here to [−20, 20] like exp_safe), with
/// 0 <= low, 0 <= span = high − low and low + span <= 1 (bits): alpha[k] = the chain's α where the
/// interval proves it, −1 elsewhere (and always for a = 1, which the chain answers from a
/// constant instead of the series). The open entries are listed in order: their exponents (as
/// given) in open_exponent and their k in open_at; returns how many. Both lists need room for
/// count + 8 values (whole vectors are stored).
using AlphaBoundsFn = std::size_t (*)(const std::int64_t* a, std::size_t count, std::int64_t low, std::int64_t span,
                                      std::int64_t* alpha, std::int64_t* open_exponent, std::size_t* open_at) noexcept;

/// The chain's series sum 1 + x + Σ_{i=2..31} t_i (bits) for magnitudes 0 < x[k] <= exp_series_limit,
/// exactly (spec §1.3), eight lanes of IFMA integer steps at a time; the exact path for the
/// entries the interval leaves open. Within the limit no step overflows, so the series never fails.
using ExpSeriesFn = void (*)(const std::int64_t* x, std::size_t count, std::int64_t* sum) noexcept;
inline constexpr std::int64_t exp_series_limit = std::int64_t{10} << 32;

/// The exact α (the chain's series and both divisions) of the open entries (a[k], at[k]) for
/// k < count, with low and span as for AlphaBoundsFn: alpha[at[k]] for every exponent the kernel
/// takes (AVX-512, the series kernel's: 0 < |a| <= exp_series_limit, a != 1; AVX2: 0 < |a| < 1).
/// The others (the scalar path's) are packed to the front of a and at, in order; returns how
/// many. Both lists need room for count + 8.
using AlphaExactFn = std::size_t (*)(std::int64_t* a, std::size_t* at, std::size_t count, std::int64_t low,
                                     std::int64_t span, std::int64_t* alpha) noexcept;

/// The exponents of alpha_sigmoid_many, a[k] = floor(factor·(x_k − ½)) with x_k from c[k], w[k],
/// b[k] (math.cpp's rule, bits).
using AlphaExponentsFn = void (*)(const std::int64_t* c, const std::int64_t* w, const std::int64_t* b,
                                  std::size_t count, std::int64_t factor, std::int64_t* a) noexcept;

/// AlphaExponentsFn for the `count` entries of a bond-weight row, whose columns strictly increase
/// and are valid indices of `c` and `b`: w[k] = row[k].value, c[k] = c[row[k].col] and
/// b[k] = b[row[k].col] (liquid alpha's inputs by column, gathered here instead of copied first).
using RowExponentsFn = void (*)(const math::Entry* row, std::size_t count, const std::int64_t* c,
                                const std::int64_t* b, std::int64_t factor, std::int64_t* a) noexcept;

/// The moving average of mat_ema_alpha_sparse over a row as RowExponentsFn's, with α, the row's
/// new values and its old values (old_value, by column) all in [0, 2^32] (ema_alpha_entry's plain
/// case): the entries with a positive result go to out, in order, and when col_sum is given every
/// result is added to its column's sum. Stops before the first vector (eight entries on AVX-512,
/// four on AVX2, which leaves a last partial vector to the caller too) with a value outside that
/// range; returns how many entries it took (the caller does the rest) and advances out.
using EmaAlphaRowFn = std::size_t (*)(const math::Entry* row, std::size_t count, const std::int64_t* alpha,
                                      const std::int64_t* old_value, std::int64_t* col_sum, math::Entry*& out) noexcept;

#if defined(TAOCORE_HAVE_AVX512)
void alpha_row_exponents_avx512(const math::Entry* row, std::size_t count, const std::int64_t* c, const std::int64_t* b,
                                std::int64_t factor, std::int64_t* a) noexcept;
std::size_t ema_alpha_row_avx512(const math::Entry* row, std::size_t count, const std::int64_t* alpha,
                                 const std::int64_t* old_value, std::int64_t* col_sum, math::Entry*& out) noexcept;
void alpha_exponents_avx512(const std::int64_t* c, const std::int64_t* w, const std::int64_t* b, std::size_t count,
                            std::int64_t factor, std::int64_t* a) noexcept;
void exp_series_avx512(const std::int64_t* x, std::size_t count, std::int64_t* sum) noexcept;
std::size_t alpha_bounds_avx512(const std::int64_t* a, std::size_t count, std::int64_t low, std::int64_t span,
                                std::int64_t* alpha, std::int64_t* open_exponent, std::size_t* open_at) noexcept;
std::size_t alpha_exact_avx512(std::int64_t* a, std::size_t* at, std::size_t count, std::int64_t low, std::int64_t span,
                               std::int64_t* alpha) noexcept;
#endif

#if defined(TAOCORE_HAVE_AVX2)
std::size_t alpha_bounds_avx2(const std::int64_t* a, std::size_t count, std::int64_t low, std::int64_t span,
                              std::int64_t* alpha, std::int64_t* open_exponent, std::size_t* open_at) noexcept;
std::size_t alpha_exact_avx2(std::int64_t* a, std::size_t* at, std::size_t count, std::int64_t low, std::int64_t span,
                             std::int64_t* alpha) noexcept;
void alpha_exponents_avx2(const std::int64_t* c, const std::int64_t* w, const std::int64_t* b, std::size_t count,
                          std::int64_t factor, std::int64_t* a) noexcept;
void alpha_row_exponents_avx2(const math::Entry* row, std::size_t count, const std::int64_t* c, const std::int64_t* b,
                              std::int64_t factor, std::int64_t* a) noexcept;
std::size_t ema_alpha_row_avx2(const math::Entry* row, std::size_t count, const std::int64_t* alpha,
                               const std::int64_t* old_value, std::int64_t* col_sum, math::Entry*& out) noexcept;
#endif

}  // namespace taocore::consensus::detail
