"""taocore vs hashlib: hash throughput on 32 B, 1 KiB and 1 MiB inputs, one table, with ratios.

Run by hand:  python bench/bench_hash.py [--backend scalar|avx2|avx512] [--repeat N]
Each cell is the best of N timed loops (each loop ~0.2 s). A ratio above 1 means taocore is
faster. Every taocore digest is checked against hashlib before it is timed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import timeit
from collections.abc import Callable

import taocore
from taocore._native import _core

SIZES = [("32 B", 32), ("1 KiB", 1024), ("1 MiB", 1 << 20)]


Hash = Callable[[bytes], bytes]


def rivals(backend: str | None) -> list[tuple[str, Hash, Hash]]:
    if backend is None:
        sha512 = taocore.crypto.sha512
        sha3 = taocore.crypto.sha3_256

        def b2(d: bytes) -> bytes:
            return taocore.crypto.blake2b(d, 32)
    else:
        def sha512(d: bytes) -> bytes:
            return _core.crypto.sha512(d, backend=backend)

        def sha3(d: bytes) -> bytes:
            return _core.crypto.sha3_256(d, backend=backend)

        def b2(d: bytes) -> bytes:
            return _core.crypto.blake2b(d, 32, b"", backend=backend)

    return [
        ("sha512", sha512, lambda d: hashlib.sha512(d).digest()),
        ("blake2b-256", b2, lambda d: hashlib.blake2b(d, digest_size=32).digest()),
        ("sha3-256", sha3, lambda d: hashlib.sha3_256(d).digest()),
    ]


def seconds_per_call(fn: Callable[[bytes], bytes], data: bytes, repeat: int) -> float:
    timer = timeit.Timer(lambda: fn(data))
    number, _ = timer.autorange()
    number = max(1, number)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["scalar", "avx2", "avx512"], default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    info = taocore.runtime_info()
    backend = args.backend or info["active_backend"]
    features = ", ".join(info["cpu_features"])
    print(f"taocore {info['version']} ({info['compiler']}), backend {backend}")
    print(f"CPU features: {features}; Python {info['python']} hashlib")
    print()
    header = f"{'hash':<12} {'input':>6} {'taocore':>14} {'hashlib':>14} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, ours, theirs in rivals(args.backend):
        for label, size in SIZES:
            data = os.urandom(size)
            assert ours(data) == theirs(data), f"{name} differs from hashlib at {size} bytes"
            t_ours = seconds_per_call(ours, data, args.repeat)
            t_theirs = seconds_per_call(theirs, data, args.repeat)

            def fmt(t: float, size: int = size) -> str:
                if size >= 1 << 20:
                    return f"{size / t / 1e6:8.0f} MB/s"
                return f"{t * 1e9:8.0f} ns"

            print(f"{name:<12} {label:>6} {fmt(t_ours):>14} {fmt(t_theirs):>14} "
                  f"{t_theirs / t_ours:6.2f}x")


if __name__ == "__main__":
    main()
