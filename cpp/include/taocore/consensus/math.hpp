// SPDX-License-Identifier: MIT
// The epoch's vector and sparse-matrix helpers on I32F32, with subtensor's exact rounding and
// storage-order rules (spec subtensor-epoch.md §7). The epoch is built from these, and the tests
// replay subtensor's own math assertions against them one by one.
#pragma once

#include <cstdint>
#include <vector>

#include "taocore/fixed.hpp"

namespace taocore::consensus::math {

using fixed::I32F32;

/// One stored entry of a sparse row: (column uid, value).
struct Entry {
    std::uint16_t col;
    I32F32 value;
};
/// Sparse rows in storage order (the chain keeps the caller's order; nothing here sorts).
using Row = std::vector<Entry>;
using SparseMatrix = std::vector<Row>;
using Vector = std::vector<I32F32>;

// ---- conversions (§7.1, §7.2) --------------------------------------------------------------------
/// floor(x · 65535) clamped to [0, 65535] (saturating I32F32 product, then saturating to u16).
inline std::uint16_t fixed_proportion_to_u16(I32F32 x) noexcept {
    if (x.bits <= 0) return 0;
    const fixed::u128 p = static_cast<fixed::u128>(x.bits) * 65535u;  // bits of x·65535
    const fixed::u128 whole = p >> 32;
    return whole > 65535 ? 65535 : static_cast<std::uint16_t>(whole);
}
/// x / 65535 as I32F32 (checked_div, truncated). Since 2^32 = 65535·65537 + 1, the quotient
/// floor(x·2^32 / 65535) is x·65537 + floor(x / 65535) exactly, with no division.
inline I32F32 u16_proportion_to_fixed(std::uint16_t x) noexcept {
    return I32F32::from_bits(static_cast<std::int64_t>(x) * 65537 + (x == 65535 ? 1 : 0));
}
inline I32F32 u16_to_fixed(std::uint16_t x) noexcept { return I32F32::from_int(x); }
std::vector<std::uint16_t> vec_max_upscale_to_u16(const Vector& v);
std::vector<std::uint16_t> vec_u16_max_upscale_to_u16(const std::vector<std::uint16_t>& v);
bool check_vec_max_limited(const std::vector<std::uint16_t>& v, std::uint16_t max_limit);
/// 1 − I32F32(I64F64(bonds_moving_average) / I64F64(1e6)): the EMA weight of new bonds.
I32F32 bonds_moving_average_alpha(std::uint64_t bonds_moving_average) noexcept;

// ---- transcendental (§1.3, §3.1) -----------------------------------------------------------------
I32F32 exp_safe(I32F32 x) noexcept;
I32F32 sigmoid_safe(I32F32 input, I32F32 rho, I32F32 kappa) noexcept;
/// Liquid alpha for one (consensus, weight, bond) triple; low/high/steepness already as I32F32.
I32F32 alpha_sigmoid(I32F32 consensus, I32F32 weight, I32F32 bond, I32F32 alpha_low, I32F32 alpha_high,
                     I32F32 steepness) noexcept;

// ---- vectors (§7.3, §7.4) ------------------------------------------------------------------------
std::vector<bool> is_topk(const Vector& v, std::size_t k);
std::vector<bool> is_topk_nonzero(const Vector& v, std::size_t k);
I32F32 sum(const Vector& v) noexcept;
void inplace_normalize(Vector& v) noexcept;
void inplace_normalize_using_sum(Vector& v, I32F32 s) noexcept;
Vector vecdiv(const Vector& x, const Vector& y);
Vector vec_mul(const Vector& a, const Vector& b);

// ---- sparse matrices (§7.4 – §7.7) ---------------------------------------------------------------
void inplace_row_normalize(Row& row) noexcept;  // divide by the row sum if it is > 0
void inplace_row_normalize_sparse(SparseMatrix& m) noexcept;
void inplace_col_normalize_sparse(SparseMatrix& m, std::size_t columns);
void inplace_col_max_upscale_sparse(SparseMatrix& m, std::size_t columns);
SparseMatrix mask_rows_sparse(const std::vector<bool>& mask, const SparseMatrix& m);
SparseMatrix mask_diag_sparse(const SparseMatrix& m);
SparseMatrix mask_diag_sparse_except_index(const SparseMatrix& m, std::size_t except_index);

enum class MaskOp { equal, less, less_equal };

/// Whether a mask drops an entry: op(a, b) for the two values it compares.
inline bool mask_applies(MaskOp op, std::uint64_t a, std::uint64_t b) noexcept {
    switch (op) {
        case MaskOp::equal: return a == b;
        case MaskOp::less: return a < b;
        case MaskOp::less_equal: return a <= b;
    }
    return false;
}

// In-place forms of the masks (the copying forms above and below are built on these).
void mask_rows_inplace(const std::vector<bool>& mask, SparseMatrix& m) noexcept;
void mask_diag_inplace(SparseMatrix& m, std::size_t except_index) noexcept;  // except: SIZE_MAX for none
void vec_mask_inplace(SparseMatrix& m, const std::vector<std::uint64_t>& first,
                      const std::vector<std::uint64_t>& second, MaskOp op) noexcept;
void scalar_vec_mask_inplace(SparseMatrix& m, std::uint64_t scalar, const std::vector<std::uint64_t>& v,
                             MaskOp op) noexcept;
/// Drop (i,j) where op(first[i], second[j]) holds; a missing first[i]/second[j] reads as 0.
SparseMatrix vec_mask_sparse_matrix(const SparseMatrix& m, const std::vector<std::uint64_t>& first,
                                    const std::vector<std::uint64_t>& second, MaskOp op);
/// Drop (i,j) where op(scalar, v[j]) holds.
SparseMatrix scalar_vec_mask_sparse_matrix(const SparseMatrix& m, std::uint64_t scalar,
                                           const std::vector<std::uint64_t>& v, MaskOp op);

Vector row_sum_sparse(const SparseMatrix& m);
Vector matmul_sparse(const SparseMatrix& m, const Vector& v, std::size_t columns);
Vector matmul_transpose_sparse(const SparseMatrix& m, const Vector& v);
SparseMatrix row_hadamard_sparse(const SparseMatrix& m, const Vector& v);
SparseMatrix mat_vec_mul_sparse(const SparseMatrix& m, const Vector& v);
/// row_sum(mat_vec_mul_sparse(col-normalised copy of m, v)) without building the two matrices:
/// per row, Σ_j floor((m_ij / colsum_j) · v_j) with the same divisions and floors.
Vector col_normalized_row_dot(const SparseMatrix& m, const Vector& v, std::size_t columns);
SparseMatrix col_clip_sparse(const SparseMatrix& m, const Vector& threshold);
SparseMatrix interpolate_sparse(const SparseMatrix& m1, const SparseMatrix& m2, std::size_t columns, I32F32 ratio);
SparseMatrix mat_ema_sparse(const SparseMatrix& next, const SparseMatrix& prev, I32F32 alpha);
/// Yuma3's per-entry EMA; `alpha(i, j)` gives α for the entries present in row i of `next`.
template <class AlphaFn>
SparseMatrix mat_ema_alpha_sparse(const SparseMatrix& next, const SparseMatrix& prev, std::size_t columns,
                                  AlphaFn&& alpha);
/// Dense `mat_ema_alpha` (the dense test epoch's variant): min((1−α)·old + max(α·new, 0), 1).
std::vector<Vector> mat_ema_alpha_dense(const std::vector<Vector>& next, const std::vector<Vector>& prev,
                                        const std::vector<Vector>& alpha);

// ---- consensus (§7.6) ----------------------------------------------------------------------------
I32F32 weighted_median(const Vector& stake, const Vector& score, I32F32 minority, I32F32 lo, I32F32 hi);
Vector weighted_median_col_sparse(const Vector& stake, const SparseMatrix& score, std::size_t columns,
                                  I32F32 majority);

// ---- template definition -------------------------------------------------------------------------
template <class AlphaFn>
SparseMatrix mat_ema_alpha_sparse(const SparseMatrix& next, const SparseMatrix& prev, std::size_t columns,
                                  AlphaFn&& alpha) {
    if (next.size() != prev.size()) return next;
    const I32F32 one = I32F32::one();
    SparseMatrix out(next.size());
    std::vector<I32F32> old_value(columns, I32F32::zero());
    for (std::size_t i = 0; i < next.size(); ++i) {
        if (next[i].empty()) continue;  // a bond with no current weight entry is dropped
        for (const Entry& e : prev[i]) {
            if (e.col < columns) old_value[e.col] = e.value;
        }
        for (const Entry& e : next[i]) {
            if (e.col >= columns) continue;
            const I32F32 a = alpha(i, e.col);
            const I32F32 decayed = fixed::saturating_mul(fixed::saturating_sub(one, a), old_value[e.col]);
            I32F32 increment = fixed::saturating_mul(a, e.value);
            if (increment < I32F32::zero()) increment = I32F32::zero();
            I32F32 v = fixed::saturating_add(decayed, increment);
            if (v > one) v = one;
            if (v > I32F32::zero()) out[i].push_back({e.col, v});
        }
        for (const Entry& e : prev[i]) {
            if (e.col < columns) old_value[e.col] = I32F32::zero();
        }
    }
    return out;
}

}  // namespace taocore::consensus::math
