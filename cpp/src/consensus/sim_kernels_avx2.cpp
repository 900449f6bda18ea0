// SPDX-License-Identifier: MIT
// AVX2 (+FMA, BMI) build of the simulator; CMake compiles only this file with those flags and the
// dispatch calls it only on CPUs that report them. The epoch loop is the shared source
// (sim_epoch-inl.hpp), vectorised by the compiler; the float32 consensus selection and the
// transposition into server-major columns are hand-written here.
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#define TAOCORE_ISA_NS avx2
#define TAOCORE_ISA_TABLE sim_kernels_avx2
#include "detail/sim_generic-inl.hpp"

namespace taocore::consensus::sim::detail::avx2 {

namespace {

// kPack.idx[m] lists the lanes whose bit is set in m, lowest first: the vpermps control that
// packs the selected lanes of a vector to its front.
struct PackTable {
    alignas(32) std::int32_t idx[256][8];
};
constexpr PackTable make_pack_table() {
    PackTable t{};
    for (int m = 0; m < 256; ++m) {
        int k = 0;
        for (int lane = 0; lane < 8; ++lane)
            if ((m >> lane) & 1) t.idx[m][k++] = lane;
    }
    return t;
}
constexpr PackTable kPack = make_pack_table();

constexpr std::size_t kSmall = 16;  // sets this small are sorted outright

std::size_t round8(std::size_t n) { return (n + 7) / 8 * 8; }

double hsum(__m256d v) {
    const __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    const __m128d s = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/// Sum of x[0..n8) in double (n8 a multiple of 8).
double sum8(const float* x, std::size_t n8) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    for (std::size_t i = 0; i < n8; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    return hsum(_mm256_add_pd(a0, a1));
}

/// Packs the pairs with lo <= w <= hi of (w, s)[0..n8) (n8 a multiple of 8, pad weights NaN)
/// into (dw, ds), in order, and pads the result with eight NaN weights. Returns how many were
/// packed; `above` receives the stake of the pairs with w > hi, summed in double.
std::size_t pack_band(const float* w, const float* s, std::size_t n8, float lo, float hi, float* dw, float* ds,
                      double& above) {
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    std::size_t k = 0;
    for (std::size_t i = 0; i < n8; i += 8) {
        const __m256 x = _mm256_loadu_ps(w + i), st = _mm256_loadu_ps(s + i);
        // Ordered compares: NaN padding is neither above nor inside.
        const __m256 gt = _mm256_cmp_ps(x, vhi, _CMP_GT_OQ);
        const __m256 inside = _mm256_andnot_ps(gt, _mm256_cmp_ps(x, vlo, _CMP_GE_OQ));
        const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(inside));
        const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPack.idx[m]));
        _mm256_storeu_ps(dw + k, _mm256_permutevar8x32_ps(x, perm));
        _mm256_storeu_ps(ds + k, _mm256_permutevar8x32_ps(st, perm));
        k += static_cast<std::size_t>(std::popcount(m));
        const __m256 sg = _mm256_and_ps(st, gt);
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(sg)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(sg, 1)));
    }
    _mm256_storeu_ps(dw + k, _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN()));
    _mm256_storeu_ps(ds + k, _mm256_setzero_ps());
    above = hsum(_mm256_add_pd(a0, a1));
    return k;
}

/// Sorts up to 16 pairs by weight, highest first (ties in input order), without branching on
/// the data: each pair's place is the number of pairs that must precede it.
void sort16_desc(const float* w, const float* s, std::size_t n, float* ow, float* os) {
    alignas(32) float lw[16], ls[16];
    for (std::size_t k = 0; k < 16; ++k) {
        lw[k] = k < n ? w[k] : -std::numeric_limits<float>::infinity();
        ls[k] = k < n ? s[k] : 0.0f;
    }
    const __m256 w0 = _mm256_load_ps(lw), w1 = _mm256_load_ps(lw + 8);
    for (std::size_t k = 0; k < 16; ++k) {
        const __m256 x = _mm256_set1_ps(lw[k]);
        const unsigned gt = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(w0, x, _CMP_GT_OQ))) |
                            static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(w1, x, _CMP_GT_OQ))) << 8;
        const unsigned eq = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(w0, x, _CMP_EQ_OQ))) |
                            static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(w1, x, _CMP_EQ_OQ))) << 8;
        const unsigned place = static_cast<unsigned>(std::popcount(gt) + std::popcount(eq & ((1u << k) - 1)));
        ow[place] = lw[k];
        os[place] = ls[k];
    }
}

float hmax(__m256 v) {
    v = _mm256_max_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_max_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm256_max_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm256_cvtss_f32(v);
}

float hmin(__m256 v) {
    v = _mm256_min_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_min_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm256_min_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm256_cvtss_f32(v);
}

