// SPDX-License-Identifier: MIT
// The inner step of the chain's weighted-median quickselect (math.cpp): split a list of
// (score, stake) votes around a pivot score into the votes below and above it, in list order,
// and sum each side's stake. The scalar loop is the reference; the AVX2 and AVX-512 kernels
// (partition_avx2.cpp, partition_avx512.cpp) give the same lists and sums, and are used only
// where plain 64-bit sums equal the chain's saturating ones (non-negative stakes whose total
// fits).
#pragma once

#include <cstddef>
#include <cstdint>

#include "taocore/consensus/math.hpp"

namespace taocore::consensus::detail {

/// Votes as parallel arrays of I32F32 bits.
struct VoteList {
    std::int64_t* score;
    std::int64_t* stake;
};

struct PartitionSums {
    std::size_t below, above;           // how many votes went to each side
    std::int64_t below_stake, above_stake;
};

/// Writes may run up to 7 entries past each side's end: outputs need that much room.
using PartitionFn = PartitionSums (*)(const std::int64_t* score, const std::int64_t* stake, std::size_t n,
                                      std::int64_t pivot, VoteList below, VoteList above) noexcept;

/// The weighted median's column-major scores (math.cpp's weighted_median_col_sparse): for the
/// voters' rows rows[0..k) of entries and columns c < columns, scores[c·stride + p] = the value of
/// row p's entry in column c (0 if it has none; of two in one column, the later one), and 0 at
/// positions k up to the next multiple of 8, which stride must reach. `group` is scratch for
/// 8·columns values.
using ColumnScoresFn = void (*)(const math::ConstRow* rows, std::size_t k, std::size_t columns, std::size_t stride,
                                std::int64_t* scores, std::int64_t* group) noexcept;

#if defined(TAOCORE_HAVE_AVX512)
/// ColumnScoresFn: eight rows at a time written densely into `group` (scatter_row_avx512),
/// then transposed into the scores in 8 × 8 blocks.
void column_scores_avx512(const math::ConstRow* rows, std::size_t k, std::size_t columns, std::size_t stride,
                          std::int64_t* scores, std::int64_t* group) noexcept;
PartitionSums partition_plain_avx512(const std::int64_t* score, const std::int64_t* stake, std::size_t n,
                                     std::int64_t pivot, VoteList below, VoteList above) noexcept;
#endif
#if defined(TAOCORE_HAVE_AVX2)
PartitionSums partition_plain_avx2(const std::int64_t* score, const std::int64_t* stake, std::size_t n,
                                   std::int64_t pivot, VoteList below, VoteList above) noexcept;
#endif

}  // namespace taocore::consensus::detail
