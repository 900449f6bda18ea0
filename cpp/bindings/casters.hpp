// SPDX-License-Identifier: MIT
// Shared conversion glue for the bindings: bytes-like objects in, bytes out, backend names.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "taocore/simd/backend.hpp"

namespace taocore::bindings {

namespace py = pybind11;

/// Inputs at least this large are hashed with the GIL released. Below it, the release and
/// re-acquire cost more than the work. Releasing is safe because the buffer export pins the
/// memory (a bytearray cannot resize while exported) and the kernels touch no Python state.
inline constexpr std::size_t gil_release_threshold = 16 * 1024;

/// A read-only view of any C-contiguous bytes-like object (bytes, bytearray, memoryview, numpy),
/// held for the view's lifetime. Non-contiguous or non-buffer objects raise TypeError/BufferError
/// exactly as hashlib does.
class byte_view {
public:
    explicit byte_view(const py::handle& obj) {
        if (PyUnicode_Check(obj.ptr()))
            throw py::type_error("expected a bytes-like object, got str (encode it first)");
        if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
    }
    ~byte_view() { PyBuffer_Release(&view_); }
    byte_view(const byte_view&) = delete;
    byte_view& operator=(const byte_view&) = delete;

    std::span<const std::uint8_t> span() const noexcept {
        return {static_cast<const std::uint8_t*>(view_.buf), static_cast<std::size_t>(view_.len)};
    }
    std::size_t size() const noexcept { return static_cast<std::size_t>(view_.len); }

private:
    Py_buffer view_{};
};

inline py::bytes to_bytes(const std::uint8_t* p, std::size_t n) {
    return py::bytes(reinterpret_cast<const char*>(p), n);
}

/// None means the active backend; a name must be one this machine supports.
inline simd::backend backend_arg(const std::optional<std::string>& name) {
    if (!name) return simd::active_backend();
    const simd::backend b = simd::parse_backend(*name);
    if (!simd::backend_supported(b))
        throw std::invalid_argument("backend '" + *name + "' is not supported on this machine");
    return b;
}

}  // namespace taocore::bindings
