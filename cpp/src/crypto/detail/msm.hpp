// SPDX-License-Identifier: MIT
// Variable-time multi-scalar multiplication, sum_i s_i * P_i, for batch verification: every input
// is public (signatures, public keys, the verifier's own random coefficients). Straus with
// width-5 wNAF for small batches, Pippenger's bucket method with signed digits for large ones.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/detail/edwards.hpp"

namespace taocore::crypto::detail {

/// Which algorithm ge_multiscalar_mul_vartime runs: chosen by n, or forced (tests).
enum msm_algorithm : int { msm_auto = 0, msm_straus = 1, msm_pippenger = 2 };

/// Straus's tables: the odd multiples P, 3P, ..., 15P (ge_odd_multiples_cached's layout).
inline constexpr int msm_odd_multiples = 8;

/// Whether msm_auto runs Straus for n points (the only algorithm that reads odd_multiples).
/// Measured crossovers, batches of 2k + 1 points with half the scalars 128-bit and the tables of
/// the public keys and B supplied, as verification builds them: 192 points for the radix-2^51
/// and radix-2^64 instances (callgrind; without tables Straus would stop paying at about 112),
/// 64 for the IFMA one (wall clock), whose Straus additions all wait on one accumulator while
/// Pippenger's go in independent pairs.
bool msm_prefers_straus(std::size_t n) noexcept;

/// sum_i scalars[i] * points[i]; each scalar is 32 little-endian bytes below 2^255.
/// Not constant time: public inputs only. algorithm / window force the algorithm and
/// Pippenger's window width (1..16; 0 = chosen by n); the answer never depends on them.
/// odd_multiples, if not null, holds per point null or msm_odd_multiples entries that must be the
/// odd multiples of that point (e.g. from the key cache); Straus then skips building them.
ge_p3 ge_multiscalar_mul_vartime(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n,
                                 msm_algorithm algorithm = msm_auto, int window = 0,
                                 const ge_cached* const* odd_multiples = nullptr);

}  // namespace taocore::crypto::detail
