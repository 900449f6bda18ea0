// SPDX-License-Identifier: MIT
// AVX2 (+BMI1/BMI2) build of the hash kernels; CMake compiles only this file with those flags and
// the dispatch calls it only on CPUs that report them.
#include <immintrin.h>

#define TAOCORE_ISA_NS avx2
#define TAOCORE_ISA_TABLE hash_kernels_avx2
#define TAOCORE_BLAKE2B_VECTOR 1
// AVX2 has no 64-bit rotate: 32 is a dword swap, 24 and 16 are byte shuffles, 63 is add+shift.
#define TAOCORE_ROTR32(x) _mm256_shuffle_epi32((x), _MM_SHUFFLE(2, 3, 0, 1))
#define TAOCORE_ROTR24(x)                                                                       \
    _mm256_shuffle_epi8((x), _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, \
                                              3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10))
#define TAOCORE_ROTR16(x)                                                                       \
    _mm256_shuffle_epi8((x), _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, \
                                              2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9))
#define TAOCORE_ROTR63(x) _mm256_or_si256(_mm256_srli_epi64((x), 63), _mm256_add_epi64((x), (x)))
#include "detail/hash_kernels-inl.hpp"
