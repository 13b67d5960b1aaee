"""The parallel-capacity reference: how many cores the machine gives a run right now.

The noise monitor's reference loop (``harness.environment``) runs in one
thread: a machine whose second core is taken (another job, a busy loop pinned
to it) times it as fast as a quiet one, while a 2-thread point measured then
shows no speedup (seen: 3.13-twin's ``c_release`` at 1.00x with 2 threads while
every other CPython gave 1.9x). So between worker processes the same loop is
also timed in ``workers`` processes at once (the run's largest worker count,
capped at the usable cores): on a machine that can run them side by side each
takes the single-thread time, on one that cannot they share the cores and each
takes longer. The capacity is ``n * t1 / tn``, the effective cores: ``t1`` one
process alone just before, ``tn`` the time until the last of the ``n`` at once
is done (a T-thread point waits for its slowest thread): about ``workers``
when quiet, 1-1.33 for 2 processes with one of 2 cores taken (one of them
shares its core with the other job: twice as long).

The processes are started once per run and wait on their stdin for a go (a
reading then costs two loops, about 55 ms on a 2-vCPU EPYC, and no process
start; a low one is taken again, up to 3 times, and is low when most are); they die
with the harness (``procgroup``), and at the end of their stdin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from harness import procgroup

# Twice the noise monitor's loop (``environment``): about 27 ms on a 2-vCPU EPYC. A
# shorter loop fits in the few milliseconds that the end of the process just measured
# (a container's removal, a JVM's exit) keeps a core, and in the head start that
# Linux gives a task that slept over a busy loop sharing its core: with 500,000
# (7 ms) 7 of 40 quiet readings and 3 of 40 with a core taken were wrong.
COUNT = 2_000_000
# Below this share of the cores it needs, a stretch is "low": the processes measured
# in it are re-run or flagged (run metadata ``harness_capacity_low``).
LOW_FRACTION = 0.75
# A low reading is taken again, up to this many readings in all, and is low only when
# most of them are: a core taken for a few milliseconds is not a stretch without it.
VOTES = 3

# Each child: warm the loop, then one timed loop per line read on stdin, its time printed.
_CHILD = """\
import sys, time
try:
    clock = time.perf_counter
except AttributeError:
    clock = time.time
def countdown(n):
    while n > 0:
        n -= 1
