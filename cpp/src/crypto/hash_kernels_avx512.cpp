// SPDX-License-Identifier: MIT
// AVX-512 (F/VL/BW/DQ/IFMA) build of the hash kernels: AVX-512VL gives a true 64-bit rotate on
// 256-bit registers, which is most of BLAKE2b's cost on AVX2.
#include <immintrin.h>

#define TAOCORE_ISA_NS avx512
#define TAOCORE_ISA_TABLE hash_kernels_avx512
#define TAOCORE_BLAKE2B_VECTOR 1
#define TAOCORE_ROTR32(x) _mm256_ror_epi64((x), 32)
#define TAOCORE_ROTR24(x) _mm256_ror_epi64((x), 24)
#define TAOCORE_ROTR16(x) _mm256_ror_epi64((x), 16)
#define TAOCORE_ROTR63(x) _mm256_ror_epi64((x), 63)
#include "detail/hash_kernels-inl.hpp"
