"""What a job (one workload under one interpreter) is made of: its state, plan, work and runs.

``harness.measure`` drives a job through them: calibration gives the frozen
:class:`Plan` and :class:`Work`; every measuring process adds to its
:class:`Runs` (kept, set aside, flagged); :class:`JobState` says where it is;
:class:`WorkloadResult` is what it leaves.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyperf

from harness import suite as suite_mod
from harness.results import Outcome
from harness.spec import Interpreter


class JobState(enum.Enum):
    """Where a job is: the outcomes say how an ended job ended."""

    NEW = "new"  # not calibrated yet
    MEASURING = "measuring"  # calibrated: takes measuring processes
    ENDED = "ended"  # finished, failed, timed out or unsupported


@dataclass(frozen=True)
class Plan:
    """What calibration decided: every measuring process of the job runs with it."""

    interp: Interpreter  # what runs the worker: the environment's interpreter when it has one
    params: Mapping[str, Any]  # ``--params`` (the sized total included)
    scale: int  # the work scale (1: as the workload declares it)
    loops: Mapping[str, int]  # per point key, in point order
    warmups: int
    values: int
    ctx: suite_mod.RunContext  # every run's context (``work_scale`` included)

    def worker_args(self, seed: int) -> list[str]:
        """The worker's arguments for one measuring process."""
        return ["--loops", json.dumps(self.loops, sort_keys=True),
                "--values", str(self.values), "--warmups", str(self.warmups),
                "--seed", str(seed)]


@dataclass
class Runs:
    """One job's measuring processes: the runs kept, those set aside, the checks that failed."""

    kept: dict[str, list[pyperf.Run]] = field(default_factory=dict)  # by benchmark name
    # Processes measured again (a burst, low parallel capacity): kept, never used.
    discarded: dict[str, list[pyperf.Run]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)  # every measuring process's duration
    processes: int = 0  # measuring processes kept
    usable: int = 0  # of them, those that ran with the free cores their points needed
    flagged: int = 0  # processes that failed a check (re-run or kept flagged)
    reruns: int = 0

    def keep(self, index: int, runs: Mapping[str, pyperf.Run]) -> None:
        """Process ``index``'s runs join the kept ones (points expected only)."""
        for name, run in runs.items():
            if name in self.kept:
                self.kept[name].append(run)
        self.processes = index
        if not any(run.get_metadata().get("harness_capacity_low") is True
                   for run in runs.values()):
            self.usable += 1

    def set_aside(self, runs: Mapping[str, pyperf.Run], reason: str) -> None:
        """A process measured again: its runs kept apart, saying why."""
        for name, run in runs.items():
            self.discarded.setdefault(name, []).append(
                with_metadata(run, {"harness_discarded": reason}))

    def per_process(self) -> float:
        """Seconds one measuring process took on average (inf before the first)."""
        if not self.seconds:
            return float("inf")
        return sum(self.seconds) / len(self.seconds)


@dataclass(frozen=True)
class Work:
    """The work asked of the worker: its parameters and the scale they were sized by."""

    params: Mapping[str, Any]
    scale: int = 1


@dataclass
class WorkloadResult:
    """The runs (by benchmark name, in point order) and outcomes of one workload."""

    workload: str
    runs: dict[str, list[pyperf.Run]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """The worst outcome: failed/timeout > ok > unsupported."""
        return worst_status(self.outcomes)


def worst_status(outcomes: Sequence[Outcome]) -> str:
    """The worst of ``outcomes``: failed/timeout > ok > unsupported ("failed" for none)."""
    statuses = {o.status for o in outcomes}
    for status in ("timeout", "failed", "ok"):
        if status in statuses:
            return status
    return "unsupported" if statuses else "failed"


def with_metadata(run: pyperf.Run, extra: dict[str, Any]) -> pyperf.Run:
    """``run`` with ``extra`` added to its metadata (a ``pyperf.Run`` is immutable)."""
    if not extra:
        return run
    metadata = {**run.get_metadata(), **extra}
    return pyperf.Run(list(run.values), warmups=list(run.warmups) or None, metadata=metadata,
                      collect_metadata=False)
