"""Adaptive sampling: when a workload has enough worker processes, and how time is shared.

Processes are the independent samples (``harness.stats``).  After the
profile's minimum, a workload gets more processes while one of its points
misses its target and the run's time cap allows:

- a scaling point (T threads, T > 1 among the run's thread counts) against the
  1-thread point of the same workload: the 95% interval of the paired
  per-process ratios of times (``stats.speedup``, factor 1: for weak scaling the
  ideal is then 1) must have a half-width of at most ``Target.ratio_half_width``;
- a 1-thread point: the 95% interval of its per-process means must be within
  ``Target.mean_rel_half_width`` of the mean;
- ``--rigorous`` also asks pyperf's own bar: ``Benchmark.required_nprocesses()``
  no larger than the processes run;
- other points (the notebook's 100 threads, latency, start+join) have no target:
  they ride along in the same processes.

The run measures in rounds across interpreters (``harness.schedule``): every
job (an interpreter's workload) first gets the profile's minimum of processes,
whatever the time (the floor; the headline workload counts only the processes
that ran with the free cores it needed, and none while its 2-thread interval
lies across a line of its words, ``floor_count``); then each round gives
one more process to every job that misses a target, while the run's time
allows: the profile's budget per interpreter, times how much slower this
machine's reference loop is than the machine the budgets were chosen on
(``time_scale``), at most ``cap_factor`` times the budget (the cap). When a
round does not fit in what is left, the jobs furthest from their targets go
first and the others are marked "cap reached" (``plan_round``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyperf

from harness import stats
from harness.points import Point

# Fewer processes give no interval at all.
FLOOR_PROCESSES = 2
# The headline workload (role "headline") counts toward the floor only the processes that
# ran with the free cores its points needed, until it has had this many times the floor
# (in a profile that adds processes for precision; the fast one only checks that it runs):
# the report's first words rest on it, and on a machine whose second core comes and goes
# half its processes can be left out of its ratios (``floor_count``). Until then it also
# stays below the floor while its interval at HEADLINE_THREADS lies across a line of its
# words (``stats.thread_side``): a few more countdown processes are cheap, and "no clear
# verdict" in one run against "in parallel" in the next is what a reader sees first.
HEADLINE_FLOOR_FACTOR = 3
HEADLINE_THREADS = 2
# The reference loop (environment.REFERENCE_COUNT) on the machine the budgets were chosen
# on (Debian 12 under KVM, 2 vCPUs, the harness in CPython 3.11): its quiet baseline was
# 13.4-14.3 ms in the four published runs of 2026-11-26. A machine whose loop is slower
# needs that much more time for the same precision (time_scale).
REFERENCE_LOOP_S = 0.0143


def time_scale(baseline: float | None, cap_factor: float) -> float:
    """How much longer than the budget this machine may take: its reference loop's quiet
    time against the reference machine's (``REFERENCE_LOOP_S``), between 1 and ``cap_factor``.

    The precision asked for is the unit: a machine 2.5x slower needs 2.5x the time for
    the same intervals, and gets it up to the cap; the reference machine gets the budget.
    """
    if baseline is None or baseline <= 0:
        return cap_factor
    return round(min(max(baseline / REFERENCE_LOOP_S, 1.0), cap_factor), 3)


@dataclass(frozen=True)
class Target:
    """What "known well enough" means for the points of a workload."""

    ratio_half_width: float = 0.05
    mean_rel_half_width: float = 0.02
    pyperf_bar: bool = False

    def to_json(self) -> dict[str, Any]:
        """The facts file's ``sampling.target``."""
        return {
            "ratio_half_width": self.ratio_half_width,
            "mean_rel_half_width": self.mean_rel_half_width,
            "pyperf_bar": self.pyperf_bar,
        }


@dataclass(frozen=True)
class PointCheck:
    """One point against its target after ``processes`` processes."""

    name: str
    measure: str  # "ratio" | "mean" | "none"
    processes: int
    half_width: float | None  # ratio: absolute; mean: relative to the mean
    limit: float | None
    met: bool
    estimate: stats.Estimate | None = None  # a ratio's (the headline's words read it)

    @property
    def miss(self) -> float:
        """How far from the target: half_width / limit (inf without an interval, 0 when met)."""
        if self.met or self.limit is None:
            return 0.0
        if self.half_width is None:
            return float("inf")
        return self.half_width / self.limit

    def to_json(self) -> dict[str, Any]:
        """The facts file's ``sampling.points[name]``."""
        hw = None if self.half_width is None else round(self.half_width, 5)
        return {
            "processes": self.processes,
            "met": self.met,
            "half_width": hw,
            "measure": self.measure,
            "limit": self.limit,
        }


def _single_point(names: Sequence[str], axis: str) -> str | None:
    """The 1-count point of ``axis`` among ``names`` (the ratios' reference)."""
    for name in names:
        point = Point.parse(name)
        if point.axis == axis and point.count == 1:
            return name
    return None


def _bench(runs: Sequence[pyperf.Run]) -> pyperf.Benchmark | None:
    measured = [run for run in runs if run.values]
    return pyperf.Benchmark(measured) if measured else None


