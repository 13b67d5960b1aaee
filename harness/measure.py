"""One workload under one interpreter: calibrate, size the work, then one process at a time.

The calibration process picks the loops of every point (``--calibrate
--min-time``) and measures one call.  A workload declaring ``SIZED_BY`` whose call
is shorter than the profile's ``min_call`` (PyPy's countdown: 3 ms) has that
parameter scaled up by an integer factor and is calibrated again, so that thread start
and join stay a small part of a call; the factor goes into the run metadata
(``work_scale``) and the facts (``work``).  A JIT gets one more process that
recalibrates its loops from warm values (stored as pyperf's calibration run).

Each measuring process then runs ALL the points of the workload, interleaved
in an order shuffled per round from a recorded seed, and becomes one
``pyperf.Run`` per point with run metadata ``process`` (its index): the
report pairs the 1-thread and T-thread points by process; ``harness_round``
(the run's round, shared by every interpreter) and ``harness_started`` (the
Unix time the worker started) say when.  After each process the run's
references are timed (``harness.machine``); a process that ran during a burst
or with low parallel capacity is measured again (a bounded number of times),
the one set aside kept in ``discarded`` (``harness_discarded``: why).

A failure (crash, timeout, unreadable output) becomes a workload-level
outcome and no runs are kept for that workload: a benchmark is either
measured as the profile asked or not at all.

A workload with ``REQUIRES`` first gets its environment for this interpreter
(``harness.venvs``: made once, then reused), and every process runs that
environment's interpreter; one that cannot be had makes the workload
"unsupported" here with the reason. When the calibration says a free-threaded
build ran with the GIL on (and ``PYTHON_GIL`` was not set), the imports are
tried one at a time to name the one that turned it on (facts ``work``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf

from harness import affinity, kinds, paths, sampling, venvs
from harness import suite as suite_mod
from harness.environment import now
from harness.errors import HarnessError, WorkerError
from harness.machine import Machine
from harness.profiles import Profile, workload_params
from harness.spawn import WorkerTimeout, escaped_note, run_worker
from harness.spec import Interpreter
from harness.workloads import Workload

MAX_WORK_SCALE = 256


@dataclass(frozen=True)
class Outcome:
    """What happened to one benchmark (``workload/key``) or a whole workload (``workload``)."""

    benchmark: str
    status: str  # "ok" | "unsupported" | "failed" | "timeout" | "missing" (not ready here)
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        """The facts file's form."""
        return {"benchmark": self.benchmark, "status": self.status, "reason": self.reason}


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
        statuses = {o.status for o in self.outcomes}
        for status in ("timeout", "failed", "ok"):
            if status in statuses:
                return status
        return "unsupported" if statuses else "failed"


def work_scale(per_call: float, min_call: float) -> int:
    """The integer factor that makes a call of ``per_call`` seconds last ``min_call`` (>= 1)."""
    if min_call <= 0 or per_call <= 0 or per_call >= min_call:
        return 1
    return min(math.ceil(min_call / per_call), MAX_WORK_SCALE)


@dataclass
class JobSetup:
    """What every job of one interpreter shares: where things are and what to call."""

    workloads_dir: Path
    timeout: float | None = None
    worker: Path = paths.WORKER_SCRIPT
    ctx: suite_mod.RunContext | None = None
    machine: Machine | None = None  # the run's references between processes (bursts, capacity)
    seed: int = 0
    on_step: Callable[[str], None] | None = None
    cpus: affinity.Cpus = ()  # pinned to these CPU ids (run --cpus); (): all


