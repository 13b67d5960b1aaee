"""The plans calibration chose before on this machine, recalled so that runs measure alike.

Every run calibrates each job first: the loops of every point (a power of two
whose value lasts the profile's ``min_time``) and, for a workload that declares
``SIZED_BY``, the work scale. Near a boundary the choice flips from one run to
the next, and what is measured flips with it: in five back-to-back runs of
2026-12-07, Jython's thread start got 64 loops in two runs and 128-256 in three,
and took 640-810 us a call with 64 against 320-380 us with more; 2.7's
``counter_race_method`` 2-thread ratio was 0.64x with loops (4, 2) and 0.82x with
(8, 8). Such a shift holds for a whole run, so no interval from within one run
can cover it, and the regression gate between two runs of identical code fails.

So each job's plan is remembered (``calibrations.json`` in the cache folder),
keyed by the machine, the interpreter (id, version, command, environment), the
workload (name and the sha256 of its file), its parameters, the thread counts
and the profile's ``min_time`` and ``min_call``. A later calibration of the same
key keeps a remembered choice while its own lies near it: at most ``LOOPS_MORE``
times more or ``LOOPS_FEWER`` times fewer loops, a work scale within
``SCALE_FACTOR``; beyond that (a much faster build, a changed machine) the
fresh choice wins and is remembered. ``run --recalibrate``
takes every fresh choice and remembers it. ``run --plans-from DIR`` takes the
plans of the run in DIR (its suites' loops and ``work_scale``) before the
cache's, under the same rule: a CI job on a fresh runner then measures with the
plans of the baseline it is gated against (``compare --against`` passes it).
The facts' ``work`` entry says which (``calibration``). The file is only an
optimisation of agreement: an unreadable or unwritable one means fresh plans,
never a failed run.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf

from harness.errors import UsageError
from harness.fileutil import atomic_write_text
from harness.points import Point

FILE_NAME = "calibrations.json"
FORMAT_VERSION = 1
# A remembered choice is kept while the fresh one lies near it. Loops: the fresh
# pick at most 16x more (a value then lasts at least min_time / 16: PyPy's
# counter_lock, whose calls are fast or slow by how its threads meet at the
# lock, picked 1 loop in one run and 8 in the next) or 4x fewer (a value lasts
# at most about 8x min_time: the run's time). The work scale within 2x either
# way (a call at least half of min_call: thread start stays small in it).
LOOPS_MORE = 16
LOOPS_FEWER = 4
SCALE_FACTOR = 2


@dataclass(frozen=True)
class Plan:
    """One job's remembered choice: loops per point key and the work scale."""

    loops: Mapping[str, int]
    scale: int
    recorded: str  # when it was chosen (ISO 8601, seconds); "" for a results folder's
    source: str = ""  # "": the cache; else the results folder it was read from


def keep(fresh: int, remembered: int | None, fewer: float, more: float | None = None) -> int:
    """``remembered`` while ``fresh`` lies between ``remembered / fewer`` and ``remembered *
    more`` (``more`` defaults to ``fewer``), else ``fresh``."""
    if remembered is None or remembered < 1:
        return fresh
    top = remembered * (fewer if more is None else more)
    return remembered if remembered / fewer <= fresh <= top else fresh


class Memory:
    """The calibrations remembered on one machine (``path``, a JSON file)."""

    def __init__(self, path: Path, machine: str, recall: bool = True,
                 seeds: Mapping[tuple[str, str], Plan] | None = None) -> None:
        self.path = path
        self.machine = machine
        self.recall_enabled = recall  # False: run --recalibrate (choose afresh, still remember)
        # run --plans-from DIR: (interpreter id, workload) -> its plan there, before the cache's
        self.seeds = dict(seeds or {})

    def key(self, parts: Mapping[str, Any]) -> str:
        """The key of one job: the machine and ``parts`` (JSON-able), hashed."""
        text = json.dumps({"machine": self.machine, **parts}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def recall(self, key: str, job: tuple[str, str] = ("", "")) -> Plan | None:
        """The plan for ``job`` (interpreter id, workload) from ``--plans-from``, else the one
        remembered for ``key`` (None: none, unreadable, or ``--recalibrate``)."""
        if job in self.seeds:
            return self.seeds[job]
        if not self.recall_enabled:
            return None
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return Plan({str(k): int(v) for k, v in entry["loops"].items()},
                        int(entry["scale"]), str(entry["recorded"]))
        except (TypeError, KeyError, ValueError, AttributeError):
            return None

    def remember(self, key: str, plan: Mapping[str, int], scale: int, label: str) -> Plan | None:
        """Remember ``plan`` (loops per point key) and ``scale`` for ``key``; None when the
        file cannot be written (the run goes on with its fresh plan)."""
        recorded = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        entry = {"loops": dict(plan), "scale": scale, "recorded": recorded, "job": label}
        try:
            with self._locked():
                entries = self._read()
                entries[key] = entry
                atomic_write_text(self.path, json.dumps(
                    {"version": FORMAT_VERSION, "calibrations": entries}, indent=1,
                    sort_keys=True) + "\n")
        except OSError:
            return None
        return Plan(dict(plan), scale, recorded)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            return {}
        entries = data.get("calibrations")
        return entries if isinstance(entries, dict) else {}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Two runs at once (other results folders) add their entries one after the other."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def from_results(folder: Path) -> dict[tuple[str, str], Plan]:
    """The plans of the run in ``folder`` (``run --plans-from``): per (interpreter id,
    workload), each point's loops (the most common among its processes) and work scale.

    A folder without a readable suite is a :class:`UsageError` (one line, exit 2).
    """
    suites = sorted(p for p in folder.glob("*.json") if not p.name.endswith(".facts.json"))
    plans: dict[tuple[str, str], Plan] = {}
    for path in suites:
        try:
            suite = pyperf.BenchmarkSuite.load(str(path))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        loops: dict[tuple[str, str], dict[str, int]] = {}
        scales: dict[tuple[str, str], int] = {}
        for bench in suite.get_benchmarks():
            runs = [r for r in bench.get_runs() if r.values]
            if not runs:
                continue
            meta = runs[0].get_metadata()
            point = Point.parse(bench.get_name(), meta)
            job = (path.name[: -len(".json")], point.workload)
            counts = [r.get_loops() for r in runs]
            loops.setdefault(job, {})[point.key] = max(counts, key=counts.count)
            scales[job] = max(scales.get(job, 1), round(float(meta.get("work_scale") or 1)))
        plans.update({job: Plan(n, scales[job], "", str(folder)) for job, n in loops.items()})
    if not plans:
        raise UsageError(f"--plans-from {folder}: no pyperf suite with measured points there",
                         "give a results folder or a published report folder of a run")
    return plans
