"""Hashes: identical to hashlib on every backend, every length 0..4096, and at block edges."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import taocore
from conftest import load_vectors
from taocore._native import _core

# 4096 bytes of fixed pseudo-random input; prefixes give every length 0..4096.
STREAM = hashlib.shake_256(b"taocore hash test stream").digest(4096 + 256)

# Lengths around SHA-512/BLAKE2b (128) and SHA3-256 (136) block boundaries, and beyond the size
# at which the bindings release the GIL.
EDGES = sorted(
    {k * b + d for b in (128, 136) for k in range(1, 9) for d in (-1, 0, 1)}
    | {16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 1 << 20, (1 << 20) + 7}
)


def big(n: int) -> bytes:
    return (STREAM * (n // len(STREAM) + 1))[:n]


@pytest.mark.parametrize("name", ["sha512", "sha3_256", "blake2b"])
def test_every_length_matches_hashlib(backend: str, name: str) -> None:
    ours = getattr(_core.crypto, name)
    theirs = getattr(hashlib, name)
    for n in range(4097):
        data = STREAM[:n]
        assert ours(data, backend=backend) == theirs(data).digest(), (name, backend, n)


@pytest.mark.parametrize("n", EDGES)
def test_block_edges_and_large_inputs(backend: str, n: int) -> None:
    data = big(n)
    assert _core.crypto.sha512(data, backend=backend) == hashlib.sha512(data).digest()
    assert _core.crypto.sha3_256(data, backend=backend) == hashlib.sha3_256(data).digest()
    assert _core.crypto.blake2b(data, backend=backend) == hashlib.blake2b(data).digest()


def test_blake2b_every_digest_size_and_key_size(backend: str) -> None:
    data = STREAM[:300]
    for size in range(1, 65):
        for key_len in (0, 1, 31, 32, 63, 64):
            key = STREAM[1000 : 1000 + key_len]
            want = hashlib.blake2b(data, digest_size=size, key=key).digest()
            assert _core.crypto.blake2b(data, size, key, backend=backend) == want


@pytest.mark.parametrize("n", [0, 1, 127, 128, 129, 256])
def test_blake2b_keyed_short_messages(backend: str, n: int) -> None:
    # A keyed hash of an empty message still compresses the key block as the final block.
    key = b"k" * 64
    assert (
        _core.crypto.blake2b(STREAM[:n], 64, key, backend=backend)
        == hashlib.blake2b(STREAM[:n], key=key).digest()
    )


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000), size=st.integers(1, 64), key=st.binary(max_size=64))
def test_public_functions_match_hashlib(data: bytes, size: int, key: bytes) -> None:
    assert taocore.crypto.sha512(data) == hashlib.sha512(data).digest()
    assert taocore.crypto.sha3_256(data) == hashlib.sha3_256(data).digest()
    assert taocore.crypto.blake2b(data, size, key) == hashlib.blake2b(
        data, digest_size=size, key=key
    ).digest()


def test_accepts_any_contiguous_bytes_like() -> None:
    data = STREAM[:777]
    want = hashlib.sha512(data).digest()
    assert taocore.crypto.sha512(bytearray(data)) == want
    assert taocore.crypto.sha512(memoryview(data)) == want
    np = pytest.importorskip("numpy")
    assert taocore.crypto.sha512(np.frombuffer(data, dtype=np.uint8)) == want


def test_rejects_what_hashlib_rejects() -> None:
    with pytest.raises(TypeError):
        taocore.crypto.sha512("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        taocore.crypto.sha3_256(12345)  # type: ignore[arg-type]
    with pytest.raises(BufferError):
        taocore.crypto.sha512(memoryview(STREAM)[::2])


@pytest.mark.parametrize("size", [0, 65, -1, 1000])
def test_blake2b_bad_digest_size(size: int) -> None:
    with pytest.raises(ValueError, match="digest_size"):
        taocore.crypto.blake2b(b"x", size)


def test_blake2b_bad_key_and_native_checks() -> None:
    with pytest.raises(ValueError, match="key must be at most 64 bytes"):
        taocore.crypto.blake2b(b"x", 32, b"k" * 65)
    # The native function checks the digest size itself too (it is reachable without the wrapper).
    with pytest.raises(ValueError, match="digest_size"):
        _core.crypto.blake2b(b"x", 0)


def test_keccak_f1600_known_answer(backend: str) -> None:
    vec = load_vectors("crypto-vectors.json")["keccak_strobe_merlin"]["keccak_f1600_zero_state"]
    assert _core.crypto.keccak_f1600(bytes(200), backend=backend).hex() == vec["output_full200"]


def test_keccak_f1600_backends_agree(backend: str) -> None:
    state = STREAM[:200]
    for _ in range(5):
        ours = _core.crypto.keccak_f1600(state, backend=backend)
        assert ours == _core.crypto.keccak_f1600(state, backend="scalar")
        state = ours
    with pytest.raises(ValueError, match="200 bytes"):
        _core.crypto.keccak_f1600(bytes(199))


def test_unknown_or_unsupported_backend_argument() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        _core.crypto.sha512(b"", backend="sse9")
    available = _core.runtime.available_backends()
    missing = [b for b in ("scalar", "avx2", "avx512") if b not in available]
    for name in missing:
        with pytest.raises(ValueError, match="not supported"):
            _core.crypto.sha512(b"", backend=name)
