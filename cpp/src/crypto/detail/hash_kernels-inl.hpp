// SPDX-License-Identifier: MIT
// Written once, compiled once per ISA: each hash_kernels_<isa>.cpp defines TAOCORE_ISA_NS and
// includes this file, so the compiler schedules the same code for that ISA (BMI2's rorx and
// BMI1's andn matter here). Only plain pointers and file-local functions appear below: an inline
// std:: function instantiated here with ISA flags could be picked by the linker for baseline code.
#if !defined(TAOCORE_ISA_NS) || !defined(TAOCORE_ISA_TABLE)
#error "define TAOCORE_ISA_NS and TAOCORE_ISA_TABLE before including hash_kernels-inl.hpp"
#endif

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hash_kernels.hpp"

namespace taocore::crypto::detail::TAOCORE_ISA_NS {
namespace {

inline std::uint64_t rotr64(std::uint64_t x, unsigned n) { return (x >> n) | (x << ((64 - n) & 63)); }
inline std::uint64_t rotl64(std::uint64_t x, unsigned n) { return (x << n) | (x >> ((64 - n) & 63)); }

inline std::uint64_t load_be64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// SHA-512 round constants: the first 64 bits of the fractional parts of the cube roots of the
// first 80 primes (FIPS 180-4 §4.2.3), computed with exact integer cube roots.
constexpr std::uint64_t sha512_k[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

// The rounds are fully unrolled: the eight working variables rotate names instead of moving, and
// each round only rewrites d (the new e) and h (the new a). The message schedule is computed a
// chunk of 16 words ahead into wk[] (W + K); on x86-64 it runs two words at a time in SSE2
// registers, which moves about a third of the work off the integer ports the rounds saturate.
#define TAOCORE_SHA512_BIG_S0(x) (rotr64(x, 28) ^ rotr64(x, 34) ^ rotr64(x, 39))
#define TAOCORE_SHA512_BIG_S1(x) (rotr64(x, 14) ^ rotr64(x, 18) ^ rotr64(x, 41))
// The sums are ordered by when their terms are ready: h + W + K before Ch(e,f,g) before the
// three-rotate Sigma1(e), so the e-to-e dependency chain is as short as it can be.
// Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)), and this round's b ^ c is the previous round's a ^ b
// (the names rotate), so it is carried in `bc` instead of recomputed.
#define TAOCORE_SHA512_ROUND(a, b, c, d, e, f, g, h, j)                                              \
    do {                                                                                            \
        const std::uint64_t t1 = ((h + wk[j]) + (g ^ (e & (f ^ g)))) + TAOCORE_SHA512_BIG_S1(e);    \
        const std::uint64_t ab = a ^ b;                                                             \
        d += t1;                                                                                    \
        h = t1 + (TAOCORE_SHA512_BIG_S0(a) + (b ^ (ab & bc)));                                      \
        bc = ab;                                                                                    \
    } while (0)

// Sixteen rounds with the names rotated back to where they started.
#define TAOCORE_SHA512_16_ROUNDS()                                                                  \
    do {                                                                                            \
        TAOCORE_SHA512_ROUND(a, b, c, d, e, f, g, h, 0);                                            \
        TAOCORE_SHA512_ROUND(h, a, b, c, d, e, f, g, 1);                                            \
        TAOCORE_SHA512_ROUND(g, h, a, b, c, d, e, f, 2);                                            \
        TAOCORE_SHA512_ROUND(f, g, h, a, b, c, d, e, 3);                                            \
        TAOCORE_SHA512_ROUND(e, f, g, h, a, b, c, d, 4);                                            \
        TAOCORE_SHA512_ROUND(d, e, f, g, h, a, b, c, 5);                                            \
        TAOCORE_SHA512_ROUND(c, d, e, f, g, h, a, b, 6);                                            \
        TAOCORE_SHA512_ROUND(b, c, d, e, f, g, h, a, 7);                                            \
        TAOCORE_SHA512_ROUND(a, b, c, d, e, f, g, h, 8);                                            \
        TAOCORE_SHA512_ROUND(h, a, b, c, d, e, f, g, 9);                                            \
        TAOCORE_SHA512_ROUND(g, h, a, b, c, d, e, f, 10);                                           \
        TAOCORE_SHA512_ROUND(f, g, h, a, b, c, d, e, 11);                                           \
        TAOCORE_SHA512_ROUND(e, f, g, h, a, b, c, d, 12);                                           \
        TAOCORE_SHA512_ROUND(d, e, f, g, h, a, b, c, 13);                                           \
        TAOCORE_SHA512_ROUND(c, d, e, f, g, h, a, b, 14);                                           \
        TAOCORE_SHA512_ROUND(b, c, d, e, f, g, h, a, 15);                                           \
    } while (0)

#if defined(__SSE2__) && !defined(TAOCORE_SHA512_SCALAR_SCHEDULE)
inline __m128i sha512_sigma0_x2(__m128i x) {  // rotr 1 ^ rotr 8 ^ shr 7, on two words
    return _mm_xor_si128(
        _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(x, 1), _mm_slli_epi64(x, 63)),
                      _mm_xor_si128(_mm_srli_epi64(x, 8), _mm_slli_epi64(x, 56))),
        _mm_srli_epi64(x, 7));
}
inline __m128i sha512_sigma1_x2(__m128i x) {  // rotr 19 ^ rotr 61 ^ shr 6, on two words
    return _mm_xor_si128(
        _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(x, 19), _mm_slli_epi64(x, 45)),
                      _mm_xor_si128(_mm_srli_epi64(x, 61), _mm_slli_epi64(x, 3))),
        _mm_srli_epi64(x, 6));
}
// (hi of a, lo of b): the word pair that straddles two ring slots.
inline __m128i sha512_straddle(__m128i a, __m128i b) {
    return _mm_castpd_si128(_mm_shuffle_pd(_mm_castsi128_pd(a), _mm_castsi128_pd(b), 1));
}

