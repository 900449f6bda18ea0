"""Cryptographic primitives: hashes now, signatures and keys as they land.

The hashes give exactly the bytes :mod:`hashlib` gives; they exist in taocore because the
signature code needs them natively, and they are cheaper per call on small inputs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from taocore import _signing
from taocore._checks import flag, integer
from taocore._native import _core

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["blake2b", "sha3_256", "sha512", "verify", "verify_batch", "verify_many"]


def _items(name: str, values: Any) -> list[Any]:
    """The batch functions' inputs as lists (any iterable), refusing a lone bytes or str value,
    which would be iterated as if each of its bytes were an item."""
    if isinstance(values, (str, bytes, bytearray, memoryview)):
        raise TypeError(
            f"{name} must be a sequence of bytes-like objects, got one {type(values).__name__}"
        )
    try:
        return list(values)
    except TypeError:
        raise TypeError(
            f"{name} must be a sequence of bytes-like objects, got {type(values).__name__}"
        ) from None


def _scheme(crypto_type: int | str) -> str:
    # The native verifiers take the scheme by name.
    return _signing.crypto_type(crypto_type).name.lower()


def verify(
    public_key: Buffer,
    message: Buffer,
    signature: Buffer,
    crypto_type: int | str = "sr25519",
    strict: bool = False,
) -> bool:
    """Verify one signature; returns False (never raises) for malformed keys or signatures.

    sr25519 follows schnorrkel (the "substrate" context). ed25519 accepts by default exactly
    what the Bittensor chain accepts (ZIP-215, as ed25519-zebra in Substrate); ``strict=True``
    gives RFC 8032 / libsodium behaviour (canonical encodings, no small-order points).
    """
    scheme = _scheme(crypto_type)
    strict = flag("strict", strict)
    if scheme == "sr25519":
        if strict:
            raise ValueError("strict applies to ed25519 only")
        return _core.crypto.sr25519_verify(public_key, message, signature)
    return _core.crypto.ed25519_verify(public_key, message, signature, strict=strict)


def verify_batch(
    public_keys: Sequence[Buffer],
    messages: Sequence[Buffer],
    signatures: Sequence[Buffer],
    crypto_type: int | str = "sr25519",
) -> bool:
    """True iff every signature verifies, checked together in one multi-scalar multiplication.

    Each equation gets a fresh 128-bit random coefficient from the OS, so a batch containing a
    bad signature passes with probability about 2^-128. ed25519 batches use the default (ZIP-215)
    policy. The GIL is released while the batch is checked.
    """
    return _core.crypto.verify_batch(
        _items("public_keys", public_keys),
        _items("messages", messages),
        _items("signatures", signatures),
        _scheme(crypto_type),
    )


def verify_many(
    public_keys: Sequence[Buffer],
    messages: Sequence[Buffer],
    signatures: Sequence[Buffer],
    crypto_type: int | str = "sr25519",
    threads: int | None = None,
) -> npt.NDArray[np.bool_]:
    """Verify many signatures and say which are bad: a boolean array, True where valid.

    It verifies in batches and splits a failing batch until the bad signatures are isolated, so
    a mostly valid set costs little more than one batch. ``threads`` (default: the CPU count)
    cuts the work into parallel parts; the GIL is released.
    """
    n_threads = (os.cpu_count() or 1) if threads is None else integer("threads", threads, lo=1)
    scheme = _scheme(crypto_type)
    raw = _core.crypto.verify_many(
        _items("public_keys", public_keys),
        _items("messages", messages),
        _items("signatures", signatures),
        scheme,
        n_threads,
    )
    return np.frombuffer(raw, dtype=np.uint8).astype(bool)


def sha512(data: Buffer) -> bytes:
    """Return the SHA-512 digest (64 bytes) of a bytes-like object."""
    return _core.crypto.sha512(data)


def sha3_256(data: Buffer) -> bytes:
    """Return the SHA3-256 digest (32 bytes, FIPS 202) of a bytes-like object."""
    return _core.crypto.sha3_256(data)


def blake2b(data: Buffer, digest_size: int = 64, key: Buffer = b"") -> bytes:
    """Return the BLAKE2b digest of ``data``.

    ``digest_size`` is 1..64 bytes and ``key`` (for keyed hashing/MAC) at most 64 bytes, as in
    :func:`hashlib.blake2b`; anything else raises ``ValueError``.
    """
    return _core.crypto.blake2b(data, integer("digest_size", digest_size, 1, 64), key)
