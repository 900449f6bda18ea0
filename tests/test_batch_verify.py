"""Batch verification agrees with single verification: vectors, random batches with bad
signatures planted, both schemes, and verify_many isolates exactly the bad ones."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import taocore
from conftest import load_vectors
from taocore import Keypair

VEC = load_vectors("crypto-vectors.json")


@pytest.mark.parametrize("case", VEC["sr25519"]["batch_verify"]["cases"], ids=lambda c: c["name"])
def test_sr25519_batch_vectors(case: dict[str, object]) -> None:
    items = case["items"]
    assert isinstance(items, list)
    pks = [bytes.fromhex(i["public_key"]) for i in items]
    msgs = [bytes.fromhex(i["message"]) for i in items]
    sigs = [bytes.fromhex(i["signature"]) for i in items]
    singles = [taocore.crypto.verify(p, m, s) for p, m, s in zip(pks, msgs, sigs, strict=True)]
    assert taocore.crypto.verify_batch(pks, msgs, sigs) is all(singles)
    assert taocore.crypto.verify_many(pks, msgs, sigs).tolist() == singles
    if "expected" in case:
        assert all(singles) is case["expected"]


def make_batch(n: int, kind: str) -> tuple[list[bytes], list[bytes], list[bytes]]:
    keys = [Keypair.create_from_seed(os.urandom(32), crypto_type=kind) for _ in range(n)]
    msgs = [os.urandom(1 + i % 97) for i in range(n)]
    sigs = [k.sign(m) for k, m in zip(keys, msgs, strict=True)]
    return [k.public_key for k in keys], msgs, sigs


@pytest.mark.parametrize("kind", ["sr25519", "ed25519"])
@pytest.mark.parametrize("n", [0, 1, 3, 4, 17, 64, 200, 300])
def test_valid_batches_pass(kind: str, n: int) -> None:
    pks, msgs, sigs = make_batch(n, kind)
    assert taocore.crypto.verify_batch(pks, msgs, sigs, kind)
    assert taocore.crypto.verify_many(pks, msgs, sigs, kind).all()


corruptions = st.sampled_from(["flip_sig", "flip_msg", "swap_key", "zero_sig", "short_sig",
                               "bad_key"])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(4, 80), kind=st.sampled_from(["sr25519", "ed25519"]),
       bad=st.lists(st.tuples(st.integers(0, 10**6), corruptions), min_size=1, max_size=4),
       threads=st.integers(1, 4))
def test_bad_signatures_are_found(n: int, kind: str, bad: list[tuple[int, str]],
                                  threads: int) -> None:
    pks, msgs, sigs = make_batch(n, kind)
    for pos, how in bad:
        i = pos % n
        if how == "flip_sig":
            s = bytearray(sigs[i])
            s[pos % len(s)] ^= 1 << (pos % 8)  # the signature may already be cut short
            sigs[i] = bytes(s)
        elif how == "flip_msg":
            msgs[i] = msgs[i] + b"!"
        elif how == "swap_key":
            pks[i] = pks[(i + 1) % n]
        elif how == "zero_sig":
            sigs[i] = bytes(64)
        elif how == "short_sig":
            sigs[i] = sigs[i][:63]
        else:
            pks[i] = b"\xff" * 32
    singles = [taocore.crypto.verify(p, m, s, kind)
               for p, m, s in zip(pks, msgs, sigs, strict=True)]
    assert taocore.crypto.verify_batch(pks, msgs, sigs, kind) is all(singles)
    assert taocore.crypto.verify_many(pks, msgs, sigs, kind, threads=threads).tolist() == singles


def test_ed25519_batch_follows_zip215() -> None:
    # The differential vectors pin where ZIP-215 and RFC 8032 disagree; batches follow ZIP-215.
    cases = VEC["ed25519"]["verify_differential"]
    pks = [bytes.fromhex(c["public_key"]) for c in cases]
    msgs = [bytes.fromhex(c["message"]) for c in cases]
    sigs = [bytes.fromhex(c["signature"]) for c in cases]
    singles = [taocore.crypto.verify(p, m, s, "ed25519") for p, m, s in zip(pks, msgs, sigs,
                                                                          strict=True)]
    assert singles == [c["ed25519_zebra_verify (sp-core semantics, ZIP-215)"] for c in cases]
    assert taocore.crypto.verify_many(pks, msgs, sigs, "ed25519").tolist() == singles


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="same length"):
        taocore.crypto.verify_batch([b"x"], [], [])
    with pytest.raises(ValueError, match="crypto_type"):
        taocore.crypto.verify_many([], [], [], crypto_type="ecdsa")
    with pytest.raises(ValueError, match="threads"):
        taocore.crypto.verify_many([], [], [], threads=0)
    assert taocore.crypto.verify_many([], [], [], threads=np.int64(2)).size == 0
    with pytest.raises(TypeError):
        taocore.crypto.verify_batch(["text"], [b""], [b""])  # type: ignore[list-item]
    assert taocore.crypto.verify_many([], [], []).dtype == np.bool_


def test_batch_inputs_are_any_iterable_and_bad_types_are_named() -> None:
    kp = taocore.Keypair.create_from_uri("//Alice")
    sig = kp.sign(b"m")
    # Generators and tuples are taken; a lone bytes or None is refused by name (pybind11's
    # "incompatible function arguments" said neither which argument nor why).
    assert taocore.crypto.verify_batch((k for k in [kp.public_key]), (b"m",), iter([sig]))
    assert taocore.crypto.verify_many(iter([kp.public_key]), [b"m"], [sig]).tolist() == [True]
    for bad, what in ((None, "NoneType"), (kp.public_key, "one bytes")):
        with pytest.raises(TypeError, match=f"public_keys must be a sequence.*{what}"):
            taocore.crypto.verify_batch(bad, [b"m"], [sig])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=f"public_keys must be a sequence.*{what}"):
            taocore.crypto.verify_many(bad, [b"m"], [sig])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strict must be a bool"):
        taocore.crypto.verify(kp.public_key, b"m", sig, "ed25519", strict="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digest_size must be an int"):
        taocore.crypto.blake2b(b"x", digest_size=True)
    digest = taocore.crypto.blake2b(b"x", digest_size=np.int64(32))
    assert digest == hashlib.blake2b(b"x", digest_size=32).digest()
