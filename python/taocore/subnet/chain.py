"""What the local chain does inside a block: signature checks, emission and the epoch.

Kept apart from the storage code in :mod:`taocore.subnet.ledger` so each rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from taocore import crypto
from taocore.ss58 import ss58_decode

if TYPE_CHECKING:
    from taocore.subnet.ledger import Ledger, WeightSubmission

__all__ = ["verify_submissions"]


def verify_submissions(ledger: Ledger, submissions: Sequence[WeightSubmission]) -> list[bool]:
    """Check every submission's sr25519 signature, all of a block's in one batch.

    A hotkey that is not a valid address, or a signature of the wrong size, is simply invalid.
    """
    del ledger  # signatures are checked against the hotkey named in the extrinsic itself
    keys, messages, signatures, index = [], [], [], []
    results = [False] * len(submissions)
    for i, sub in enumerate(submissions):
        try:
            public_key = ss58_decode(sub.hotkey)
        except (ValueError, TypeError):
            continue
        keys.append(public_key)
        messages.append(sub.payload())
        signatures.append(bytes(sub.signature))
        index.append(i)
    if keys:
        for i, ok in zip(index, crypto.verify_many(keys, messages, signatures), strict=True):
            results[i] = bool(ok)
    return results