count = int(sys.argv[1])
countdown(count // 10)
sys.stdout.write("ready\\n")
sys.stdout.flush()
while sys.stdin.readline():
    start = clock()
    countdown(count)
    sys.stdout.write("%r\\n" % (clock() - start))
    sys.stdout.flush()
"""


def low(capacity: float, workers: int) -> bool:
    """True when ``capacity`` effective cores are too few for ``workers`` at once."""
    return workers > 1 and capacity < LOW_FRACTION * workers


def capacity_of(solo: float, times: list[float]) -> float:
    """Effective cores: ``n * solo / max(times)`` (at most ``n``), ``solo`` one process alone."""
    slowest = max(times, default=0.0)
    if solo <= 0 or slowest <= 0:
        return float(len(times))
    return min(float(len(times)), len(times) * solo / slowest)


class ParallelReference:
    """``workers`` reference processes timed at once; ``sample()`` is one reading.

    ``python`` (default: the harness's own interpreter) runs the children. A
    reading times one child alone, then all of them at once (the solo time of
    the fastest solo loop of the run so far: on a 2-vCPU VM a busy loop on one
    core slowed the solo loop on the other from 27 to 45-64 ms, so a solo time of
    the same moment hid the lost core; a machine slower for everyone then reads
    as low capacity too, which it is for a point that needs every core). A
    ``workers`` of 1 or less measures nothing (a 1-thread run needs no second core).
    """

    def __init__(self, workers: int, python: str = sys.executable, count: int = COUNT) -> None:
        self.workers = workers
        self.count = count
        self.python = python
        self.children: list[subprocess.Popen[str]] = []
        self._turn = 0  # the child timed alone last
        self.fastest_solo = float("inf")  # seconds: the run's quiet one-process time
        self.readings: list[dict[str, Any]] = []

    @property
    def active(self) -> bool:
        """False when there is nothing to measure (one worker)."""
        return self.workers > 1

    def _start(self) -> None:
        for _ in range(self.workers):
            child = procgroup.start(
                [self.python, "-c", _CHILD, str(self.count)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True, bufsize=1, env={"PATH": os.environ.get("PATH", "")},
            )
            self.children.append(child)
        self._pin()
        for child in self.children:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise OSError(f"the capacity reference {self.python} did not start")

    def _pin(self) -> None:
        """Each child on a core of its own (the first usable ones): left to the scheduler,
        two children woken at once sometimes share a core for a whole loop (a 27 ms loop
        on a quiet 2-vCPU machine: 4 low readings of 50 unpinned, 1 pinned). A core taken
        by another job still slows the child pinned to it."""
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cores) < len(self.children):
            return
        for child, core in zip(self.children, cores, strict=False):
            try:
                os.sched_setaffinity(child.pid, {core})
            except OSError:
                return

    def _loop(self, children: list[subprocess.Popen[str]]) -> list[float]:
        for child in children:  # the go, to all of them within microseconds
            assert child.stdin is not None
            child.stdin.write("g\n")
            child.stdin.flush()
        out = []
        for child in children:
            assert child.stdout is not None
            out.append(float(child.stdout.readline()))
        return out

    def times(self) -> tuple[float, list[float]]:
        """One child alone, then every child at once: (solo, parallel times) in seconds.

        The child timed alone takes turns (each is pinned to its own core, and a core
        taken by another job slows the solo loop on it too); the first time, each is
        timed alone and the fastest counts.
        """
        if not self.children:
            self._start()
            solos = [self._loop([child])[0] for child in self.children]
        else:
            self._turn = (self._turn + 1) % len(self.children)
            solos = self._loop(self.children[self._turn:self._turn + 1])
        return min(solos), self._loop(self.children)

    def sample(self, round_index: int | None = None) -> dict[str, Any] | None:
        """One reading (kept, and returned): capacity, the times, whether it is low.

        None when inactive, or when the children cannot run (the run goes on
        without the reference; the reading's absence says so).
        """
        if not self.active:
            return None
        started = time.time()
        votes: list[tuple[float, float, list[float]]] = []  # (capacity, solo, times)
        try:
            while len(votes) < VOTES:
                solo, times = self.times()
                # A solo loop slowed by another job would make every core look free:
                # the one-process time is the fastest solo loop of the run so far.
                self.fastest_solo = min(self.fastest_solo, solo)
                votes.append((capacity_of(self.fastest_solo, times), solo, times))
                lows = sum(1 for v in votes if low(v[0], self.workers))
                if lows == 0 or max(lows, len(votes) - lows) > VOTES // 2:
                    break  # not low at once, or a majority either way
        except (OSError, ValueError):
            self.close()
            self.workers = 0
            return None
        capacity, solo, times = sorted(votes, key=lambda v: v[0])[len(votes) // 2]  # the median
        reading = {
            "t": round(started, 3),
            "round": round_index,
            "capacity": round(capacity, 3),
            "workers": self.workers,
            "solo_ms": round(solo * 1e3, 3),
            "times_ms": [round(t * 1e3, 3) for t in times],
            "low": low(capacity, self.workers),
        }
        if len(votes) > 1:
            reading["votes"] = [round(v[0], 3) for v in votes]
        self.readings.append(reading)
        return reading

    def close(self) -> None:
        """End the children (their stdin closed; killed if they do not go)."""
        for child in self.children:
            if child.stdin is not None:
                child.stdin.close()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                procgroup.kill_group(child)
                child.wait()
            if child.stdout is not None:
                child.stdout.close()
        self.children = []

    def __enter__(self) -> ParallelReference:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
