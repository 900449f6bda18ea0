"""Shared fixtures: the SIMD backends of this machine and the vector files."""

from __future__ import annotations

import json
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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every SIMD backend this build and CPU can run; tests compare each with scalar."""
    return str(request.param)
