"""The README's Quick start has exactly two commands, and .ci/run runs the second verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [line for block in blocks for line in block.strip().splitlines()]


def test_quick_start_has_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert "pip install" in commands[0] and "taocore" in commands[0]
    assert 'pip install ".[test]"' in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()
    assert '"$status" -eq 5' in ci  # pytest's "no tests collected" must fail CI
