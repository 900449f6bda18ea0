// SPDX-License-Identifier: MIT
// taocore._core: the private extension. Each domain binds itself into its own submodule, which is
// also registered in sys.modules so `import taocore._core.crypto` and stubtest can find it.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <utility>
#include <vector>

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

// pybind11 looks numpy's C API up on first use, and runs Python code doing so
// (numpy.lib.NumpyVersion) inside std::call_once: an exception raised there cannot unwind
// through call_once and aborts the process. A Ctrl-C landing in it did that (the demo,
// interrupted in its first epoch, died of SIGABRT about once in 40 runs instead of raising
// KeyboardInterrupt). So the lookup runs here, at import, with every Python signal handler
// replaced by one that only notes its signal; each noted signal is raised again once the
// lookup is done, and its own handler runs at Python's next check, after the module's
// initialisation (an exception raised within it would become an ImportError). Python runs
// handlers on the main thread only: elsewhere nothing can interrupt the lookup, and the
// handlers can only be set from there.
void load_numpy_api() {
    const py::module_ signal = py::module_::import("signal");
    const py::module_ threading = py::module_::import("threading");
    if (!threading.attr("current_thread")().is(threading.attr("main_thread")())) {
        py::detail::npy_api::get();
        return;
    }
    py::list noted;
    const py::cpp_function note([noted](int signum, const py::object&) mutable { noted.append(signum); });
    std::vector<std::pair<py::object, py::object>> replaced;  // (signal, its handler)
    for (const py::handle number : signal.attr("valid_signals")()) {
        py::object handler = signal.attr("getsignal")(number);
        if (!PyCallable_Check(handler.ptr())) continue;  // SIG_DFL, SIG_IGN or none from Python
        signal.attr("signal")(number, note);
        replaced.emplace_back(py::reinterpret_borrow<py::object>(number), std::move(handler));
    }
    py::detail::npy_api::get();
    for (const auto& [number, handler] : replaced) signal.attr("signal")(number, handler);
    // As if each arrived now.
    for (const py::handle number : noted) PyErr_SetInterruptEx(number.cast<int>());
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
    load_numpy_api();  // last: a signal it notes is raised again when the module is done
}
