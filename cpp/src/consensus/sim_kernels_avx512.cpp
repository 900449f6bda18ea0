// SPDX-License-Identifier: MIT
// AVX-512 build of the simulator: the shared epoch loop (sim_epoch-inl.hpp) vectorised by the
// compiler, with the sixteen-server consensus selection of sim_quantile_avx512.cpp and, from
// sim_rows_avx512.cpp, the row pass of the float32 normalisation and the float32 liquid-alpha
// bond rows. CMake compiles this file with the AVX-512 flags and the dispatch calls it only on
// CPUs that report them (float64 runs select with the reference, as on every backend).
#define TAOCORE_ISA_NS avx512
#define TAOCORE_ISA_TABLE sim_kernels_avx512
#define TAOCORE_ISA_BLOCK_QUANTILES block_quantiles_avx512
#define TAOCORE_ISA_NORMALISE_ROW normalise_row_avx512
#define TAOCORE_ISA_LIQUID_ROWS liquid_yuma3_rows_avx512
// The file is compiled for 256-bit vectors (512-bit ones made the memory-bound passes slower);
// the loops that are all arithmetic take the full 512 bits: the bond updates, the liquid alpha
// and the column sums of a panel, whose sixteen servers are one 512-bit row (in 256-bit halves
// the column sums took twice the instructions: Yuma 3's panel pass measured ~15% slower).
#define TAOCORE_SIM_WIDE_LOOP _Pragma("omp simd simdlen(16)")
#include "detail/sim_epoch-inl.hpp"
