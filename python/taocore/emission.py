"""TAO and alpha emission in exact integer rao, as the Bittensor chain computes it."""

from __future__ import annotations

from taocore._native import _core

__all__ = ["TOTAL_SUPPLY_RAO", "block_emission"]

#: 21 million TAO in rao; issuance never exceeds it.
TOTAL_SUPPLY_RAO = 21_000_000_000_000_000


def block_emission(total_issuance: int) -> int:
    """Rao emitted per block at ``total_issuance`` rao (the chain's halving rule, bit for bit).

    1 TAO (1e9 rao) per block until 10.5M TAO are issued, then 0.5, 0.25, ... at issuance
    10.5e15, 15.75e15, 18.375e15, ... rao, and 0 from 21e15 on. The same rule gives a subnet's
    alpha emission from its alpha issuance. Raises ``ValueError`` for a negative issuance or one
    that is not an integer.
    """
    if isinstance(total_issuance, bool) or not isinstance(total_issuance, int):
        raise ValueError(f"total_issuance must be an int, got {type(total_issuance).__name__}")
    if total_issuance < 0:
        raise ValueError(f"total_issuance must not be negative, got {total_issuance}")
    if total_issuance >= TOTAL_SUPPLY_RAO:
        return 0
    return _core.emission.block_emission(total_issuance)
