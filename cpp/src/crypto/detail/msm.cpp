// SPDX-License-Identifier: MIT
// Written for taocore's batch verification: no library offers a multi-scalar multiplication over
// this group representation, and it is where a batch spends nearly all of its time. The
// algorithms live in msm-inl.hpp; this is the portable radix-2^51 instance, the reference for the
// radix-2^64 one that runs when a non-scalar backend is active.
#include "crypto/detail/msm.hpp"

#include "crypto/detail/msm-inl.hpp"
#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {
namespace {

struct group51 {
    using point = ge_p3;
    using cached = ge_cached;
    static point from(const ge_p3& p) noexcept { return p; }
    static ge_p3 out(const point& p) noexcept { return p; }
    static point identity() noexcept { return ge_identity(); }
    static point dbl(const point& p) noexcept { return ge_dbl_p3(p); }
    static point add(const point& p, const cached& q) noexcept { return ge_p1p1_to_p3(ge_add(p, q)); }
    static point sub(const point& p, const cached& q) noexcept { return ge_p1p1_to_p3(ge_sub(p, q)); }
    static cached to_cached(const point& p) noexcept { return ge_to_cached(p); }
    static point add_p3(const point& p, const point& q) noexcept { return ge_add_p3(p, q); }
    static point neg(const point& p) noexcept { return ge_neg(p); }
};

}  // namespace

ge_p3 ge_multiscalar_mul_vartime(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n) {
#if defined(TAOCORE_HAVE_AVX2)
    if (use_fe64_kernels()) return multiscalar_mul_fe64(scalars, points, n);
#endif
    return msm_impl::multiscalar_mul<group51>(scalars, points, n);
}

}  // namespace taocore::crypto::detail
