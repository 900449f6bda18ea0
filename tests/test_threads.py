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


def test_key_cache_gives_uncached_answers_under_threads() -> None:
    # Verification caches decoded public keys (4096 entries in 4-way sets, keyed by the key bytes
    # and the decoding rule). More keys than entries force evictions; the same 32 bytes are used
    # as both an sr25519 and an ed25519 key; invalid keys and wrong signatures under cached keys
    # must stay rejected.
    import os

    from taocore import Keypair

    n = 4400
    rows: list[tuple[bytes, bytes, bytes, str]] = []
    for i in range(n):
        kind = "sr25519" if i % 3 else "ed25519"
        kp = Keypair.create_from_seed(hashlib.sha256(b"cache%d" % i).digest(), crypto_type=kind)
        msg = b"m%d" % i
        sig = kp.sign(msg)
        rows.append((kp.public_key, msg, sig, kind))
        if i % 5 == 0:  # a wrong message under the same (now cached) key
            rows.append((kp.public_key, msg + b"x", sig, kind))
        if i % 7 == 0:  # the same key bytes decoded under the other rule
            rows.append((kp.public_key, msg, sig, "ed25519" if kind == "sr25519" else "sr25519"))
        if i % 11 == 0:  # random bytes: almost never a valid ristretto255 encoding
            rows.append((os.urandom(32), msg, sig, kind))
    serial = [taocore.crypto.verify(p, m, s, k) for p, m, s, k in rows]
    assert sum(serial) == n  # exactly the genuine signatures
    for _ in range(2):  # second pass: hits (and evictions) everywhere
        assert [taocore.crypto.verify(p, m, s, k) for p, m, s, k in rows] == serial
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda r: taocore.crypto.verify(*r), rows)) == serial
    for kind in ("sr25519", "ed25519"):
        idx = [j for j, r in enumerate(rows) if r[3] == kind]
        pks, msgs, sigs = ([rows[j][c] for j in idx] for c in range(3))
        many = taocore.crypto.verify_many(pks, msgs, sigs, kind, threads=4).tolist()
        assert many == [serial[j] for j in idx]
        good = [j for j in idx if serial[j]]
        assert taocore.crypto.verify_batch(*([rows[j][c] for j in good] for c in range(3)), kind)
