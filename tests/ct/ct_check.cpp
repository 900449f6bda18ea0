// SPDX-License-Identifier: MIT
// Constant-time check in the "ctgrind" style: every secret byte is marked undefined for valgrind
// memcheck, so any branch or memory index that depends on a secret is reported as a use of
// uninitialised memory. Public results (public keys, signatures) are declassified before they
// are used as public inputs. Run: valgrind --error-exitcode=1 ct_check [leak]
// With the argument "leak", a deliberately secret-dependent branch runs too, proving that the
// harness catches one.
#include <valgrind/memcheck.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>

#include "taocore/crypto/ed25519.hpp"
#include "taocore/crypto/hash.hpp"
#include "taocore/crypto/sr25519.hpp"

namespace {

template <class T>
void secret(T& v) {
    VALGRIND_MAKE_MEM_UNDEFINED(&v, sizeof v);
}
template <class T>
void declassify(T& v) {
    VALGRIND_MAKE_MEM_DEFINED(&v, sizeof v);
}

void fixed_rng(std::uint8_t out[32], void*) {
    std::memset(out, 0x42, 32);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace taocore::crypto;
    std::array<std::uint8_t, 32> mini{};
    for (std::size_t i = 0; i < mini.size(); ++i) mini[i] = static_cast<std::uint8_t>(i * 7 + 1);
    const std::array<std::uint8_t, 11> message = {'t', 'a', 'o', 'c', 'o', 'r', 'e', ' ', 'c', 't', '!'};
    const std::array<std::uint8_t, 32> chain{1, 2, 3};

    secret(mini);

    // sr25519: key expansion, public key, signing (OS and fixed randomness), derivation.
    sr25519::secret_key sk = sr25519::expand_mini_secret(mini);
    sr25519::public_key pk = sr25519::public_from_secret(sk);
    declassify(pk);
    sr25519::signature sig = sr25519::sign(sk, pk, message);
    declassify(sig);
    sr25519::signature sig2 = sr25519::sign(sk, pk, message, sr25519::substrate_context, fixed_rng, nullptr);
    declassify(sig2);
    sr25519::hard_derived hard = sr25519::derive_hard(sk, chain);
    sr25519::soft_derived_secret soft = sr25519::derive_soft(hard.secret, chain);
    sr25519::public_key child_pk = sr25519::public_from_secret(soft.secret);
    declassify(child_pk);

    // ed25519 from the same secret seed.
    ed25519::public_key epk = ed25519::public_from_seed(mini);
    declassify(epk);
    ed25519::signature esig = ed25519::sign(mini, message);
    declassify(esig);

    // Hashing secrets (SHA-512 as key expansion uses it; BLAKE2b keyed).
    auto digest = sha512(mini);
    std::uint8_t mac[32];
    blake2b(message, mac, sizeof mac, mini);
    declassify(digest);
    VALGRIND_MAKE_MEM_DEFINED(mac, sizeof mac);

    if (argc > 1 && std::strcmp(argv[1], "leak") == 0) {
        // A secret-dependent branch: valgrind must report it.
        if (sk[0] & 1) std::puts("odd");
        else std::puts("even");
    }

    // Public results may now be checked: a signature made here must verify.
    const bool ok = sr25519::verify(pk, message, sig) && sr25519::verify(pk, message, sig2) &&
                    ed25519::verify(epk, message, esig);
    std::printf("verified: %s\n", ok ? "yes" : "no");
    return ok ? 0 : 2;
}
