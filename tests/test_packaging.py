"""Packaging: the wheel script builds a manylinux wheel that passes the smoke check in a new venv,
and the cibuildwheel matrix is the documented release matrix."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_cibuildwheel_matrix() -> None:
    exe = shutil.which("cibuildwheel", path=str(Path(sys.executable).parent))
    assert exe is not None, "cibuildwheel is a test extra and must be installed"
    expected = {
        "linux": {f"cp3{m}-manylinux_{a}" for m in (10, 11, 12, 13) for a in ("x86_64", "aarch64")},
        "macos": {f"cp3{m}-macosx_{a}" for m in (10, 11, 12, 13) for a in ("x86_64", "arm64")},
    }
    for plat, want in expected.items():
        proc = subprocess.run(
            [exe, "--print-build-identifiers", "--platform", plat],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert set(proc.stdout.split()) == want


@pytest.mark.slow
@pytest.mark.skipif(
    platform.system() != "Linux", reason="auditwheel and manylinux tags exist only on Linux"
)
def test_wheel_script_builds_and_smoke_tests(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-wheel.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    wheels = list(tmp_path.glob("taocore-*-manylinux_*.whl"))
    assert len(wheels) == 1, proc.stdout[-2000:]
    assert "taocore selftest: ok" in proc.stdout
