// SPDX-License-Identifier: MIT
#include "crypto/detail/edwards.hpp"

#include <cstdlib>
#include <cstring>

#include "crypto/detail/verify_fe64.hpp"
#include "taocore/crypto/field.hpp"
#include "taocore/simd/backend.hpp"

namespace taocore::crypto::detail {

namespace {

// RFC 8032 base point encoding: y = 4/5, x even.
constexpr std::uint8_t base_encoding[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};

ge_p1p1 madd(const ge_p3& p, const ge_precomp& q) noexcept {
    const fe a = fe_mul(fe_sub(p.Y, p.X), q.yminusx);
    const fe b = fe_mul(fe_add(p.Y, p.X), q.yplusx);
    const fe c = fe_mul(p.T, q.xy2d);
    const fe d = fe_add(p.Z, p.Z);
    return ge_p1p1{fe_sub(b, a), fe_add(b, a), fe_add(d, c), fe_sub(d, c)};
}

ge_p1p1 msub(const ge_p3& p, const ge_precomp& q) noexcept {
    const fe a = fe_mul(fe_sub(p.Y, p.X), q.yplusx);
    const fe b = fe_mul(fe_add(p.Y, p.X), q.yminusx);
    const fe c = fe_mul(p.T, q.xy2d);
    const fe d = fe_add(p.Z, p.Z);
    return ge_p1p1{fe_sub(b, a), fe_add(b, a), fe_sub(d, c), fe_add(d, c)};
}

// out[i] = in[i] in affine (precomp) form for i < n <= 64, with one inversion for all of them
// (Montgomery's trick): the tables hold ~770 points, and an inversion each made building them
// cost milliseconds on first use.
void to_precomp_all(ge_precomp* out, const ge_p3* in, int n) noexcept {
    static_assert(base_table_size <= 64);
    fe prefix[64];  // prefix[i] = Z_0 ... Z_i
    prefix[0] = in[0].Z;
    for (int i = 1; i < n; ++i) prefix[i] = fe_mul(prefix[i - 1], in[i].Z);
    fe inv = fe_invert(prefix[n - 1]);  // 1 / (Z_0 ... Z_i), i counting down
    for (int i = n - 1; i >= 0; --i) {
        const fe zi = i > 0 ? fe_mul(inv, prefix[i - 1]) : inv;
        if (i > 0) inv = fe_mul(inv, in[i].Z);
        const fe x = fe_mul(in[i].X, zi), y = fe_mul(in[i].Y, zi);
        out[i] = ge_precomp{fe_carry(fe_add(y, x)), fe_sub(y, x), fe_mul(fe_mul(x, y), fe_d2)};
    }
}

ge_p2 to_p2(const ge_p3& p) noexcept { return ge_p2{p.X, p.Y, p.Z}; }

// Fixed-base table: window i (0..31) holds j * 256^i * B for j = 1..8 in affine form; the
// odd-position radix-16 digits are handled by multiplying the partial sum by 16 (ref10 layout).
struct base_tables {
    ge_precomp fixed[32][8];
    // wnaf_base[i] holds the odd multiples of 2^(32 i) B (see base_powers in verify_fe64.hpp).
    ge_precomp wnaf_base[base_powers][base_table_size];
    const ge_precomp* base_ptrs[base_powers];
};

base_tables build_tables() noexcept {
    base_tables t;
    ge_p3 b;
    ge_from_bytes_vartime(b, base_encoding, true);
    ge_p3 points[64];  // converted 64 at a time (eight windows of the fixed table)
    ge_p3 p = b;
    for (int i = 0; i < 32; ++i) {
        ge_p3 q = p;
        for (int j = 0; j < 8; ++j) {
            points[8 * (i % 8) + j] = q;
            q = ge_add_p3(q, p);
        }
        for (int k = 0; k < 8; ++k) p = ge_dbl_p3(p);
        if (i % 8 == 7) to_precomp_all(&t.fixed[i - 7][0], points, 64);
    }
    const auto odd_multiples = [&points](ge_precomp* out, const ge_p3& base) {
        const ge_p3 two = ge_dbl_p3(base);
        ge_p3 q = base;
        for (int j = 0; j < base_table_size; ++j) {
            points[j] = q;
            q = ge_add_p3(q, two);
        }
        to_precomp_all(out, points, base_table_size);
    };
    ge_p3 bi = b;
    for (int i = 0; i < base_powers; ++i) {
        odd_multiples(t.wnaf_base[i], bi);
        t.base_ptrs[i] = t.wnaf_base[i];
        if (i + 1 < base_powers)
            for (int k = 0; k < base_part_bits; ++k) bi = ge_dbl_p3(bi);
    }
    return t;
}

const base_tables& tables() noexcept {
    static const base_tables t = build_tables();  // thread-safe one-time initialisation
    return t;
}

// All-ones iff a == b, for small non-negative values; no branch.
std::uint64_t eq_mask(std::uint64_t a, std::uint64_t b) noexcept {
    const std::uint64_t x = a ^ b;
    return std::uint64_t{0} - ((x - 1) >> 63);
}

void precomp_cmov(ge_precomp& a, const ge_precomp& b, std::uint64_t mask) noexcept {
    fe_cmov(a.yplusx, b.yplusx, mask);
    fe_cmov(a.yminusx, b.yminusx, mask);
    fe_cmov(a.xy2d, b.xy2d, mask);
}

// digit in [-8, 8]; reads all eight entries of the window whatever the digit.
ge_precomp select_fixed(const ge_precomp (&window)[8], std::int8_t digit) noexcept {
    const std::int64_t d = digit;
    const std::uint64_t neg = static_cast<std::uint64_t>(d) >> 63;
    const std::uint64_t babs = static_cast<std::uint64_t>(d - 2 * (static_cast<std::int64_t>(0 - neg) & d));
    ge_precomp t{fe_one, fe_one, fe_zero};
    for (std::uint64_t j = 0; j < 8; ++j) precomp_cmov(t, window[j], eq_mask(babs, j + 1));
    const ge_precomp minus{t.yminusx, t.yplusx, fe_neg(t.xy2d)};
    precomp_cmov(t, minus, std::uint64_t{0} - neg);
    return t;
}

// Width-w NAF of a 256-bit little-endian value below 2^255.
void wnaf_bytes(std::int8_t naf[256], const std::uint8_t bytes[32], int w) noexcept {
    std::uint64_t x[5] = {0, 0, 0, 0, 0};
    std::memcpy(x, bytes, 32);
    std::memset(naf, 0, 256);
    const std::uint64_t width = std::uint64_t{1} << w, mask = width - 1;
    std::uint64_t carry = 0;
    int pos = 0;
    while (pos < 256) {
        const int idx = pos / 64, bit = pos % 64;
        std::uint64_t buf = x[idx] >> bit;
        if (bit > 64 - w) buf |= x[idx + 1] << (64 - bit);
        const std::uint64_t window = carry + (buf & mask);
        if ((window & 1) == 0) {
            // No digit here, and none at the following positions while the bit equals the carry
            // (0 with carry 0, 1 with carry 1): skip that whole run at once; the carry is kept.
            if (bit != 0) buf |= x[idx + 1] << (64 - bit);
            const std::uint64_t run = carry == 0 ? buf : ~buf;
            pos += run == 0 ? 64 - bit : __builtin_ctzll(run);
            continue;
        }
        if (window < width / 2) {
            carry = 0;
            naf[pos] = static_cast<std::int8_t>(window);
        } else {
            carry = 1;
            naf[pos] = static_cast<std::int8_t>(static_cast<std::int64_t>(window) - static_cast<std::int64_t>(width));
        }
        pos += w;
    }
}

void wnaf(std::int8_t naf[256], const scalar& s, int w) noexcept {
    std::uint8_t bytes[32];
    scalar_to_bytes(bytes, s);
    wnaf_bytes(naf, bytes, w);
}

// Unsigned 256-bit integers for the half-GCD in ge_verify_combination_vartime.
struct u256 {
    std::uint64_t w[4];
};

int u256_bitlen(const u256& a) noexcept {
    if (a.w[3] != 0) return 256 - __builtin_clzll(a.w[3]);
    if (a.w[2] != 0) return 192 - __builtin_clzll(a.w[2]);
    if (a.w[1] != 0) return 128 - __builtin_clzll(a.w[1]);
    return a.w[0] != 0 ? 64 - __builtin_clzll(a.w[0]) : 0;
}

bool u256_geq(const u256& a, const u256& b) noexcept {
    for (int i = 3; i >= 0; --i)
        if (a.w[i] != b.w[i]) return a.w[i] > b.w[i];
    return true;
}

void u256_sub(u256& a, const u256& b) noexcept {
    std::uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
        const std::uint64_t x = a.w[i], y = x - b.w[i];
        a.w[i] = y - borrow;
        borrow = static_cast<std::uint64_t>(x < b.w[i]) | static_cast<std::uint64_t>(y < borrow);
    }
}

u256 u256_shl(const u256& a, int n) noexcept {  // 0 <= n < 256
    u256 r{{0, 0, 0, 0}};
    const int limbs = n / 64, bits = n % 64;
    for (int i = 3; i >= limbs; --i) {
        std::uint64_t v = a.w[i - limbs] << bits;
        if (bits != 0 && i - limbs - 1 >= 0) v |= a.w[i - limbs - 1] >> (64 - bits);
        r.w[i] = v;
    }
    return r;
}

// Bits n .. n+63 of a (0 <= n <= 192).
std::uint64_t u256_bits_at(const u256& a, int n) noexcept {
    const int i = n / 64, bits = n % 64;
    std::uint64_t v = a.w[i] >> bits;
    if (bits != 0 && i < 3) v |= a.w[i + 1] << (64 - bits);
    return v;
}

// a -= q * b, for q * b <= a. (Borrows are kept as 64-bit compares: compilers spill 128-bit
// differences to the stack.)
void u256_submul(u256& a, const u256& b, std::uint64_t q) noexcept {
    std::uint64_t carry = 0, borrow = 0;
    for (int i = 0; i < 4; ++i) {
        const u128 p = static_cast<u128>(b.w[i]) * q + carry;
        const std::uint64_t lo = static_cast<std::uint64_t>(p), x = a.w[i], y = x - lo;
        carry = static_cast<std::uint64_t>(p >> 64);
        a.w[i] = y - borrow;
        borrow = static_cast<std::uint64_t>(x < lo) | static_cast<std::uint64_t>(y < borrow);
    }
}

// One Euclid step for a > b >= 2^127, la = bitlen(a), lb = bitlen(b): a becomes a mod b (and la
// its length), and the quotient q = a / b is returned times t (the caller's cofactor; q * t <
// 2^127 by the half-GCD bounds). q is built from estimates on the top 64 bits A, B of the
// remainder and of b at the remainder's top position n: A <= a / 2^n and B + 1 > b / 2^n, so
// A / (B + 1) never exceeds the true quotient, and while the lengths differ by under 32 bits it
// is within a few units of it (usually one pass, rarely two). A longer quotient (probability
// about 2^-31 per step) is taken a power of two at a time. The bit-serial long division this
// replaces cost ~20k instructions per verification.
u128 u256_divstep(u256& a, int& la, const u256& b, int lb, u128 t) noexcept {
    u128 qt = 0;
    for (;;) {
        if (la == lb) {  // then a < 2 b: q = 1, no estimate needed (about 40% of the steps)
            u256_sub(a, b);
            la = u256_bitlen(a);
            return qt + t;
        }
        const int n = la - 64;  // la > lb >= 128 here, so n >= 64
        const std::uint64_t A = u256_bits_at(a, n), B = u256_bits_at(b, n);
        if (B >> 32 != 0) {
            std::uint64_t q = B == ~std::uint64_t{0} ? 0 : A / (B + 1);
            if (q == 0) q = 1;  // a >= b
            u256_submul(a, b, q);
            qt += t * q;
        } else {
            const int shift = la - lb - 1;  // >= 31: b << shift <= a
            u256_sub(a, u256_shl(b, shift));
            qt += t << shift;
        }
        la = u256_bitlen(a);
        if (la < lb || (la == lb && !u256_geq(a, b))) return qt;
    }
}

void u256_to_bytes(std::uint8_t out[32], const u256& a) noexcept { std::memcpy(out, a.w, 32); }

}  // namespace

