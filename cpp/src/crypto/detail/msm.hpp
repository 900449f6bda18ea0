// SPDX-License-Identifier: MIT
// Variable-time multi-scalar multiplication, sum_i s_i * P_i, for batch verification: every input
// is public (signatures, public keys, the verifier's own random coefficients). Straus with
// width-5 wNAF for small batches, Pippenger's bucket method with signed digits for large ones.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/detail/edwards.hpp"

namespace taocore::crypto::detail {

/// sum_i scalars[i] * points[i]; each scalar is 32 little-endian bytes below 2^255.
/// Not constant time: public inputs only.
ge_p3 ge_multiscalar_mul_vartime(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n);

}  // namespace taocore::crypto::detail
