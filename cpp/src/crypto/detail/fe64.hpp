// SPDX-License-Identifier: MIT
// GF(2^255 - 19) in radix 2^64: four 64-bit words, values kept below 2^256 and only congruent
// mod p (lazy reduction). Reduction uses 2^256 = 2 * 2^255 = 2 * 19 = 38 (mod p): the high half
// of a 512-bit product is multiplied by 38 and added to the low half, and a carry out of bit 256
// is worth 38 more.
//
// Why a second representation: a 4x4-word schoolbook product is 16 64x64->128 multiplies where
// the radix-2^51 form needs 25, and with BMI2's MULX (flag-free) and ADX's ADCX/ADOX (two
// independent carry chains, CF and OF) a whole row of partial products is added in one pass.
// This header is included only by translation units compiled with ISA flags (*_avx2.cpp), whose
// code runs only on CPUs that report BMI2 and ADX (use_fe64_kernels()); the radix-2^51 code in
// field25519.hpp stays the portable reference that this must agree with.
//
// Calling convention, chosen for wall-clock speed rather than looks: every operation writes its
// result through an out-reference (which may alias an input), and the assembly returns the four
// words in registers that the compiler then stores one word at a time. Returning fe64 structs by
// value made the compiler copy them with 16/32-byte vector moves right after the 8-byte stores
// that produced them; such loads cannot be store-forwarded and stalled the pipeline long enough
// to make the first version of this code slower than the radix-2^51 one despite running ~30%
// fewer instructions. Callers keep to the same rule: no whole-struct copies of fresh values.
//
// Every function is branch-free (carries are propagated arithmetically), though today it only
// serves variable-time verification.
#pragma once

#include <cstdint>

#include "crypto/detail/field25519.hpp"

