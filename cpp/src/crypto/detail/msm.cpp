// SPDX-License-Identifier: MIT
// Written for taocore's batch verification: no library offers a multi-scalar multiplication over
// this group representation, and it is where a batch spends nearly all of its time.
#include "crypto/detail/msm.hpp"

#include <algorithm>
#include <vector>

namespace taocore::crypto::detail {
namespace {

constexpr int naf_width = 5;                              // digits odd, |d| < 2^(w-1)
constexpr int naf_table = 1 << (naf_width - 2);           // odd multiples 1P, 3P, ..., 15P
constexpr std::size_t pippenger_threshold = 190;          // measured crossover, rounded

// Width-w non-adjacent form: 257 signed digits, each zero or odd with |d| < 2^(w-1).
void wnaf(std::int8_t out[257], const std::uint8_t s[32]) {
    int bits[257 + naf_width] = {};
    for (int i = 0; i < 256; ++i) bits[i] = (s[i >> 3] >> (i & 7)) & 1;
    std::fill(out, out + 257, 0);
    for (int i = 0; i < 257; ++i) {
        if (!bits[i]) continue;
        // Take w bits starting here as a signed digit, push the carry upward.
        int value = 0;
        for (int k = 0; k < naf_width && i + k < 257 + naf_width; ++k) value |= bits[i + k] << k;
        if (value >= (1 << (naf_width - 1))) value -= 1 << naf_width;
        out[i] = static_cast<std::int8_t>(value);
        for (int k = 0; k < naf_width; ++k) bits[i + k] = 0;
        if (value < 0) {
            // value = window - 2^w: add 2^w back at position i + w (ripple carry).
            int j = i + naf_width;
            while (j < 257 + naf_width && bits[j]) bits[j++] = 0;
            if (j < 257 + naf_width) bits[j] = 1;
        }
    }
}

ge_p3 straus(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n) {
    std::vector<std::int8_t> naf(n * 257);
    std::vector<ge_cached> table(n * naf_table);
    int top = -1;
    for (std::size_t i = 0; i < n; ++i) {
        std::int8_t* d = &naf[i * 257];
        wnaf(d, scalars[i]);
        for (int b = 256; b > top; --b)
            if (d[b]) { top = b; break; }
        const ge_p3 twice = ge_dbl_p3(points[i]);
        ge_p3 odd = points[i];
        for (int k = 0; k < naf_table; ++k) {
            table[i * naf_table + k] = ge_to_cached(odd);
            if (k + 1 < naf_table) odd = ge_add_p3(odd, twice);
        }
    }
    ge_p3 acc = ge_identity();
    for (int b = top; b >= 0; --b) {
        ge_p1p1 t = ge_dbl(ge_p2{acc.X, acc.Y, acc.Z});
        acc = ge_p1p1_to_p3(t);
        for (std::size_t i = 0; i < n; ++i) {
            const int d = naf[i * 257 + b];
            if (d > 0) acc = ge_p1p1_to_p3(ge_add(acc, table[i * naf_table + d / 2]));
            else if (d < 0) acc = ge_p1p1_to_p3(ge_sub(acc, table[i * naf_table + (-d) / 2]));
        }
    }
    return acc;
}

// Signed radix-2^c digits in [-2^(c-1), 2^(c-1)]: windows of c bits, each digit above half the
// radix borrows one from the next window.
void signed_digits(std::int32_t* out, int windows, int c, const std::uint8_t s[32]) {
    const std::int32_t radix = 1 << c, half = radix / 2;
    std::int32_t carry = 0;
    for (int w = 0; w < windows; ++w) {
        std::int32_t v = carry;
        for (int k = 0; k < c; ++k) {
            const int bit = w * c + k;
            if (bit < 256) v += ((s[bit >> 3] >> (bit & 7)) & 1) << k;
        }
        carry = v > half ? 1 : 0;
        out[w] = v - carry * radix;
    }
}

ge_p3 pippenger(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n) {
    // Window width growing with log n (about ln n), the usual cost balance of buckets vs additions.
    const int c = n < 500 ? 6 : n < 800 ? 7 : n < 4000 ? 8 : 10;
    const int windows = (256 + c - 1) / c + 1;  // one more for the final carry
    const int buckets = 1 << (c - 1);
    std::vector<std::int32_t> digits(n * windows);
    std::vector<ge_cached> cached(n);
    for (std::size_t i = 0; i < n; ++i) {
        signed_digits(&digits[i * windows], windows, c, scalars[i]);
        cached[i] = ge_to_cached(points[i]);
    }
    std::vector<ge_p3> bucket(buckets);
    std::vector<char> used(buckets);
    ge_p3 acc = ge_identity();
    for (int w = windows - 1; w >= 0; --w) {
        for (int k = 0; k < c; ++k) acc = ge_dbl_p3(acc);
        std::fill(used.begin(), used.end(), 0);
        for (std::size_t i = 0; i < n; ++i) {
            const std::int32_t d = digits[i * windows + w];
            if (d == 0) continue;
            const int slot = (d > 0 ? d : -d) - 1;
            if (!used[slot]) {
                bucket[slot] = d > 0 ? points[i] : ge_neg(points[i]);
                used[slot] = 1;
            } else {
                bucket[slot] = ge_p1p1_to_p3(d > 0 ? ge_add(bucket[slot], cached[i])
                                                   : ge_sub(bucket[slot], cached[i]));
            }
        }
        // sum_k (k+1) * bucket[k] as running sums from the top bucket down.
        ge_p3 running = ge_identity(), total = ge_identity();
        bool any = false;
        for (int k = buckets - 1; k >= 0; --k) {
            if (used[k]) {
                running = any ? ge_add_p3(running, bucket[k]) : bucket[k];
                any = true;
            }
            if (any) total = ge_add_p3(total, running);
        }
        acc = ge_add_p3(acc, total);
    }
    return acc;
}

}  // namespace

ge_p3 ge_multiscalar_mul_vartime(const std::uint8_t (*scalars)[32], const ge_p3* points, std::size_t n) {
    if (n == 0) return ge_identity();
    return n < pippenger_threshold ? straus(scalars, points, n) : pippenger(scalars, points, n);
}

}  // namespace taocore::crypto::detail