void ge_odd_multiples_cached(ge_cached out[8], const ge_p3& p) noexcept {
    out[0] = ge_to_cached(p);
    const ge_p3 p2 = ge_dbl_p3(p);
    for (int j = 1; j < 8; ++j) out[j] = ge_to_cached(ge_p1p1_to_p3(ge_add(p2, out[j - 1])));
}

bool use_fe64_kernels() noexcept {
#if defined(TAOCORE_HAVE_AVX2)
    // Decided once. Every non-scalar backend implies BMI2 (backend_supported checks it); ADX is
    // checked here because the avx2 backend does not require it (Haswell has BMI2 but no ADX).
    // An unusable TAOCORE_FORCE_BACKEND keeps the portable code (verification fails earlier
    // anyway, when hashing throws).
    static const bool on = [] {
        try {
            const char* opt = std::getenv("TAOCORE_VERIFY_FIELD");
            if (opt != nullptr && std::strcmp(opt, "radix-2^51") == 0) return false;
            const simd::cpu_features& f = simd::detect_cpu_features();
            return simd::active_backend() != simd::backend::scalar && f.bmi2 && f.adx;
        } catch (...) {
            return false;
        }
    }();
    return on;
#else
    return false;
#endif
}

void pow22523_start(pow22523_job& job, const fe& z) noexcept {
#if defined(TAOCORE_HAVE_AVX2)
    if (use_fe64_kernels()) return pow22523_fe64_start(job, z);
#endif
    job.result = fe_pow22523(z);
    job.running = false;
}

