"""The run's schedule: calibrate every job, then measure in rounds across interpreters.

Interpreters measured one after another are also measured in different
stretches of machine time, so a comparison between two of them was also a
comparison between two stretches (2.7 against 3.13-twin: 1.48x in one run,
1.34x in the next). Here a run first calibrates every job (an interpreter's
workload: ``measure.WorkloadJob``) in round 0, then measures in rounds 1, 2,
...: in each round every job that still needs a process gets one worker
process, in an order shuffled per round from the run's seed
(``round_order``: reproducible from the seed and the round's jobs). Every
interpreter then sees the same stretch of machine time, round by round; the
runs carry their round (``harness_round``) and start time
(``harness_started``).

Which jobs a round holds is ``sampling.plan_round``: the profile's minimum of
processes first (the floor, always), then the jobs that miss a target, while
the run's time cap lasts. Every interpreter's pair is saved after every round
(``InterpreterRun.save``), so an interruption keeps every complete round.

The rounds' record (round, start, end, order, the parallel capacity seen) goes
into every interpreter's facts: ``run.rounds``, and ``run.round_seed``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from harness import roles, sampling
from harness.job import JobState
from harness.machine import Machine
from harness.measure import WorkloadJob
from harness.observer import Observer
from harness.profiles import Profile


class Member(Protocol):
    """What the schedule needs of one interpreter's run (``runner.InterpreterRun``)."""

    jobs: list[WorkloadJob]
    current: str

    @property
    def ident(self) -> str: ...

    def calibrate(self, job: WorkloadJob, round_index: int) -> None: ...

    def save(self) -> None: ...


def round_order(seed: int, index: int, keys: Sequence[str]) -> list[str]:
    """The order of round ``index``'s jobs: ``keys`` sorted, shuffled from (seed, index)."""
    order = sorted(keys)
    random.Random(f"{seed}/{index}").shuffle(order)
    return order


class Schedule:
    """The rounds of one run over its interpreters' jobs; ``rounds`` is their record."""

    def __init__(self, members: Sequence[Member], machine: Machine, profile: Profile,
                 target: sampling.Target, seed: int, observer: Observer | None = None) -> None:
        self.members: Sequence[Member] = list(members)
        self.machine = machine
        self.profile = profile
        self.target = target
        self.seed = seed
        self.observer = observer or Observer()
        self.rounds: list[dict[str, Any]] = []
        # What every interpreter's facts ``run`` holds of the schedule (one dict, shared).
        self.info: dict[str, Any] = {"round_seed": seed, "rounds": self.rounds}
        self.budget = sampling.Budget(0.0, 1)

    def _entries(self) -> dict[str, tuple[Member, WorkloadJob]]:
        return {f"{m.ident}:{job.work_key}": (m, job) for m in self.members for job in m.jobs}

    def _round(self, index: int, keys: Sequence[str],
               action: Callable[[Member, WorkloadJob], None]) -> None:
        """One round: ``action`` for each job in the round's order, then every pair saved."""
        entries = self._entries()
        order = round_order(self.seed, index, keys)
        self.machine.round = index
        first = len(self.machine.capacity.readings) if self.machine.capacity else 0
        record: dict[str, Any] = {"round": index, "started": round(time.time(), 3),
                                  "ended": None, "order": order}
        self.rounds.append(record)
        for key in order:
            member, job = entries[key]
            member.current = job.name
            action(member, job)
            member.current = "*"
        record["ended"] = round(time.time(), 3)
        readings = self.machine.capacity.readings[first:] if self.machine.capacity else []
        if readings:
            record["capacity"] = min(r["capacity"] for r in readings)
            record["capacity_low"] = sum(1 for r in readings if r["low"])
        for member in self.members:
            member.save()

    def calibrate(self) -> None:
        """Round 0: every job's calibration (and a JIT's recalibration), interleaved.

        The run's time starts here: the budget per interpreter, scaled by the machine's
        speed (``sampling.time_scale``, from the settled reference loop).
        """
        scale = sampling.time_scale(self.machine.noise.baseline(), self.profile.cap_factor)
        self.info["time_scale"] = scale
        # Every CPU choice (run --cpus) is a run of its own: the budget grows with them.
        choices = max((len({job.setup.cpus for job in m.jobs}) for m in self.members), default=1)
        self.budget = sampling.Budget(self.profile.budget * scale * len(self.members) * choices,
                                      sum(len(m.jobs) for m in self.members))
        self._round(0, list(self._entries()), lambda m, job: m.calibrate(job, 0))

    def measure(self) -> int:
        """Rounds 1, 2, ... until no job needs a process; returns how many processes ran."""
        ran, index = 0, 0
        while True:
            chosen = self._plan()
            if not chosen:
                return ran
            index += 1
            self.observer.round_started(index, len(chosen))
            started = time.monotonic()
            ids = {id(job) for job in chosen}
            keys = [k for k, (_m, job) in self._entries().items() if id(job) in ids]
            self._round(index, keys, self._measure_one)
            ran += len(chosen)
            self.observer.round_ended(time.monotonic() - started, self.machine.summary())

    def _measure_one(self, _member: Member, job: WorkloadJob) -> None:
        """One process of one job, in the round in progress."""
        job.add_process(self.budget.fits, round_index=self.machine.round)

    def _plan(self) -> list[WorkloadJob]:
        candidates = []
        for job in (j for m in self.members for j in m.jobs if j.state is JobState.MEASURING):
            checks = job.checks(self.target)
            headline = self.profile.adds_processes and job.workload.role == roles.HEADLINE
            counted = sampling.floor_count(job.processes, job.runs.usable, self.profile.processes,
                                           headline, headline and sampling.words_unclear(checks))
            candidates.append((job, checks, job.runs.per_process(), counted))
        maximum = self.profile.max_processes if self.profile.adds_processes else 0
        chosen, capped = sampling.plan_round(
            candidates, self.profile.processes, maximum, self.budget)
        for job, *_ in candidates:
            job.capped = job in capped
        return chosen

    def to_json(self) -> dict[str, Any]:
        """What every interpreter's facts ``run`` holds of the schedule (kept up to date)."""
        return self.info
