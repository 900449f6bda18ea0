// SPDX-License-Identifier: MIT
// Which GF(2^255 - 19) arithmetic signature verification runs on, for runtime reports and tests.
#pragma once

#include <string_view>

namespace taocore::crypto {

/// "radix-2^64" when verification (single, batch, and the decoding of public points) uses the
/// MULX/ADX kernels: the default on non-scalar backends of CPUs with BMI2 and ADX. Otherwise
/// "radix-2^51", the portable reference, which the environment variable
/// TAOCORE_VERIFY_FIELD=radix-2^51 forces for comparison (any other value keeps the default).
/// Decided once per process. Signing, key generation and derivation always use radix-2^51.
std::string_view verify_field_name() noexcept;

}  // namespace taocore::crypto
