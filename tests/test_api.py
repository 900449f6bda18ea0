"""The public surface is exactly what the README documents."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import taocore

README = Path(__file__).resolve().parent.parent / "README.md"


def documented() -> dict[str, set[str]]:
    """Names listed in the README's "Python API" section, grouped by module."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    names: dict[str, set[str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `taocore"):
            continue
        first_column = line.split("|")[1]
        for dotted in re.findall(r"`(taocore(?:\.\w+)+)", first_column):
            module, _, name = dotted.rpartition(".")
            names.setdefault(module, set()).add(name)
    return names


def test_readme_documents_the_api() -> None:
    assert "taocore" in documented()


@pytest.mark.parametrize("module", sorted(documented()))
def test_all_is_the_documented_surface(module: str) -> None:
    mod = importlib.import_module(module)
    assert set(mod.__all__) == documented()[module]
    for name in mod.__all__:
        assert hasattr(mod, name), name


def test_every_public_callable_has_a_docstring() -> None:
    for module, names in documented().items():
        mod = importlib.import_module(module)
        for name in names:
            obj = getattr(mod, name)
            if callable(obj):
                assert obj.__doc__, f"{module}.{name} has no docstring"


def test_dir_lists_only_public_names() -> None:
    assert sorted(dir(taocore)) == sorted(taocore.__all__)


def test_readme_python_examples_run() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has Python examples"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