class WorkloadJob:
    """One workload under one interpreter, measured one process at a time (``add_process``)."""

    def __init__(
        self,
        interp: Interpreter,
        workload: Workload,
        threads: Sequence[int],
        profile: Profile,
        setup: JobSetup,
    ) -> None:
        self.interp = interp
        self.workload = workload
        self.name: str = workload.name
        # The worker imports the workload from its own folder (a user's, or the built-in one).
        self.folder: Path = workload.folder
        self.user = workload.user
        self.requires: tuple[str, ...] = workload.requires
        self.run_interp = interp  # the environment's interpreter once it has one
        self.environment: venvs.Environment | None = None
        self.gil_reenabled: list[dict[str, str]] | None = None
        self.threads = list(threads)
        self.profile = profile
        self.setup = setup
        ctx = setup.ctx or suite_mod.RunContext(interp.id, interp.implementation, interp.gil)
        # The workload's own metadata travels with its runs: the report reads files only.
        self.ctx = dataclasses.replace(
            ctx,
            workload_kind=workload.kind,
            workload_description=workload.description,
            workload_role=workload.role,
        )
        self.result = WorkloadResult(self.name)
        self.params = workload_params(workload, profile)
        self.scale = 1
        self.loops: dict[str, int] = {}
        self.alive = False
        self.process_seconds: list[float] = []
        self.reruns = 0
        # Processes measured again (a burst, low parallel capacity): kept, never used.
        self.discarded: dict[str, list[pyperf.Run]] = {}
        self.flagged = 0  # processes that failed a check (re-run or kept flagged)
        self.capped = False  # the run's time cap left it short of its target (harness.schedule)
        self._index = 0
        self.escaped: list[str] = []  # processes its workers left running, killed (spawn)
        self.warmups, self.values = profile.for_interpreter(kinds.has_jit(interp))

    # ------------------------------------------------------------ the worker

    def _call(self, args: list[str]) -> dict[str, Any]:
        common = ["--threads", ",".join(str(t) for t in self.threads)]
        if self.params:
            common += ["--params", json.dumps(self.params, sort_keys=True)]
        return run_worker(
            self.run_interp,
            self.name,
            common + args,
            timeout=self.setup.timeout or self.profile.timeout,
            workloads_dir=self.folder,
            worker=self.setup.worker,
            cpus=self.setup.cpus,
            escaped=self.escaped,
        )

    def _step(self, what: str) -> None:
        if self.setup.on_step:
            self.setup.on_step(what)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """A worker failure ends the job: its runs are dropped, its outcome says why."""
        started = time.monotonic()
        try:
            yield
        except WorkerTimeout as exc:
            self._fail("timeout", _reason(exc))
        except WorkerError as exc:
            self._fail("failed", _reason(exc))
        except ValueError as exc:  # pyperf refused a value or metadata
            self._fail("failed", f"{self.name!r} under {self.interp.id!r}: {exc}")
        finally:
            self.result.seconds += time.monotonic() - started

    def _fail(self, status: str, reason: str) -> None:
        self.alive = False
        self.result.runs.clear()
        self.result.outcomes[:] = [Outcome(self.work_key, status, reason)]

    # ------------------------------------------------------------ calibration

    def _calibrate(self) -> dict[str, Any]:
        doc = self._call(["--calibrate", "--min-time", repr(self.profile.min_time)])
        self.loops.clear()
        self.result.runs.clear()
        self.result.outcomes.clear()
        if doc.get("unsupported"):
            self.result.outcomes.append(
                Outcome(self.work_key, "unsupported", str(doc["unsupported"])))
            return doc
        for point in doc["points"]:
            name = suite_mod.benchmark_name(self.name, point["key"])
            if point.get("unsupported"):
                self.result.outcomes.append(Outcome(name, "unsupported", str(point["unsupported"])))
            else:
                self.loops[point["key"]] = max(int(point.get("loops") or 1), 1)
                self.result.runs[name] = []
        return doc

    def _sized_scale(self, doc: dict[str, Any]) -> int:
        """The work scale this interpreter needs, from the calibration's seconds per call."""
        if self.profile.min_call <= 0 or not self.workload.sized_by:
            return 1
        axis = self.workload.scales  # its points at the run's counts; all without an axis
        calls = [
            float(p["values"][-1])
            for p in doc.get("points") or []
            if p.get("values") and not p.get("unsupported")
            and (not axis or (p.get("params") or {}).get(axis) in self.threads)
        ]
        return work_scale(min(calls), self.profile.min_call) if calls else 1

    def _environment(self) -> bool:
        """The workload's environment under this interpreter; False (unsupported) without one."""
        if not self.requires:
            return True
        env = venvs.ensure(self.interp, self.requires, self._step)
        self.environment = env
        if env.error:
            self.result.outcomes[:] = [Outcome(self.work_key, "unsupported", env.error)]
            return False
        self.run_interp = env.interpreter(self.interp)
        return True

    def _check_gil(self, doc: dict[str, Any]) -> None:
        """A free-threaded build that ran with the GIL on: find the import that did it."""
        found = doc.get("facts") or {}
        if not (found.get("gil_disabled_build") and found.get("gil_enabled") is True):
            return
        if "PYTHON_GIL" in dict(self.interp.env) or self.interp.container is not None:
            return
        if self.gil_reenabled is None:
            self._step("which import turned the GIL on")
            modules = self.environment.import_names() if self.environment else []
            self.gil_reenabled = venvs.gil_culprits(
                self.run_interp, modules, self.name, self.folder
            )

    @property
    def env_note(self) -> str:
        """For the progress line: what the environment holds (made now or reused), the GIL."""
        env = self.environment
        note = f"; {env.summary()}" if env is not None and not env.error else ""
        if self.gil_reenabled is not None:
            names = ", ".join(c["import"] for c in self.gil_reenabled) or "no single import"
            note += f"; the GIL was turned back on ({names})"
        if self.escaped:
            note += f"; {escaped_note(self.escaped)}"
        return note

    def prepare(self, round_index: int = 0) -> None:
        """Calibrate (again with a larger total when a call is too short; again warm for a JIT).

        ``round_index``: the run's round of the calibration (``harness_round`` of a JIT's
        recalibration run).
        """
        if not self._environment():
            return
        with self._guard():
            self._step("calibrate")
            doc = self._calibrate()
            if not self.loops:
                return
            self._check_gil(doc)
            scale = self._sized_scale(doc)
            if scale > 1:
                sized_by = self.workload.sized_by
                self.scale = scale
                self.params = {**self.params, sized_by: int(self.workload.params[sized_by]) * scale}
                self._step(f"calibrate x{scale}")
                doc = self._calibrate()
                if not self.loops:
                    return
            self.ctx = dataclasses.replace(self.ctx, work_scale=float(self.scale))
            self.alive = True
            # A JIT is cold in the calibration process (Jython's first call can be
            # 6x its steady state), so its loops come out too low: like pyperf, one
            # more process recalibrates them from warm values and is stored as a
            # calibration run (no values), not measured.
            if kinds.has_jit(self.interp) and doc.get("measures") != "own":
                self._step("recalibrate")
                runs = self._measure(0, {"harness_round": round_index})
                for key in self.loops:
                    name = suite_mod.benchmark_name(self.name, key)
                    self.loops[key] = _recalibrated(
                        self.loops[key], runs[name], self.profile.min_time
                    )
                    self.result.runs[name].append(_as_recalibration(runs[name], self.loops[key]))

    # ------------------------------------------------------------ measuring

    def _measure(self, index: int, extra: dict[str, Any]) -> dict[str, pyperf.Run]:
        """One measuring process: every point interleaved, its runs by benchmark name.

        ``extra`` is added to every run's metadata, with ``harness_started`` (the
        Unix time the worker started).
        """
        seed = self.setup.seed + index
        args = [
            "--loops",
            json.dumps(self.loops, sort_keys=True),
            "--values",
            str(self.values),
            "--warmups",
            str(self.warmups),
            "--seed",
            str(seed),
        ]
        # pyperf's per-run date: when this process started (stats shows the span).
        date = now().strftime("%Y-%m-%d %H:%M:%S")
        extra = {**extra, "harness_started": round(time.time(), 3)}
        doc = self._call(args)
        ctx = dataclasses.replace(self.ctx, date=date, process=index)
        runs = {name: _with_metadata(run, extra)
                for name, run in suite_mod.runs_from_document(doc, ctx).items()}
        for key in self.loops:
            name = suite_mod.benchmark_name(self.name, key)
            if name not in runs:
                raise WorkerError(
                    f"worker for {self.name!r} under {self.interp.id!r} returned no values for "
                    f"{name!r}"
                )
        return runs

    @property
    def status(self) -> str:
        """"ok" while measuring goes well, else the result's status."""
        return "ok" if self.alive else self.result.status

    @property
    def processes(self) -> int:
        """Measuring processes kept so far."""
        return self._index

    def per_process(self) -> float:
        """Seconds one measuring process took on average (inf before the first)."""
        if not self.process_seconds:
            return float("inf")
        return sum(self.process_seconds) / len(self.process_seconds)

    def add_process(
        self, affordable: Callable[[float], bool] | None = None, round_index: int = 0
    ) -> None:
        """Run one more measuring process (round ``round_index`` of the run).

        After it the run's references are timed (``setup.machine``); a process
        that ran in a noise burst or with low parallel capacity is measured
        again, at most ``profile.noise_reruns`` times per workload and only when
        ``affordable(seconds of one more process)`` says it fits; the one set
        aside is kept in ``discarded`` (``harness_discarded``: why). When no
        re-run is left, the process is kept with its flags in its metadata.
        """
        if not self.alive:
            return
        with self._guard():
            index = self._index + 1
            while True:
                self._step(f"run {index}")
                if self.setup.machine:
                    self.setup.machine.before_process()
                started = time.monotonic()
                runs = self._measure(index, {"harness_round": round_index})
                self.process_seconds.append(time.monotonic() - started)
                check = self.setup.machine.after_process() if self.setup.machine else None
                reason = check.reason if check is not None else None
                if check is None or reason is None:
                    break
                self.flagged += 1
                if self.reruns >= self.profile.noise_reruns or (
                    affordable is not None and not affordable(self.per_process())
                ):
                    runs = {n: _with_metadata(r, check.metadata()) for n, r in runs.items()}
                    break
                self.reruns += 1
                self._keep_discarded(runs, reason)
                self._step(f"run {index} again ({reason})")
            for name, run in runs.items():
                if name in self.result.runs:
                    self.result.runs[name].append(run)
            self._index = index

    def _keep_discarded(self, runs: dict[str, pyperf.Run], reason: str) -> None:
        for name, run in runs.items():
            self.discarded.setdefault(name, []).append(
                _with_metadata(run, {"harness_discarded": reason}))

    # ------------------------------------------------------------ results

    def checks(self, target: sampling.Target) -> list[sampling.PointCheck]:
        """Every point of this workload against ``target`` (none before a process ran)."""
        if not self.result.runs:
            return []
        return sampling.check_workload(self.result.runs, self.threads, target)

    def finish(self) -> WorkloadResult:
        """Mark every measured benchmark ok (failures already replaced the outcomes)."""
        if self.alive:
            done = {o.benchmark for o in self.result.outcomes}
            self.result.outcomes.extend(
                Outcome(name, "ok", escaped_note(self.escaped))
                for name in self.result.runs if name not in done
            )
        self.alive = False
        return self.result

    @property
    def work_key(self) -> str:
        """The facts' ``work`` key: the workload's name, ``countdown,cpus=1`` when pinned."""
        return self.name + affinity.key_suffix(self.setup.cpus)

    def work_facts(self) -> dict[str, Any]:
        """The facts file's ``work[workload]``: the scale and the parameters passed.

        A user's workload adds its folder; ``REQUIRES`` its environment (what
        was installed, or why not); a GIL turned on by an import, which one.
        """
        out: dict[str, Any] = {"scale": float(self.scale), "params": dict(self.params)}
        if self.user:
            out["folder"] = str(self.folder)
        if self.requires:
            out["requires"] = list(self.requires)
        if self.environment is not None:
            out["environment"] = self.environment.to_json()
        if self.gil_reenabled is not None:
            out["gil_reenabled"] = {"by": self.gil_reenabled}
        return out


