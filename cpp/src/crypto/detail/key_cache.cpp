// SPDX-License-Identifier: MIT
// A fixed-size, direct-mapped cache (1024 slots, about 1.5 MB once allocated on first use).
// Each slot is guarded by one of 64 striped mutexes; a hit copies the entry out under the lock.
// A collision simply replaces the older entry: the cache only ever saves work.
#include "crypto/detail/key_cache.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <mutex>

#include "crypto/detail/ristretto.hpp"

namespace taocore::crypto::detail {
namespace {

constexpr std::size_t slots = 1024;
constexpr std::size_t stripes = 64;

struct entry {
    std::uint8_t key[32];
    key_encoding kind;  // 0 = empty
    bool has_table;
    ge_p3 A;
    ge_cached neg_table[8];
};

struct cache {
    std::array<std::mutex, stripes> locks;
    std::unique_ptr<entry[]> e{new entry[slots]()};
};

cache& the_cache() {
    static cache c;  // thread-safe one-time initialisation
    return c;
}

std::size_t slot_of(key_encoding kind, const std::uint8_t pk[32]) noexcept {
    // Keys are public; an FNV-style mix of all 32 bytes spreads them over the slots.
    std::uint64_t h = 0xcbf29ce484222325ULL ^ static_cast<std::uint64_t>(kind);
    for (int i = 0; i < 32; ++i) h = (h ^ pk[i]) * 0x100000001b3ULL;
    return static_cast<std::size_t>(h ^ (h >> 29)) % slots;
}

bool decode_uncached(key_encoding kind, const std::uint8_t pk[32], ge_p3& A) noexcept {
    return kind == key_encoding::ristretto255 ? ristretto_decode(A, pk) : ge_from_bytes_vartime(A, pk, false);
}

}  // namespace

bool decode_public_key_cached(key_encoding kind, const std::uint8_t pk[32], ge_p3& A,
                              ge_cached* neg_table) noexcept {
    cache* c;
    try {
        c = &the_cache();
    } catch (...) {  // allocation failure on first use: decode without the cache
        if (!decode_uncached(kind, pk, A)) return false;
        if (neg_table != nullptr) ge_odd_multiples_cached(neg_table, ge_neg(A));
        return true;
    }
    const std::size_t s = slot_of(kind, pk);
    entry& e = c->e[s];
    std::mutex& lock = c->locks[s % stripes];
    {
        std::lock_guard<std::mutex> guard(lock);
        if (e.kind == kind && std::memcmp(e.key, pk, 32) == 0 && (neg_table == nullptr || e.has_table)) {
            A = e.A;
            if (neg_table != nullptr) std::memcpy(neg_table, e.neg_table, sizeof e.neg_table);
            return true;
        }
    }
    if (!decode_uncached(kind, pk, A)) return false;  // invalid keys are never cached
    if (neg_table != nullptr) ge_odd_multiples_cached(neg_table, ge_neg(A));
    std::lock_guard<std::mutex> guard(lock);
    if (e.kind == kind && std::memcmp(e.key, pk, 32) == 0 && e.has_table) return true;  // raced
    std::memcpy(e.key, pk, 32);
    e.kind = kind;
    e.A = A;
    e.has_table = neg_table != nullptr;
    if (neg_table != nullptr) std::memcpy(e.neg_table, neg_table, sizeof e.neg_table);
    return true;
}

}  // namespace taocore::crypto::detail
