"""Shared fixtures: the SIMD backends of this machine and the vector files."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from taocore._native import _core

VECTORS = Path(__file__).parent / "vectors"
BACKENDS: list[str] = _core.runtime.available_backends()


@cache
def load_vectors(name: str) -> Any:
    """Load tests/vectors/<name> (JSON) once per session."""
    with (VECTORS / name).open(encoding="utf-8") as f:
        return json.load(f)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


#: Popen keyword arguments for a child that must see Ctrl-C: a suite started in the background
#: (``cmd &``, nohup) inherits SIGINT ignored, and so would every child, so the tests of Ctrl-C
#: handling would find nothing to handle. With SIG_DFL at exec, Python installs its own handler.
SIGINT_ENABLED: dict[str, Any] = {"preexec_fn": _default_sigint}


@pytest.fixture
def sigint_enabled() -> Iterator[None]:
    """Python's KeyboardInterrupt handler for SIGINT during the test, even if the suite was
    started with SIGINT ignored (see ``SIGINT_ENABLED``)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every SIMD backend this build and CPU can run; tests compare each with scalar."""
    return str(request.param)
