// SPDX-License-Identifier: MIT
// Written for taocore's batch verification: no library offers a multi-scalar multiplication over
// this group representation, and it is where a batch spends nearly all of its time. The
// algorithms live in msm-inl.hpp; this is the portable radix-2^51 instance, the reference for the
// radix-2^64 one that runs when a non-scalar backend is active and the IFMA one that runs under
// the avx512 backend.
#include "crypto/detail/msm.hpp"

#include <vector>

#include "crypto/detail/msm-inl.hpp"
#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {
namespace {

struct group51 {
    using point = ge_p3;
    using cached = ge_cached;
    using affine = ge_precomp;
    static point from(const ge_p3& p) noexcept { return p; }
    static cached from_cached(const ge_cached& c) noexcept { return c; }
    static ge_p3 out(const point& p) noexcept { return p; }
    static point identity() noexcept { return ge_identity(); }
    static void dbl(point& p) noexcept { p = ge_dbl_p3(p); }
    static void add(point& p, const cached& q) noexcept { p = ge_p1p1_to_p3(ge_add(p, q)); }
    static void sub(point& p, const cached& q) noexcept { p = ge_p1p1_to_p3(ge_sub(p, q)); }
    static cached to_cached(const point& p) noexcept { return ge_to_cached(p); }
    static void add_p3(point& p, const point& q) noexcept { p = ge_add_p3(p, q); }
    static point neg(const point& p) noexcept { return ge_neg(p); }
    static affine to_affine(const point& p) noexcept {  // p.Z == 1
        return ge_precomp{fe_carry(fe_add(p.Y, p.X)), fe_sub(p.Y, p.X), fe_mul(p.T, fe_d2)};
    }
    static void madd(point& p, const affine& q) noexcept { p = ge_p1p1_to_p3(ge_madd(p, q)); }
    static void msub(point& p, const affine& q) noexcept { p = ge_p1p1_to_p3(ge_msub(p, q)); }
};

// Scales every point to Z = 1, as the bucket method needs. Decoded points (all a batch
// verification passes) already are, so usually nothing is copied; otherwise one inversion is
// shared by all of them (Montgomery's trick: prefix products, one inverse, walk back).
const ge_p3* affine_points(const ge_p3* points, std::size_t n, std::vector<ge_p3>& storage) {
    std::size_t first = n;
    for (std::size_t i = 0; i < n && first == n; ++i)
        if (fe_eq_mask(points[i].Z, fe_one) == 0) first = i;
    if (first == n) return points;
    storage.assign(points, points + n);
    std::vector<fe> prefix(n);
    fe acc = fe_one;
    for (std::size_t i = first; i < n; ++i) {
        prefix[i] = acc;
        acc = fe_mul(acc, storage[i].Z);
    }
    fe inv = fe_invert(acc);  // 0 only if some Z is 0, which no valid extended point has
    for (std::size_t i = n; i-- > first;) {
        ge_p3& p = storage[i];
        const fe zi = fe_mul(inv, prefix[i]);
        inv = fe_mul(inv, p.Z);
        const fe x = fe_mul(p.X, zi), y = fe_mul(p.Y, zi);
        p = ge_p3{x, y, fe_one, fe_mul(x, y)};
    }
    return storage.data();
}

}  // namespace

bool msm_prefers_straus(std::size_t n) noexcept { return n < (use_ifma_kernels() ? 64 : 192); }

ge_p3 ge_multiscalar_mul_vartime(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n,
                                 msm_algorithm algorithm, int window, const ge_cached* const* odd_multiples) {
    std::vector<ge_p3> storage;
    const ge_p3* in = affine_points(points, n, storage);
#if defined(TAOCORE_HAVE_AVX512)
    if (use_ifma_kernels()) return multiscalar_mul_ifma(scalars, in, n, algorithm, window, odd_multiples);
#endif
#if defined(TAOCORE_HAVE_AVX2)
    if (use_fe64_kernels()) return multiscalar_mul_fe64(scalars, in, n, algorithm, window, odd_multiples);
#endif
    return msm_impl::multiscalar_mul<group51>(scalars, in, n, algorithm, window, odd_multiples);
}

}  // namespace taocore::crypto::detail
