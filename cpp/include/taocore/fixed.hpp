// SPDX-License-Identifier: MIT
// Binary fixed-point numbers with exactly the rounding rules of substrate_fixed v0.6.0 and
// subtensor's safe_math (spec subtensor-epoch.md §1.2), shared by the epoch and the emission code.
//
// Written by hand rather than taken from a library because the chain's results depend on each
// rounding step: multiplication floors the full-width product, division truncates toward zero,
// `safe_div` gives 0 on a zero divisor *and* on overflow, conversions between formats floor.
// A generic fixed-point or decimal library rounds differently and would not give the chain's bits.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace taocore::fixed {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

namespace detail {

template <class T>
inline constexpr bool is_wide = sizeof(T) == 16;

// Same-width unsigned type (std::make_unsigned rejects __int128 in strict ISO mode).
template <class T>
struct unsigned_of {
    using type = std::make_unsigned_t<T>;
};
template <>
struct unsigned_of<i128> {
    using type = u128;
};
template <>
struct unsigned_of<u128> {
    using type = u128;
};

template <class T>
inline constexpr bool is_signed_bits = std::is_same_v<T, std::int64_t> || std::is_same_v<T, i128>;

template <class T>
constexpr T max_of() noexcept {
    if constexpr (std::is_same_v<T, i128>) return static_cast<i128>(~static_cast<u128>(0) >> 1);
    else if constexpr (std::is_same_v<T, u128>) return ~static_cast<u128>(0);
    else return std::numeric_limits<T>::max();
}
template <class T>
constexpr T min_of() noexcept {
    if constexpr (std::is_same_v<T, i128>) return -max_of<i128>() - 1;
    else if constexpr (std::is_same_v<T, u128>) return 0;
    else return std::numeric_limits<T>::min();
}

// Magnitude of a value of any of the storage types, as u128 (|MIN| included).
template <class T>
constexpr u128 magnitude(T v) noexcept {
    if constexpr (is_signed_bits<T>) {
        return v < 0 ? static_cast<u128>(0) - static_cast<u128>(static_cast<i128>(v)) : static_cast<u128>(v);
    } else {
        return static_cast<u128>(v);
    }
}

struct u256 {
    u128 hi = 0;
    u128 lo = 0;
};

constexpr u256 mul_wide(u128 a, u128 b) noexcept {
    const u128 mask = (static_cast<u128>(1) << 64) - 1;
    const u128 a0 = a & mask, a1 = a >> 64, b0 = b & mask, b1 = b >> 64;
    const u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const u128 mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    u256 r;
    r.lo = (p00 & mask) | (mid << 64);
    r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    return r;
}

// floor(x / 2^s) for 0 <= s < 128 and whether a non-zero remainder was dropped.
constexpr u256 shr(u256 x, int s, bool& inexact) noexcept {
    if (s == 0) { inexact = false; return x; }
    const u128 dropped = x.lo & ((static_cast<u128>(1) << s) - 1);
    inexact = dropped != 0;
    return {x.hi >> s, (x.lo >> s) | (x.hi << (128 - s))};
}

// (num.hi:num.lo) / d for d > 0; nullopt when the quotient does not fit in 128 bits.
// Schoolbook binary long division: only reached when the numerator exceeds 128 bits, which is
// rare outside the 64-fraction-bit formats.
constexpr std::optional<u128> div_wide(u256 num, u128 d) noexcept {
    if (num.hi == 0) return num.lo / d;
    if (num.hi >= d) return std::nullopt;
    u128 r = num.hi, q = 0;
    for (int i = 127; i >= 0; --i) {
        const bool carry = (r >> 127) != 0;
        r = (r << 1) | ((num.lo >> i) & 1);
        q <<= 1;
        if (carry || r >= d) { r -= d; q |= 1; }
    }
    return q;
}

// Apply a sign to a magnitude and check it fits T.
template <class T>
constexpr std::optional<T> signed_fit(bool negative, u128 mag) noexcept {
    if constexpr (is_signed_bits<T>) {
        const u128 lim = magnitude(max_of<T>());
        if (negative) {
            if (mag > lim + 1) return std::nullopt;
            return static_cast<T>(static_cast<i128>(static_cast<u128>(0) - mag));
        }
        if (mag > lim) return std::nullopt;
        return static_cast<T>(mag);
    } else {
        if (negative && mag != 0) return std::nullopt;
        if (mag > static_cast<u128>(max_of<T>())) return std::nullopt;
        return static_cast<T>(mag);
    }
}

}  // namespace detail