void pow22523_advance(pow22523_job& job, int squarings) noexcept {
#if defined(TAOCORE_HAVE_AVX2)
    if (job.running) pow22523_fe64_advance(job, squarings);
#else
    (void)job;
    (void)squarings;
#endif
}

const fe& pow22523_finish(pow22523_job& job) noexcept {
    pow22523_advance(job, 1 << 20);
    return job.result;
}

fe fe_pow22523_public(const fe& z) noexcept {
    pow22523_job job;
    pow22523_start(job, z);
    return pow22523_finish(job);
}

bool use_ifma_kernels() noexcept {
#if defined(TAOCORE_HAVE_AVX512)
    // use_fe64_kernels() is true only once active_backend() has answered, and that answer is
    // fixed for the process, so asking again here cannot throw (short-circuit order matters).
    static const bool on = use_fe64_kernels() && simd::active_backend() == simd::backend::avx512;
    return on;
#else
    return false;
#endif
}

void fe_pow22523_public_many(fe* z, std::size_t n) noexcept {
#if defined(TAOCORE_HAVE_AVX512)
    if (use_ifma_kernels()) {
        fe_pow22523_many_ifma(z, n);
        return;
    }
#endif
    for (std::size_t i = 0; i < n; ++i) z[i] = fe_pow22523_public(z[i]);
}

