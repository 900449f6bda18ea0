// SPDX-License-Identifier: MIT
// Differential check of the AVX-512 IFMA exponentiation (pow22523_ifma_avx512.cpp, sixteen field
// elements side by side in radix 2^52) against the portable fe_pow22523 (field25519.hpp): edge
// inputs (0, 1, p - 1, p, p + 1, 2^255 - 1, limbs at the 2^54 bound fe_mul accepts, ...) and
// random ones, in batches whose sizes leave partial passes, compared as canonical encodings.
// Built and run by tests/test_crypto_backends.py on CPUs that report AVX-512 IFMA. Prints "ok"
// and the number of comparisons, or the first mismatch.
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/pow22523_ifma_avx512.cpp"

using namespace taocore::crypto::detail;

int main() {
    const std::uint64_t m51 = (std::uint64_t{1} << 51) - 1, m54 = (std::uint64_t{1} << 54) - 1;
    std::vector<fe> in = {
        {{0, 0, 0, 0, 0}}, {{1, 0, 0, 0, 0}}, {{2, 0, 0, 0, 0}},
        {{m51 - 19, m51, m51, m51, m51}},  // p - 1
        {{m51 - 18, m51, m51, m51, m51}},  // p
        {{m51 - 17, m51, m51, m51, m51}},  // p + 1
        {{m51, m51, m51, m51, m51}},       // 2^255 - 1
        {{m54, m54, m54, m54, m54}}, {{m54, 0, 0, 0, m54}}, {{0, 0, 0, 0, m54}}, {{m54, 0, 0, 0, 0}},
        {{19, 0, 0, 0, std::uint64_t{1} << 51}}, fe_d, fe_sqrtm1, fe_invsqrt_a_minus_d,
    };
    std::mt19937_64 rng(2026);
    for (int i = 0; i < 3000; ++i) {
        fe x;
        for (auto& l : x.v) l = rng() & (i % 3 == 0 ? m54 : m51);
        in.push_back(x);
    }
    long n = 0;
    for (std::size_t size : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, in.size()}) {
        for (std::size_t start = 0; start + size <= in.size(); start += size) {
            std::vector<fe> got(in.begin() + static_cast<long>(start), in.begin() + static_cast<long>(start + size));
            fe_pow22523_many_ifma(got.data(), size);
            for (std::size_t i = 0; i < size; ++i, ++n) {
                std::uint8_t a[32], b[32];
                fe_to_bytes(a, got[i]);
                fe_to_bytes(b, fe_pow22523(in[start + i]));
                for (int k = 0; k < 5; ++k)
                    if (got[i].v[k] >= (std::uint64_t{1} << 52)) std::memset(a, 0xff, 32);  // outside "reduced"
                if (std::memcmp(a, b, 32) != 0) {
                    std::printf("mismatch at input %zu (batch size %zu)\n", start + i, size);
                    return 1;
                }
            }
            if (size == 1 && start >= 64) break;  // single passes: the edge values are enough
        }
    }
    std::printf("ok %ld\n", n);
    return 0;
}
