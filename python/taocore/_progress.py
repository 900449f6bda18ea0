"""A one-line progress bar for long work (the demo's blocks, the simulator's epochs, a
network's blocks), and the one reading of a ``progress`` argument."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

ProgressCallback = Callable[[int, int], object]
"""Called as ``progress(done, total)`` with the units of work finished so far."""


class ProgressBar:
    """Redraws one line in place on a terminal; elsewhere (a log file, CI) prints a plain line
    at most every five seconds and at the end, so that logs stay short."""

    def __init__(self, total: int, stream: TextIO, unit: str) -> None:
        self.total, self.stream, self.unit = total, stream, unit
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.last_line = 0.0
        self.drawn = False

    def update(self, done: int, note: str = "") -> None:
        """Shows ``done`` of ``total`` units, with an optional note after the count."""
        now = time.monotonic()
        if not self.tty and done < self.total and now - self.last_line < 5:
            return
        self.last_line = now
        width = 30
        filled = width * min(done, self.total) // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        text = f"[{bar}] {self.unit} {done}/{self.total}"
        if note:
            text += f"  {note}"
        text += f"  {now - self.start:5.1f}s"
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Ends the bar's line on a terminal."""
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def progress_reporter(
    progress: bool | ProgressCallback | None, total: int, unit: str
) -> tuple[ProgressBar | None, ProgressCallback | None]:
    """What a ``progress`` argument asks for: ``True`` a bar on stderr (returned, to be closed,
    with a callback that updates it), a callable itself, ``False``/None nothing. Anything else
    is a ValueError."""
    if progress is True:
        if sys.stderr is None:  # None under pythonw and some embedders: nowhere to draw
            return None, None
        bar = ProgressBar(total, sys.stderr, unit)
        return bar, lambda done, _total: bar.update(done)
    if callable(progress):
        return None, progress
    if progress is False or progress is None:
        return None, None
    raise ValueError(f"progress must be a bool or a callable(done, total), got {progress!r}")