ge_p3 ge_identity() noexcept { return ge_p3{fe_zero, fe_one, fe_one, fe_zero}; }

ge_p3 ge_basepoint() noexcept {
    ge_p3 b;
    ge_from_bytes_vartime(b, base_encoding, true);
    return b;
}

ge_p3 ge_p1p1_to_p3(const ge_p1p1& p) noexcept {
    return ge_p3{fe_mul(p.X, p.T), fe_mul(p.Y, p.Z), fe_mul(p.Z, p.T), fe_mul(p.X, p.Y)};
}

ge_p2 ge_p1p1_to_p2(const ge_p1p1& p) noexcept { return ge_p2{fe_mul(p.X, p.T), fe_mul(p.Y, p.Z), fe_mul(p.Z, p.T)}; }

ge_cached ge_to_cached(const ge_p3& p) noexcept {
    return ge_cached{fe_add(p.Y, p.X), fe_sub(p.Y, p.X), p.Z, fe_mul(p.T, fe_d2)};
}

ge_p1p1 ge_dbl(const ge_p2& p) noexcept {
    const fe xx = fe_sq(p.X);
    const fe yy = fe_sq(p.Y);
    const fe zz = fe_sq(p.Z);
    const fe zz2 = fe_add(zz, zz);
    const fe a = fe_sq(fe_add(p.X, p.Y));
    const fe y3 = fe_add(yy, xx);
    const fe z3 = fe_sub(yy, xx);
    return ge_p1p1{fe_sub(a, y3), y3, z3, fe_sub(zz2, z3)};
}

ge_p1p1 ge_add(const ge_p3& p, const ge_cached& q) noexcept {
    const fe a = fe_mul(fe_sub(p.Y, p.X), q.YminusX);
    const fe b = fe_mul(fe_add(p.Y, p.X), q.YplusX);
    const fe c = fe_mul(p.T, q.T2d);
    const fe zz = fe_mul(p.Z, q.Z);
    const fe d = fe_add(zz, zz);
    return ge_p1p1{fe_sub(b, a), fe_add(b, a), fe_add(d, c), fe_sub(d, c)};
}

