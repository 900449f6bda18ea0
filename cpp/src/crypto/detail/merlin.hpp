// SPDX-License-Identifier: MIT
// Internal names for the Merlin/STROBE types declared in taocore/crypto/merlin.hpp.
#pragma once

#include "taocore/crypto/merlin.hpp"

namespace taocore::crypto::detail {

using crypto::bytes_view;
using crypto::os_random;
using crypto::os_rng32;
using crypto::rng32_fn;
using crypto::strobe128;
using transcript = crypto::merlin_transcript;

}  // namespace taocore::crypto::detail
