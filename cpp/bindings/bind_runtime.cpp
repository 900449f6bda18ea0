// SPDX-License-Identifier: MIT
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "taocore/crypto/field.hpp"
#include "taocore/simd/backend.hpp"
#include "taocore/version.hpp"

namespace py = pybind11;
using namespace taocore;

void bind_runtime(py::module_& m) {
    const build_info info = get_build_info();
    m.attr("__version__") = std::string(info.version);
    m.attr("compiler") = std::string(info.compiler);
    m.attr("build_type") = std::string(info.build_type);
    m.def("cpu_features", &simd::cpu_feature_names, "Names of the CPU features detected.");
    m.def(
        "available_backends",
        [] {
            std::vector<std::string> out;
            for (auto b : simd::available_backends()) out.emplace_back(simd::backend_name(b));
            return out;
        },
        "Backends this build and CPU can run, scalar first.");
    m.def(
        "active_backend", [] { return std::string(simd::backend_name(simd::active_backend())); },
        "The backend in use (raises RuntimeError if TAOCORE_FORCE_BACKEND is unusable).");
    m.def(
        "verify_field", [] { return std::string(crypto::verify_field_name()); },
        "The field arithmetic of signature verification: radix-2^64 (MULX/ADX) or radix-2^51.");
}
