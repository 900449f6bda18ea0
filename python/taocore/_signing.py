"""The one place the Python layer reaches the native signature code, per key type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taocore._native import _core

if TYPE_CHECKING:
    from taocore.keypair import CryptoType

_c = _core.crypto
_SR25519 = 1


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
