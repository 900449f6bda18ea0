// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace taocore {

/// Facts fixed when the library was compiled, for runtime reports.
struct build_info {
    std::string_view version;     // the package version
    std::string_view compiler;    // e.g. "GNU 12.2.0"
    std::string_view build_type;  // CMake build type, e.g. "Release"
};
build_info get_build_info() noexcept;

}  // namespace taocore
