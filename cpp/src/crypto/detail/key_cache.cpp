// SPDX-License-Identifier: MIT
// A fixed-size, 4-way set-associative cache (1024 sets, 4096 entries, about 6 MB once
// allocated on first use). A batch cycles through all of its keys on every call, so with a
// direct-mapped table two keys sharing a slot evict each other every time: at 256 distinct keys
// in 1024 direct-mapped slots about a fifth of the lookups missed (each miss a field
// exponentiation); with four ways per set that takes more than four keys in one set of a
// thousand. Each set is guarded by one of 64 striped mutexes; a hit copies the entry out under
// the lock. A full set replaces its ways in turn: the cache only ever saves work.
#include "crypto/detail/key_cache.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <mutex>

#include "crypto/detail/ristretto.hpp"

namespace taocore::crypto::detail {
namespace {

constexpr std::size_t sets = 1024;
constexpr std::size_t ways = 4;
constexpr std::size_t stripes = 64;

struct entry {
    std::uint8_t key[32];
    key_encoding kind;  // 0 = empty
    bool has_table;
    ge_p3 A;
    ge_cached neg_table[8];
};

struct cache_set {
    entry way[ways];
    std::uint8_t next_victim;  // round-robin replacement once all ways are used
};

struct cache {
    std::array<std::mutex, stripes> locks;
    std::unique_ptr<cache_set[]> s{new cache_set[sets]()};
};

cache& the_cache() {
    static cache c;  // thread-safe one-time initialisation
    return c;
}

std::size_t set_of(key_encoding kind, const std::uint8_t pk[32]) noexcept {
    // Keys are public; an FNV-style mix of all 32 bytes spreads them over the sets.
    std::uint64_t h = 0xcbf29ce484222325ULL ^ static_cast<std::uint64_t>(kind);
    for (int i = 0; i < 32; ++i) h = (h ^ pk[i]) * 0x100000001b3ULL;
    return static_cast<std::size_t>(h ^ (h >> 29)) % sets;
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
    const std::size_t index = set_of(kind, pk);
    cache_set& st = c->s[index];
    std::mutex& lock = c->locks[index % stripes];
    auto find = [&]() -> entry* {
        for (entry& e : st.way)
            if (e.kind == kind && std::memcmp(e.key, pk, 32) == 0) return &e;
        return nullptr;
    };
    {
        std::lock_guard<std::mutex> guard(lock);
        const entry* e = find();
        if (e != nullptr && (neg_table == nullptr || e->has_table)) {
            A = e->A;
            if (neg_table != nullptr) std::memcpy(neg_table, e->neg_table, sizeof e->neg_table);
            return true;
        }
    }
    if (!decode_uncached(kind, pk, A)) return false;  // invalid keys are never cached
    if (neg_table != nullptr) ge_odd_multiples_cached(neg_table, ge_neg(A));
    std::lock_guard<std::mutex> guard(lock);
    entry* e = find();  // present without a table, or stored meanwhile by another thread
    if (e != nullptr && e->has_table) return true;
    if (e == nullptr) {
        for (entry& w : st.way)
            if (w.kind == key_encoding{}) {
                e = &w;
                break;
            }
    }
    if (e == nullptr) {
        e = &st.way[st.next_victim];
        st.next_victim = static_cast<std::uint8_t>((st.next_victim + 1) % ways);
    }
    std::memcpy(e->key, pk, 32);
    e->kind = kind;
    e->A = A;
    e->has_table = neg_table != nullptr;
    if (neg_table != nullptr) std::memcpy(e->neg_table, neg_table, sizeof e->neg_table);
    return true;
}

}  // namespace taocore::crypto::detail
