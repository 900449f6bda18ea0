"""Quality gates that run with the suite: mypy --strict, stubtest for _core, ruff."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict() -> None:
    import mypy  # noqa: F401  (a test extra: missing it is a failure, not a skip)
    proc = run(sys.executable, "-m", "mypy", "--strict", "python/taocore")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stubs_match_the_native_module() -> None:
    import mypy  # noqa: F401  (a test extra: missing it is a failure, not a skip)
    # stubtest imports the installed taocore._core and compares it with the shipped .pyi files.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "taocore._core"],
        cwd=ROOT / "tests",  # not the repo root, so `python/` cannot shadow the installed package
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is a test extra and must be installed")
    proc = run(ruff, "check", "python", "tests", "bench")
    assert proc.returncode == 0, proc.stdout + proc.stderr
