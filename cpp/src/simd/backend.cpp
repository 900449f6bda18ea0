// SPDX-License-Identifier: MIT
#include "taocore/simd/backend.hpp"

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define TAOCORE_X86 1
#endif

namespace taocore::simd {
namespace {

#if defined(TAOCORE_X86)
std::uint64_t read_xcr0() noexcept {
    // xgetbv via inline asm: the intrinsic needs -mxsave, which this baseline TU must not use.
    std::uint32_t lo = 0, hi = 0;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

cpu_features probe() noexcept {
    cpu_features f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    f.sse42 = (c >> 20) & 1;
    f.fma = (c >> 12) & 1;
    const bool osxsave = (c >> 27) & 1;
    f.avx = (c >> 28) & 1;
    if (osxsave) {
        const std::uint64_t xcr0 = read_xcr0();
        f.os_ymm = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
        f.os_zmm = f.os_ymm && (xcr0 & 0xE0) == 0xE0;  // opmask, ZMM0-15 upper halves, ZMM16-31
    }
    if (__get_cpuid_max(0, nullptr) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f.bmi1 = (b >> 3) & 1;
        f.avx2 = (b >> 5) & 1;
        f.bmi2 = (b >> 8) & 1;
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.adx = (b >> 19) & 1;
        f.avx512ifma = (b >> 21) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
    }
    // Features whose register state the OS does not save are unusable.
    if (!f.os_ymm) f.avx = f.avx2 = f.fma = false;
    if (!f.os_zmm) f.avx512f = f.avx512vl = f.avx512bw = f.avx512dq = f.avx512ifma = false;
    return f;
}
#else
cpu_features probe() noexcept { return {}; }
#endif

constexpr backend all_backends[] = {backend::scalar, backend::avx2, backend::avx512};

bool compiled_in(backend b) noexcept {
    switch (b) {
        case backend::scalar: return true;
        case backend::avx2:
#if defined(TAOCORE_HAVE_AVX2)
            return true;
#else
            return false;
#endif
        case backend::avx512:
#if defined(TAOCORE_HAVE_AVX512)
            return true;
#else
            return false;
#endif
    }
    return false;
}

std::string names_of(const std::vector<backend>& bs) {
    std::string out;
    for (backend b : bs) {
        if (!out.empty()) out += ", ";
        out += backend_name(b);
    }
    return out;
}

struct selection {
    backend chosen = backend::scalar;
    std::string error;  // non-empty: TAOCORE_FORCE_BACKEND was unusable
};

selection select() {
    selection s;
    const auto available = available_backends();
    s.chosen = available.back();
    const char* forced = std::getenv("TAOCORE_FORCE_BACKEND");
    if (forced == nullptr || *forced == '\0') return s;
    backend want{};
    try {
        want = parse_backend(forced);
    } catch (const std::invalid_argument&) {
        s.error = std::string("TAOCORE_FORCE_BACKEND='") + forced +
                  "' is not a backend; choose one of scalar, avx2, avx512 (this CPU supports: " +
                  names_of(available) + ")";
        return s;
    }
    if (!backend_supported(want)) {
        s.error = std::string("TAOCORE_FORCE_BACKEND='") + forced + "' is not supported " +
                  (compiled_in(want) ? "by this CPU" : "by this build") +
                  " (supported here: " + names_of(available) + ")";
        return s;
    }
    s.chosen = want;
    return s;
}

}  // namespace

std::string_view backend_name(backend b) noexcept {
    switch (b) {
        case backend::scalar: return "scalar";
        case backend::avx2: return "avx2";
        case backend::avx512: return "avx512";
    }
    return "unknown";
}

backend parse_backend(std::string_view name) {
    for (backend b : all_backends)
        if (backend_name(b) == name) return b;
    throw std::invalid_argument("unknown backend '" + std::string(name) +
                                "'; choose one of scalar, avx2, avx512");
}

const cpu_features& detect_cpu_features() noexcept {
    static const cpu_features f = probe();
    return f;
}

std::vector<std::string> cpu_feature_names() {
    const cpu_features& f = detect_cpu_features();
    const std::pair<const char*, bool> table[] = {
        {"sse4.2", f.sse42},       {"avx", f.avx},           {"avx2", f.avx2},
        {"fma", f.fma},            {"bmi1", f.bmi1},         {"bmi2", f.bmi2},
        {"adx", f.adx},            {"avx512f", f.avx512f},   {"avx512vl", f.avx512vl},
        {"avx512bw", f.avx512bw},  {"avx512dq", f.avx512dq}, {"avx512ifma", f.avx512ifma},
    };
    std::vector<std::string> out;
    for (const auto& [name, present] : table)
        if (present) out.emplace_back(name);
    return out;
}

bool backend_supported(backend b) noexcept {
    if (!compiled_in(b)) return false;
    const cpu_features& f = detect_cpu_features();
    switch (b) {
        case backend::scalar: return true;
        case backend::avx2: return f.avx2 && f.bmi1 && f.bmi2 && f.fma;
        case backend::avx512:
            return f.avx2 && f.bmi1 && f.bmi2 && f.fma && f.avx512f && f.avx512vl && f.avx512bw &&
                   f.avx512dq && f.avx512ifma;
    }
    return false;
}

std::vector<backend> available_backends() {
    std::vector<backend> out;
    for (backend b : all_backends)
        if (backend_supported(b)) out.push_back(b);
    return out;
}

backend active_backend() {
    // A function-local static is initialised once even under concurrent first calls.
    static const selection s = select();
    if (!s.error.empty()) throw std::runtime_error(s.error);
    return s.chosen;
}

}  // namespace taocore::simd
