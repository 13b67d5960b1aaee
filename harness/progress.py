"""The one progress printer: lines on stderr that say what is happening and since when.

Provisioning prints ``[  12.3s] step`` lines and times its steps; the runner
keeps one line per workload (``[3/8 3.13t] countdown ... ok  1.9 s``), updated
in place on a terminal. Library code takes any ``Callable[[str], None]``
(``ProgressFn``) and gets :func:`quiet` when the caller wants nothing shown.

A closed reader (``run ... 2>&1 | head -3``) is not a failure of the
measurement: the first write that meets a broken pipe points the stream's file
descriptor at ``/dev/null`` (:func:`silence`) and progress goes quiet, so the run
goes on and records everything it completes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

ProgressFn = Callable[[str], None]


def quiet(step: str) -> None:
    """A progress function that says nothing (library callers that pass none)."""


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at ``/dev/null``: its reader has gone.

    Later writes (and the interpreter's flush at exit) then succeed and vanish,
    instead of raising ``BrokenPipeError`` from wherever they happen.
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)


def _closed_pipe(exc: OSError) -> bool:
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE


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
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        """Write and flush; a reader that has gone silences the stream (see the module doc)."""
        stream = self.stream
        try:
            stream.write(text)
            stream.flush()
        except OSError as exc:
            if not _closed_pipe(exc):
                raise
            silence(stream)

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
        self._write(f"{prefix} ...")

    def step(self, what: str) -> None:
        """A process of the current workload starts (shown only on a terminal)."""
        if self.stream.isatty():
            self._write(f"\r\033[K{self.prefix} {what} ...")

    def done(self, status: str, seconds: float, detail: str = "") -> None:
        """Finish the current line."""
        head = f"\r\033[K{self.prefix} ..." if self.stream.isatty() else ""
        extra = f"  ({detail})" if detail else ""
        self._write(f"{head} {status}  {seconds:.1f} s{extra}\n")
