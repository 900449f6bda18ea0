"""Runtime dispatch: TAOCORE_FORCE_BACKEND really selects a backend, and bad values fail loudly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import taocore
from conftest import SIGINT_ENABLED
from taocore._native import _core

ALL = ("scalar", "avx2", "avx512")
AVAILABLE = _core.runtime.available_backends()


def run_info(force: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("TAOCORE_FORCE_BACKEND", None)
    if force is not None:
        env["TAOCORE_FORCE_BACKEND"] = force
    code = (
        "import json, hashlib, taocore\n"
        "info = taocore.runtime_info()\n"
        "assert taocore.crypto.sha512(b'abc') == hashlib.sha512(b'abc').digest()\n"
        "print(json.dumps(info))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_runtime_info_fields() -> None:
    info = taocore.runtime_info()
    assert set(info) >= {
        "version",
        "compiler",
        "build_type",
        "cpu_features",
        "available_backends",
        "active_backend",
        "verify_field",
    }
    assert info["verify_field"] in ("radix-2^64", "radix-2^51")
    assert info["version"] == taocore.__version__
    assert info["available_backends"][0] == "scalar"
    assert info["active_backend"] in info["available_backends"]
    if "avx2" in info["available_backends"]:
        assert {"avx2", "bmi2"} <= set(info["cpu_features"])


def test_default_is_the_best_available() -> None:
    proc = run_info(None)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["active_backend"] == AVAILABLE[-1]


@pytest.mark.parametrize("name", ALL)
def test_force_backend(name: str) -> None:
    proc = run_info(name)
    if name in AVAILABLE:
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["active_backend"] == name
    else:
        # Forcing a backend this CPU cannot run is an error, never a silent fallback.
        assert proc.returncode != 0
        assert f"TAOCORE_FORCE_BACKEND='{name}' is not supported" in proc.stderr


@pytest.mark.parametrize("value", ["bogus", "AVX2", "neon"])
def test_force_unknown_backend_fails_clearly(value: str) -> None:
    proc = run_info(value)
    assert proc.returncode != 0
    assert f"TAOCORE_FORCE_BACKEND='{value}' is not a backend" in proc.stderr
    assert "RuntimeError" in proc.stderr


def test_show_runtime_prints_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    taocore.show_runtime()
    out = capsys.readouterr().out
    for key in ("version", "compiler", "cpu_features", "available_backends", "active_backend"):
        assert f"{key}:" in out


_NUMPY_LOOKUP_SCRIPT = r"""
import os, signal
import numpy.lib
real = numpy.lib.NumpyVersion
calls = []
def spy(version):  # pybind11's lookup of numpy's C API calls this
    calls.append(version)
    if os.environ.get("TAOCORE_TEST_SIGINT"):
        os.kill(os.getpid(), signal.SIGINT)
    return real(version)
numpy.lib.NumpyVersion = spy
try:
    import taocore._core
    print("imported", len(calls))
except KeyboardInterrupt:
    print("interrupted", len(calls))
"""


@pytest.mark.parametrize("sigint", [False, True])
def test_numpy_lookup_happens_at_import_and_a_ctrl_c_in_it_is_raised(sigint: bool) -> None:
    # pybind11 looks numpy's C API up inside std::call_once, running Python code; a
    # KeyboardInterrupt raised there aborted the process (SIGABRT) instead of propagating. The
    # lookup is done at import, where a Ctrl-C landing in it is held back and raised after.
    env = dict(os.environ)
    env.pop("TAOCORE_TEST_SIGINT", None)
    if sigint:
        env["TAOCORE_TEST_SIGINT"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", _NUMPY_LOOKUP_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        **SIGINT_ENABLED,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.split() == ["interrupted" if sigint else "imported", "1"]
