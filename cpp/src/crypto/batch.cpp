// SPDX-License-Identifier: MIT
#include "taocore/crypto/batch.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/detail/msm.hpp"
#include "crypto/detail/ristretto.hpp"
#include "crypto/detail/verify_item.hpp"
#include "taocore/crypto/ed25519.hpp"
#include "taocore/crypto/merlin.hpp"
#include "taocore/crypto/sr25519.hpp"

namespace taocore::crypto {
namespace {

using namespace detail;

// Below this size a batch saves nothing over single verification (the MSM's fixed costs win).
constexpr std::size_t min_batch = 4;

using neg_table = std::array<ge_cached, msm_odd_multiples>;

// sr25519 items come back without R: batch_range decodes all of them at once.
bool prepare(signature_scheme scheme, verify_item& item, byte_span pk, byte_span msg, byte_span sig,
             ge_cached* neg_a_table) {
    return scheme == signature_scheme::sr25519
               ? sr25519_prepare(item, pk, msg, sig, sr25519::substrate_context, neg_a_table, false)
               : ed25519_prepare_zip215(item, pk, msg, sig, neg_a_table);
}

// The R of every sr25519 signature, decoded together (their inverse square roots run side by side).
bool decode_signature_points(verify_item* items, const byte_span* sigs, std::size_t n) {
    std::vector<const std::uint8_t*> enc(n);
    std::vector<ge_p3> r(n);
    for (std::size_t i = 0; i < n; ++i) enc[i] = sigs[i].data();  // 64 bytes, checked by prepare
    if (!ristretto_decode_many(r.data(), enc.data(), n)) return false;
    for (std::size_t i = 0; i < n; ++i) items[i].R = r[i];
    return true;
}

bool verify_one(signature_scheme scheme, byte_span pk, byte_span msg, byte_span sig) {
    return scheme == signature_scheme::sr25519 ? sr25519::verify(pk, msg, sig)
                                               : ed25519::verify(pk, msg, sig);
}

// B, 3B, ..., 15B for Straus (built once).
const ge_cached* base_odd_multiples() noexcept {
    static const std::array<ge_cached, msm_odd_multiples> table = [] {
        std::array<ge_cached, msm_odd_multiples> t;
        ge_odd_multiples_cached(t.data(), ge_basepoint());
        return t;
    }();
    return table.data();
}

// neg_a_tables: null, or per item the odd multiples of -A_i (from the key cache), for Straus.
bool batch_equation(signature_scheme scheme, const verify_item* items, std::size_t n,
                    const neg_table* neg_a_tables) {
    // sum_i z_i (s_i B - R_i - k_i A_i) == 0 as one MSM over B, -R_i, -A_i.
    std::vector<std::uint8_t> scalars(32 * (2 * n + 1), 0);
    std::vector<ge_p3> points(2 * n + 1);
    auto* sc = reinterpret_cast<std::uint8_t(*)[32]>(scalars.data());
    scalar b_coeff = scalar_zero;
    // The 128-bit coefficients, fresh from the OS in one request (a system call per signature
    // pair cost a few percent of a large batch).
    std::vector<std::uint8_t> rnd(16 * n);
    os_random(rnd.data(), rnd.size());
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t z_bytes[32] = {};
        std::memcpy(z_bytes, rnd.data() + 16 * i, 16);
        const scalar z = scalar_from_canonical_bytes(z_bytes);  // below 2^128 < l
        b_coeff = scalar_muladd(z, items[i].s, b_coeff);
        std::memcpy(sc[1 + i], z_bytes, 32);
        scalar_to_bytes(sc[1 + n + i], scalar_mul(z, items[i].k));
        points[1 + i] = ge_neg(items[i].R);
        points[1 + n + i] = ge_neg(items[i].A);
    }
    scalar_to_bytes(sc[0], b_coeff);
    static const ge_p3 base = ge_basepoint();  // decoding it costs an exponentiation
    points[0] = base;
    std::vector<const ge_cached*> tables;
    if (neg_a_tables != nullptr) {
        tables.assign(points.size(), nullptr);
        tables[0] = base_odd_multiples();
        for (std::size_t i = 0; i < n; ++i) tables[1 + n + i] = neg_a_tables[i].data();
    }
    const ge_p3 sum = ge_multiscalar_mul_vartime(sc, points.data(), points.size(), msm_auto, 0,
                                                 tables.empty() ? nullptr : tables.data());
    if (scheme == signature_scheme::sr25519) {
        // Zero in ristretto255: the Edwards sum lies in E[4], i.e. X == 0 or Y == 0.
        return fe_is_zero_mask(sum.X) != 0 || fe_is_zero_mask(sum.Y) != 0;
    }
    return ge_is_identity_vartime(ge_mul_cofactor(sum));
}

bool batch_range(signature_scheme scheme, const byte_span* pks, const byte_span* msgs, const byte_span* sigs,
                 std::size_t n) {
    std::vector<verify_item> items(n);
    // Straus (small batches) reads each key's odd-multiples table, which the key cache keeps.
    std::vector<neg_table> tables(msm_prefers_straus(2 * n + 1) ? n : 0);
    for (std::size_t i = 0; i < n; ++i)
        if (!prepare(scheme, items[i], pks[i], msgs[i], sigs[i], tables.empty() ? nullptr : tables[i].data()))
            return false;
    if (scheme == signature_scheme::sr25519 && !decode_signature_points(items.data(), sigs, n)) return false;
    return batch_equation(scheme, items.data(), n, tables.empty() ? nullptr : tables.data());
}

void many_range(signature_scheme scheme, const byte_span* pks, const byte_span* msgs, const byte_span* sigs,
                std::size_t n, std::uint8_t* ok) {
    if (n < min_batch) {
        for (std::size_t i = 0; i < n; ++i) ok[i] = verify_one(scheme, pks[i], msgs[i], sigs[i]) ? 1 : 0;
        return;
    }
    if (batch_range(scheme, pks, msgs, sigs, n)) {
        std::memset(ok, 1, n);
        return;
    }
    const std::size_t half = n / 2;
    many_range(scheme, pks, msgs, sigs, half, ok);
    many_range(scheme, pks + half, msgs + half, sigs + half, n - half, ok + half);
}

}  // namespace