ge_p1p1 ge_sub(const ge_p3& p, const ge_cached& q) noexcept {
    const fe a = fe_mul(fe_sub(p.Y, p.X), q.YplusX);
    const fe b = fe_mul(fe_add(p.Y, p.X), q.YminusX);
    const fe c = fe_mul(p.T, q.T2d);
    const fe zz = fe_mul(p.Z, q.Z);
    const fe d = fe_add(zz, zz);
    return ge_p1p1{fe_sub(b, a), fe_add(b, a), fe_sub(d, c), fe_add(d, c)};
}

ge_p1p1 ge_madd(const ge_p3& p, const ge_precomp& q) noexcept { return madd(p, q); }
ge_p1p1 ge_msub(const ge_p3& p, const ge_precomp& q) noexcept { return msub(p, q); }
ge_p3 ge_add_p3(const ge_p3& p, const ge_p3& q) noexcept { return ge_p1p1_to_p3(ge_add(p, ge_to_cached(q))); }
ge_p3 ge_sub_p3(const ge_p3& p, const ge_p3& q) noexcept { return ge_p1p1_to_p3(ge_sub(p, ge_to_cached(q))); }
ge_p3 ge_dbl_p3(const ge_p3& p) noexcept { return ge_p1p1_to_p3(ge_dbl(to_p2(p))); }
ge_p3 ge_neg(const ge_p3& p) noexcept { return ge_p3{fe_neg(p.X), p.Y, p.Z, fe_neg(p.T)}; }

ge_p3 ge_mul_cofactor(const ge_p3& p) noexcept {
#if defined(TAOCORE_HAVE_AVX2)
    // Only verification multiplies by the cofactor (public points), and the ed25519 check does
    // it once per signature; the radix-2^64 doublings are branch-free all the same.
    if (use_fe64_kernels()) return ge_mul_cofactor_fe64(p);
#endif
    ge_p2 r = to_p2(p);
    r = ge_p1p1_to_p2(ge_dbl(r));
    r = ge_p1p1_to_p2(ge_dbl(r));
    return ge_p1p1_to_p3(ge_dbl(r));
}

bool ge_is_identity_vartime(const ge_p3& p) noexcept {
    return fe_is_zero_mask(p.X) != 0 && fe_eq_mask(p.Y, p.Z) != 0;
}

void ge_to_bytes(std::uint8_t out[32], const ge_p3& p) noexcept {
    const fe zi = fe_invert(p.Z);
    const fe x = fe_mul(p.X, zi), y = fe_mul(p.Y, zi);
    fe_to_bytes(out, y);
    out[31] = static_cast<std::uint8_t>(out[31] | (fe_is_negative(x) << 7));
}

bool ge_y_is_canonical(const std::uint8_t in[32]) noexcept {
    std::uint8_t check[32];
    fe_to_bytes(check, fe_from_bytes(in));
    check[31] = static_cast<std::uint8_t>(check[31] | (in[31] & 0x80));
    return std::memcmp(check, in, 32) == 0;
}

bool ge_equal_vartime(const ge_p3& p, const ge_p3& q) noexcept {
    return fe_eq_mask(fe_mul(p.X, q.Z), fe_mul(q.X, p.Z)) != 0 && fe_eq_mask(fe_mul(p.Y, q.Z), fe_mul(q.Y, p.Z)) != 0;
}

bool ge_decode_start(ge_decode_job& job, const std::uint8_t in[32], bool require_canonical) noexcept {
    if (require_canonical && !ge_y_is_canonical(in)) return false;
    job.y = fe_from_bytes(in);
    job.sign = in[31] >> 7;
    job.require_canonical = require_canonical;
    const fe yy = fe_sq(job.y);
    job.u = fe_sub(yy, fe_one);
    job.v = fe_add(fe_mul(yy, fe_d), fe_one);
    // x = u v^3 (u v^7)^((p-5)/8), then fix up by sqrt(-1) if v x^2 = -u (RFC 8032 §5.1.3).
    job.v3 = fe_mul(fe_sq(job.v), job.v);
    pow22523_start(job.root, fe_mul(job.u, fe_mul(fe_sq(job.v3), job.v)));
    return true;
}