/// A fixed-point number with `Frac` fractional bits stored in `Bits` (int64_t, __int128 or
/// unsigned __int128), i.e. substrate_fixed's I32F32, I64F64, I96F32, U96F32, U64F64.
template <class Bits, int Frac>
struct Fixed {
    using bits_type = Bits;
    static constexpr int frac_bits = Frac;
    static constexpr bool is_signed = detail::is_signed_bits<Bits>;

    Bits bits{};

    static constexpr Fixed from_bits(Bits b) noexcept { return Fixed{b}; }
    static constexpr Fixed zero() noexcept { return Fixed{0}; }
    static constexpr Fixed one() noexcept { return Fixed{static_cast<Bits>(static_cast<Bits>(1) << Frac)}; }
    static constexpr Fixed max() noexcept { return Fixed{detail::max_of<Bits>()}; }
    static constexpr Fixed min() noexcept { return Fixed{detail::min_of<Bits>()}; }

    /// `from_num(int)`: exact n << Frac; the caller guarantees it fits (the epoch's integers do).
    template <class Int>
    static constexpr Fixed from_int(Int n) noexcept {
        return Fixed{static_cast<Bits>(static_cast<Bits>(n) << Frac)};
    }
    /// `saturating_from_num(int)`.
    template <class Int>
    static constexpr Fixed saturating_from_int(Int n) noexcept {
        const bool negative = n < 0;
        const u128 mag = negative ? static_cast<u128>(0) - static_cast<u128>(static_cast<i128>(n)) : static_cast<u128>(n);
        if (mag != 0 && mag > (detail::magnitude(detail::max_of<Bits>()) >> Frac)) return negative ? min() : max();
        auto v = detail::signed_fit<Bits>(negative, mag << Frac);
        if (!v) return negative ? min() : max();
        return Fixed{*v};
    }

    constexpr bool is_zero() const noexcept { return bits == 0; }
    friend constexpr auto operator<=>(const Fixed&, const Fixed&) = default;
    friend constexpr bool operator==(const Fixed&, const Fixed&) = default;
};

using I32F32 = Fixed<std::int64_t, 32>;
using I64F64 = Fixed<i128, 64>;
using I96F32 = Fixed<i128, 32>;
using U96F32 = Fixed<u128, 32>;
using U64F64 = Fixed<u128, 64>;

// ---- addition ------------------------------------------------------------------------------------

/// `a + b` (wrapping, as release builds do; the epoch's ranges never reach it).
template <class B, int F>
constexpr Fixed<B, F> add(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    using U = typename detail::unsigned_of<B>::type;
    return Fixed<B, F>{static_cast<B>(static_cast<U>(a.bits) + static_cast<U>(b.bits))};
}
template <class B, int F>
constexpr Fixed<B, F> sub(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    using U = typename detail::unsigned_of<B>::type;
    return Fixed<B, F>{static_cast<B>(static_cast<U>(a.bits) - static_cast<U>(b.bits))};
}
template <class B, int F>
constexpr std::optional<Fixed<B, F>> checked_add(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    B r{};
    if (__builtin_add_overflow(a.bits, b.bits, &r)) return std::nullopt;
    return Fixed<B, F>{r};
}
template <class B, int F>
constexpr Fixed<B, F> saturating_add(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    B r{};
    if (__builtin_add_overflow(a.bits, b.bits, &r)) {
        if constexpr (detail::is_signed_bits<B>) return b.bits < 0 ? Fixed<B, F>::min() : Fixed<B, F>::max();
        else return Fixed<B, F>::max();
    }
    return Fixed<B, F>{r};
}
template <class B, int F>
constexpr Fixed<B, F> saturating_sub(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    B r{};
    if (__builtin_sub_overflow(a.bits, b.bits, &r)) {
        if constexpr (detail::is_signed_bits<B>) return b.bits > 0 ? Fixed<B, F>::min() : Fixed<B, F>::max();
        else return Fixed<B, F>::min();
    }
    return Fixed<B, F>{r};
}

// ---- multiplication: full-width product, floor toward -inf ---------------------------------------