bool verify_batch(signature_scheme scheme, const byte_span* public_keys, const byte_span* messages,
                  const byte_span* signatures, std::size_t n) {
    if (n < min_batch) {
        for (std::size_t i = 0; i < n; ++i)
            if (!verify_one(scheme, public_keys[i], messages[i], signatures[i])) return false;
        return true;
    }
    return batch_range(scheme, public_keys, messages, signatures, n);
}

bool multiscalar_mul_for_tests(const std::uint8_t* scalars, const std::uint8_t* points, std::size_t n,
                               int algorithm, int window, bool projective, bool tables, std::uint8_t out[32]) {
    if (algorithm < msm_auto || algorithm > msm_pippenger || window < 0 || window > 16) return false;
    std::vector<ge_p3> p(n);
    std::vector<neg_table> odd(n);
    std::vector<const ge_cached*> odd_ptr(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
        if (!ge_from_bytes_vartime(p[i], points + 32 * i, false)) return false;
        if (tables && i % 2 == 0) {  // every other point: supplied and built tables side by side
            ge_odd_multiples_cached(odd[i].data(), p[i]);
            odd_ptr[i] = odd[i].data();
        }
        if (projective) {  // (X:Y:Z:T) -> (lX:lY:lZ:lT), the same point
            const fe l{{i + 2, 0, 0, 0, 0}};
            p[i] = ge_p3{fe_mul(p[i].X, l), fe_mul(p[i].Y, l), fe_mul(p[i].Z, l), fe_mul(p[i].T, l)};
        }
    }
    const auto* sc = reinterpret_cast<const std::uint8_t(*)[32]>(scalars);
    ge_to_bytes(out, ge_multiscalar_mul_vartime(sc, p.data(), n, static_cast<msm_algorithm>(algorithm), window,
                                                tables ? odd_ptr.data() : nullptr));
    return true;
}

void verify_many(signature_scheme scheme, const byte_span* public_keys, const byte_span* messages,
                 const byte_span* signatures, std::size_t n, std::uint8_t* ok, unsigned threads) {
    const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, n / min_batch));
    if (parts <= 1) {
        many_range(scheme, public_keys, messages, signatures, n, ok);
        return;
    }
    std::vector<std::thread> workers;
    std::exception_ptr failure;
    std::mutex failure_lock;
    for (std::size_t p = 0; p < parts; ++p) {
        const std::size_t lo = n * p / parts, hi = n * (p + 1) / parts;
        workers.emplace_back([&, lo, hi] {
            try {
                many_range(scheme, public_keys + lo, messages + lo, signatures + lo, hi - lo, ok + lo);
            } catch (...) {  // os_random can fail; report it instead of terminating
                std::lock_guard<std::mutex> guard(failure_lock);
                failure = std::current_exception();
            }
        });
    }
    for (auto& w : workers) w.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace taocore::crypto