bool ge_decode_finish(ge_decode_job& job, ge_p3& out) noexcept {
    const fe& u = job.u;
    fe x = fe_mul(fe_mul(u, job.v3), pow22523_finish(job.root));
    const fe vxx = fe_mul(job.v, fe_sq(x));
    if (fe_eq_mask(vxx, u) == 0) {
        if (fe_eq_mask(vxx, fe_neg(u)) == 0) return false;
        x = fe_mul(x, fe_sqrtm1);
    }
    const bool x_zero = fe_is_zero_mask(x) != 0;
    if (x_zero && job.sign == 1 && job.require_canonical) return false;
    if (fe_is_negative(x) != job.sign) x = fe_neg(x);
    out = ge_p3{x, fe_carry(job.y), fe_one, fe_mul(x, job.y)};
    return true;
}

bool ge_from_bytes_vartime(ge_p3& out, const std::uint8_t in[32], bool require_canonical) noexcept {
    ge_decode_job job;
    return ge_decode_start(job, in, require_canonical) && ge_decode_finish(job, out);
}

ge_p3 ge_scalarmult_base(const scalar& s) noexcept {
    std::uint8_t a[32];
    scalar_to_bytes(a, s);  // s < l < 2^253, so the top digit stays small
    std::int8_t e[64];
    for (int i = 0; i < 32; ++i) {
        e[2 * i] = static_cast<std::int8_t>(a[i] & 15);
        e[2 * i + 1] = static_cast<std::int8_t>((a[i] >> 4) & 15);
    }
    std::int8_t carry = 0;
    for (int i = 0; i < 63; ++i) {
        e[i] = static_cast<std::int8_t>(e[i] + carry);
        carry = static_cast<std::int8_t>((e[i] + 8) >> 4);
        e[i] = static_cast<std::int8_t>(e[i] - (carry << 4));
    }
    e[63] = static_cast<std::int8_t>(e[63] + carry);

    const base_tables& t = tables();
    ge_p3 h = ge_identity();
    for (int i = 1; i < 64; i += 2) h = ge_p1p1_to_p3(madd(h, select_fixed(t.fixed[i / 2], e[i])));
    ge_p2 r = to_p2(h);
    r = ge_p1p1_to_p2(ge_dbl(r));
    r = ge_p1p1_to_p2(ge_dbl(r));
    r = ge_p1p1_to_p2(ge_dbl(r));
    h = ge_p1p1_to_p3(ge_dbl(r));
    for (int i = 0; i < 64; i += 2) h = ge_p1p1_to_p3(madd(h, select_fixed(t.fixed[i / 2], e[i])));

    volatile std::int8_t* ve = e;
    for (int i = 0; i < 64; ++i) ve[i] = 0;
    volatile std::uint8_t* va = a;
    for (int i = 0; i < 32; ++i) va[i] = 0;
    return h;
}

ge_p3 ge_double_scalarmult_vartime(const scalar& a, const ge_p3& A, const scalar& b) noexcept {
    std::int8_t naf_a[256], naf_b[256];
    wnaf(naf_a, a, 5);
    wnaf(naf_b, b, 8);
    ge_cached ai[8];  // A, 3A, ..., 15A
    ge_odd_multiples_cached(ai, A);
    const base_tables& t = tables();

    int i = 255;
    while (i >= 0 && naf_a[i] == 0 && naf_b[i] == 0) --i;
    ge_p2 r{fe_zero, fe_one, fe_one};
    for (; i >= 0; --i) {
        ge_p1p1 s = ge_dbl(r);
        if (naf_a[i] > 0) {
            s = ge_add(ge_p1p1_to_p3(s), ai[naf_a[i] / 2]);
        } else if (naf_a[i] < 0) {
            s = ge_sub(ge_p1p1_to_p3(s), ai[(-naf_a[i]) / 2]);
        }
        if (naf_b[i] > 0) {
            s = madd(ge_p1p1_to_p3(s), t.wnaf_base[0][naf_b[i] / 2]);
        } else if (naf_b[i] < 0) {
            s = msub(ge_p1p1_to_p3(s), t.wnaf_base[0][(-naf_b[i]) / 2]);
        }
        r = ge_p1p1_to_p2(s);
        if (i == 0) return ge_p1p1_to_p3(s);
    }
    return ge_identity();
}

ge_p3 ge_verify_combination_vartime(const scalar& s, const scalar& k, const ge_p3& A, const ge_p3& R) noexcept {
    ge_cached a_tab[8];
    ge_odd_multiples_cached(a_tab, ge_neg(A));
    return ge_verify_combination_vartime(s, k, a_tab, R);
}

