"""What a run shows while it goes: its progress lines, an observer of the run's events.

The runner (``runner.InterpreterRun``) and the schedule (``schedule.Schedule``)
say what happens: a job's calibration starts and ends, a worker process starts,
a round starts and ends, the run is cut short, a line of its own. An observer
turns that into output; the run keeps no progress bookkeeping. ``Observer``
shows nothing; ``ProgressLines`` writes the run's lines through a
``progress.Progress``: one open line at a time (``[1/2 3.13] countdown (1/9)
calibrate ... ok  1.9 s``), updated in place on a terminal, and closed by an
interruption with the seconds it was open.
"""

from __future__ import annotations

import time

from harness.progress import Progress


class Observer:
    """The run's events; this one shows nothing (a run without progress lines)."""

    def note(self, text: str) -> None:
        """A line of its own (a warning, an interpreter's summary)."""

    def calibrating(self, head: str, work_key: str, index: int, total: int) -> None:
        """Job ``index`` of ``total`` of one interpreter (``head``) starts its calibration."""

    def calibrated(self, status: str, seconds: float, detail: str) -> None:
        """The job being calibrated is ready to measure ("ok") or ended (its status, why)."""

    def step(self, ident: str, workload: str, what: str, references: str) -> None:
        """A worker process of ``workload`` under ``ident`` starts (``what``: which)."""

    def round_started(self, index: int, processes: int) -> None:
        """Round ``index`` starts: ``processes`` measuring processes."""

    def round_ended(self, seconds: float, references: str) -> None:
        """The round in progress ended; ``references``: what the machine's references say."""

    def cut(self, status: str, detail: str) -> None:
        """The run stops (an interruption, a full disk) while a line may be open."""


class ProgressLines(Observer):
    """The run's progress lines on a ``Progress`` (None: nothing shown)."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress
        self.opened: float | None = None  # when the open line started

    def note(self, text: str) -> None:
        """A line of its own."""
        if self.progress:
            self.progress.line(text)

    def _open(self, head: str) -> None:
        self.opened = time.monotonic()
        if self.progress:
            self.progress.start(head)

    def _close(self, status: str, seconds: float, detail: str = "") -> None:
        self.opened = None
        if self.progress:
            self.progress.done(status, seconds, detail)

    def calibrating(self, head: str, work_key: str, index: int, total: int) -> None:
        """``[1/2 3.13] countdown (1/9) calibrate ...``."""
        self._open(f"{head} {work_key} ({index}/{total}) calibrate")

    def calibrated(self, status: str, seconds: float, detail: str) -> None:
        """`` ok  1.9 s  (work x4)``."""
        self._close(status, seconds, detail)

    def step(self, ident: str, workload: str, what: str, references: str) -> None:
        """On a terminal: ``3.13 countdown: run 2, noise 4% (12 samples)``."""
        if self.progress:
            self.progress.step(f"{ident} {workload}: {what}, {references}")

    def round_started(self, index: int, processes: int) -> None:
        """``round 3: 18 processes ...``."""
        self._open(f"round {index}: {processes} processes")

    def round_ended(self, seconds: float, references: str) -> None:
        """`` ok  41.0 s  (noise 4% ..., capacity 1.9-2.0 of 2 (0 low))``."""
        self._close("ok", seconds, references)

    def cut(self, status: str, detail: str) -> None:
        """The open line, if any, closed with ``status`` and the seconds it was open."""
        if self.opened is not None:
            self._close(status, time.monotonic() - self.opened, detail)