template <class B, int F>
constexpr std::optional<Fixed<B, F>> checked_mul(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    if constexpr (std::is_same_v<B, std::int64_t>) {
        const i128 p = static_cast<i128>(a.bits) * static_cast<i128>(b.bits);
        const i128 q = p >> F;  // arithmetic shift: floor
        if (q > std::numeric_limits<std::int64_t>::max() || q < std::numeric_limits<std::int64_t>::min())
            return std::nullopt;
        return Fixed<B, F>{static_cast<std::int64_t>(q)};
    } else {
        const bool negative = detail::is_signed_bits<B> && ((a.bits < 0) != (b.bits < 0));
        bool inexact = false;
        const detail::u256 p = detail::shr(detail::mul_wide(detail::magnitude(a.bits), detail::magnitude(b.bits)), F, inexact);
        if (p.hi != 0) return std::nullopt;
        u128 mag = p.lo;
        if (negative && inexact) {  // floor of a negative value: one further from zero
            if (mag == ~static_cast<u128>(0)) return std::nullopt;
            ++mag;
        }
        auto v = detail::signed_fit<B>(negative && mag != 0, mag);
        if (!v) return std::nullopt;
        return Fixed<B, F>{*v};
    }
}
template <class B, int F>
constexpr Fixed<B, F> saturating_mul(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    if (auto r = checked_mul(a, b)) return *r;
    const bool negative = detail::is_signed_bits<B> && ((a.bits < 0) != (b.bits < 0));
    return negative ? Fixed<B, F>::min() : Fixed<B, F>::max();
}
/// `a * b` as the chain's release build computes it; its values never overflow here, and an
/// overflow saturates rather than wrapping (documented divergence in an unreachable case).
template <class B, int F>
constexpr Fixed<B, F> mul(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    if constexpr (std::is_same_v<B, std::int64_t>) {
        const i128 p = static_cast<i128>(a.bits) * static_cast<i128>(b.bits);
        return Fixed<B, F>{static_cast<std::int64_t>(p >> F)};
    } else {
        return saturating_mul(a, b);
    }
}

// ---- division: (a << F) / b truncated toward zero ------------------------------------------------

template <class B, int F>
constexpr std::optional<Fixed<B, F>> checked_div(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    if (b.bits == 0) return std::nullopt;
    if constexpr (std::is_same_v<B, std::int64_t>) {
        const i128 q = (static_cast<i128>(a.bits) * (static_cast<i128>(1) << F)) / static_cast<i128>(b.bits);
        if (q > std::numeric_limits<std::int64_t>::max() || q < std::numeric_limits<std::int64_t>::min())
            return std::nullopt;
        return Fixed<B, F>{static_cast<std::int64_t>(q)};
    } else {
        const bool negative = detail::is_signed_bits<B> && ((a.bits < 0) != (b.bits < 0));
        const u128 na = detail::magnitude(a.bits);
        const detail::u256 num{F == 0 ? 0 : na >> (128 - F), na << F};
        const auto q = detail::div_wide(num, detail::magnitude(b.bits));
        if (!q) return std::nullopt;
        auto v = detail::signed_fit<B>(negative && *q != 0, *q);
        if (!v) return std::nullopt;
        return Fixed<B, F>{*v};
    }
}
/// safe_math's `safe_div`: 0 on a zero divisor and on overflow.
template <class B, int F>
constexpr Fixed<B, F> safe_div(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    return checked_div(a, b).value_or(Fixed<B, F>::zero());
}
/// `saturating_div` for b != 0 (the chain panics on 0; callers never pass it).
template <class B, int F>
constexpr Fixed<B, F> saturating_div(Fixed<B, F> a, Fixed<B, F> b) noexcept {
    if (auto r = checked_div(a, b)) return *r;
    const bool negative = detail::is_signed_bits<B> && ((a.bits < 0) != (b.bits < 0));
    return negative ? Fixed<B, F>::min() : Fixed<B, F>::max();
}

// ---- conversions ---------------------------------------------------------------------------------

/// Fixed → fixed (`saturating_from_num`): extra fractional bits dropped by floor, clamped to range.
template <class To, class B, int F>
constexpr To saturating_convert(Fixed<B, F> x) noexcept {
    using TB = typename To::bits_type;
    constexpr int TF = To::frac_bits;
    const bool negative = detail::is_signed_bits<B> && x.bits < 0;
    u128 mag = detail::magnitude(x.bits);
    if constexpr (TF < F) {
        const u128 dropped = mag & ((static_cast<u128>(1) << (F - TF)) - 1);
        mag >>= (F - TF);
        if (negative && dropped != 0) ++mag;  // floor
    } else if constexpr (TF > F) {
        if (mag > (~static_cast<u128>(0) >> (TF - F))) return negative ? To::min() : To::max();
        mag <<= (TF - F);
    }
    auto v = detail::signed_fit<TB>(negative && mag != 0, mag);
    if (!v) return negative ? To::min() : To::max();
    return To{*v};
}