def _recalibrated(loops: int, run: pyperf.Run, min_time: float) -> int:
    """Loops for a JIT interpreter's measuring processes, from one process's warm values.

    Doubles the calibrated loops until the median warm value lasts ``min_time``.
    """
    per_loop = sorted(run.values)[len(run.values) // 2]
    while loops * per_loop < min_time and loops < 2**30:
        loops *= 2
    return loops


def _with_metadata(run: pyperf.Run, extra: dict[str, Any]) -> pyperf.Run:
    """``run`` with ``extra`` added to its metadata (a ``pyperf.Run`` is immutable)."""
    if not extra:
        return run
    metadata = {**run.get_metadata(), **extra}
    return pyperf.Run(list(run.values), warmups=list(run.warmups) or None, metadata=metadata,
                      collect_metadata=False)


def _as_recalibration(run: pyperf.Run, loops: int) -> pyperf.Run:
    """A measured run turned into pyperf's loop recalibration run (warmups only)."""
    old = run.get_metadata()["loops"]
    warmups = [*run.warmups, *((old, v) for v in run.values)]
    metadata = {**run.get_metadata(), "recalibrate_loops": loops}
    return pyperf.Run([], warmups=warmups, metadata=metadata, collect_metadata=False)


def _reason(exc: HarnessError) -> str:
    return f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
