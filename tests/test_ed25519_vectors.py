"""ed25519: RFC 8032 / generated vectors, the ZIP-215 vs strict differential vectors, every
Wycheproof case under the strict policy, and differential tests against ed25519-zebra (ZIP-215,
what sp-core uses) and PyNaCl (libsodium, strict) where those oracles are installed.

Policies (see taocore/crypto/ed25519.hpp):
* default (ZIP-215): S < l; A and R may be non-canonical or of small order; cofactored equation.
* strict (RFC 8032 / libsodium): S < l; A canonical and not small order; R not small order;
  cofactorless check encode([S]B - [k]A) == R.
Of the Wycheproof cases only tcId 151 (R = y=1 with the x sign bit set, flag InvalidEncoding) is
accepted under ZIP-215 and rejected by the strict policy: ZIP-215 decodes x = 0 regardless of the
sign bit, so R is the identity and the cofactored equation holds. test_wycheproof_zip215_vs_zebra
checks the ZIP-215 verdict of every case against ed25519-zebra itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import load_vectors
from taocore._native import _core

C = _core.crypto
ED = load_vectors("crypto-vectors.json")["ed25519"]
WP = load_vectors("wycheproof-ed25519.json")
WP_CASES = [(g["publicKey"]["pk"], t) for g in WP["testGroups"] for t in g["tests"]]
ZEBRA_KEY = "ed25519_zebra_verify (sp-core semantics, ZIP-215)"
NACL_KEY = "pynacl_verify (libsodium strict)"

try:
    import ed25519_zebra  # test extra: py-ed25519-zebra-bindings
except ImportError:  # pragma: no cover - the oracle is a test extra
    ed25519_zebra = None
try:
    import nacl.exceptions
    import nacl.signing
except ImportError:  # pragma: no cover
    nacl = None  # type: ignore[assignment]
needs_zebra = pytest.mark.skipif(
    ed25519_zebra is None, reason="py-ed25519-zebra-bindings not installed"
)
needs_nacl = pytest.mark.skipif(nacl is None, reason="PyNaCl not installed")


def h(x: str | None) -> bytes:
    return bytes.fromhex(x) if x else b""


def verify(pk: bytes, msg: bytes, sig: bytes, strict: bool) -> bool:
    return bool(C.ed25519_verify(pk, msg, sig, strict=strict))


def nacl_verify(pk: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(pk).verify(msg, sig)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True


def zebra_verify(pk: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        return bool(ed25519_zebra.ed_verify(sig, msg, pk))
    except (ValueError, TypeError):
        return False


@pytest.mark.parametrize("case", ED["vectors"], ids=lambda c: c["name"][:40])
def test_vectors(case: dict[str, Any]) -> None:
    seed, msg = h(case["seed"]), h(case["message"])
    assert C.ed25519_public_from_seed(seed).hex() == case["public_key"]
    sig = C.ed25519_sign(seed, msg)
    assert sig.hex() == case["signature"]
    for strict in (False, True):
        assert verify(h(case["public_key"]), msg, sig, strict) is case["verify"]


@pytest.mark.parametrize("case", ED["verify_differential"], ids=lambda c: c["name"][:50])
def test_verify_differential(case: dict[str, Any]) -> None:
    pk, msg, sig = h(case["public_key"]), h(case["message"]), h(case["signature"])
    assert verify(pk, msg, sig, strict=False) is case[ZEBRA_KEY]
    assert verify(pk, msg, sig, strict=False) is case["bittensor_wallet_ed25519_verify"]
    assert verify(pk, msg, sig, strict=True) is case[NACL_KEY]


@pytest.mark.parametrize("pk_sig", WP_CASES, ids=lambda c: f"tc{c[1]['tcId']}")
def test_wycheproof_strict(pk_sig: tuple[str, dict[str, Any]]) -> None:
    pk, t = pk_sig
    assert verify(h(pk), h(t["msg"]), h(t["sig"]), strict=True) is (t["result"] == "valid")


def test_wycheproof_policy_differences() -> None:
    differ = {
        t["tcId"]
        for pk, t in WP_CASES
        if verify(h(pk), h(t["msg"]), h(t["sig"]), strict=False)
        != verify(h(pk), h(t["msg"]), h(t["sig"]), strict=True)
    }
    # Every difference is ZIP-215 accepting what the strict policy rejects, never the reverse.
    for pk, t in WP_CASES:
        if t["tcId"] in differ:
            assert t["result"] == "invalid"
            assert verify(h(pk), h(t["msg"]), h(t["sig"]), strict=False)
    assert len(WP_CASES) == WP["numberOfTests"]


@needs_zebra
@pytest.mark.parametrize("pk_sig", WP_CASES, ids=lambda c: f"tc{c[1]['tcId']}")
def test_wycheproof_zip215_vs_zebra(pk_sig: tuple[str, dict[str, Any]]) -> None:
    pk, t = pk_sig
    args = (h(pk), h(t["msg"]), h(t["sig"]))
    assert verify(*args, strict=False) is zebra_verify(*args)


@needs_nacl
@pytest.mark.parametrize("pk_sig", WP_CASES, ids=lambda c: f"tc{c[1]['tcId']}")
def test_wycheproof_strict_vs_pynacl(pk_sig: tuple[str, dict[str, Any]]) -> None:
    pk, t = pk_sig
    args = (h(pk), h(t["msg"]), h(t["sig"]))
    assert verify(*args, strict=True) is nacl_verify(*args)


def test_malformed_input() -> None:
    seed = bytes(range(32))
    pk = C.ed25519_public_from_seed(seed)
    sig = C.ed25519_sign(seed, b"m")
    for strict in (False, True):
        assert verify(pk, b"m", sig, strict)
        assert not verify(pk[:31], b"m", sig, strict)
        assert not verify(pk, b"m", sig[:63], strict)
        assert not verify(pk, b"m", sig + b"\x00", strict)
        assert not verify(b"", b"m", b"", strict)
    with pytest.raises(ValueError, match="seed"):
        C.ed25519_sign(seed[:31], b"m")
    with pytest.raises(ValueError, match="seed"):
        C.ed25519_public_from_seed(seed + b"\x00")


@needs_zebra
@needs_nacl
@settings(max_examples=80, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32), msg=st.binary(max_size=300), flip=st.integers(0, 511)
)
def test_differential_sign_verify(seed: bytes, msg: bytes, flip: int) -> None:
    pk = C.ed25519_public_from_seed(seed)
    sig = C.ed25519_sign(seed, msg)
    sk = nacl.signing.SigningKey(seed)
    assert pk == bytes(sk.verify_key)
    assert sig == sk.sign(msg).signature
    zpriv, zpub = ed25519_zebra.ed_from_seed(seed)
    assert bytes(zpub) == pk
    assert bytes(ed25519_zebra.ed_sign(zpriv, msg)) == sig
    assert verify(pk, msg, sig, False) and verify(pk, msg, sig, True)
    bad = bytearray(sig)
    bad[flip // 8] ^= 1 << (flip % 8)
    args = (pk, msg, bytes(bad))
    assert verify(*args, strict=False) is zebra_verify(*args)
    assert verify(*args, strict=True) is nacl_verify(*args)


@needs_zebra
@needs_nacl
@settings(max_examples=80, deadline=None)
@given(
    pk=st.binary(min_size=32, max_size=32),
    r=st.binary(min_size=32, max_size=32),
    s=st.integers(0, 2**253),
)
def test_differential_garbage(pk: bytes, r: bytes, s: int) -> None:
    sig = r + s.to_bytes(32, "little")
    assert verify(pk, b"x", sig, strict=False) is zebra_verify(pk, b"x", sig)
    assert verify(pk, b"x", sig, strict=True) is nacl_verify(pk, b"x", sig)


# Small-order and mixed-order points: build them from the 8-torsion so both policies are exercised
# beyond the fixed vectors. T8 is a point of order 8 (from the libsodium/ZIP-215 blocklists).
T8 = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")


@needs_zebra
@needs_nacl
@settings(max_examples=40, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), msg=st.binary(max_size=64))
def test_small_order_key_differential(seed: bytes, msg: bytes) -> None:
    # A small-order public key with R = its encoding and S = 0 or random: compare both oracles.
    sig = T8 + bytes(32)
    for pk in (T8, bytes(32), (1).to_bytes(32, "little")):
        assert verify(pk, msg, sig, strict=False) is zebra_verify(pk, msg, sig)
        assert verify(pk, msg, sig, strict=True) is nacl_verify(pk, msg, sig)
    real = C.ed25519_sign(seed, msg)
    pk = C.ed25519_public_from_seed(seed)
    assert verify(pk, msg, real, strict=False) is zebra_verify(pk, msg, real) is True


# ---- mixed-order public keys (a real key plus a torsion point), built with a tiny model ----------
# Minimal edwards25519 arithmetic, only to construct inputs; verdicts come from the oracles.
P25519 = 2**255 - 19
L25519 = 2**252 + 27742317777372353535851937790883648493
D25519 = -121665 * pow(121666, P25519 - 2, P25519) % P25519


def _add(p: tuple[int, int], q: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = p, q
    t = D25519 * x1 * x2 * y1 * y2 % P25519
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P25519 - 2, P25519) % P25519
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P25519 - 2, P25519) % P25519
    return x3, y3


def _mul(n: int, p: tuple[int, int]) -> tuple[int, int]:
    r = (0, 1)
    while n:
        if n & 1:
            r = _add(r, p)
        p = _add(p, p)
        n >>= 1
    return r


def _decode(b: bytes) -> tuple[int, int]:
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    u, v = (y * y - 1) % P25519, (D25519 * y * y + 1) % P25519
    x = u * pow(v, 3, P25519) * pow(u * pow(v, 7, P25519), (P25519 - 5) // 8, P25519) % P25519
    if v * x * x % P25519 != u:
        x = x * pow(2, (P25519 - 1) // 4, P25519) % P25519
    assert v * x * x % P25519 == u
    if x & 1 != b[31] >> 7:
        x = P25519 - x
    return x, y


def _encode(p: tuple[int, int]) -> bytes:
    x, y = p
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


@needs_zebra
@needs_nacl
@settings(max_examples=40, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    msg=st.binary(max_size=64),
    t=st.integers(1, 7),
    u=st.integers(0, 7),
)
def test_mixed_order_key_differential(seed: bytes, msg: bytes, t: int, u: int) -> None:
    import hashlib

    t8 = _decode(T8)
    assert _mul(8, t8) == (0, 1) and _mul(4, t8) != (0, 1)  # T8 really has order 8
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    r = int.from_bytes(hashlib.sha512(h[32:] + msg).digest(), "little") % L25519
    # a*B and r*B come from taocore's own (oracle-checked) key and signature; only the torsion
    # additions are done here.
    pk_mixed = _encode(_add(_decode(C.ed25519_public_from_seed(seed)), _mul(t, t8)))
    big_r_plain = C.ed25519_sign(seed, msg)[:32]
    big_r = _encode(_add(_decode(big_r_plain), _mul(u, t8)))  # R may carry torsion as well
    k = int.from_bytes(hashlib.sha512(big_r + pk_mixed + msg).digest(), "little") % L25519
    sig = big_r + ((r + k * a) % L25519).to_bytes(32, "little")
    # sB - kA - R = -(k t + u) T8: the cofactored check (ZIP-215) always accepts; the cofactorless
    # one (strict) accepts only when that torsion point vanishes.
    assert verify(pk_mixed, msg, sig, strict=False) is zebra_verify(pk_mixed, msg, sig) is True
    assert verify(pk_mixed, msg, sig, strict=True) is nacl_verify(pk_mixed, msg, sig)
