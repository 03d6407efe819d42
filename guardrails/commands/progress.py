"""The progress line of a long scan: one line on stderr, rewritten in place, cleared at the end.

Only for a person at a terminal: stderr must be a terminal that understands escapes (not
`TERM=dumb`), not a CI job (`CI` set), not `--quiet` / `--no-progress`. A short scan never
shows it (`DELAY`), and it is redrawn at most `1 / INTERVAL` times a second, so it costs
nothing measurable and never reaches a log file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import IO

from guardrails.model import Status
from guardrails.scan import FileResult

__all__ = ["DELAY", "INTERVAL", "Progress", "wanted"]

DELAY = 0.5  # seconds before the line first appears: a quick scan prints nothing extra
INTERVAL = 0.1  # seconds between redraws at most
_CLEAR = "\r\x1b[K"  # back to column 0, erase to the end of the line


def wanted(stream: IO[str], *, quiet: bool, disabled: bool, env: Mapping[str, str] | None = None) -> bool:
    """Whether a scan writing to `stream` (stderr) should draw the progress line."""
    env = os.environ if env is None else env
    if quiet or disabled:
        return False
    if env.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False  # CI runners often give a pseudo-terminal; their logs keep every redraw
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Counts files, resources and findings as `scan()` reports each file; draws the line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._start = time.monotonic()
        self._drawn_at: float | None = None
        self.files = self.resources = self.findings = 0

    def __call__(self, result: FileResult) -> None:
        self.files += 1
        self.resources += result.resources
        self.findings += sum(1 for f in result.findings if f.status not in (Status.SKIP, Status.PASS))
        now = time.monotonic()
        if now - self._start < DELAY:
            return
        if self._drawn_at is not None and now - self._drawn_at < INTERVAL:
            return
        self._drawn_at = now
        self._write(f"{_CLEAR}scanning: {_n(self.files, 'file')}, {_n(self.resources, 'resource')}, {_n(self.findings, 'finding')}")

    def clear(self) -> None:
        """Erase the line (if it was ever drawn) before the report is written."""
        if self._drawn_at is not None:
            self._drawn_at = None
            self._write(_CLEAR)

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            pass  # a closed terminal must not fail the scan


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
