"""Running a Python snippet in a fresh interpreter with one SIMD backend forced
(``TAOCORE_FORCE_BACKEND`` is read once per process), for the tests that compare backends."""

from __future__ import annotations

import os
import subprocess
import sys


def run_on_backend(script: str, backend: str, *args: str, stdin: str | None = None) -> str:
    """The snippet's standard output under ``backend``; a failing snippet fails the test."""
    env = {**os.environ, "TAOCORE_FORCE_BACKEND": backend}
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        input=stdin, env=env, capture_output=True, text=True, check=True, timeout=600,
    ).stdout


def assert_same_digest(script: str, backend: str) -> None:
    """The snippet prints one SHA-256 hex digest of its outputs: ``backend`` must print the
    scalar backend's."""
    digests = {name: run_on_backend(script, name).strip() for name in ("scalar", backend)}
    assert len(digests["scalar"]) == 64, digests
    assert digests["scalar"] == digests[backend]
