// SPDX-License-Identifier: MIT
// The x86-64-baseline (or any-CPU) build of the hash kernels: the reference every other backend is
// compared with.
#define TAOCORE_ISA_NS scalar
#define TAOCORE_ISA_TABLE hash_kernels_scalar
#include "detail/hash_kernels-inl.hpp"
