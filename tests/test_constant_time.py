"""Constant time, proved with valgrind memcheck ("ctgrind"): the harness marks every secret as
undefined, so any branch or memory index that depends on a secret is a memcheck error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ct_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cmake = shutil.which("cmake")
    assert cmake is not None, "cmake is needed to build taocore at all"
    build = tmp_path_factory.mktemp("ct-build")
    for cmd in (
        [cmake, "-S", str(ROOT), "-B", str(build), "-DTAOCORE_CT_VALGRIND=ON",
         "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
        [cmake, "--build", str(build), "--target", "ct_check", "--parallel",
         str(os.cpu_count() or 2)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    exe = build / "ct_check"
    assert exe.exists()
    return exe


def run_valgrind(exe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    valgrind = shutil.which("valgrind")
    assert valgrind is not None, "valgrind is part of this machine kind; it must be installed"
    return subprocess.run(
        [valgrind, "--error-exitcode=99", "--track-origins=yes", str(exe), *args],
        capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_signing_key_generation_and_derivation_are_constant_time(ct_check: Path) -> None:
    proc = run_valgrind(ct_check)
    assert "verified: yes" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert "ERROR SUMMARY: 0 errors" in proc.stderr


@pytest.mark.slow
def test_the_harness_catches_a_secret_dependent_branch(ct_check: Path) -> None:
    proc = run_valgrind(ct_check, "leak")
    assert proc.returncode == 99, proc.stderr[-3000:]
    assert "Conditional jump or move depends on uninitialised value" in proc.stderr
