"""Cryptographic primitives: hashes now, signatures and keys as they land.

The hashes give exactly the bytes :mod:`hashlib` gives; they exist in taocore because the
signature code needs them natively, and they are cheaper per call on small inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taocore._native import _core

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["blake2b", "sha3_256", "sha512"]


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
    if isinstance(digest_size, bool) or not isinstance(digest_size, int):
        raise TypeError(f"digest_size must be an int, got {type(digest_size).__name__}")
    if not 1 <= digest_size <= 64:
        raise ValueError(f"digest_size must be between 1 and 64, got {digest_size}")
    return _core.crypto.blake2b(data, digest_size, key)
