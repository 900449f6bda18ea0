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

void sha512_compress(std::uint64_t state[8], const std::uint8_t* blocks, std::size_t n_blocks) {
    std::uint64_t w[16];
    for (; n_blocks--; blocks += 128) {
        std::uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
        std::uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
        // The message schedule lives in a 16-word ring, so it stays in registers/L1.
        for (int t = 0; t < 80; ++t) {
            std::uint64_t wt;
            if (t < 16) {
                wt = w[t] = load_be64(blocks + 8 * t);
            } else {
                const std::uint64_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
                const std::uint64_t s0 = rotr64(w15, 1) ^ rotr64(w15, 8) ^ (w15 >> 7);
                const std::uint64_t s1 = rotr64(w2, 19) ^ rotr64(w2, 61) ^ (w2 >> 6);
                wt = w[t & 15] = w[t & 15] + s0 + w[(t - 7) & 15] + s1;
            }
            const std::uint64_t t1 = h + (rotr64(e, 14) ^ rotr64(e, 18) ^ rotr64(e, 41)) +
                                     ((e & f) ^ (~e & g)) + sha512_k[t] + wt;
            const std::uint64_t t2 = (rotr64(a, 28) ^ rotr64(a, 34) ^ rotr64(a, 39)) +
                                     ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
    std::memset(w, 0, sizeof w);
}

constexpr std::uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
// rho offsets indexed by lane x + 5y.
constexpr unsigned keccak_rho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                     25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

void keccak_f1600(std::uint64_t a[25]) {
    for (int round = 0; round < 24; ++round) {
        std::uint64_t c[5], b[25];
        for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; ++x) {
            const std::uint64_t d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) a[x + y] ^= d;
        }
        // rho and pi: lane (x, y) moves to (y, 2x + 3y).
        for (int x = 0; x < 5; ++x)
            for (int y = 0; y < 5; ++y)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(a[x + 5 * y], keccak_rho[x + 5 * y]);
        for (int y = 0; y < 25; y += 5)
            for (int x = 0; x < 5; ++x)
                a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
        a[0] ^= keccak_rc[round];
    }
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
        v[a] = v[a] + v[b] + m[x]; v[d] = rotr64(v[d] ^ v[a], 32);
        v[c] = v[c] + v[d];        v[b] = rotr64(v[b] ^ v[c], 24);
        v[a] = v[a] + v[b] + m[y]; v[d] = rotr64(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];        v[b] = rotr64(v[b] ^ v[c], 63);
    };
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
    r1 = _mm256_add_epi64(_mm256_add_epi64(r1, r2), mx);
    r4 = TAOCORE_ROTR32(_mm256_xor_si256(r4, r1));
    r3 = _mm256_add_epi64(r3, r4);
    r2 = TAOCORE_ROTR24(_mm256_xor_si256(r2, r3));
    r1 = _mm256_add_epi64(_mm256_add_epi64(r1, r2), my);
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
