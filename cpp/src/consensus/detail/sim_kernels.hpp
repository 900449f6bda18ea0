// SPDX-License-Identifier: MIT
// The float simulator behind the runtime dispatch. The whole epoch loop lives in
// sim_epoch-inl.hpp and is compiled once per ISA (sim_kernels_<isa>.cpp): the loops are written so
// that the compiler vectorises them without changing a single rounding (elementwise float work,
// double accumulators indexed by server or by a fixed lane), so those parts give the same bits on
// every backend. The consensus selection is the one hand-written kernel (AVX2 for float32); it
// sums stakes in a different order than the scalar reference, so consensus may differ only where
// the running stake lands on kappa within double rounding.
#pragma once

#include <cstddef>
#include <vector>

#include "taocore/consensus/sim.hpp"
#include "taocore/simd/backend.hpp"

namespace taocore::consensus::sim::detail {

/// Per-thread scratch of the consensus selection, sized once per run.
template <class T>
struct ColumnScratch {
    std::vector<T> buf;                    // the vector kernel's packing buffers
    std::vector<WeightStake<T>> pairs;     // the scalar kernel's (weight, stake) pairs
    std::vector<T> columns;                // a few server-major columns, padded with NaN
};

/// Throws InvalidInput ("weights: ...") for the first negative or non-finite value of x[0..n).
template <class T>
void check_weight_values(const T* x, std::size_t n);
extern template void check_weight_values<float>(const float*, std::size_t);
extern template void check_weight_values<double>(const double*, std::size_t);

struct sim_kernels {
    void (*run_f32)(const Input<float>&, const Params&, Version, Output<float>&, unsigned threads);
    void (*run_f64)(const Input<double>&, const Params&, Version, Output<double>&, unsigned threads);
};

extern const sim_kernels sim_kernels_scalar;
#if defined(TAOCORE_HAVE_AVX2)
extern const sim_kernels sim_kernels_avx2;
#endif

/// The table for b (AVX-512 machines use the AVX2 table); throws std::invalid_argument if b is
/// not supported here.
const sim_kernels& sim_kernels_for(simd::backend b);

}  // namespace taocore::consensus::sim::detail