// Everything below has internal linkage (an anonymous namespace): this header is compiled with
// ISA flags, and an inline function with external linkage could be merged by the linker with a
// baseline copy of the same name. For the same reason nothing here calls field25519.hpp's inline
// functions (only its type and constants are used).
namespace taocore::crypto::detail::f64 {
namespace {

using u64 = unsigned long long;

struct fe64 {
    u64 v[4];
};

// The memory an asm block reads through a pointer, named as an operand so the compiler orders
// the block after the stores that produced it without a blanket "memory" clobber. Unoptimised
// builds give every such operand an address register of its own, which the multiplication
// cannot spare, so there the blocks declare a memory clobber instead.
#if defined(__OPTIMIZE__)
#define TAOCORE_F64_IN(x) , "m"(*reinterpret_cast<const u64(*)[4]>((x).v))
#define TAOCORE_F64_MEMORY
#else
#define TAOCORE_F64_IN(x)
#define TAOCORE_F64_MEMORY "memory",
#endif

// The fold shared by mul and sq: on entry T0..T3 hold t0..t3 and T4..T7 hold t4..t7 of a
// 512-bit value (register names, as asm text); on exit T0..T3 hold t_lo + 38 t_hi, below
// 2^256. 38 * t_hi is added with ADCX (low halves) and ADOX (high halves) in one pass, leaving a
// fifth word below 40 (in T5; T4 serves as a zero once consumed); that word times 38 is added
// once more, and a last carry out of 2^256 (possible only if the sum wrapped to a small value)
// is worth 38 and cannot carry again. Uses rax, rcx, rdx.
#define TAOCORE_F64_FOLD(T0, T1, T2, T3, T4, T5, T6, T7) \
    "movl $38, %%edx\n\t"                                \
    "mulxq " T4 ", %%rax, %%rcx\n\t"                     \
    "xorq " T4 ", " T4 "\n\t"                            \
    "adcxq %%rax, " T0 "\n\t"                            \
    "adoxq %%rcx, " T1 "\n\t"                            \
    "mulxq " T5 ", %%rax, %%rcx\n\t"                     \
    "adcxq %%rax, " T1 "\n\t"                            \
    "adoxq %%rcx, " T2 "\n\t"                            \
    "mulxq " T6 ", %%rax, %%rcx\n\t"                     \
    "adcxq %%rax, " T2 "\n\t"                            \
    "adoxq %%rcx, " T3 "\n\t"                            \
    "mulxq " T7 ", %%rax, " T5 "\n\t"                    \
    "adcxq %%rax, " T3 "\n\t"                            \
    "adoxq " T4 ", " T5 "\n\t"                           \
    "adcxq " T4 ", " T5 "\n\t"                           \
    "imulq $38, " T5 ", " T5 "\n\t"                      \
    "addq " T5 ", " T0 "\n\t"                            \
    "adcq $0, " T1 "\n\t"                                \
    "adcq $0, " T2 "\n\t"                                \
    "adcq $0, " T3 "\n\t"                                \
    "sbbq %%rax, %%rax\n\t"                              \
    "andl $38, %%eax\n\t"                                \
    "addq %%rax, " T0 "\n\t"

// a * b: schoolbook rows a_i * b. Row 0 is one ADD/ADC chain; each later row adds its low halves
// into t_i..t_{i+3} on the CF chain (ADCX) and its high halves into t_{i+1}..t_{i+4} on the OF
// chain (ADOX), so both chains run interleaved with the multiplies. t4..t7 live in r8..r11 for
// the fold; t0..t3 are the outputs.
inline void mul(fe64& r, const fe64& a, const fe64& b) noexcept {
    u64 t0, t1, t2, t3;
    __asm__(
        // row 0: t0..t4
        "movq 0(%[a]), %%rdx\n\t"
        "mulxq 0(%[b]), %0, %1\n\t"
        "mulxq 8(%[b]), %%rax, %2\n\t"
        "addq %%rax, %1\n\t"
        "mulxq 16(%[b]), %%rax, %3\n\t"
        "adcq %%rax, %2\n\t"
        "mulxq 24(%[b]), %%rax, %%r8\n\t"
        "adcq %%rax, %3\n\t"
        "adcq $0, %%r8\n\t"
        // row 1: t1..t5 (xor clears CF and OF and starts t5 at 0)
        "movq 8(%[a]), %%rdx\n\t"
        "xorl %%r9d, %%r9d\n\t"
        "mulxq 0(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %1\n\t"
        "adoxq %%rcx, %2\n\t"
        "mulxq 8(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %2\n\t"
        "adoxq %%rcx, %3\n\t"
        "mulxq 16(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %3\n\t"
        "adoxq %%rcx, %%r8\n\t"
        "mulxq 24(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %%r8\n\t"
        "adoxq %%rcx, %%r9\n\t"
        "adcq $0, %%r9\n\t"
        // row 2: t2..t6
        "movq 16(%[a]), %%rdx\n\t"
        "xorl %%r10d, %%r10d\n\t"
        "mulxq 0(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %2\n\t"
        "adoxq %%rcx, %3\n\t"
        "mulxq 8(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %3\n\t"
        "adoxq %%rcx, %%r8\n\t"
        "mulxq 16(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %%r8\n\t"
        "adoxq %%rcx, %%r9\n\t"
        "mulxq 24(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %%r9\n\t"
        "adoxq %%rcx, %%r10\n\t"
        "adcq $0, %%r10\n\t"
        // row 3: t3..t7
        "movq 24(%[a]), %%rdx\n\t"
        "xorl %%r11d, %%r11d\n\t"
        "mulxq 0(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %3\n\t"
        "adoxq %%rcx, %%r8\n\t"
        "mulxq 8(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %%r8\n\t"
        "adoxq %%rcx, %%r9\n\t"
        "mulxq 16(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %%r9\n\t"
        "adoxq %%rcx, %%r10\n\t"
        "mulxq 24(%[b]), %%rax, %%rcx\n\t"
        "adcxq %%rax, %%r10\n\t"
        "adoxq %%rcx, %%r11\n\t"
        "adcq $0, %%r11\n\t"
        TAOCORE_F64_FOLD("%0", "%1", "%2", "%3", "%%r8", "%%r9", "%%r10", "%%r11")
        : "=&r"(t0), "=&r"(t1), "=&r"(t2), "=&r"(t3)
        : [a] "r"(a.v), [b] "r"(b.v) TAOCORE_F64_IN(a) TAOCORE_F64_IN(b)
        : TAOCORE_F64_MEMORY "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "cc");
    r.v[0] = t0;
    r.v[1] = t1;
    r.v[2] = t2;
    r.v[3] = t3;
}

// a^(2^n), n >= 1: n squarings with the value kept in four registers throughout (a chain of
// squarings -- the inversion and square-root exponentiations -- is bound by latency, and a
// round trip through memory per step would lengthen it). Each squaring: the six cross products
// a_i a_j (i < j) summed once into words 1..6 (r8..r13), then doubled (ADCX of each word with
// itself, on CF) while the squares a_i^2 are added on the diagonal (ADOX, on OF): 10
// multiplications instead of 16. Then TAOCORE_F64_FOLD, and the result goes back into x0..x3.
// Thirteen registers are taken (x0..x3, the compiler's choice, and nine named ones), which still
// fits builds that keep a frame pointer; sqn's step counter lives in memory, and sq is the same
// block without the loop.
#define TAOCORE_F64_SQUARE \
    /* cross sum: t1..t6 = r8..r13 */ \
    "movq %[x0], %%rdx\n\t" \
    "mulxq %[x1], %%r8, %%r9\n\t"  /* a0 a1 */ \
    "mulxq %[x2], %%rax, %%r10\n\t"  /* a0 a2 */ \
    "addq %%rax, %%r9\n\t" \
    "mulxq %[x3], %%rax, %%r11\n\t"  /* a0 a3 */ \
    "adcq %%rax, %%r10\n\t" \
    "movq %[x3], %%rdx\n\t" \
    "mulxq %[x1], %%rax, %%r12\n\t"  /* a1 a3 */ \
    "adcq %%rax, %%r11\n\t" \
    "mulxq %[x2], %%rax, %%r13\n\t"  /* a2 a3 */ \
    "adcq %%rax, %%r12\n\t" \
    "adcq $0, %%r13\n\t" \
    "movq %[x1], %%rdx\n\t" \
    "mulxq %[x2], %%rax, %%rcx\n\t"  /* a1 a2, at words 3 and 4 */ \
    "addq %%rax, %%r10\n\t" \
    "adcq %%rcx, %%r11\n\t" \
    "adcq $0, %%r12\n\t" \
    "adcq $0, %%r13\n\t" \
    /* 2 * cross + diagonal; t0 lands in x0's register, t7 in x1's (both consumed by then; */ \
    /* MOV leaves the flags alone, so x1 can be zeroed mid-chain) */ \
    "movq %[x0], %%rdx\n\t" \
    "xorl %%eax, %%eax\n\t" \
    "mulxq %%rdx, %[x0], %%rcx\n\t" \
    "adcxq %%r8, %%r8\n\t" \
    "adoxq %%rcx, %%r8\n\t" \
    "movq %[x1], %%rdx\n\t" \
    "mulxq %%rdx, %%rax, %%rcx\n\t" \
    "adcxq %%r9, %%r9\n\t" \
    "adoxq %%rax, %%r9\n\t" \
    "adcxq %%r10, %%r10\n\t" \
    "adoxq %%rcx, %%r10\n\t" \
    "movq %[x2], %%rdx\n\t" \
    "mulxq %%rdx, %%rax, %%rcx\n\t" \
    "adcxq %%r11, %%r11\n\t" \
    "adoxq %%rax, %%r11\n\t" \
    "adcxq %%r12, %%r12\n\t" \
    "adoxq %%rcx, %%r12\n\t" \
    "movq %[x3], %%rdx\n\t" \
    "mulxq %%rdx, %%rax, %%rcx\n\t" \
    "adcxq %%r13, %%r13\n\t" \
    "adoxq %%rax, %%r13\n\t" \
    "movl $0, %k[x1]\n\t" \
    "adcxq %[x1], %[x1]\n\t" \
    "adoxq %%rcx, %[x1]\n\t" \
    /* fold: (t0, r8, r9, r10) + 38 (r11, r12, r13, x1) */ \
    TAOCORE_F64_FOLD("%[x0]", "%%r8", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13", "%[x1]") \
    "movq %%r8, %[x1]\n\t" \
    "movq %%r9, %[x2]\n\t" \
    "movq %%r10, %[x3]\n\t"

inline void sqn(fe64& r, const fe64& a, unsigned n) noexcept {
    u64 x0 = a.v[0], x1 = a.v[1], x2 = a.v[2], x3 = a.v[3];
    __asm__("1:\n\t" TAOCORE_F64_SQUARE "decl %[n]\n\t"
            "jnz 1b\n\t"
            : [x0] "+&r"(x0), [x1] "+&r"(x1), [x2] "+&r"(x2), [x3] "+&r"(x3), [n] "+m"(n)
            :
            : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "cc");
    r.v[0] = x0;
    r.v[1] = x1;
    r.v[2] = x2;
    r.v[3] = x3;
}

// One squaring: the same block without the loop counter.
inline void sq(fe64& r, const fe64& a) noexcept {
    u64 x0 = a.v[0], x1 = a.v[1], x2 = a.v[2], x3 = a.v[3];
    __asm__(TAOCORE_F64_SQUARE
            : [x0] "+&r"(x0), [x1] "+&r"(x1), [x2] "+&r"(x2), [x3] "+&r"(x3)
            :
            : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "cc");
    r.v[0] = x0;
    r.v[1] = x1;
    r.v[2] = x2;
    r.v[3] = x3;
}

#undef TAOCORE_F64_SQUARE
#undef TAOCORE_F64_FOLD

// a + b mod 2^256 - 38: the carry out of the 256-bit sum adds 38; adding that can carry again
// only if the sum wrapped to a value below 38, and then the second 38 cannot carry.
inline void add(fe64& r, const fe64& a, const fe64& b) noexcept {
    u64 t0 = a.v[0], t1 = a.v[1], t2 = a.v[2], t3 = a.v[3], c;
    __asm__(
        "addq 0(%[b]), %0\n\t"
        "adcq 8(%[b]), %1\n\t"
        "adcq 16(%[b]), %2\n\t"
        "adcq 24(%[b]), %3\n\t"
        "sbbq %4, %4\n\t"
        "andl $38, %k4\n\t"
        "addq %4, %0\n\t"
        "adcq $0, %1\n\t"
        "adcq $0, %2\n\t"
        "adcq $0, %3\n\t"
        "sbbq %4, %4\n\t"
        "andl $38, %k4\n\t"
        "addq %4, %0\n\t"
        : "+&r"(t0), "+&r"(t1), "+&r"(t2), "+&r"(t3), "=&r"(c)
        : [b] "r"(b.v) TAOCORE_F64_IN(b)
        : TAOCORE_F64_MEMORY "cc");
    r.v[0] = t0;
    r.v[1] = t1;
    r.v[2] = t2;
    r.v[3] = t3;
}

// a - b: a borrow out of bit 256 means 2^256 was added, i.e. 38 too much; subtracting 38 can
// borrow again only if the difference was below 38, and then the wrapped value is near 2^256.
inline void sub(fe64& r, const fe64& a, const fe64& b) noexcept {
    u64 t0 = a.v[0], t1 = a.v[1], t2 = a.v[2], t3 = a.v[3], c;
    __asm__(
        "subq 0(%[b]), %0\n\t"
        "sbbq 8(%[b]), %1\n\t"
        "sbbq 16(%[b]), %2\n\t"
        "sbbq 24(%[b]), %3\n\t"
        "sbbq %4, %4\n\t"
        "andl $38, %k4\n\t"
        "subq %4, %0\n\t"
        "sbbq $0, %1\n\t"
        "sbbq $0, %2\n\t"
        "sbbq $0, %3\n\t"
        "sbbq %4, %4\n\t"
        "andl $38, %k4\n\t"
        "subq %4, %0\n\t"
        : "+&r"(t0), "+&r"(t1), "+&r"(t2), "+&r"(t3), "=&r"(c)
        : [b] "r"(b.v) TAOCORE_F64_IN(b)
        : TAOCORE_F64_MEMORY "cc");
    r.v[0] = t0;
    r.v[1] = t1;
    r.v[2] = t2;
    r.v[3] = t3;
}

#undef TAOCORE_F64_IN
#undef TAOCORE_F64_MEMORY

inline void neg(fe64& r, const fe64& a) noexcept { sub(r, fe64{{0, 0, 0, 0}}, a); }

/// From the radix-2^51 form (limbs below 2^54): the value sum l_i 2^(51 i), carried into four
/// words. After one carry pass the limbs are below 2^51 except l0 (below 2^51 + 19 * 2^3), so
/// the sum is below 2^256 and needs no reduction (fe64 values need only be congruent mod p).
inline void from_fe(fe64& r, const fe& a) noexcept {
    std::uint64_t l[5] = {a.v[0], a.v[1], a.v[2], a.v[3], a.v[4]};
    for (int i = 0; i < 4; ++i) {
        l[i + 1] += l[i] >> 51;
        l[i] &= fe_mask51;
    }
    l[0] += 19 * (l[4] >> 51);
    l[4] &= fe_mask51;
    __extension__ typedef unsigned __int128 wide;
    wide acc = l[0] + (static_cast<wide>(l[1]) << 51);  // bits 0..101
    r.v[0] = static_cast<u64>(acc);
    acc = (acc >> 64) + (static_cast<wide>(l[2]) << 38);  // l2 at bit 102 = 64 + 38
    r.v[1] = static_cast<u64>(acc);
    acc = (acc >> 64) + (static_cast<wide>(l[3]) << 25);  // l3 at bit 153 = 128 + 25
    r.v[2] = static_cast<u64>(acc);
    acc = (acc >> 64) + (static_cast<wide>(l[4]) << 12);  // l4 at bit 204 = 192 + 12
    r.v[3] = static_cast<u64>(acc);
}

/// To the radix-2^51 form: bits 0..254 as five 51-bit limbs, bit 255 (worth 19) folded in.
inline void to_fe(fe& r, const fe64& a) noexcept {
    const std::uint64_t w0 = a.v[0], w1 = a.v[1], w2 = a.v[2], w3 = a.v[3];
    r.v[0] = (w0 & fe_mask51) + 19 * (w3 >> 63);
    r.v[1] = ((w0 >> 51) | (w1 << 13)) & fe_mask51;
    r.v[2] = ((w1 >> 38) | (w2 << 26)) & fe_mask51;
    r.v[3] = ((w2 >> 25) | (w3 << 39)) & fe_mask51;
    r.v[4] = (w3 >> 12) & fe_mask51;
}

}  // namespace
}  // namespace taocore::crypto::detail::f64