/// The largest of the 16 sample weights w0|w1 whose stake at or above it, g0|g1, reaches t
/// (-inf if none does).
float sample_quantile(__m256 w0, __m256 w1, __m256 g0, __m256 g1, float t) {
    const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    const __m256 vt = _mm256_set1_ps(t);
    return hmax(_mm256_max_ps(_mm256_blendv_ps(ninf, w0, _mm256_cmp_ps(g0, vt, _CMP_GE_OQ)),
                              _mm256_blendv_ps(ninf, w1, _mm256_cmp_ps(g1, vt, _CMP_GE_OQ))));
}

/// Pivots for a set of n > 16 pairs from an evenly spaced sample of 16: the sample's own
/// stake-weighted quantiles at share -/+ kMargin standard errors of a 16-point estimate, so that
/// the set's quantile falls between them (p_lo <= it <= p_hi) most of the time; with `one`, the
/// sample quantile at `share` alone. An open side is +/-inf. Only steers the search, so float
/// sums do. The stake at or above each sample value is computed for all sixteen at once rather
/// than by sorting the sample: no branches on the data.
void pick_pivots(const float* w, const float* s, std::size_t n, double share, bool one, float& p_hi, float& p_lo) {
    constexpr double kMargin = 1.5;  // wider bands shrink slower, narrower ones miss more
    const __m256i step = _mm256_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15);
    const __m256i vn = _mm256_set1_epi32(static_cast<int>(n));
    const __m256i i0 = _mm256_srli_epi32(_mm256_mullo_epi32(step, vn), 5);
    const __m256i i1 = _mm256_srli_epi32(_mm256_mullo_epi32(_mm256_add_epi32(step, _mm256_set1_epi32(16)), vn), 5);
    const __m256 w0 = _mm256_i32gather_ps(w, i0, 4), w1 = _mm256_i32gather_ps(w, i1, 4);
    const __m256 s0 = _mm256_i32gather_ps(s, i0, 4), s1 = _mm256_i32gather_ps(s, i1, 4);
    alignas(32) float lw[16], ls[16];
    _mm256_store_ps(lw, w0);
    _mm256_store_ps(lw + 8, w1);
    _mm256_store_ps(ls, s0);
    _mm256_store_ps(ls + 8, s1);
    __m256 g0 = _mm256_setzero_ps(), g1 = _mm256_setzero_ps();
    for (std::size_t m = 0; m < 16; ++m) {
        const __m256 bw = _mm256_set1_ps(lw[m]), bs = _mm256_set1_ps(ls[m]);
        g0 = _mm256_add_ps(g0, _mm256_and_ps(_mm256_cmp_ps(w0, bw, _CMP_LE_OQ), bs));
        g1 = _mm256_add_ps(g1, _mm256_and_ps(_mm256_cmp_ps(w1, bw, _CMP_LE_OQ), bs));
    }
    float tot = 0.0f;
    for (float x : ls) tot += x;
    const double q = std::clamp(share, 0.0, 1.0);
    const float inf = std::numeric_limits<float>::infinity();
    if (one) {
        const float x = sample_quantile(w0, w1, g0, g1, static_cast<float>(q * tot));
        p_hi = p_lo = x == -inf ? hmin(_mm256_min_ps(w0, w1)) : x;
        return;
    }
    const double d = kMargin * std::sqrt(q * (1.0 - q)) / 4.0;  // the standard error for 16 points
    p_hi = q - d > 0.0 ? sample_quantile(w0, w1, g0, g1, static_cast<float>((q - d) * tot)) : inf;
    p_lo = q + d < 1.0 ? sample_quantile(w0, w1, g0, g1, static_cast<float>((q + d) * tot)) : -inf;
    if (p_hi == -inf) p_hi = inf;  // nothing in the sample reaches it: leave the top open
}

/// Pivots for a set of n pairs known to lie in [lo, hi]: where the running stake would reach
/// `share` of the set's stake, -/+ kMargin standard errors, if the weights were spread evenly
/// over the band. Only steers the search.
void interpolate_pivots(float hi, float lo, std::size_t n, double share, float& p_hi, float& p_lo) {
    constexpr double kMargin = 1.5;
    const double q = std::clamp(share, 0.0, 1.0);
    const double d = kMargin * std::sqrt(q * (1.0 - q) / static_cast<double>(n)) + 1.0 / static_cast<double>(n);
    const double span = static_cast<double>(hi) - static_cast<double>(lo);
    p_hi = q - d > 0.0 ? static_cast<float>(static_cast<double>(hi) - (q - d) * span) : hi;
    p_lo = q + d < 1.0 ? static_cast<float>(static_cast<double>(hi) - (q + d) * span) : lo;
}

float column_min(const float* col, std::size_t n) {
    float m = col[0];
    for (std::size_t i = 1; i < n; ++i) m = std::min(m, col[i]);
    return m;
}

