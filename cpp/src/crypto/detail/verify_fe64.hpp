// SPDX-License-Identifier: MIT
// The point loop of ge_verify_combination_vartime in the radix-2^64 field (fe64.hpp), built in
// verify_fe64_avx2.cpp with the avx2 flags and called only when use_fe64_kernels() (a non-scalar
// backend, BMI2 and ADX). It must give exactly the point the radix-2^51 loop in
// edwards.cpp gives, up to projective representation (tests/test_crypto_backends.py forces each
// backend and compares every verification result).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/detail/edwards.hpp"

namespace taocore::crypto::detail {

/// The digits (256 each) of the four half-size scalars of d * (sB - kA - R) and the highest
/// position any of them is non-zero at (top >= 0).
struct verify_digits {
    const std::int8_t *c, *d, *lo, *hi;
    int top;
};

/// Verification's base tables: the odd multiples B, 3B, ..., 127B (width-8 wNAF) of 2^(32 j) B
/// for j < base_powers (edwards.cpp builds them, affine). The half-size-scalar loop reads j = 0
/// and j = base_power_128 (2^128 B); a hot key's loop splits s in base_powers 32-bit parts.
inline constexpr int base_powers = 8;
inline constexpr int base_part_bits = 256 / base_powers;
inline constexpr int base_power_128 = 128 / base_part_bits;
inline constexpr int base_table_size = 64;

/// A hot key's tables for verify_loop_hot_fe64: the odd multiples (width-7 wNAF) of -2^(32 j) A
/// for j < base_powers in the radix-2^64 field, built by hot_key_build_fe64 (opaque here: the
/// layout is verify_fe64_avx2.cpp's).
inline constexpr int hot_key_window = 7;
inline constexpr int hot_key_table_size = 1 << (hot_key_window - 2);
struct hot_key_tables {
    alignas(32) unsigned char bytes[base_powers * hot_key_table_size * 128];
};

/// The wNAF digits (256 each) of k (width hot_key_window) and s (width 8): position 32 j + i
/// is digit i of the part of 2^(32 j) A, resp. 2^(32 j) B. top >= 0 is the highest i any part
/// is non-zero at.
struct hot_digits {
    const std::int8_t *k, *s;
    int top;
};

#if defined(TAOCORE_HAVE_AVX2)
/// sum over digits of c * (-A) + d * R' + lo * B + hi * 2^128 B, where neg_a_table holds the odd
/// multiples of -A (cached form) and r_signed is R' (R or -R, already signed). Variable time.
ge_p3 verify_loop_fe64(const verify_digits& digits, const ge_cached neg_a_table[8], const ge_p3& r_signed,
                       const ge_precomp* const base[base_powers]) noexcept;
/// Fills out with A's tables (see hot_key_tables).
void hot_key_build_fe64(hot_key_tables& out, const ge_p3& A) noexcept;
/// s B - k A from hot-key tables: 32 doublings where the half-size-scalar loop needs 128, and no
/// table for R, whose decoding (background, if not null) advances a few squarings per doubling
/// since R is only needed after the loop. Variable time.
ge_p3 verify_loop_hot_fe64(const hot_digits& digits, const hot_key_tables& key, pow22523_job* background,
                           const ge_precomp* const base[base_powers]) noexcept;
/// s B - k A for a hot key (tables from hot_key_build_fe64 for this A), advancing background's
/// chain meanwhile (see verify_loop_hot_fe64).
ge_p3 ge_hot_combination_vartime(const scalar& s, const scalar& k, const hot_key_tables& key,
                                 pow22523_job* background) noexcept;
/// The radix-2^64 steps of pow22523_job (edwards.hpp): start sets job.running, and advance
/// clears it and fills job.result once the chain is complete.
void pow22523_fe64_start(pow22523_job& job, const fe& z) noexcept;
void pow22523_fe64_advance(pow22523_job& job, int squarings) noexcept;
/// ge_mul_cofactor (8P) in the radix-2^64 field.
ge_p3 ge_mul_cofactor_fe64(const ge_p3& p) noexcept;
/// ge_multiscalar_mul_vartime (msm.hpp) in the radix-2^64 field: the same algorithm steps
/// (algorithm is an msm_algorithm; every point must already have Z = 1).
ge_p3 multiscalar_mul_fe64(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n, int algorithm,
                           int window, const ge_cached* const* odd_multiples);
#endif
#if defined(TAOCORE_HAVE_AVX512)
/// z[i]^(2^252 - 3) for i < n, sixteen at a time in radix 2^52 with AVX-512 IFMA
/// (pow22523_ifma_avx512.cpp); only when use_ifma_kernels().
void fe_pow22523_many_ifma(fe* z, std::size_t n) noexcept;
/// ge_multiscalar_mul_vartime with each point's coordinates in the lanes of IFMA registers
/// (msm_ifma_avx512.cpp): the same algorithm steps; only when use_ifma_kernels().
ge_p3 multiscalar_mul_ifma(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n, int algorithm,
                           int window, const ge_cached* const* odd_multiples);
#endif

/// True when the AVX-512 IFMA kernels run: the avx512 backend is active (it implies IFMA) and
/// use_fe64_kernels() (so TAOCORE_VERIFY_FIELD=radix-2^51 turns these off too).
bool use_ifma_kernels() noexcept;

/// True when the radix-2^64 kernels run: a non-scalar backend is active, the CPU has BMI2 and
/// ADX, and TAOCORE_VERIFY_FIELD does not force radix-2^51 (see taocore/crypto/field.hpp).
bool use_fe64_kernels() noexcept;

/// z^(2^252 - 3) for public z (decoding keys and signatures): the radix-2^64 chain when the
/// kernels may run, else fe_pow22523. Secret values keep calling fe_pow22523 directly.
fe fe_pow22523_public(const fe& z) noexcept;
/// z[i] = z[i]^(2^252 - 3) for i < n, public values: side by side with AVX-512 IFMA when the
/// avx512 backend is active, else fe_pow22523_public one by one.
void fe_pow22523_public_many(fe* z, std::size_t n) noexcept;

}  // namespace taocore::crypto::detail