namespace {

// Squarings of a pending decoding's root run per half-GCD step and per wNAF recoding: a step
// takes about as long as one to two dependent squarings, and the chain (~250 squarings) outlasts
// all of that work, so every step gets a share and the rest runs at the end.
constexpr int root_squarings_per_step = 2;
constexpr int root_squarings_per_recoding = 6;

// k = c/d mod l (up to d's sign) with c, d below 2^127, as little-endian bytes. Extended Euclid
// on (l, k), keeping r_i = t_i * k (mod l), stopped at the first r_i < 2^127: then |t_i| <= l /
// r_{i-1} < 2^126, and c = r_i, d = t_i. The t_i alternate in sign (t_1 = 1, t_2 = -q_1, ...),
// so only magnitudes are kept: |t_{i+1}| = |t_{i-1}| + q|t_i|. While r_cur >= 2^127 every |t| <=
// l / 2^127 < 2^126 (and every partial q |t| < 2^127), so the t's fit in 128 bits. A pending
// decoding's root advances by a share of squarings per step.
struct challenge_split {
    std::uint8_t c[32], d[32];
    bool d_negative;
};

void split_challenge(challenge_split& out, const scalar& k, ge_decode_job* pending_r) noexcept {
    u256 r_prev{{0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL}};  // l
    u256 r_cur;
    scalar_to_bytes(reinterpret_cast<std::uint8_t*>(r_cur.w), k);
    u128 t_prev = 0, t_cur = 1;
    bool d_negative = false;
    int len_prev = 253, len_cur = u256_bitlen(r_cur);  // l has 253 bits
    while (len_cur > 127) {
        u256 rem = r_prev;
        int len_rem = len_prev;
        const u128 acc = t_prev + u256_divstep(rem, len_rem, r_cur, len_cur, t_cur);
        r_prev = r_cur;
        len_prev = len_cur;
        r_cur = rem;
        len_cur = len_rem;
        t_prev = t_cur;
        t_cur = acc;
        d_negative = !d_negative;
        if (pending_r != nullptr) pow22523_advance(pending_r->root, root_squarings_per_step);
    }
    u256_to_bytes(out.c, r_cur);
    std::memset(out.d, 0, sizeof out.d);
    std::memcpy(out.d, &t_cur, 16);
    out.d_negative = d_negative;
}

// d s mod l as bytes, negated when d is: d * (sB - kA - R) = (d s) B - c A - d R, with the signs
// of c and d moved onto the points.
void scaled_base_scalar(std::uint8_t out[32], const scalar& s, const challenge_split& h) noexcept {
    scalar ds = scalar_mul(s, scalar_from_canonical_bytes(h.d));
    if (h.d_negative) ds = scalar_neg(ds);
    scalar_to_bytes(out, ds);
}

void recode(std::int8_t naf[256], const std::uint8_t bytes[32], int w, ge_decode_job* pending_r) noexcept {
    wnaf_bytes(naf, bytes, w);
    if (pending_r != nullptr) pow22523_advance(pending_r->root, root_squarings_per_recoding);
}

// The body of both ge_verify_combination_vartime overloads: R is either given or still being
// decoded (pending_r, from ge_decode_start; then false means R did not decode).
bool verify_combination(ge_p3& out, const scalar& s, const scalar& k, const ge_cached a_tab[8], const ge_p3* given_r,
                        ge_decode_job* pending_r) noexcept {
    challenge_split h;
    split_challenge(h, k, pending_r);
    const std::uint8_t* c_bytes = h.c;
    const std::uint8_t* d_bytes = h.d;
    const bool d_negative = h.d_negative;
    // (d s) split as lo + 2^128 hi for the two base tables.
    std::uint8_t ds_bytes[32], lo[32] = {}, hi[32] = {};
    scaled_base_scalar(ds_bytes, s, h);
    std::memcpy(lo, ds_bytes, 16);
    std::memcpy(hi, ds_bytes + 16, 16);

    std::int8_t naf_lo[256], naf_hi[256], naf_c[256], naf_d[256];
    recode(naf_lo, lo, 8, pending_r);
    recode(naf_hi, hi, 8, pending_r);
    recode(naf_c, c_bytes, 5, pending_r);
    recode(naf_d, d_bytes, 5, pending_r);
    ge_p3 decoded_r;
    if (pending_r != nullptr) {
        if (!ge_decode_finish(*pending_r, decoded_r)) return false;
        given_r = &decoded_r;
    }
    const ge_p3 r_signed = d_negative ? *given_r : ge_neg(*given_r);
    const base_tables& t = tables();
    // All four values are below 2^128, and a NAF has no digit above the value's bit length.
    int i = 128;
    while (i >= 0 && naf_lo[i] == 0 && naf_hi[i] == 0 && naf_c[i] == 0 && naf_d[i] == 0) --i;
    if (i < 0) {
        out = ge_identity();
        return true;
    }
#if defined(TAOCORE_HAVE_AVX2)
    if (use_fe64_kernels()) {
        out = verify_loop_fe64(verify_digits{naf_c, naf_d, naf_lo, naf_hi, i}, a_tab, r_signed, t.base_ptrs);
        return true;
    }
#endif
    ge_cached r_tab[8];  // a_tab holds -A, -3A, ..., -15A
    ge_odd_multiples_cached(r_tab, r_signed);
    ge_p2 r{fe_zero, fe_one, fe_one};
    for (;; --i) {
        ge_p1p1 q = ge_dbl(r);
        if (naf_c[i] > 0) q = ge_add(ge_p1p1_to_p3(q), a_tab[naf_c[i] / 2]);
        else if (naf_c[i] < 0) q = ge_sub(ge_p1p1_to_p3(q), a_tab[(-naf_c[i]) / 2]);
        if (naf_d[i] > 0) q = ge_add(ge_p1p1_to_p3(q), r_tab[naf_d[i] / 2]);
        else if (naf_d[i] < 0) q = ge_sub(ge_p1p1_to_p3(q), r_tab[(-naf_d[i]) / 2]);
        if (naf_lo[i] > 0) q = madd(ge_p1p1_to_p3(q), t.wnaf_base[0][naf_lo[i] / 2]);
        else if (naf_lo[i] < 0) q = msub(ge_p1p1_to_p3(q), t.wnaf_base[0][(-naf_lo[i]) / 2]);
        if (naf_hi[i] > 0) q = madd(ge_p1p1_to_p3(q), t.wnaf_base[base_power_128][naf_hi[i] / 2]);
        else if (naf_hi[i] < 0) q = msub(ge_p1p1_to_p3(q), t.wnaf_base[base_power_128][(-naf_hi[i]) / 2]);
        if (i == 0) {
            out = ge_p1p1_to_p3(q);
            return true;
        }
        r = ge_p1p1_to_p2(q);
    }
}

}  // namespace