def check_point(
    name: str,
    runs: Mapping[str, Sequence[pyperf.Run]],
    thread_counts: Sequence[int],
    target: Target,
) -> PointCheck:
    """Where one point stands against its target (see the module docstring)."""
    bench = _bench(runs.get(name) or [])
    processes = len(bench.get_runs()) if bench else 0
    point = Point.parse(name)
    single = _single_point(list(runs), point.axis) if point.axis else None
    if bench is None or point.count not in thread_counts or single is None:
        return PointCheck(name, "none", processes, None, None, True)
    if point.count == 1:
        est = stats.bench_mean(bench)
        hw, limit, measure = est.rel_half_width(), target.mean_rel_half_width, "mean"
    else:
        one = _bench(runs.get(single) or [])
        if one is None:
            return PointCheck(name, "none", processes, None, None, True)
        est = stats.speedup(one, bench)
        hw, limit, measure = est.half_width(), target.ratio_half_width, "ratio"
    met = hw is not None and hw <= limit
    if met and target.pyperf_bar:
        required = bench.required_nprocesses()
        met = required is not None and required <= processes
    return PointCheck(name, measure, processes, hw, limit, met,
                      est if measure == "ratio" else None)


def check_workload(
    runs: Mapping[str, Sequence[pyperf.Run]],
    thread_counts: Sequence[int],
    target: Target,
) -> list[PointCheck]:
    """Every point of one workload against its target."""
    return [check_point(name, runs, thread_counts, target) for name in runs]


def worst(checks: Sequence[PointCheck]) -> PointCheck | None:
    """The point furthest from its target (None when every point met it)."""
    missing = [c for c in checks if not c.met]
    return max(missing, key=lambda c: c.miss) if missing else None


def describe(checks: Sequence[PointCheck]) -> str:
    """``7 processes, worst +-0.071 (countdown/threads=2)`` for the progress output."""
    count = max((c.processes for c in checks), default=0)
    processes = f"{count} process" + ("es" if count != 1 else "")
    bad = worst(checks)
    if bad is None:
        return f"{processes}, target met"
    point = Point.parse(bad.name).key or bad.name
    if bad.half_width is None:
        return f"{processes}, no interval yet"
    shown = f"{bad.half_width:.1%}" if bad.measure == "mean" else f"{bad.half_width:.3f}"
    return f"{processes}, worst +-{shown} ({point})"


@dataclass
class Budget:
    """A run's time cap for all its jobs (seconds; 0 means no limit)."""

    total: float
    workloads: int
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def limited(self) -> bool:
        """False for a budget of 0 (no limit)."""
        return self.total > 0

    def spent(self) -> float:
        """Seconds since the interpreter started."""
        return self.clock() - self.started

    def left(self) -> float:
        """Seconds left (inf without a limit)."""
        return self.total - self.spent() if self.limited else float("inf")

    def fair_share(self) -> float:
        """One workload's equal part of the whole budget (inf without a limit)."""
        return self.total / max(self.workloads, 1) if self.limited else float("inf")

    def fits(self, seconds: float) -> bool:
        """True when ``seconds`` more still fit in what is left."""
        return seconds <= self.left()


def floor_count(processes: int, usable: int, floor: int, headline: bool,
                unclear: bool = False) -> int:
    """How many of a job's ``processes`` count toward the ``floor``: all of them, except
    for the headline workload, where only the ``usable`` ones count (not short of free
    cores), and fewer than the floor while its words are ``unclear``, until it has had
    ``HEADLINE_FLOOR_FACTOR`` times the floor."""
    if not headline or processes >= HEADLINE_FLOOR_FACTOR * floor:
        return processes
    return min(usable, floor - 1) if unclear else usable


def words_unclear(checks: Sequence[PointCheck]) -> bool:
    """True when the ratio at ``HEADLINE_THREADS`` has an interval across a line of the
    headline's words (``stats.thread_side``: no verdict from it yet)."""
    return any(c.estimate is not None and c.estimate.enough
               and Point.parse(c.name).count == HEADLINE_THREADS
               and stats.thread_side(c.estimate, HEADLINE_THREADS) is None for c in checks)


def plan_round(
    candidates: Sequence[tuple[Any, list[PointCheck], float, int]],
    floor: int,
    max_processes: int,
    budget: Budget,
) -> tuple[list[Any], list[Any]]:
    """(jobs that get a process this round, jobs that miss a target but the cap left out).

    ``candidates`` are (job, checks, seconds per process, processes) of the
    jobs still alive. Below ``floor`` a job always gets one; above it, only
    one that misses a target and is under ``max_processes`` (0: no adaptive
    sampling), furthest from its target first, while its next process fits in
    what is left of ``budget``.
    """
    chosen = [job for job, _c, _s, processes in candidates if processes < floor]
    left = budget.left() - sum(s for _j, _c, s, p in candidates if p < floor and s != float("inf"))
    wanting = sorted(
        ((bad.miss, i, job, seconds) for i, (job, checks, seconds, processes) in
         enumerate(candidates)
         if processes >= floor and processes < max_processes and (bad := worst(checks))),
        key=lambda item: (-item[0], item[1]),
    )
    capped = []
    for _miss, _i, job, seconds in wanting:
        if seconds <= left:
            chosen.append(job)
            left -= seconds
        else:
            capped.append(job)
    return chosen, capped
