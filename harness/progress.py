"""The one progress printer: lines on stderr that say what is happening and since when.

Provisioning prints ``[  12.3s] step`` lines and times its steps; the runner
keeps one line per workload (``[3/8 3.13t] countdown ... ok  1.9 s``), updated
in place on a terminal. Library code takes any ``Callable[[str], None]``
(``ProgressFn``) and gets :func:`quiet` when the caller wants nothing shown.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

ProgressFn = Callable[[str], None]


def quiet(step: str) -> None:
    """A progress function that says nothing (library callers that pass none)."""


class Progress:
    """Progress lines on ``stream`` (default: stderr at the time of writing)."""

    def __init__(self, stream: TextIO | None = None, *, stamp: bool = True) -> None:
        self.started = time.monotonic()
        self._stream = stream
        self.stamp = stamp
        self.prefix = ""

    @property
    def stream(self) -> TextIO:
        """Where lines go (stderr is looked up late: tests capture it)."""
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, text: str) -> None:
        """One line, stamped with the seconds since this printer started."""
        if self.stamp:
            text = f"[{self.total():7.1f}s] {text}"
        self.line(text)

    def line(self, text: str) -> None:
        """One line of its own, as is."""
        self.stream.write(text + "\n")
        self.stream.flush()

    def total(self) -> float:
        """Seconds since this printer started."""
        return time.monotonic() - self.started

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """``name ...`` when the step starts, ``name: done (1.2 s)`` when it ends well."""
        start = time.monotonic()
        self(f"{name} ...")
        yield
        self(f"{name}: done ({time.monotonic() - start:.1f} s)")

    # The runner's line per workload: start, update (a terminal only), done.

    def start(self, prefix: str) -> None:
        """Show what starts now (completed by ``done``)."""
        self.prefix = prefix
        self.stream.write(f"{prefix} ...")
        self.stream.flush()

    def step(self, what: str) -> None:
        """A process of the current workload starts (shown only on a terminal)."""
        if self.stream.isatty():
            self.stream.write(f"\r\033[K{self.prefix} {what} ...")
            self.stream.flush()

    def done(self, status: str, seconds: float, detail: str = "") -> None:
        """Finish the current line."""
        if self.stream.isatty():
            self.stream.write(f"\r\033[K{self.prefix} ...")
        extra = f"  ({detail})" if detail else ""
        self.stream.write(f" {status}  {seconds:.1f} s{extra}\n")
        self.stream.flush()