ge_p3 ge_verify_combination_vartime(const scalar& s, const scalar& k, const ge_cached a_tab[8],
                                    const ge_p3& R) noexcept {
    ge_p3 out;
    verify_combination(out, s, k, a_tab, &R, nullptr);
    return out;
}

bool ge_verify_combination_vartime(ge_p3& out, const scalar& s, const scalar& k, const ge_cached neg_a_table[8],
                                   ge_decode_job& pending_r) noexcept {
    return verify_combination(out, s, k, neg_a_table, nullptr, &pending_r);
}

#if defined(TAOCORE_HAVE_AVX2)
ge_p3 ge_hot_combination_vartime(const scalar& s, const scalar& k, const hot_key_tables& key,
                                 pow22523_job* background) noexcept {
    // One wNAF per scalar: its digits at 32 j .. 32 j + 31 are those of the part on 2^(32 j) P
    // (a signed-digit form of a sum of parts needs no carry between them).
    std::int8_t naf_k[256], naf_s[256];
    wnaf(naf_k, k, hot_key_window);
    wnaf(naf_s, s, 8);
    int top = base_part_bits - 1;
    const auto any_digit = [&](int i) {
        for (int j = 0; j < base_powers; ++j)
            if (naf_k[base_part_bits * j + i] != 0 || naf_s[base_part_bits * j + i] != 0) return true;
        return false;
    };
    while (top > 0 && !any_digit(top)) --top;
    return verify_loop_hot_fe64(hot_digits{naf_k, naf_s, top}, key, background, tables().base_ptrs);
}
#endif

}  // namespace taocore::crypto::detail

namespace taocore::crypto {

std::string_view verify_field_name() noexcept { return detail::use_fe64_kernels() ? "radix-2^64" : "radix-2^51"; }

}  // namespace taocore::crypto