// The next 16 schedule words: ring slot p holds (W[t-16+2p], W[t-15+2p]) and becomes (W[t+2p],
// W[t+1+2p]); each pair reads the slots it needs before they are overwritten.
inline void sha512_schedule_chunk(__m128i ring[8], std::uint64_t* wk, const std::uint64_t* k) {
    // Unrolled so the ring lives in eight registers and no index arithmetic reaches the integer
    // ports, which the rounds keep busy.
#pragma GCC unroll 8
    for (int p = 0; p < 8; ++p) {
        const __m128i w15 = sha512_straddle(ring[p], ring[(p + 1) & 7]);
        const __m128i w7 = sha512_straddle(ring[(p + 4) & 7], ring[(p + 5) & 7]);
        ring[p] = _mm_add_epi64(_mm_add_epi64(ring[p], sha512_sigma0_x2(w15)),
                                _mm_add_epi64(w7, sha512_sigma1_x2(ring[(p + 7) & 7])));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(wk + 2 * p),
                         _mm_add_epi64(ring[p], _mm_loadu_si128(reinterpret_cast<const __m128i*>(k + 2 * p))));
    }
}

void sha512_compress(std::uint64_t state[8], const std::uint8_t* blocks, std::size_t n_blocks) {
    alignas(16) std::uint64_t wk_buf[32];
    __m128i ring[8];
    for (; n_blocks--; blocks += 128) {
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) {
            std::uint64_t lo = load_be64(blocks + 16 * p), hi = load_be64(blocks + 16 * p + 8);
            ring[p] = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(wk_buf + 2 * p),
                             _mm_add_epi64(ring[p], _mm_loadu_si128(reinterpret_cast<const __m128i*>(sha512_k + 2 * p))));
        }
        std::uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
        std::uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
        std::uint64_t bc = b ^ c;
#pragma GCC unroll 5
        for (int t = 0; t < 80; t += 16) {
            // wk_buf is double-buffered: the rounds read one half while the next chunk is scheduled
            // into the other, so the two streams of work can overlap.
            const std::uint64_t* wk = wk_buf + (t & 16);
            if (t + 16 < 80) sha512_schedule_chunk(ring, wk_buf + ((t + 16) & 16), sha512_k + t + 16);
            // Make the rounds read W + K from memory (one folded load each) rather than extract
            // them from vector registers, which costs integer-port uops the rounds need.
            __asm__ __volatile__("" : : : "memory");
            TAOCORE_SHA512_16_ROUNDS();
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
    std::memset(wk_buf, 0, sizeof wk_buf);
    for (auto& r : ring) r = _mm_setzero_si128();
}
#else
#define TAOCORE_SHA512_SMALL_S0(x) (rotr64(x, 1) ^ rotr64(x, 8) ^ ((x) >> 7))
#define TAOCORE_SHA512_SMALL_S1(x) (rotr64(x, 19) ^ rotr64(x, 61) ^ ((x) >> 6))

