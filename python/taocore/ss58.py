"""SS58 addresses, the ``5...`` strings Bittensor shows for hotkeys and coldkeys."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from taocore._native import _core

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["BITTENSOR_SS58_FORMAT", "is_valid_ss58_address", "ss58_decode", "ss58_encode"]

#: The prefix every Bittensor address uses (Substrate's generic 42).
BITTENSOR_SS58_FORMAT = 42


def _check_format(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value <= 16383:
        raise ValueError(f"{name} must be between 0 and 16383, got {value}")
    return int(value)


def ss58_encode(public_key: Buffer | str, ss58_format: int = BITTENSOR_SS58_FORMAT) -> str:
    """Encode a 32-byte public key (account id) as an SS58 address.

    ``public_key`` is bytes-like or a hex string (with or without ``0x``). ``ss58_format`` is
    the network prefix, 0..16383; 46 and 47 are reserved and rejected. Raises ``ValueError``
    for a key that is not 32 bytes or a bad prefix.
    """
    if isinstance(public_key, str):
        text = public_key[2:] if public_key[:2].lower() == "0x" else public_key
        try:
            public_key = bytes.fromhex(text)
        except ValueError:
            raise ValueError("public_key is a str but not valid hex") from None
    return _core.crypto.ss58_encode(public_key, _check_format("ss58_format", ss58_format))


def ss58_decode(address: str, valid_ss58_format: int | None = None) -> bytes:
    """Decode an SS58 address to its 32-byte public key.

    Raises ``ValueError`` saying which check failed: a character outside the base58 alphabet,
    a wrong length, an invalid or reserved (46, 47) prefix, a bad checksum, or, when
    ``valid_ss58_format`` is given, a different prefix.
    """
    if not isinstance(address, str):
        raise TypeError(f"address must be a str, got {type(address).__name__}")
    if valid_ss58_format is not None:
        valid_ss58_format = _check_format("valid_ss58_format", valid_ss58_format)
    account_id, _format = _core.crypto.ss58_decode(address, valid_ss58_format)
    return account_id


def is_valid_ss58_address(address: str, valid_ss58_format: int | None = None) -> bool:
    """Return True if ``address`` decodes to a 32-byte account (with that prefix, if given).

    This is the structural check of :func:`ss58_decode` (any unreserved prefix), the same rule
    scalecodec applies; it never raises for a malformed address.
    """
    if not isinstance(address, str):
        return False
    try:
        ss58_decode(address, valid_ss58_format)
    except ValueError:
        return False
    return True
