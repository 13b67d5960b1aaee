"""Provisioning steps side by side: one child process per step, lanes run concurrently.

A CPython build keeps both cores busy for minutes while an image build mostly
waits on downloads and the disk: run them at the same time. Each step is a
child process (``python -m harness.provision TARGET``) in its own session, its
whole output in its own log; steps of one lane run one after another (the
CPython builds share the cores, the images share the container engine), the
lanes side by side. The terminal gets one line when a step starts, one when it
ends (with its last line and its log), and every ``STATUS_SECONDS`` one line
naming what still runs and what each is doing (its log's last line).

A failing step does not stop the others: every step's outcome is returned. An
interruption (Ctrl-C, SIGTERM, SIGHUP raised as ``Interrupted`` by
``procgroup``) is passed on to every running step's process group as SIGTERM,
so each child removes what it started (its build containers), then after
``GRACE_SECONDS`` the groups are killed; the interruption then propagates.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from harness import procgroup
from harness.progress import ProgressFn

# A step's exit status when what it provides cannot be had here (``Unavailable``).
SKIPPED_EXIT = 3
# How often a line names the steps still running.
STATUS_SECONDS = 30.0
# How long an interrupted step may take to clean up before its group is killed.
GRACE_SECONDS = 20.0
POLL_SECONDS = 0.2

_STAMP = re.compile(r"^\[\s*[\d.]+s\]\s*")


@dataclass(frozen=True)
class Step:
    """One step: its name, its lane (steps of a lane run in order), its command and log."""

    name: str
    lane: str
    argv: tuple[str, ...]
    log: Path


@dataclass(frozen=True)
class Outcome:
    """How a step ended: ``ready``, ``skipped`` or ``failed``, its last line, its seconds."""

    name: str
    status: str
    message: str
    seconds: float
    log: Path


def last_line(log: Path) -> str:
    """The step's last non-empty line, without the progress printer's stamp."""
    try:
        lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
    except OSError:
        return ""
    return _STAMP.sub("", lines[-1]).strip() if lines else ""


def _doing(log: Path, width: int = 60) -> str:
    """What a running step is doing: its log's last line, cut to ``width``."""
    line = last_line(log) or "starting"
    return line if len(line) <= width else line[: width - 3] + "..."


def _status(code: int) -> str:
    return "ready" if code == 0 else "skipped" if code == SKIPPED_EXIT else "failed"


@dataclass
class _Running:
    step: Step
    proc: subprocess.Popen[Any]
    out: IO[str]
    started: float


class Scheduler:
    """Runs steps by lane; :meth:`run` returns every step's outcome, in the steps' order."""

    def __init__(self, steps: Sequence[Step], progress: ProgressFn,
                 env: dict[str, str] | None = None) -> None:
        self.steps = list(steps)
        self.progress = progress
        self.env = env
        self.waiting = list(self.steps)
        self.running: list[_Running] = []
        self.outcomes: dict[str, Outcome] = {}

    def run(self) -> list[Outcome]:
        """Start what can start, reap what ended, until every step has an outcome."""
        next_status = time.monotonic() + STATUS_SECONDS
        try:
            while self.waiting or self.running:
                self._start_free_lanes()
                self._reap()
                if self.running and time.monotonic() >= next_status:
                    now = time.monotonic()
                    self.progress("still running: " + "; ".join(
                        f"{r.step.name} ({now - r.started:.0f} s: {_doing(r.step.log)})"
                        for r in self.running))
                    next_status = now + STATUS_SECONDS
                if self.running:
                    time.sleep(POLL_SECONDS)
        except BaseException:
            self._stop_all()
            raise
        return [self.outcomes[s.name] for s in self.steps]

    def _start_free_lanes(self) -> None:
        busy = {r.step.lane for r in self.running}
        for step in list(self.waiting):
            if step.lane in busy:
                continue
            busy.add(step.lane)
            self.waiting.remove(step)
            self._start(step)

    def _start(self, step: Step) -> None:
        step.log.parent.mkdir(parents=True, exist_ok=True)
        out = step.log.open("w")
        try:
            proc = procgroup.start(step.argv, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env=self.env)
        except OSError as exc:
            out.close()
            self._end(step, "failed", f"cannot start: {exc.strerror}", 0.0)
            return
        self.running.append(_Running(step, proc, out, time.monotonic()))
        self.progress(f"{step.name}: started (log: {step.log})")

    def _reap(self) -> None:
        for item in list(self.running):
            code = item.proc.poll()
            if code is None:
                continue
            self.running.remove(item)
            item.out.close()
            # A step's daemon grandchild must not outlive it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(item.proc.pid, signal.SIGKILL)
            status = _status(code)
            message = last_line(item.step.log)
            # The step's own last line repeats its name and outcome: say them once.
            for word in ("FAILED", "skipped"):
                message = message.removeprefix(f"{item.step.name}: {word}: ")
            self._end(item.step, status, message, time.monotonic() - item.started)

    def _end(self, step: Step, status: str, message: str, seconds: float) -> None:
        self.outcomes[step.name] = Outcome(step.name, status, message, seconds, step.log)
        word = {"ready": "ready", "skipped": "skipped", "failed": "FAILED"}[status]
        detail = f": {message}" if status != "ready" and message else ""
        where = f" (log: {step.log})" if status == "failed" else ""
        self.progress(f"{step.name}: {word} ({seconds:.0f} s){detail}{where}")

    def _stop_all(self) -> None:
        """SIGTERM every running step's group, wait for them, then kill what is left."""
        with procgroup.held(reraise=False):
            for item in self.running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(item.proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + GRACE_SECONDS
            for item in self.running:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    item.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                procgroup.kill_group(item.proc)
                item.proc.wait()
                item.out.close()
            self.running.clear()
            self.waiting.clear()


def run_steps(steps: Sequence[Step], progress: ProgressFn,
              env: dict[str, str] | None = None) -> list[Outcome]:
    """Run ``steps`` (lanes side by side, a lane's steps in order); every step's outcome."""
    return Scheduler(steps, progress, env).run()
