// SPDX-License-Identifier: MIT
// Baseline (x86-64 / any target) build of the simulator: the reference every other backend is
// tested against.
#define TAOCORE_ISA_NS scalar
#define TAOCORE_ISA_TABLE sim_kernels_scalar
#include "detail/sim_generic-inl.hpp"

namespace taocore::consensus::sim::detail::scalar {

namespace {

template <class T>
void column_scratch_init(ColumnScratch<T>& sc, std::size_t n, std::size_t) {
    generic_scratch_init(sc, n);
}

template <class T>
T column_quantile(const T* col, const T* s, std::size_t n, std::size_t, double kappa, ColumnScratch<T>& sc) {
    return generic_column_quantile(col, s, n, kappa, sc);
}

template <class T>
void transpose_rows(const T* rows, std::size_t ld, std::size_t nrows, std::size_t cols, T* dst, std::size_t ldt) {
    generic_transpose_rows(rows, ld, nrows, cols, dst, ldt);
}

}  // namespace

}  // namespace taocore::consensus::sim::detail::scalar

#include "detail/sim_epoch-inl.hpp"
