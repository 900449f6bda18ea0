// SPDX-License-Identifier: MIT
// GF(2^255 - 19) in radix 2^64: four 64-bit words, values kept below 2^256 and only congruent
// mod p (lazy reduction). Reduction uses 2^256 = 2 * 2^255 = 2 * 19 = 38 (mod p): the high half
// of a 512-bit product is multiplied by 38 and added to the low half, and a carry out of bit 256
// is worth 38 more.
//
// Why a second representation: a 4x4-word schoolbook product is 16 64x64->128 multiplies where
// the radix-2^51 form needs 25, and with BMI2's MULX (flag-free, three-operand) the compiler can
// interleave the carry chains without shuffling through RAX/RDX. This header is included only by
// translation units compiled with -mbmi2 (*_avx2.cpp), which run only on CPUs that report BMI2;
// the radix-2^51 code in field25519.hpp stays the portable reference that this must agree with.
//
// Every function is branch-free (carries are propagated arithmetically), though today it only
// serves variable-time verification.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "crypto/detail/field25519.hpp"

// Everything below has internal linkage (an anonymous namespace): this header is compiled with
// ISA flags, and an inline function with external linkage could be merged by the linker with a
// baseline copy of the same name. For the same reason nothing here calls field25519.hpp's inline
// functions (only its type and constants are used).
namespace taocore::crypto::detail::f64 {
namespace {

using u64 = unsigned long long;  // the intrinsics' type

struct fe64 {
    u64 v[4];
};

// a + b mod 2^256 - 38: the carry out of the 256-bit sum adds 38; adding that can carry again
// only if the sum wrapped to a value below 38, and then the second 38 cannot carry.
inline fe64 add(const fe64& a, const fe64& b) noexcept {
    fe64 r;
    unsigned char c = _addcarry_u64(0, a.v[0], b.v[0], &r.v[0]);
    c = _addcarry_u64(c, a.v[1], b.v[1], &r.v[1]);
    c = _addcarry_u64(c, a.v[2], b.v[2], &r.v[2]);
    c = _addcarry_u64(c, a.v[3], b.v[3], &r.v[3]);
    c = _addcarry_u64(0, r.v[0], 38 * static_cast<u64>(c), &r.v[0]);
    c = _addcarry_u64(c, r.v[1], 0, &r.v[1]);
    c = _addcarry_u64(c, r.v[2], 0, &r.v[2]);
    c = _addcarry_u64(c, r.v[3], 0, &r.v[3]);
    r.v[0] += 38 * static_cast<u64>(c);
    return r;
}

// a - b: a borrow out of bit 256 means 2^256 was added, i.e. 38 too much; subtracting 38 can
// borrow again only if the difference was below 38, and then the wrapped value is near 2^256.
inline fe64 sub(const fe64& a, const fe64& b) noexcept {
    fe64 r;
    unsigned char c = _subborrow_u64(0, a.v[0], b.v[0], &r.v[0]);
    c = _subborrow_u64(c, a.v[1], b.v[1], &r.v[1]);
    c = _subborrow_u64(c, a.v[2], b.v[2], &r.v[2]);
    c = _subborrow_u64(c, a.v[3], b.v[3], &r.v[3]);
    c = _subborrow_u64(0, r.v[0], 38 * static_cast<u64>(c), &r.v[0]);
    c = _subborrow_u64(c, r.v[1], 0, &r.v[1]);
    c = _subborrow_u64(c, r.v[2], 0, &r.v[2]);
    c = _subborrow_u64(c, r.v[3], 0, &r.v[3]);
    r.v[0] -= 38 * static_cast<u64>(c);
    return r;
}

inline fe64 neg(const fe64& a) noexcept { return sub(fe64{{0, 0, 0, 0}}, a); }

// Schoolbook 4x4 product and the fold by 38, in one block of x86-64 assembly: written by hand
// because compilers spill most of the intrinsic carry chains. MULX leaves the flags alone, so
// each row a_i * b is formed as five words in one ADD/ADC chain (low halves plus the high halves
// shifted by a word) and then added into the running sum t_i..t_{i+4} in a second chain. The
// finished low words t_0..t_2 go to r while the rest stay in registers; then
// t_lo + 38 t_hi (five words), the fifth word times 38 once more, and a last carry worth 38.
inline fe64 mul(const fe64& a, const fe64& b) noexcept {
    fe64 r;
    u64* out = r.v;
    __asm__ volatile(
        // row 0: t0..t4 = a0 * b  ->  r8, r9, r10, r11, r12
        "movq 0(%[a]), %%rdx\n\t"
        "mulxq 0(%[b]), %%r8, %%r9\n\t"
        "mulxq 8(%[b]), %%rax, %%r10\n\t"
        "addq %%rax, %%r9\n\t"
        "mulxq 16(%[b]), %%rax, %%r11\n\t"
        "adcq %%rax, %%r10\n\t"
        "mulxq 24(%[b]), %%rax, %%r12\n\t"
        "adcq %%rax, %%r11\n\t"
        "adcq $0, %%r12\n\t"
        "movq %%r8, 0(%[out])\n\t"
        // row 1: w = a1 * b in r13, rax, r14, r15, r8; t1..t5 = r9, r10, r11, r12, r8
        "movq 8(%[a]), %%rdx\n\t"
        "mulxq 0(%[b]), %%r13, %%r14\n\t"
        "mulxq 8(%[b]), %%rax, %%r15\n\t"
        "addq %%r14, %%rax\n\t"
        "mulxq 16(%[b]), %%r14, %%rcx\n\t"
        "adcq %%r15, %%r14\n\t"
        "mulxq 24(%[b]), %%r15, %%r8\n\t"
        "adcq %%rcx, %%r15\n\t"
        "adcq $0, %%r8\n\t"
        "addq %%r13, %%r9\n\t"
        "adcq %%rax, %%r10\n\t"
        "adcq %%r14, %%r11\n\t"
        "adcq %%r15, %%r12\n\t"
        "adcq $0, %%r8\n\t"
        "movq %%r9, 8(%[out])\n\t"
        // row 2: t2..t6 = r10, r11, r12, r8, r9
        "movq 16(%[a]), %%rdx\n\t"
        "mulxq 0(%[b]), %%r13, %%r14\n\t"
        "mulxq 8(%[b]), %%rax, %%r15\n\t"
        "addq %%r14, %%rax\n\t"
        "mulxq 16(%[b]), %%r14, %%rcx\n\t"
        "adcq %%r15, %%r14\n\t"
        "mulxq 24(%[b]), %%r15, %%r9\n\t"
        "adcq %%rcx, %%r15\n\t"
        "adcq $0, %%r9\n\t"
        "addq %%r13, %%r10\n\t"
        "adcq %%rax, %%r11\n\t"
        "adcq %%r14, %%r12\n\t"
        "adcq %%r15, %%r8\n\t"
        "adcq $0, %%r9\n\t"
        "movq %%r10, 16(%[out])\n\t"
        // row 3: t3..t7 = r11, r12, r8, r9, r10
        "movq 24(%[a]), %%rdx\n\t"
        "mulxq 0(%[b]), %%r13, %%r14\n\t"
        "mulxq 8(%[b]), %%rax, %%r15\n\t"
        "addq %%r14, %%rax\n\t"
        "mulxq 16(%[b]), %%r14, %%rcx\n\t"
        "adcq %%r15, %%r14\n\t"
        "mulxq 24(%[b]), %%r15, %%r10\n\t"
        "adcq %%rcx, %%r15\n\t"
        "adcq $0, %%r10\n\t"
        "addq %%r13, %%r11\n\t"
        "adcq %%rax, %%r12\n\t"
        "adcq %%r14, %%r8\n\t"
        "adcq %%r15, %%r9\n\t"
        "adcq $0, %%r10\n\t"
        // 38 * (t4, t5, t6, t7) = u0..u4 in r13, rax, r14, rcx, r12
        "movl $38, %%edx\n\t"
        "mulxq %%r12, %%r13, %%r14\n\t"
        "mulxq %%r8, %%rax, %%rcx\n\t"
        "addq %%r14, %%rax\n\t"
        "mulxq %%r9, %%r14, %%r15\n\t"
        "adcq %%rcx, %%r14\n\t"
        "mulxq %%r10, %%rcx, %%r12\n\t"
        "adcq %%r15, %%rcx\n\t"
        "adcq $0, %%r12\n\t"
        // (t0, t1, t2, t3) + u, carry into u4 (<= 38), then u4 * 38 and a final carry worth 38
        "movq 0(%[out]), %%r8\n\t"
        "movq 8(%[out]), %%r9\n\t"
        "movq 16(%[out]), %%r10\n\t"
        "addq %%r13, %%r8\n\t"
        "adcq %%rax, %%r9\n\t"
        "adcq %%r14, %%r10\n\t"
        "adcq %%rcx, %%r11\n\t"
        "adcq $0, %%r12\n\t"
        "imulq $38, %%r12, %%r12\n\t"
        "addq %%r12, %%r8\n\t"
        "adcq $0, %%r9\n\t"
        "adcq $0, %%r10\n\t"
        "adcq $0, %%r11\n\t"
        "sbbq %%rax, %%rax\n\t"
        "andq $38, %%rax\n\t"
        "addq %%rax, %%r8\n\t"
        "movq %%r8, 0(%[out])\n\t"
        "movq %%r9, 8(%[out])\n\t"
        "movq %%r10, 16(%[out])\n\t"
        "movq %%r11, 24(%[out])\n\t"
        :
        : [a] "r"(a.v), [b] "r"(b.v), [out] "r"(out)
        : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory");
    return r;
}

// a^2 in the same style: the six cross products a_i a_j (i < j) summed once (words 1..6),
// doubled by an ADD/ADC of the sum with itself, the four squares a_i^2 added on the diagonal,
// then the same fold by 38 as mul(): 10 multiplications instead of 16.
inline fe64 sq(const fe64& a) noexcept {
    fe64 r;
    u64* out = r.v;
    __asm__ volatile(
        // cross sum S: s1..s6 = r9, r10, r11, r12, r13, r14
        "movq 0(%[a]), %%rdx\n\t"
        "mulxq 8(%[a]), %%r9, %%r10\n\t"    // a0 a1
        "mulxq 16(%[a]), %%rax, %%r11\n\t"  // a0 a2
        "addq %%rax, %%r10\n\t"
        "mulxq 24(%[a]), %%rax, %%r12\n\t"  // a0 a3
        "adcq %%rax, %%r11\n\t"
        "movq 8(%[a]), %%rdx\n\t"
        "mulxq 24(%[a]), %%rax, %%r13\n\t"  // a1 a3
        "adcq %%rax, %%r12\n\t"
        "movq 16(%[a]), %%rdx\n\t"
        "mulxq 24(%[a]), %%rax, %%r14\n\t"  // a2 a3
        "adcq %%rax, %%r13\n\t"
        "adcq $0, %%r14\n\t"
        "movq 8(%[a]), %%rdx\n\t"
        "mulxq 16(%[a]), %%rax, %%rcx\n\t"  // a1 a2, at words 3 and 4
        "addq %%rax, %%r11\n\t"
        "adcq %%rcx, %%r12\n\t"
        "adcq $0, %%r13\n\t"
        "adcq $0, %%r14\n\t"
        // 2S: s1..s7 = r9..r15
        "xorl %%r15d, %%r15d\n\t"
        "addq %%r9, %%r9\n\t"
        "adcq %%r10, %%r10\n\t"
        "adcq %%r11, %%r11\n\t"
        "adcq %%r12, %%r12\n\t"
        "adcq %%r13, %%r13\n\t"
        "adcq %%r14, %%r14\n\t"
        "adcq $0, %%r15\n\t"
        // + the diagonal: t0..t7 = r8..r15
        "movq 0(%[a]), %%rdx\n\t"
        "mulxq %%rdx, %%r8, %%rax\n\t"
        "addq %%rax, %%r9\n\t"
        "movq 8(%[a]), %%rdx\n\t"
        "mulxq %%rdx, %%rax, %%rcx\n\t"
        "adcq %%rax, %%r10\n\t"
        "adcq %%rcx, %%r11\n\t"
        "movq 16(%[a]), %%rdx\n\t"
        "mulxq %%rdx, %%rax, %%rcx\n\t"
        "adcq %%rax, %%r12\n\t"
        "adcq %%rcx, %%r13\n\t"
        "movq 24(%[a]), %%rdx\n\t"
        "mulxq %%rdx, %%rax, %%rcx\n\t"
        "adcq %%rax, %%r14\n\t"
        "adcq %%rcx, %%r15\n\t"
        // 38 * (t4, t5, t6, t7) = u0..u4 in rbx, rax, rcx, r14, r12
        "movl $38, %%edx\n\t"
        "mulxq %%r12, %%rbx, %%rcx\n\t"
        "mulxq %%r13, %%rax, %%r12\n\t"
        "addq %%rcx, %%rax\n\t"
        "mulxq %%r14, %%rcx, %%r13\n\t"
        "adcq %%r12, %%rcx\n\t"
        "mulxq %%r15, %%r14, %%r12\n\t"
        "adcq %%r13, %%r14\n\t"
        "adcq $0, %%r12\n\t"
        "addq %%rbx, %%r8\n\t"
        "adcq %%rax, %%r9\n\t"
        "adcq %%rcx, %%r10\n\t"
        "adcq %%r14, %%r11\n\t"
        "adcq $0, %%r12\n\t"
        "imulq $38, %%r12, %%r12\n\t"
        "addq %%r12, %%r8\n\t"
        "adcq $0, %%r9\n\t"
        "adcq $0, %%r10\n\t"
        "adcq $0, %%r11\n\t"
        "sbbq %%rax, %%rax\n\t"
        "andq $38, %%rax\n\t"
        "addq %%rax, %%r8\n\t"
        "movq %%r8, 0(%[out])\n\t"
        "movq %%r9, 8(%[out])\n\t"
        "movq %%r10, 16(%[out])\n\t"
        "movq %%r11, 24(%[out])\n\t"
        :
        : [a] "r"(a.v), [out] "r"(out)
        : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory");
    return r;
}

/// From the radix-2^51 form (limbs below 2^54): the value sum l_i 2^(51 i), carried into four
/// words. After one carry pass the limbs are below 2^51 except l0 (below 2^51 + 19 * 2^3), so
/// the sum is below 2^256 and needs no reduction (fe64 values need only be congruent mod p).
inline fe64 from_fe(const fe& a) noexcept {
    std::uint64_t l[5] = {a.v[0], a.v[1], a.v[2], a.v[3], a.v[4]};
    for (int i = 0; i < 4; ++i) {
        l[i + 1] += l[i] >> 51;
        l[i] &= fe_mask51;
    }
    l[0] += 19 * (l[4] >> 51);
    l[4] &= fe_mask51;
    __extension__ typedef unsigned __int128 wide;
    wide acc = l[0] + (static_cast<wide>(l[1]) << 51);  // bits 0..101
    fe64 r;
    r.v[0] = static_cast<u64>(acc);
    acc = (acc >> 64) + (static_cast<wide>(l[2]) << 38);  // l2 at bit 102 = 64 + 38
    r.v[1] = static_cast<u64>(acc);
    acc = (acc >> 64) + (static_cast<wide>(l[3]) << 25);  // l3 at bit 153 = 128 + 25
    r.v[2] = static_cast<u64>(acc);
    acc = (acc >> 64) + (static_cast<wide>(l[4]) << 12);  // l4 at bit 204 = 192 + 12
    r.v[3] = static_cast<u64>(acc);
    return r;
}

/// To the radix-2^51 form: bits 0..254 as five 51-bit limbs, bit 255 (worth 19) folded in.
inline fe to_fe(const fe64& a) noexcept {
    const std::uint64_t w0 = a.v[0], w1 = a.v[1], w2 = a.v[2], w3 = a.v[3];
    fe r{{w0 & fe_mask51, ((w0 >> 51) | (w1 << 13)) & fe_mask51, ((w1 >> 38) | (w2 << 26)) & fe_mask51,
          ((w2 >> 25) | (w3 << 39)) & fe_mask51, (w3 >> 12) & fe_mask51}};
    r.v[0] += 19 * (w3 >> 63);
    return r;
}

}  // namespace
}  // namespace taocore::crypto::detail::f64
