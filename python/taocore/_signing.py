"""The one place the Python layer reaches the native signature code, per key type."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np

from taocore._native import _core

_c = _core.crypto
_SR25519 = 1


class CryptoType(IntEnum):
    """Key types, numbered as bittensor-wallet numbers them (``cryptoType`` in keyfiles)."""

    ED25519 = 0
    SR25519 = _SR25519


def crypto_type(value: Any) -> CryptoType:
    """The key type a ``crypto_type`` argument names: ``"sr25519"``/``"ed25519"`` (any case)
    or 1/0 (Python or numpy ints); one rule for keys, keyfiles and the verify functions.
    Other values raise ValueError, other types TypeError; both name ``crypto_type``."""
    if isinstance(value, str):
        try:
            return CryptoType[value.upper()]
        except KeyError:
            raise ValueError(f"crypto_type must be 'sr25519' or 'ed25519', got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"crypto_type must be a str or int, got {type(value).__name__}")
    try:
        return CryptoType(int(value))
    except ValueError:
        raise ValueError(f"crypto_type must be 1 (sr25519) or 0 (ed25519), got {value}") from None


def keypair_from_mini_secret(kind: CryptoType, mini: bytes) -> tuple[bytes, bytes]:
    """(secret as keyfiles store it, public key) from a 32-byte mini secret / seed."""
    if kind == _SR25519:
        return _c.sr25519_keypair_from_mini_secret(mini)
    return mini, _c.ed25519_public_from_seed(mini)


def sr25519_public_from_secret(secret: bytes) -> bytes:
    """Public key of a 64-byte sr25519 secret key; ValueError for a non-canonical scalar."""
    return _c.sr25519_public_from_secret(secret)


def sr25519_hard_derive(secret: bytes, chain_code: bytes) -> bytes:
    """The child mini secret of a hard junction (sp-core passes an empty extra message)."""
    mini, _secret, _chain = _c.sr25519_derive_hard(secret, chain_code)
    return mini


def sr25519_soft_derive(secret: bytes, chain_code: bytes) -> tuple[bytes, bytes]:
    """(child secret key, child public key) of a soft junction; the child nonce is random."""
    child, _chain = _c.sr25519_derive_soft(secret, chain_code)
    return child, _c.sr25519_public_from_secret(child)


def sign(kind: CryptoType, secret: bytes, public: bytes, message: bytes) -> bytes:
    """Sign with the key type's rules (sr25519: "substrate" context, randomized)."""
    if kind == _SR25519:
        return _c.sr25519_sign(secret, public, message)
    # The keypair derived `public` from `secret` itself, so the base multiplication is skipped.
    return _c.ed25519_sign_with_public(secret, public, message)


def verify(kind: CryptoType, public: bytes, message: bytes, signature: bytes) -> bool:
    """Verify; False (never an exception) for any malformed input."""
    if kind == _SR25519:
        return _c.sr25519_verify(public, message, signature)
    return _c.ed25519_verify(public, message, signature)