void sha512_compress(std::uint64_t state[8], const std::uint8_t* blocks, std::size_t n_blocks) {
    std::uint64_t w[16], wk[16];
    for (; n_blocks--; blocks += 128) {
        std::uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
        std::uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
        std::uint64_t bc = b ^ c;
        for (int t = 0; t < 80; t += 16) {
            for (int j = 0; j < 16; ++j) {
                if (t == 0) {
                    w[j] = load_be64(blocks + 8 * j);
                } else {
                    // In order, each word reads ring slots t-2 and t-7 (already updated) and t-15,
                    // t-16 (not yet).
                    w[j] += TAOCORE_SHA512_SMALL_S1(w[(j + 14) & 15]) + w[(j + 9) & 15] +
                            TAOCORE_SHA512_SMALL_S0(w[(j + 1) & 15]);
                }
                wk[j] = w[j] + sha512_k[t + j];
            }
            TAOCORE_SHA512_16_ROUNDS();
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
    std::memset(w, 0, sizeof w);
    std::memset(wk, 0, sizeof wk);
}
#undef TAOCORE_SHA512_SMALL_S0
#undef TAOCORE_SHA512_SMALL_S1
#endif

#undef TAOCORE_SHA512_BIG_S0
#undef TAOCORE_SHA512_BIG_S1
#undef TAOCORE_SHA512_ROUND
#undef TAOCORE_SHA512_16_ROUNDS

constexpr std::uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
void keccak_f1600(std::uint64_t state[25]) {
    // Lanes live in named locals (a_xy is lane x + 5y) so they stay in registers; the rounds
    // alternate between the a_ and e_ sets, two per iteration (see keccak_rounds.inc).
    std::uint64_t a00 = state[0], a10 = state[1], a20 = state[2], a30 = state[3], a40 = state[4], a01 = state[5], a11 = state[6], a21 = state[7], a31 = state[8], a41 = state[9], a02 = state[10], a12 = state[11], a22 = state[12], a32 = state[13], a42 = state[14], a03 = state[15], a13 = state[16], a23 = state[17], a33 = state[18], a43 = state[19], a04 = state[20], a14 = state[21], a24 = state[22], a34 = state[23], a44 = state[24];
    std::uint64_t e00, e10, e20, e30, e40, e01, e11, e21, e31, e41, e02, e12, e22, e32, e42, e03, e13, e23, e33, e43, e04, e14, e24, e34, e44;
    for (int round = 0; round < 24; round += 2) {
#include "keccak_rounds.inc"
    }
    state[0] = a00;
    state[1] = a10;
    state[2] = a20;
    state[3] = a30;
    state[4] = a40;
    state[5] = a01;
    state[6] = a11;
    state[7] = a21;
    state[8] = a31;
    state[9] = a41;
    state[10] = a02;
    state[11] = a12;
    state[12] = a22;
    state[13] = a32;
    state[14] = a42;
    state[15] = a03;
    state[16] = a13;
    state[17] = a23;
    state[18] = a33;
    state[19] = a43;
    state[20] = a04;
    state[21] = a14;
    state[22] = a24;
    state[23] = a34;
    state[24] = a44;
}

// BLAKE2b (RFC 7693). Its IV is SHA-512's.
constexpr std::uint64_t blake2b_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};
constexpr std::uint8_t blake2b_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

#if !defined(TAOCORE_BLAKE2B_VECTOR)
void blake2b_compress(std::uint64_t h[8], const std::uint8_t block[128], std::uint64_t counter_lo,
                      std::uint64_t counter_hi, bool final) {
    std::uint64_t m[16], v[16];
    for (int i = 0; i < 16; ++i) m[i] = load_le64(block + 8 * i);
    for (int i = 0; i < 8; ++i) {
        v[i] = h[i];
        v[i + 8] = blake2b_iv[i];
    }
    v[12] ^= counter_lo;
    v[13] ^= counter_hi;
    if (final) v[14] = ~v[14];
    auto g = [&v, &m](int a, int b, int c, int d, std::uint8_t x, std::uint8_t y) {
        v[a] = v[a] + m[x] + v[b]; v[d] = rotr64(v[d] ^ v[a], 32);
        v[c] = v[c] + v[d];        v[b] = rotr64(v[b] ^ v[c], 24);
        v[a] = v[a] + m[y] + v[b]; v[d] = rotr64(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];        v[b] = rotr64(v[b] ^ v[c], 63);
    };
    // Unrolling the rounds makes every sigma index a constant, so message words load directly.
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r) {
        const std::uint8_t* s = blake2b_sigma[r];
        g(0, 4, 8, 12, s[0], s[1]);
        g(1, 5, 9, 13, s[2], s[3]);
        g(2, 6, 10, 14, s[4], s[5]);
        g(3, 7, 11, 15, s[6], s[7]);
        g(0, 5, 10, 15, s[8], s[9]);
        g(1, 6, 11, 12, s[10], s[11]);
        g(2, 7, 8, 13, s[12], s[13]);
        g(3, 4, 9, 14, s[14], s[15]);
    }
    for (int i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[i + 8];
    std::memset(m, 0, sizeof m);
    std::memset(v, 0, sizeof v);
}
#else
// Row-wise BLAKE2b: each of the four rows of the 4x4 state is one 256-bit register, so the four
// G functions of a column (or diagonal) step run as one vector G. The ISA file supplies the
// rotations as TAOCORE_ROTR{32,24,16,63}.

// Gathers m[s[0]], m[s[2]], m[s[4]], m[s[6]] into the four lanes.
inline __m256i load_words(const std::uint64_t* m, const std::uint8_t* s) {
    return _mm256_set_epi64x(static_cast<long long>(m[s[6]]), static_cast<long long>(m[s[4]]),
                             static_cast<long long>(m[s[2]]), static_cast<long long>(m[s[0]]));
}

inline void vector_g(__m256i& r1, __m256i& r2, __m256i& r3, __m256i& r4, __m256i mx, __m256i my) {
    // The message word is added first: r2 was updated last, so adding it last shortens the chain.
    r1 = _mm256_add_epi64(_mm256_add_epi64(r1, mx), r2);
    r4 = TAOCORE_ROTR32(_mm256_xor_si256(r4, r1));
    r3 = _mm256_add_epi64(r3, r4);
    r2 = TAOCORE_ROTR24(_mm256_xor_si256(r2, r3));
    r1 = _mm256_add_epi64(_mm256_add_epi64(r1, my), r2);
    r4 = TAOCORE_ROTR16(_mm256_xor_si256(r4, r1));
    r3 = _mm256_add_epi64(r3, r4);
    r2 = TAOCORE_ROTR63(_mm256_xor_si256(r2, r3));
}

void blake2b_compress(std::uint64_t h[8], const std::uint8_t block[128], std::uint64_t counter_lo,
                      std::uint64_t counter_hi, bool final) {
    std::uint64_t m[16];
    for (int i = 0; i < 16; ++i) m[i] = load_le64(block + 8 * i);
    const __m256i h_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h));
    const __m256i h_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + 4));
    __m256i r1 = h_lo, r2 = h_hi;
    __m256i r3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blake2b_iv));
    __m256i r4 = _mm256_xor_si256(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blake2b_iv + 4)),
        _mm256_set_epi64x(0, final ? -1LL : 0, static_cast<long long>(counter_hi),
                          static_cast<long long>(counter_lo)));
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r) {
        const std::uint8_t* s = blake2b_sigma[r];
        // Column step: lanes are G(0,4,8,12) .. G(3,7,11,15), fed words s[0],s[2],.. and s[1],s[3],..
        vector_g(r1, r2, r3, r4, load_words(m, s), load_words(m, s + 1));
        r2 = _mm256_permute4x64_epi64(r2, _MM_SHUFFLE(0, 3, 2, 1));
        r3 = _mm256_permute4x64_epi64(r3, _MM_SHUFFLE(1, 0, 3, 2));
        r4 = _mm256_permute4x64_epi64(r4, _MM_SHUFFLE(2, 1, 0, 3));
        vector_g(r1, r2, r3, r4, load_words(m, s + 8), load_words(m, s + 9));
        r2 = _mm256_permute4x64_epi64(r2, _MM_SHUFFLE(2, 1, 0, 3));
        r3 = _mm256_permute4x64_epi64(r3, _MM_SHUFFLE(1, 0, 3, 2));
        r4 = _mm256_permute4x64_epi64(r4, _MM_SHUFFLE(0, 3, 2, 1));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h), _mm256_xor_si256(h_lo, _mm256_xor_si256(r1, r3)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + 4),
                        _mm256_xor_si256(h_hi, _mm256_xor_si256(r2, r4)));
    std::memset(m, 0, sizeof m);
}
#endif

}  // namespace
}  // namespace taocore::crypto::detail::TAOCORE_ISA_NS

namespace taocore::crypto::detail {
const hash_kernels TAOCORE_ISA_TABLE = {TAOCORE_ISA_NS::sha512_compress, TAOCORE_ISA_NS::blake2b_compress,
                                        TAOCORE_ISA_NS::keccak_f1600};
}  // namespace taocore::crypto::detail
