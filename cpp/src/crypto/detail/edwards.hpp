// SPDX-License-Identifier: MIT
// edwards25519 (-x^2 + y^2 = 1 + d x^2 y^2) in extended coordinates (X:Y:Z:T), x = X/Z,
// y = Y/Z, xy = T/Z, with the complete Hisil-Wong-Carter-Dawson formulas for a = -1.
//
// Two scalar multiplications: ge_scalarmult_base() is constant time (for secret scalars: key
// generation, signing nonces, derivation) and reads a precomputed table of the base point by a
// full scan of every window; ge_double_scalarmult_vartime() computes a*A + b*B for verification
// with wNAF and must only see public data.
#pragma once

#include <cstdint>

#include "crypto/detail/field25519.hpp"
#include "crypto/detail/scalar25519.hpp"

namespace taocore::crypto::detail {

struct ge_p3 {  // extended
    fe X, Y, Z, T;
};
struct ge_p2 {  // projective (no T): enough for doubling
    fe X, Y, Z;
};
struct ge_p1p1 {  // "completed": ((X/Z), (Y/T)) in the formulas' intermediate form
    fe X, Y, Z, T;
};
struct ge_cached {  // Y+X, Y-X, Z, 2dT: the addend form of a projective point
    fe YplusX, YminusX, Z, T2d;
};
struct ge_precomp {  // y+x, y-x, 2dxy: the addend form of an affine point
    fe yplusx, yminusx, xy2d;
};

ge_p3 ge_identity() noexcept;
ge_p3 ge_basepoint() noexcept;

ge_p3 ge_p1p1_to_p3(const ge_p1p1& p) noexcept;
ge_p2 ge_p1p1_to_p2(const ge_p1p1& p) noexcept;
ge_cached ge_to_cached(const ge_p3& p) noexcept;
ge_p1p1 ge_dbl(const ge_p2& p) noexcept;
ge_p1p1 ge_add(const ge_p3& p, const ge_cached& q) noexcept;
ge_p1p1 ge_sub(const ge_p3& p, const ge_cached& q) noexcept;
/// P + Q and P - Q for an affine Q (precomp form): one multiplication fewer than ge_add.
ge_p1p1 ge_madd(const ge_p3& p, const ge_precomp& q) noexcept;
ge_p1p1 ge_msub(const ge_p3& p, const ge_precomp& q) noexcept;
ge_p3 ge_add_p3(const ge_p3& p, const ge_p3& q) noexcept;
ge_p3 ge_sub_p3(const ge_p3& p, const ge_p3& q) noexcept;
ge_p3 ge_dbl_p3(const ge_p3& p) noexcept;
ge_p3 ge_neg(const ge_p3& p) noexcept;
/// 8*P, for public points (verification); the radix-2^64 kernels when use_fe64_kernels().
ge_p3 ge_mul_cofactor(const ge_p3& p) noexcept;
/// True iff P and Q are the same point. Not constant time.
bool ge_equal_vartime(const ge_p3& p, const ge_p3& q) noexcept;
/// True iff y in an encoding (bits 0..254) is below p: the canonical-encoding half of RFC 8032's
/// strict decoding.
bool ge_y_is_canonical(const std::uint8_t in[32]) noexcept;
/// True iff P is the neutral element (X == 0 and Y == Z). Not constant time.
bool ge_is_identity_vartime(const ge_p3& p) noexcept;

/// z^(2^252 - 3) for a public z, computed a few squarings at a time. The exponentiation is a chain
/// of about 250 dependent squarings whose latency, not the multiplier's throughput, sets its
/// time; a caller with other latency-bound work that does not need the result (verification's
/// half-GCD) advances the chain between its own steps, and the core runs the two side by side.
/// In the radix-2^51 field the whole chain runs in pow22523_start.
struct pow22523_job {
    alignas(32) unsigned char state[512];  // the radix-2^64 chain (verify_fe64_avx2.cpp)
    fe result;
    bool running;
};
void pow22523_start(pow22523_job& job, const fe& z) noexcept;
/// Up to `squarings` more squarings of the chain (and the multiplications they lead to).
void pow22523_advance(pow22523_job& job, int squarings) noexcept;
/// Completes the chain: z^(2^252 - 3).
const fe& pow22523_finish(pow22523_job& job) noexcept;

/// ge_from_bytes_vartime in two halves around its square-root exponentiation, so a caller can
/// advance job.root between its own steps: start returns false for an encoding rejected before
/// the exponentiation, finish completes the decoding (same answers and point as
/// ge_from_bytes_vartime).
struct ge_decode_job {
    pow22523_job root;
    fe y, u, v, v3;
    std::uint64_t sign;
    bool require_canonical;
};
bool ge_decode_start(ge_decode_job& job, const std::uint8_t in[32], bool require_canonical) noexcept;
bool ge_decode_finish(ge_decode_job& job, ge_p3& out) noexcept;

/// RFC 8032 point encoding (y with the sign of x in bit 255).
void ge_to_bytes(std::uint8_t out[32], const ge_p3& p) noexcept;
/// RFC 8032 decoding of a public encoding. With require_canonical, y >= p is rejected (RFC 8032
/// §5.1.3); without it (ZIP-215) y is taken mod p. x = 0 with the sign bit set is accepted only
/// without require_canonical (ZIP-215 accepts it, RFC 8032 rejects it). Not constant time.
bool ge_from_bytes_vartime(ge_p3& out, const std::uint8_t in[32], bool require_canonical) noexcept;

/// s * B for a secret s (constant time).
ge_p3 ge_scalarmult_base(const scalar& s) noexcept;
/// a * A + b * B (variable time; public inputs only).
ge_p3 ge_double_scalarmult_vartime(const scalar& a, const ge_p3& A, const scalar& b) noexcept;

/// Returns d * (s*B - k*A - R) for some d with d != 0 mod l (variable time; public inputs only).
/// k is first written as c/d mod l with |c|, |d| < 2^127 (extended Euclid on (l, k) stopped half
/// way, as in Pornin's half-size-scalar verification), which halves the doublings. The result is
/// the identity (resp. a 4- or 8-torsion point) iff s*B - k*A - R is, so callers test it exactly
/// as they would test s*B - k*A - R -- except for a cofactorless check, which must not use this.
ge_p3 ge_verify_combination_vartime(const scalar& s, const scalar& k, const ge_p3& A, const ge_p3& R) noexcept;
/// The same, with neg_a_table = ge_odd_multiples_cached(-A) already computed (key cache).
ge_p3 ge_verify_combination_vartime(const scalar& s, const scalar& k, const ge_cached neg_a_table[8],
                                    const ge_p3& R) noexcept;

/// The same with R still being decoded (pending_r from ge_decode_start): the decoding's square
/// root runs interleaved with the half-GCD and the recodings, which do not depend on R. False
/// when R does not decode (out is then unspecified).
bool ge_verify_combination_vartime(ge_p3& out, const scalar& s, const scalar& k, const ge_cached neg_a_table[8],
                                   ge_decode_job& pending_r) noexcept;

/// Odd multiples P, 3P, ..., 15P in cached form (the width-5 wNAF table of a variable point).
void ge_odd_multiples_cached(ge_cached out[8], const ge_p3& p) noexcept;

}  // namespace taocore::crypto::detail
