// SPDX-License-Identifier: MIT
// The addition chain behind the field inversion z^(p-2) and the square-root exponent
// z^((p-5)/8) = z^(2^252 - 3), as data. Both start with z^(2^250 - 1) (and z^11 on the way) and
// differ in their last step. Each field representation runs this one table: the radix-2^51
// reference (field25519.hpp), the resumable radix-2^64 job (verify_fe64_avx2.cpp) and the IFMA
// lanes (pow22523_ifma_avx512.cpp), so the chain is written once. The steps do not depend on
// the value exponentiated, so running them from a table keeps the reference constant time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace taocore::crypto::detail::pow_chain {

/// The powers of z the chain keeps (z2_5_0 = z^(2^5 - 1), ...), and `result`.
enum reg : std::uint8_t {
    z1, z2, z9, z11, z2_5_0, z2_10_0, z2_20_0, z2_40_0, z2_50_0, z2_100_0, z2_200_0, z2_250_0, result,
    regs, nothing = regs
};

/// saved[dst] = saved[src]^(2^squarings) * saved[times] (no product when times is `nothing`).
struct step {
    reg dst, src;
    std::uint8_t squarings;
    reg times;
};

/// z^(2^250 - 1) into z2_250_0, and z^11 into z11.
inline constexpr step prefix[] = {
    {z2, z1, 1, nothing},             {z9, z2, 2, z1},
    {z11, z9, 0, z2},                 {z2_5_0, z11, 1, z9},
    {z2_10_0, z2_5_0, 5, z2_5_0},     {z2_20_0, z2_10_0, 10, z2_10_0},
    {z2_40_0, z2_20_0, 20, z2_20_0},  {z2_50_0, z2_40_0, 10, z2_10_0},
    {z2_100_0, z2_50_0, 50, z2_50_0}, {z2_200_0, z2_100_0, 100, z2_100_0},
    {z2_250_0, z2_200_0, 50, z2_50_0},
};
/// z^(2^252 - 3) = (z^(2^250 - 1))^4 * z.
inline constexpr step pow22523_last{result, z2_250_0, 2, z1};
/// z^(2^255 - 21) = z^(p - 2) = (z^(2^250 - 1))^32 * z^11.
inline constexpr step invert_last{result, z2_250_0, 5, z11};

/// The whole z^(2^252 - 3) chain in one array (for the job that stops between any two squarings).
inline constexpr auto pow22523 = [] {
    std::array<step, std::size(prefix) + 1> all{};
    for (std::size_t k = 0; k < std::size(prefix); ++k) all[k] = prefix[k];
    all.back() = pow22523_last;
    return all;
}();

/// Runs `steps` on saved[] (saved[z1] = z on entry) with the representation's
/// sqn(dst, src, n) (dst = src^(2^n), n >= 1) and mul(dst, a, b).
template <class F, class Sqn, class Mul>
void run(F* saved, const step* steps, std::size_t count, const Sqn& sqn, const Mul& mul) noexcept {
    for (std::size_t k = 0; k < count; ++k) {
        const step& s = steps[k];
        if (s.squarings == 0) {
            mul(saved[s.dst], saved[s.src], saved[s.times]);
        } else if (s.times == nothing) {
            sqn(saved[s.dst], saved[s.src], s.squarings);
        } else {
            F t;
            sqn(t, saved[s.src], s.squarings);
            mul(saved[s.dst], t, saved[s.times]);
        }
    }
}

/// z^(2^252 - 3) (last = pow22523_last) or z^(p - 2) (last = invert_last) of saved[z1], into
/// saved[result].
template <class F, class Sqn, class Mul>
void run_to(F* saved, const step& last, const Sqn& sqn, const Mul& mul) noexcept {
    run(saved, prefix, std::size(prefix), sqn, mul);
    run(saved, &last, 1, sqn, mul);
}

}  // namespace taocore::crypto::detail::pow_chain
