// SPDX-License-Identifier: MIT
#include "taocore/version.hpp"

#ifndef TAOCORE_VERSION
#define TAOCORE_VERSION "0.0.0+unknown"
#endif
#ifndef TAOCORE_COMPILER
#define TAOCORE_COMPILER "unknown"
#endif
#ifndef TAOCORE_BUILD_TYPE
#define TAOCORE_BUILD_TYPE "unknown"
#endif

namespace taocore {

build_info get_build_info() noexcept { return {TAOCORE_VERSION, TAOCORE_COMPILER, TAOCORE_BUILD_TYPE}; }

}  // namespace taocore
