"""Import of the native extension with a helpful message when it is missing."""

from __future__ import annotations

try:
    from taocore import _core
except ImportError as exc:  # pragma: no cover - only without a build
    raise ImportError(
        "taocore's native extension (taocore._core) could not be imported. Install the package "
        "with `pip install .` from the repository root (an editable or source-tree import has no "
        f"compiled core). Original error: {exc}"
    ) from exc

__all__ = ["_core"]