/// The float32 selection (same answer as weighted_quantile_desc): narrow the candidates with two
/// pivots around where the running stake reaches the target (from a sample of the set, or
/// interpolated inside the band the previous round kept), one vector pass each (compare, pack
/// the band, sum the stake above it), until few are left; then sort those and walk their running
/// stake. A pass that misses (the quantile lies outside the band) repacks the side it lies in, so
/// every round shrinks the set.
float column_quantile_f32(const float* col, const float* s, std::size_t n, std::size_t n_pad, double kappa,
                          ColumnScratch<float>& sc) {
    if (kappa <= 0.0) {
        float top = col[0];
        for (std::size_t i = 1; i < n; ++i) top = std::max(top, col[i]);
        return top;
    }
    const std::size_t L = n_pad + 8;
    float* bw[2] = {sc.buf.data(), sc.buf.data() + L};
    float* bs[2] = {sc.buf.data() + 2 * L, sc.buf.data() + 3 * L};
    const float* cw = col;
    const float* cs = s;
    std::size_t cn = n, cpad = n_pad, next = 0;
    double acc = 0.0;        // stake of everything ranked above the current set
    double set_stake = 1.0;  // the set's stake (stake shares sum to about 1): only steers pivots
    bool one_pivot = false;
    // After a round that kept the band between two finite pivots, the set is that band, and
    // the next pivots are interpolated inside it (as if the weights were spread evenly across
    // it) rather than sampled: near the quantile the density hardly changes, and a sample costs
    // more than the pass it steers on a set this small.
    bool banded = false;
    float band_hi = 0.0f, band_lo = 0.0f;
    for (;;) {
        if (cn <= kSmall) {
            alignas(32) float ow[16], os[16];
            sort16_desc(cw, cs, cn, ow, os);
            for (std::size_t k = 0; k < cn; ++k) {
                acc += static_cast<double>(os[k]);
                if (acc >= kappa) return ow[k];
            }
            return column_min(col, n);  // the stake never reached kappa
        }
        float p_hi, p_lo;
        const double share = set_stake > 0.0 ? (kappa - acc) / set_stake : 0.0;
        if (banded && !one_pivot)
            interpolate_pivots(band_hi, band_lo, cn, share, p_hi, p_lo);
        else
            pick_pivots(cw, cs, cn, share, one_pivot, p_hi, p_lo);
        banded = false;
        double above = 0.0;
        std::size_t k = pack_band(cw, cs, cpad, p_lo, p_hi, bw[next], bs[next], above);
        const double inside = sum8(bs[next], round8(k));
        if (acc + above >= kappa) {
            // Missed high: the quantile is above p_hi.
            double none = 0.0;
            k = pack_band(cw, cs, cpad, std::nextafter(p_hi, std::numeric_limits<float>::infinity()),
                          std::numeric_limits<float>::infinity(), bw[next], bs[next], none);
            set_stake = above;
            one_pivot = false;
        } else if (acc + above + inside >= kappa) {
            if (p_lo == p_hi) return p_lo;
            acc += above;
            set_stake = inside;
            one_pivot = k == cn;  // no progress (all in the band): split at one value next
            banded = std::isfinite(p_hi) && std::isfinite(p_lo);
            band_hi = p_hi;
            band_lo = p_lo;
        } else {
            // Missed low: the quantile is below p_lo (or the stake never reaches kappa).
            const double rest = set_stake - above - inside;
            k = pack_band(cw, cs, cpad, -std::numeric_limits<float>::infinity(),
                          std::nextafter(p_lo, -std::numeric_limits<float>::infinity()), bw[next], bs[next], above);
            if (k == 0) return column_min(col, n);
            acc += above;
            set_stake = rest;
            one_pivot = false;
        }
        cw = bw[next];
        cs = bs[next];
        cn = k;
        cpad = round8(k);
        next ^= 1;
    }
}

template <class T>
void column_scratch_init(ColumnScratch<T>& sc, std::size_t n, std::size_t n_pad) {
    if constexpr (std::is_same_v<T, float>)
        sc.buf.resize(4 * (n_pad + 8));
    else
        generic_scratch_init(sc, n);
}

template <class T>
T column_quantile(const T* col, const T* s, std::size_t n, std::size_t n_pad, double kappa, ColumnScratch<T>& sc) {
    if constexpr (std::is_same_v<T, float>)
        return column_quantile_f32(col, s, n, n_pad, kappa, sc);
    else
        return generic_column_quantile(col, s, n, kappa, sc);
}

/// 8 x 8 float transpose: rows r0..r7 in, columns out.
void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

template <class T>
void transpose_rows(const T* rows, std::size_t ld, std::size_t nrows, std::size_t cols, T* dst, std::size_t ldt) {
    std::size_t j0 = 0;
    if constexpr (std::is_same_v<T, float>) {
        if (nrows == 8) {
            for (; j0 + 8 <= cols; j0 += 8) {
                __m256 r[8];
                for (std::size_t k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(rows + k * ld + j0);
                transpose8(r);
                for (std::size_t k = 0; k < 8; ++k) _mm256_storeu_ps(dst + (j0 + k) * ldt, r[k]);
            }
        }
    }
    generic_transpose_rows(rows + j0, ld, nrows, cols - j0, dst + j0 * ldt, ldt);
}

}  // namespace

}  // namespace taocore::consensus::sim::detail::avx2

#include "detail/sim_epoch-inl.hpp"
