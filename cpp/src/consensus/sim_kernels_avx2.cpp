// SPDX-License-Identifier: MIT
// AVX2 (+FMA, BMI) build of the simulator: the shared epoch loop (sim_epoch-inl.hpp) vectorised
// by the compiler, with the sixteen-server consensus selection of sim_quantile_avx2.cpp. CMake
// compiles only this file with those flags and the dispatch calls it only on CPUs that report
// them (float64 runs select with the reference, as on every backend).
#define TAOCORE_ISA_NS avx2
#define TAOCORE_ISA_TABLE sim_kernels_avx2
#define TAOCORE_ISA_BLOCK_QUANTILES block_quantiles_avx2
// The loops marked TAOCORE_SIM_WIDE_LOOP are elementwise: vectorised without the runtime check
// that their stores do not overlap their loads (Yuma 2 and Yuma 3 epochs ~5% faster).
#define TAOCORE_SIM_WIDE_LOOP _Pragma("omp simd")
#include "detail/sim_epoch-inl.hpp"
