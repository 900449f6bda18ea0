// SPDX-License-Identifier: MIT
// Compression functions behind the runtime dispatch. One table per backend; the tables are
// defined in hash_kernels_<isa>.cpp, each of which compiles hash_kernels-inl.hpp for its ISA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "taocore/simd/backend.hpp"

namespace taocore::crypto::detail {

struct hash_kernels {
    /// Processes n_blocks consecutive 128-byte blocks into the eight state words.
    void (*sha512_compress)(std::uint64_t state[8], const std::uint8_t* blocks, std::size_t n_blocks);
    /// One BLAKE2b compression; counter is the byte count including this block, final marks the last.
    void (*blake2b_compress)(std::uint64_t h[8], const std::uint8_t block[128], std::uint64_t counter_lo,
                             std::uint64_t counter_hi, bool final);
    void (*keccak_f1600)(std::uint64_t state[25]);
};

extern const hash_kernels hash_kernels_scalar;
#if defined(TAOCORE_HAVE_AVX2)
extern const hash_kernels hash_kernels_avx2;
#endif
#if defined(TAOCORE_HAVE_AVX512)
extern const hash_kernels hash_kernels_avx512;
#endif

/// The table for b; throws std::invalid_argument if b is not supported here.
const hash_kernels& hash_kernels_for(simd::backend b);

}  // namespace taocore::crypto::detail