/// `saturating_to_num::<UInt>()`: floor, then clamp to [0, max] (negative → 0).
template <class UInt, class B, int F>
constexpr UInt saturating_to_uint(Fixed<B, F> x) noexcept {
    if constexpr (detail::is_signed_bits<B>) {
        if (x.bits < 0) return 0;
    }
    const u128 whole = static_cast<u128>(x.bits) >> F;
    if (whole > static_cast<u128>(std::numeric_limits<UInt>::max())) return std::numeric_limits<UInt>::max();
    return static_cast<UInt>(whole);
}

/// `to_num::<int>()` for a value known to be non-negative and in range: floor.
template <class B, int F>
constexpr u128 floor_to_u128(Fixed<B, F> x) noexcept {
    if constexpr (detail::is_signed_bits<B>) {
        if (x.bits < 0) return 0;
    }
    return static_cast<u128>(x.bits) >> F;
}

// ---- repeated division by one I32F32 divisor -----------------------------------------------------

/// floor(hi·2^64 / d) for hi < d (the quotient fits 64 bits): one hardware division on x86-64,
/// where the generic 128-bit division is a slow library call.
inline std::uint64_t divide_128_by_64(std::uint64_t hi, std::uint64_t d) noexcept {
#if defined(__x86_64__)
    std::uint64_t quotient = 0, remainder = 0;
    __asm__("divq %4" : "=a"(quotient), "=d"(remainder) : "a"(std::uint64_t{0}), "d"(hi), "r"(d) : "cc");
    return quotient;
#else
    return static_cast<std::uint64_t>((static_cast<u128>(hi) << 64) / d);
#endif
}

/// I32F32 one / d (checked_div: truncated) for d > 2^-31, where the quotient floor(2^64 / d)
/// is positive and fits; other divisors go through checked_div. The sigmoids divide one by
/// (1 + e^x) for every liquid-alpha entry.
inline std::optional<I32F32> one_over(I32F32 d) noexcept {
    if (d.bits > 2) return I32F32::from_bits(static_cast<std::int64_t>(divide_128_by_64(1, static_cast<std::uint64_t>(d.bits))));
    return checked_div(I32F32::one(), d);
}

/// floor(n / d) for any u64 n and one fixed d >= 1, by a multiply-high and shifts (the
/// round-up method of Granlund and Montgomery): with 2^(l-1) < d < 2^l and
/// m = floor(2^64 (2^l - d) / d) + 1, t = mulhi(m, n), floor(n / d) = (t + (n - t) / 2) >> (l - 1).
/// Powers of two are plain shifts. The epoch's row and column normalisations divide thousands of
/// entries by one sum, where a hardware division per entry would dominate.
class U64Divider {
public:
    U64Divider() noexcept : magic_(0), shift_(0) {}  // divides by 1
    explicit U64Divider(std::uint64_t d) noexcept {
        if (d == 0) d = 1;  // callers never divide by zero; keep the object usable
        if ((d & (d - 1)) == 0) {
            magic_ = 0;
            shift_ = static_cast<unsigned>(__builtin_ctzll(d));
        } else {
            const unsigned l = 64u - static_cast<unsigned>(__builtin_clzll(d));
            const auto excess = static_cast<std::uint64_t>((static_cast<u128>(1) << l) - d);  // below d
            magic_ = divide_128_by_64(excess, d) + 1;
            shift_ = l - 1;
        }
    }
    [[gnu::always_inline]] std::uint64_t operator()(std::uint64_t n) const noexcept {
        if (magic_ == 0) return n >> shift_;
        const auto t = static_cast<std::uint64_t>((static_cast<u128>(magic_) * n) >> 64);
        return (t + ((n - t) >> 1)) >> shift_;
    }

private:
    std::uint64_t magic_;
    unsigned shift_;
};

