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

/// sum_i scalars[i] * points[i]; each scalar is 32 little-endian bytes below 2^255.
/// Not constant time: public inputs only. algorithm / window force the algorithm and
/// Pippenger's window width (1..16; 0 = chosen by n); the answer never depends on them.
ge_p3 ge_multiscalar_mul_vartime(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n,
                                 msm_algorithm algorithm = msm_auto, int window = 0);

}  // namespace taocore::crypto::detail
