// SPDX-License-Identifier: MIT
// The epoch loop's three ISA hooks (see sim_epoch-inl.hpp) as the portable forms of
// sim_generic-inl.hpp, for the builds that have no one-server kernels of their own: the scalar
// reference, and AVX2 and AVX-512, whose float32 runs select sixteen servers at once instead.
#include <cstddef>

#include "sim_generic-inl.hpp"

namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS {

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

}  // namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS
