// SPDX-License-Identifier: MIT
// taocore._core: the private extension. Each domain binds itself into its own submodule, which is
// also registered in sys.modules so `import taocore._core.crypto` and stubtest can find it.
#include <pybind11/pybind11.h>

#include <string>

namespace py = pybind11;

void bind_runtime(py::module_& m);
void bind_crypto(py::module_& m);
void bind_crypto_sign(py::module_& m);
void bind_crypto_batch(py::module_& m);
void bind_emission(py::module_& m);
void bind_consensus(py::module_& m);
void bind_sim(py::module_& m);

namespace {
py::module_ submodule(py::module_& parent, const char* name, const char* doc) {
    py::module_ sub = parent.def_submodule(name, doc);
    py::module_::import("sys").attr("modules")[py::str(std::string("taocore._core.") + name)] = sub;
    return sub;
}
}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    m.doc() = "taocore's native core (private: use the taocore package)";
    auto runtime = submodule(m, "runtime", "Build facts, CPU features and the SIMD backend in use.");
    bind_runtime(runtime);
    auto crypto = submodule(m, "crypto", "Hashes, SS58 and signatures.");
    bind_crypto(crypto);
    bind_crypto_sign(crypto);
    bind_crypto_batch(crypto);
    auto emission = submodule(m, "emission", "Block emission and payouts in integer rao.");
    bind_emission(emission);
    auto consensus = submodule(m, "consensus", "The chain-exact Yuma epoch and its fixed-point helpers.");
    bind_consensus(consensus);
    auto sim = submodule(m, "sim", "The float Yuma simulator (yuma-simulation's versions, many epochs per call).");
    bind_sim(sim);
}
