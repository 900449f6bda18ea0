"""Native calls release the GIL on large inputs; concurrent use gives the serial results."""

from __future__ import annotations

import hashlib
import threading
import time
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



def test_large_inputs_release_the_gil() -> None:
    # While one thread hashes 64 MiB, a spinning Python thread must keep its normal pace. Had the
    # native call held the GIL, the spinner would only get the first switch interval (~5 ms).
    data = bytes(64 << 20)
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.02)
        t0, c0 = time.perf_counter(), counter[0]
        time.sleep(0.1)
        rate = (counter[0] - c0) / (time.perf_counter() - t0)  # increments per second, alone
        for fn in (taocore.crypto.sha512, taocore.crypto.sha3_256, taocore.crypto.blake2b):
            t0, c0 = time.perf_counter(), counter[0]
            fn(data)
            elapsed = time.perf_counter() - t0
            assert counter[0] - c0 > 0.3 * rate * elapsed, fn.__name__
    finally:
        stop.set()
        spinner.join()
