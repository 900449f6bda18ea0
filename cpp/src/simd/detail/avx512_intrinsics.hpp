// SPDX-License-Identifier: MIT
// <immintrin.h> for the files compiled with the AVX-512 flags. GCC 12 reports its own
// intrinsics' deliberately undefined pass-through operands (_mm512_undefined_*) as (maybe)
// uninitialized once they are inlined into a caller; those reports say nothing about the caller,
// so a file that includes this has them off from here on.
#pragma once

#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
