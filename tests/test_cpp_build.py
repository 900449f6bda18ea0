"""The C++ core builds on its own (no Python) with every warning enabled and treated as an error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_core_library_builds_warning_free(tmp_path: Path) -> None:
    cmake = shutil.which("cmake")
    assert cmake is not None, "cmake is needed to build taocore at all"
    configure = subprocess.run(
        [cmake, "-S", str(ROOT), "-B", str(tmp_path), "-DTAOCORE_WERROR=ON",
         "-DCMAKE_BUILD_TYPE=Release"],
        capture_output=True, text=True, timeout=300,
    )
    assert configure.returncode == 0, configure.stdout + configure.stderr
    build = subprocess.run(
        [cmake, "--build", str(tmp_path), "--parallel", str(os.cpu_count() or 2)],
        capture_output=True, text=True, timeout=1200,
    )
    assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-6000:]
    assert (tmp_path / "cpp" / "libtaocore_core.a").exists()
    # Without scikit-build-core no Python extension is configured: the core needs no Python.
    assert not list(tmp_path.rglob("_core*.so"))
