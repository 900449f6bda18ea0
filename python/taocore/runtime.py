"""What taocore was built with and which SIMD backend it runs on."""

from __future__ import annotations

import platform
import sys
from typing import TypedDict

from taocore._native import _core


class RuntimeInfo(TypedDict):
    """The runtime report returned by :func:`runtime_info`."""

    version: str
    compiler: str
    build_type: str
    cpu_features: list[str]
    available_backends: list[str]
    active_backend: str
    verify_field: str
    python: str
    platform: str


def runtime_info() -> RuntimeInfo:
    """Return the build and CPU facts taocore runs with.

    ``active_backend`` is the SIMD backend every dispatched kernel uses: the best one the CPU
    supports, or the one named by the environment variable ``TAOCORE_FORCE_BACKEND``
    (``scalar``, ``avx2`` or ``avx512``). An unknown or unsupported forced value raises
    ``RuntimeError``; taocore never falls back silently. ``verify_field`` is the field arithmetic
    signature verification runs on: ``radix-2^64`` (MULX/ADX kernels, the default on non-scalar
    backends of CPUs with BMI2 and ADX) or ``radix-2^51`` (portable; forced with
    ``TAOCORE_VERIFY_FIELD=radix-2^51``).
    """
    rt = _core.runtime
    return RuntimeInfo(
        version=rt.__version__,
        compiler=rt.compiler,
        build_type=rt.build_type,
        cpu_features=rt.cpu_features(),
        available_backends=rt.available_backends(),
        active_backend=rt.active_backend(),
        verify_field=rt.verify_field(),
        python=sys.version.split()[0],
        platform=f"{platform.system()} {platform.machine()}",
    )


def format_runtime(info: RuntimeInfo) -> str:
    """Render a runtime report as aligned ``key: value`` lines."""
    rows: list[tuple[str, str]] = []
    for key, value in info.items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        rows.append((key, text or "(none)"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.rjust(width)}: {v}" for k, v in rows)


def show_runtime() -> None:
    """Print :func:`runtime_info` in a readable table (like ``numpy.show_runtime``)."""
    print(format_runtime(runtime_info()))
