// SPDX-License-Identifier: MIT
// A small direct-mapped table (256 slots, each a key and its tables, 32 KB once built): the
// keys a validator checks again and again are few, and a miss costs only the ordinary
// verification. A slot holds a shared_ptr so that a verification keeps its tables alive while
// another thread replaces the slot.
#include "crypto/detail/hot_keys.hpp"

#include <array>
#include <cstring>
#include <mutex>

namespace taocore::crypto::detail {
namespace {

constexpr std::size_t slots = 256;
// Building a key's tables costs about two ordinary verifications, so a key earns them on its
// third verification: a key checked only twice never pays for them.
constexpr int build_at_sighting = 3;

struct slot {
    std::mutex lock;
    std::uint8_t key[32];
    int sightings = 0;  // 0: empty
    std::shared_ptr<const hot_key_tables> tables;  // null until build_at_sighting
};

}  // namespace

std::shared_ptr<const hot_key_tables> hot_ed25519_key(const std::uint8_t pk[32], const ge_p3& A) noexcept {
#if defined(TAOCORE_HAVE_AVX2)
    if (!use_fe64_kernels()) return nullptr;
    try {
        static std::unique_ptr<std::array<slot, slots>> table{new std::array<slot, slots>()};
        // Encodings of points are close to uniform; two bytes spread them over the slots.
        slot& sl = (*table)[(pk[0] | static_cast<std::size_t>(pk[1]) << 8) % slots];
        {
            std::lock_guard<std::mutex> guard(sl.lock);
            if (sl.sightings == 0 || std::memcmp(sl.key, pk, 32) != 0) {
                std::memcpy(sl.key, pk, 32);
                sl.sightings = 1;
                sl.tables.reset();
                return nullptr;
            }
            if (sl.tables) return sl.tables;
            if (++sl.sightings < build_at_sighting) return nullptr;
        }
        auto built = std::make_shared<hot_key_tables>();
        hot_key_build_fe64(*built, A);
        std::lock_guard<std::mutex> guard(sl.lock);
        if (sl.sightings != 0 && std::memcmp(sl.key, pk, 32) == 0) sl.tables = built;
        return built;
    } catch (...) {
        return nullptr;  // allocation failure: the ordinary verification
    }
#else
    (void)pk;
    (void)A;
    return nullptr;
#endif
}

}  // namespace taocore::crypto::detail
