"""Native calls release the GIL on large inputs; concurrent use gives the serial results."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import taocore


def test_concurrent_hashing_matches_serial() -> None:
    inputs = [hashlib.shake_256(bytes([i])).digest(200_000 + 977 * i) for i in range(16)]
    serial = [
        (taocore.crypto.sha512(x), taocore.crypto.blake2b(x, 32), taocore.crypto.sha3_256(x))
        for x in inputs
    ]

    def work(x: bytes) -> tuple[bytes, bytes, bytes]:
        return taocore.crypto.sha512(x), taocore.crypto.blake2b(x, 32), taocore.crypto.sha3_256(x)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(work, inputs)) == serial
    assert serial[0][0] == hashlib.sha512(inputs[0]).digest()

