"""Smoke check shipped in the wheel: ``python -m taocore.selftest``.

It needs nothing but the installed package and the standard library, so a freshly built wheel
can be checked in an empty virtual environment (the wheel script and cibuildwheel run it).
Every native kernel runs on every backend this CPU supports and must agree with hashlib.
"""

from __future__ import annotations

import hashlib
import sys

# An Alice public key and its generic-Substrate address (shared crypto vectors, ss58.encode).
_ALICE = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
_ALICE_SS58 = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def run() -> list[str]:
    """Run the checks; return a list of failures (empty when all pass)."""
    import taocore
    from taocore._native import _core

    failures: list[str] = []
    info = taocore.runtime_info()
    samples = [b"", b"abc", bytes(range(256)) * 5, b"\x5a" * 100_003]
    for backend in info["available_backends"]:
        for data in samples:
            got = {
                "sha512": _core.crypto.sha512(data, backend=backend),
                "sha3_256": _core.crypto.sha3_256(data, backend=backend),
                "blake2b": _core.crypto.blake2b(data, 64, b"", backend=backend),
                "blake2b-32-keyed": _core.crypto.blake2b(data, 32, b"key", backend=backend),
            }
            want = {
                "sha512": hashlib.sha512(data).digest(),
                "sha3_256": hashlib.sha3_256(data).digest(),
                "blake2b": hashlib.blake2b(data).digest(),
                "blake2b-32-keyed": hashlib.blake2b(data, digest_size=32, key=b"key").digest(),
            }
            for name, digest in got.items():
                if digest != want[name]:
                    failures.append(f"{name} on {backend} differs from hashlib ({len(data)} bytes)")
    if taocore.ss58_encode(_ALICE) != _ALICE_SS58:
        failures.append("ss58_encode(Alice) is wrong")
    if taocore.ss58_decode(_ALICE_SS58) != _ALICE:
        failures.append("ss58_decode(Alice) is wrong")
    return failures


def main() -> int:
    """Print the runtime report and the result of the checks; exit 1 on any failure."""
    import taocore

    taocore.show_runtime()
    failures = run()
    for failure in failures:
        print(f"FAIL: {failure}")
    print("taocore selftest:", "FAILED" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
