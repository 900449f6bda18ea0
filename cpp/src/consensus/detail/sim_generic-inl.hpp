// SPDX-License-Identifier: MIT
// The portable forms of the simulator's two ISA hooks (see sim_epoch-inl.hpp), in the including
// TU's ISA namespace so that no inline function is shared between differently compiled TUs.
#include <cstddef>

#include "sim_kernels.hpp"

namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS {

namespace {

template <class T>
void generic_scratch_init(ColumnScratch<T>& sc, std::size_t n) {
    sc.pairs.resize(3 * n);  // n pairs plus the 2n weighted_quantile_desc works in
}

/// The reference selection: copy the column into (weight, stake) pairs and select.
template <class T>
T generic_column_quantile(const T* col, const T* s, std::size_t n, double kappa, ColumnScratch<T>& sc) {
    WeightStake<T>* a = sc.pairs.data();
    for (std::size_t i = 0; i < n; ++i) a[i] = {col[i], s[i]};
    return weighted_quantile_desc(a, a + n, n, kappa);
}

/// dst[j * ldt + r] = rows[r * ld + j] for r < nrows, j < cols.
template <class T>
void generic_transpose_rows(const T* rows, std::size_t ld, std::size_t nrows, std::size_t cols, T* dst,
                            std::size_t ldt) {
    for (std::size_t j = 0; j < cols; ++j)
        for (std::size_t r = 0; r < nrows; ++r) dst[j * ldt + r] = rows[r * ld + j];
}

}  // namespace

}  // namespace taocore::consensus::sim::detail::TAOCORE_ISA_NS
