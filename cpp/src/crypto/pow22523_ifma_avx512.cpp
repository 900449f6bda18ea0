// SPDX-License-Identifier: MIT
// z^(2^252 - 3) for many public field elements at once, sixteen per pass, in the radix-2^52 IFMA
// field (detail/fe52.hpp). A batch verification decodes one ristretto point R per signature, and
// each decode is an exponentiation: 254 squarings in a chain no single element can shorten, so
// the only speed-up is doing several elements side by side. One 512-bit register holds the same
// limb of eight elements; two such groups are interleaved so the multiply-add latency of one
// hides behind the other.
#include "crypto/detail/fe52.hpp"
#include "crypto/detail/verify_fe64.hpp"

namespace taocore::crypto::detail {
namespace {

using V = f52::V512;
constexpr int groups = 2;
constexpr int per_pass = V::lanes * groups;
using fvg = f52::fe52<V>[groups];

void mul(fvg& r, const fvg& a, const fvg& b) noexcept {
    for (int g = 0; g < groups; ++g) f52::mul<V>(r[g], a[g], b[g]);
}

void sqn(fvg& r, const fvg& a, int n) noexcept {
    for (int g = 0; g < groups; ++g) f52::sq<V>(r[g], a[g]);
    for (int i = 1; i < n; ++i)
        for (int g = 0; g < groups; ++g) f52::sq<V>(r[g], r[g]);
}

void load(fvg& out, const fe* z) noexcept {
    f52::u64 limb[5][per_pass];
    for (int e = 0; e < per_pass; ++e) {
        f52::u64 l[5];
        f52::from_fe(l, z[e]);
        for (int k = 0; k < 5; ++k) limb[k][e] = l[k];
    }
    for (int g = 0; g < groups; ++g)
        for (int k = 0; k < 5; ++k) out[g].l[k] = V::load(&limb[k][g * V::lanes]);
}

void store(fe* z, const fvg& in) noexcept {
    f52::u64 limb[5][per_pass];
    for (int g = 0; g < groups; ++g)
        for (int k = 0; k < 5; ++k) V::store(&limb[k][g * V::lanes], in[g].l[k]);
    for (int e = 0; e < per_pass; ++e) {
        const f52::u64 l[5] = {limb[0][e], limb[1][e], limb[2][e], limb[3][e], limb[4][e]};
        f52::to_fe(z[e], l);
    }
}

// The shared addition chain (pow_chain.hpp) on sixteen elements at once.
void pow22523(fvg& io) noexcept {
    fvg saved[pow_chain::regs];
    for (int g = 0; g < groups; ++g) saved[pow_chain::z1][g] = io[g];
    pow_chain::run_to(saved, pow_chain::pow22523_last, sqn, mul);
    for (int g = 0; g < groups; ++g) io[g] = saved[pow_chain::result][g];
}

}  // namespace

void fe_pow22523_many_ifma(fe* z, std::size_t n) noexcept {
    for (std::size_t done = 0; done < n; done += per_pass) {
        fe chunk[per_pass];
        const std::size_t m = n - done < per_pass ? n - done : per_pass;
        for (std::size_t e = 0; e < per_pass; ++e) chunk[e] = e < m ? z[done + e] : fe{{1, 0, 0, 0, 0}};
        fvg v;
        load(v, chunk);
        pow22523(v);
        store(chunk, v);
        for (std::size_t e = 0; e < m; ++e) z[done + e] = chunk[e];
    }
}

}  // namespace taocore::crypto::detail
