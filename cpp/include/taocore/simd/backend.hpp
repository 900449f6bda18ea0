// SPDX-License-Identifier: MIT
// The one choke point for runtime CPU dispatch. The library is compiled for the x86-64 baseline;
// only the kernel translation units (*_avx2.cpp, *_avx512.cpp) carry ISA flags, and nothing
// calls them unless the CPU reports the features they were compiled for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace taocore::simd {

enum class backend : std::uint8_t { scalar = 0, avx2 = 1, avx512 = 2 };

/// "scalar", "avx2" or "avx512".
std::string_view backend_name(backend b) noexcept;

/// Parses a backend name; throws std::invalid_argument naming the valid ones.
backend parse_backend(std::string_view name);

/// What the CPU (and the OS, for the wide register state) supports.
struct cpu_features {
    bool sse42 = false, avx = false, avx2 = false, bmi1 = false, bmi2 = false, adx = false, fma = false;
    bool avx512f = false, avx512vl = false, avx512bw = false, avx512dq = false, avx512ifma = false;
    bool os_ymm = false, os_zmm = false;  // XCR0 enables the AVX / AVX-512 register state
};
const cpu_features& detect_cpu_features() noexcept;
/// Names of the features that are present, in a fixed order.
std::vector<std::string> cpu_feature_names();

/// True if this build contains kernels for b and this CPU can run them.
bool backend_supported(backend b) noexcept;
/// The supported backends, scalar first.
std::vector<backend> available_backends();

/// The backend every dispatched kernel uses: the best supported one, or the one named by the
/// environment variable TAOCORE_FORCE_BACKEND. Chosen once, thread-safely, on first call.
/// Throws std::runtime_error if TAOCORE_FORCE_BACKEND names an unknown or unsupported backend;
/// every later call throws the same error (there is no silent fallback).
backend active_backend();

}  // namespace taocore::simd