/// `checked_div(a, d)` for many `a` and one positive `d`, exactly, without a 128-bit division per
/// call: a double-precision estimate of the quotient is corrected with the exact remainder, so
/// the result is the same truncated quotient (and the same overflow) as `checked_div`. The epoch
/// divides every matrix entry by a row or column sum; this keeps those loops fast.
class I32F32Divider {
public:
    explicit I32F32Divider(I32F32 d) noexcept
        : d_(d),
          scale_(d.bits > 0 ? 4294967296.0 / static_cast<double>(d.bits) : 0.0),
          by_bits_(d.bits > 0 ? static_cast<std::uint64_t>(d.bits) : 1),
          by_whole_(d.bits > 0 && (d.bits & 0xffffffff) == 0 ? static_cast<std::uint64_t>(d.bits) >> 32 : 1),
          whole_divisor_(d.bits > 0 && (d.bits & 0xffffffff) == 0),
          fraction_divisor_(d.bits >= 2) {}

    std::optional<I32F32> checked(I32F32 a) const noexcept {
        std::int64_t q = 0;
        if (fast(a, q)) [[likely]] return I32F32{q};
        return checked_div(a, d_);
    }
    [[gnu::always_inline]] I32F32 safe(I32F32 a) const noexcept {
        std::int64_t q = 0;
        if (fast(a, q)) [[likely]] return I32F32{q};
        return safe_div(a, d_);
    }
    [[gnu::always_inline]] I32F32 saturating(I32F32 a) const noexcept {
        std::int64_t q = 0;
        if (fast(a, q)) [[likely]] return I32F32{q};
        return saturating_div(a, d_);
    }

private:
    // The exact quotient for a >= 0, d > 0 and a quotient well inside the range; false sends the
    // caller to the general division (negative values, overflow, a far-off estimate).
    [[gnu::always_inline]] bool fast(I32F32 a, std::int64_t& q) const noexcept {
        constexpr std::uint64_t one = std::uint64_t{1} << 32;
        const auto ua = static_cast<std::uint64_t>(a.bits);  // negative a: above 2^63
        // 0 <= a < 1: a·2^32 fits in 64 bits, so the quotient is one invariant 64-bit division
        // (it would overflow i64 only for d < 2, which the general path handles).
        if (ua < one && fraction_divisor_) {
            q = static_cast<std::int64_t>(by_bits_(ua << 32));
            return true;
        }
        // Whole numbers on both sides (row sums of integer weights): the 2^32 factors cancel,
        // floor(a·2^32 / d) = floor((a/2^32)·2^32 / (d/2^32)), and a/2^32 < 2^31 fits.
        if (whole_divisor_ && (ua & 0x80000000ffffffffu) == 0) {
            q = static_cast<std::int64_t>(by_whole_((ua >> 32) << 32));
            return true;
        }
        if (d_.bits <= 0 || a.bits < 0) return false;
        const double estimate = static_cast<double>(a.bits) * scale_;
        // Below 2^52 the double estimate is within 2 of the true quotient, so with d < 2^58 the
        // true remainder is below 2^61 in magnitude and 64-bit wrapping arithmetic gives it exactly.
        if (!(estimate < 4.0e15) || d_.bits >= (std::int64_t{1} << 58)) return wide(a, q);
        q = static_cast<std::int64_t>(estimate);
        const std::uint64_t d = static_cast<std::uint64_t>(d_.bits);
        std::int64_t r = static_cast<std::int64_t>((static_cast<std::uint64_t>(a.bits) << 32) -
                                                   static_cast<std::uint64_t>(q) * d);
        const std::int64_t sd = d_.bits;
        while (r < 0) { --q; r += sd; }
        while (r >= sd) { ++q; r -= sd; }
        return true;
    }

    // The same with 128-bit remainders, for large quotients or divisors.
    bool wide(I32F32 a, std::int64_t& q) const noexcept {
        const double estimate = static_cast<double>(a.bits) * scale_;
        if (!(estimate < 9.0e18)) return false;
        q = static_cast<std::int64_t>(estimate);
        const i128 d = d_.bits;
        i128 r = (static_cast<i128>(a.bits) << 32) - static_cast<i128>(q) * d;
        if (r < -4 * d || r >= 5 * d) [[unlikely]] return false;
        while (r < 0) { --q; r += d; }
        while (r >= d) { ++q; r -= d; }
        return true;
    }

    I32F32 d_;
    double scale_;
    U64Divider by_bits_, by_whole_;
    bool whole_divisor_, fraction_divisor_;
};

}  // namespace taocore::fixed
