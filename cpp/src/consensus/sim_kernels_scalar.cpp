// SPDX-License-Identifier: MIT
// Baseline (x86-64 / any target) build of the simulator: the reference every other backend is
// tested against.
#define TAOCORE_ISA_NS scalar
#define TAOCORE_ISA_TABLE sim_kernels_scalar
#include "detail/sim_epoch-inl.hpp"
