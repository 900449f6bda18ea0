"""A one-line progress bar for long work (the demo's blocks, the simulator's epochs)."""

from __future__ import annotations

import time
from typing import TextIO


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
