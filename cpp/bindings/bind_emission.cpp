// SPDX-License-Identifier: MIT
#include <pybind11/pybind11.h>

#include "taocore/emission/block_emission.hpp"

namespace py = pybind11;

void bind_emission(py::module_& m) {
    m.def("block_emission", &taocore::emission::block_emission, py::arg("issuance"),
          "Rao per block at this issuance, bit-exact with subtensor's halving schedule.");
}
