"""One workload under one interpreter: calibrate, size the work, then one process at a time.

The parts, in the order a job uses them: :func:`calibrate` gives a frozen
:class:`Plan` (the interpreter that runs the worker, the parameters and work
scale, the loops, warmups and values, the run context); :func:`measure_process`
measures one process of one job with it; :class:`Runs` accumulates a job's
processes (kept, set aside, flagged); :class:`WorkloadJob` drives them, its
:class:`JobState` saying where it is (new, measuring, ended: its outcomes say how).

The calibration process picks the loops of every point (``--calibrate
--min-time``) and measures one call.  A CPU-bound workload whose call is
shorter than the profile's ``min_call`` (PyPy's countdown: 3 ms) has its total
scaled up by an integer factor and is calibrated again, so that thread start
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf

from harness import affinity, calibrations, fileutil, kinds, paths, points, sampling, venvs
from harness import suite as suite_mod
from harness.environment import now
from harness.errors import HarnessError, WorkerError
from harness.job import JobState, Plan, Runs, Work, WorkloadResult, with_metadata, worst_status
from harness.machine import Check, Machine
from harness.profiles import Profile, workload_params
from harness.results import Outcome, WorkFacts
from harness.spawn import WorkerTimeout, escaped_note, run_worker
from harness.spec import Interpreter
from harness.workloads import Workload

MAX_WORK_SCALE = 256


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
    memory: calibrations.Memory | None = None  # plans chosen before on this machine


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
        self.work = Work(workload_params(workload, profile))
        self.state = JobState.NEW
        self.plan: Plan | None = None
        self.runs = Runs()
        self.outcomes: list[Outcome] = []
        self.seconds = 0.0  # spent in its worker processes and their checks
        self.env = JobEnvironment()
        self.capped = False  # the run's time cap left it short of its target (harness.schedule)
        self.escaped: list[str] = []  # processes its workers left running, killed (spawn)
        self.calibration: dict[str, str] = {}  # its plan: recalled, fresh or changed (facts)

    def step(self, what: str) -> None:
        """Tell the run's observer what this job does now."""
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
            self.seconds += time.monotonic() - started

    def _fail(self, status: str, reason: str) -> None:
        self.state = JobState.ENDED
        self.runs.kept.clear()
        self.outcomes[:] = [Outcome(self.work_key, status, reason)]

    # ------------------------------------------------------------ calibration

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

    def prepare(self, round_index: int = 0) -> None:
        """Calibrate (again with a larger total when a call is too short; again warm for a JIT).

        ``round_index``: the run's round of the calibration (``harness_round`` of a JIT's
        recalibration run).
        """
        self.state = JobState.ENDED  # until a plan says otherwise
        run_interp = self.env.prepare(self)
        if run_interp is None:
            return
        with self._guard():
            self.plan = calibrate(self, run_interp, round_index)
            if self.plan is not None:
                self.state = JobState.MEASURING

    # ------------------------------------------------------------ measuring

    @property
    def status(self) -> str:
        """"ok" while measuring goes well, else the worst outcome."""
        return "ok" if self.state is JobState.MEASURING else worst_status(self.outcomes)

    @property
    def processes(self) -> int:
        """Measuring processes kept so far."""
        return self.runs.processes

    def add_process(
        self, affordable: Callable[[float], bool] | None = None, round_index: int = 0
    ) -> None:
        """Run one more measuring process (round ``round_index`` of the run).

        After it the run's references are timed (``setup.machine``); a process
        that ran in a noise burst or with low parallel capacity is measured
        again, at most ``profile.noise_reruns`` times per workload and only when
        ``affordable(seconds of one more process)`` says it fits; the one set
        aside is kept in ``runs.discarded`` (``harness_discarded``: why). When no
        re-run is left, the process is kept with its flags in its metadata.
        """
        if self.state is not JobState.MEASURING or self.plan is None:
            return
        with self._guard():
            index = self.runs.processes + 1
            while True:
                self.step(f"run {index}")
                runs, check = checked_process(self, self.plan, index, round_index)
                if check is None or check.reason is None:
                    break
                self.runs.flagged += 1
                if self.runs.reruns >= self.profile.noise_reruns or (
                    affordable is not None and not affordable(self.runs.per_process())
                ):
                    runs = {n: with_metadata(r, check.metadata()) for n, r in runs.items()}
                    break
                self.runs.reruns += 1
                self.runs.set_aside(runs, check.reason)
                self.step(f"run {index} again ({check.reason})")
            self.runs.keep(index, runs)

    # ------------------------------------------------------------ results

    def checks(self, target: sampling.Target) -> list[sampling.PointCheck]:
        """Every point of this workload against ``target`` (none before a process ran)."""
        if not self.runs.kept:
            return []
        return sampling.check_workload(self.runs.kept, self.threads, target)

    def finish(self) -> WorkloadResult:
        """Mark every measured benchmark ok (failures already replaced the outcomes)."""
        if self.state is JobState.MEASURING:
            done = {o.benchmark for o in self.outcomes}
            self.outcomes.extend(
                Outcome(name, "ok", escaped_note(self.escaped))
                for name in self.runs.kept if name not in done
            )
        self.state = JobState.ENDED
        return self.result

    @property
    def result(self) -> WorkloadResult:
        """Its runs and outcomes so far."""
        return WorkloadResult(self.name, self.runs.kept, self.outcomes, self.seconds)

    @property
    def work_key(self) -> str:
        """The facts' ``work`` key: the workload's name, ``countdown,cpus=1`` when pinned."""
        return self.name + affinity.key_suffix(self.setup.cpus)

    def work_facts(self) -> WorkFacts:
        """The facts file's ``work[workload]``: the scale and the parameters passed.

        A user's workload adds its folder; ``REQUIRES`` its environment (what
        was installed, or why not); a GIL turned on by an import, which one;
        with a calibration memory, whether the plan was recalled (``calibration``).
        """
        out: WorkFacts = {"scale": float(self.work.scale), "params": dict(self.work.params)}
        if self.user:
            out["folder"] = str(self.folder)
        if self.requires:
            out["requires"] = list(self.requires)
        if self.calibration:
            out["calibration"] = dict(self.calibration)
        out.update(self.env.facts())
        return out


def env_note(job: WorkloadJob) -> str:
    """For the progress line: the job's environment, the GIL, processes left running."""
    note = job.env.note()
    if job.escaped:
        note += f"; {escaped_note(job.escaped)}"
    return note


class JobEnvironment:
    """A job's environment (a workload's ``REQUIRES``) and the import that turned the GIL on."""

    def __init__(self) -> None:
        self.environment: venvs.Environment | None = None
        self.gil_reenabled: list[dict[str, str]] | None = None

    def prepare(self, job: WorkloadJob) -> Interpreter | None:
        """The interpreter that runs the job's workers; None (outcome unsupported) without one."""
        if not job.requires:
            return job.interp
        env = venvs.ensure(job.interp, job.requires, job.step)
        self.environment = env
        if env.error:
            job.outcomes[:] = [Outcome(job.work_key, "unsupported", env.error)]
            return None
        return env.interpreter(job.interp)

    def check_gil(self, job: WorkloadJob, run_interp: Interpreter, doc: dict[str, Any]) -> None:
        """A free-threaded build that ran with the GIL on: find the import that did it."""
        found = doc.get("facts") or {}
        if not (found.get("gil_disabled_build") and found.get("gil_enabled") is True):
            return
        if "PYTHON_GIL" in dict(job.interp.env) or job.interp.container is not None:
            return
        if self.gil_reenabled is None:
            job.step("which import turned the GIL on")
            modules = self.environment.import_names() if self.environment else []
            self.gil_reenabled = venvs.gil_culprits(run_interp, modules, job.name, job.folder)

    def note(self) -> str:
        """What the environment holds (made now or reused), the GIL turned on by an import."""
        env = self.environment
        note = f"; {env.summary()}" if env is not None and not env.error else ""
        if self.gil_reenabled is not None:
            names = ", ".join(c["import"] for c in self.gil_reenabled) or "no single import"
            note += f"; the GIL was turned back on ({names})"
        return note

    def facts(self) -> WorkFacts:
        """Its part of the facts' ``work[workload]``."""
        out: WorkFacts = {}
        if self.environment is not None:
            out["environment"] = self.environment.to_json()
        if self.gil_reenabled is not None:
            out["gil_reenabled"] = {"by": self.gil_reenabled}
        return out


# ---------------------------------------------------------------- calibration: the plan


def _calibration(
    job: WorkloadJob, run_interp: Interpreter
) -> tuple[dict[str, Any], dict[str, int]]:
    """One calibration process: its document and the loops of every supported point.

    The job's outcomes and kept runs start again from what it says.
    """
    doc = call_worker(job, run_interp, ["--calibrate", "--min-time", repr(job.profile.min_time)])
    loops: dict[str, int] = {}
    job.runs.kept.clear()
    job.outcomes.clear()
    if doc.get("unsupported"):
        job.outcomes.append(Outcome(job.work_key, "unsupported", str(doc["unsupported"])))
        return doc, loops
    for point in doc["points"]:
        name = points.benchmark_name(job.name, point["key"])
        if point.get("unsupported"):
            job.outcomes.append(Outcome(name, "unsupported", str(point["unsupported"])))
        else:
            loops[point["key"]] = max(int(point.get("loops") or 1), 1)
            job.runs.kept[name] = []
    return doc, loops


def calibrate(job: WorkloadJob, run_interp: Interpreter, round_index: int) -> Plan | None:
    """The job's plan (None: nothing to measure, the outcomes say why).

    A calibration process; again with a larger total when a call is too short;
    a JIT's loops again from one warm process (stored as pyperf's calibration run).
    A plan remembered for this job on this machine is kept while the fresh
    choices lie near it (``harness.calibrations``).
    """
    job.step("calibrate")
    key = _memory_key(job)
    recalled = job.setup.memory.recall(key, (job.interp.id, job.name)) \
        if job.setup.memory and key else None
    doc, loops = _calibration(job, run_interp)
    if not loops:
        return None
    job.env.check_gil(job, run_interp, doc)
    scale = job._sized_scale(doc)
    if recalled is not None and job.profile.min_call > 0 and job.workload.sized_by:
        scale = calibrations.keep(scale, recalled.scale, calibrations.SCALE_FACTOR)
    if scale > 1:
        sized_by = job.workload.sized_by
        total = int(job.workload.params[sized_by])
        job.work = Work({**job.work.params, sized_by: total * scale}, scale)
        job.step(f"calibrate x{scale}")
        doc, loops = _calibration(job, run_interp)
        if not loops:
            return None
    job.ctx = dataclasses.replace(job.ctx, work_scale=float(job.work.scale))
    warmups, values = job.profile.for_interpreter(kinds.has_jit(job.interp))
    plan = Plan(run_interp, dict(job.work.params), job.work.scale, loops, warmups, values, job.ctx)
    # A JIT is cold in the calibration process (Jython's first call can be
    # 6x its steady state), so its loops come out too low: like pyperf, one
    # more process recalibrates them from warm values and is stored as a
    # calibration run (no values), not measured.
    if kinds.has_jit(job.interp) and doc.get("measures") != "own":
        job.step("recalibrate")
        runs = measure_process(job, plan, 0, round_index)
        warm = {k: _recalibrated(n, runs[points.benchmark_name(job.name, k)],
                                 job.profile.min_time) for k, n in loops.items()}
        chosen = _kept_loops(warm, recalled)
        for k in loops:
            name = points.benchmark_name(job.name, k)
            job.runs.kept[name].append(_as_recalibration(runs[name], chosen[k]))
    else:
        chosen = _kept_loops(loops, recalled)
    plan = dataclasses.replace(plan, loops=chosen)
    job.calibration = _remembered(job, key, recalled, plan)
    return plan


def _memory_key(job: WorkloadJob) -> str | None:
    """The job's key in the calibration memory (None: no memory, or its file unreadable)."""
    if job.setup.memory is None:
        return None
    try:
        digest = fileutil.sha256_of(job.workload.path)
    except OSError:
        return None
    i = job.interp
    return job.setup.memory.key({
        "interpreter": [i.id, i.version, list(i.argv), [list(e) for e in i.env]],
        "workload": [job.name, digest], "params": workload_params(job.workload, job.profile),
        "threads": list(job.threads), "cpus": list(job.setup.cpus),
        "min_time": job.profile.min_time, "min_call": job.profile.min_call,
    })


def _kept_loops(fresh: dict[str, int], recalled: calibrations.Plan | None) -> dict[str, int]:
    """Each point's loops: the remembered count while the fresh one lies near it."""
    if recalled is None:
        return dict(fresh)
    return {k: calibrations.keep(n, recalled.loops.get(k), calibrations.LOOPS_FEWER,
                                 calibrations.LOOPS_MORE) for k, n in fresh.items()}


def _remembered(job: WorkloadJob, key: str | None, recalled: calibrations.Plan | None,
                plan: Plan) -> dict[str, str]:
    """Remember the plan unless it is the recalled one; the facts' ``calibration`` entry."""
    memory = job.setup.memory
    if memory is None or key is None:
        return {}
    source = {"from": recalled.source} if recalled is not None and recalled.source else {}
    if (recalled is not None and all(recalled.loops.get(k) == n for k, n in plan.loops.items())
            and recalled.scale == plan.scale):
        if source:  # a folder's plan, kept: the cache remembers it for the runs after
            memory.remember(key, plan.loops, plan.scale, f"{job.interp.id} {job.work_key}")
        return {"plan": "recalled", "recorded": recalled.recorded, **source}
    saved = memory.remember(key, plan.loops, plan.scale, f"{job.interp.id} {job.work_key}")
    how = "fresh" if recalled is None else "changed"
    return {"plan": how, "recorded": saved.recorded if saved else "",
            **({"replaced": recalled.recorded or recalled.source} if recalled else {})}


# ---------------------------------------------------------------- one process


def call_worker(job: WorkloadJob, interp: Interpreter, args: list[str]) -> dict[str, Any]:
    """One worker process of ``job``'s workload under ``interp``: its document."""
    common = ["--threads", ",".join(str(t) for t in job.threads)]
    if job.work.params:
        common += ["--params", json.dumps(dict(job.work.params), sort_keys=True)]
    return run_worker(
        interp, job.name, common + args,
        timeout=job.setup.timeout or job.profile.timeout, workloads_dir=job.folder,
        worker=job.setup.worker, cpus=job.setup.cpus, escaped=job.escaped,
    )


def measure_process(
    job: WorkloadJob, plan: Plan, index: int, round_index: int
) -> dict[str, pyperf.Run]:
    """One measuring process of ``job``: every point interleaved, its runs by benchmark name.

    Process ``index`` (0: a JIT's recalibration) of round ``round_index``; every
    run's metadata gets ``harness_round`` and ``harness_started`` (the Unix
    time the worker started).
    """
    args = plan.worker_args(job.setup.seed + index)
    # pyperf's per-run date: when this process started (stats shows the span).
    date = now().strftime("%Y-%m-%d %H:%M:%S")
    extra = {"harness_round": round_index, "harness_started": round(time.time(), 3)}
    doc = call_worker(job, plan.interp, args)
    ctx = dataclasses.replace(plan.ctx, date=date, process=index)
    runs = {name: with_metadata(run, extra)
            for name, run in suite_mod.runs_from_document(doc, ctx).items()}
    for key in plan.loops:
        name = points.benchmark_name(job.name, key)
        if name not in runs:
            raise WorkerError(
                f"worker for {job.name!r} under {job.interp.id!r} returned no values for "
                f"{name!r}"
            )
    return runs


def checked_process(
    job: WorkloadJob, plan: Plan, index: int, round_index: int
) -> tuple[dict[str, pyperf.Run], Check | None]:
    """One measuring process between the run's references: its runs, what they said of it."""
    machine = job.setup.machine
    if machine:
        machine.before_process()
    started = time.monotonic()
    runs = measure_process(job, plan, index, round_index)
    job.runs.seconds.append(time.monotonic() - started)
    return runs, machine.after_process() if machine else None


def _recalibrated(loops: int, run: pyperf.Run, min_time: float) -> int:
    """Loops for a JIT interpreter's measuring processes, from one process's warm values.

    Doubles the calibrated loops until the median warm value lasts ``min_time``.
    """
    per_loop = sorted(run.values)[len(run.values) // 2]
    while loops * per_loop < min_time and loops < 2**30:
        loops *= 2
    return loops


def _as_recalibration(run: pyperf.Run, loops: int) -> pyperf.Run:
    """A measured run turned into pyperf's loop recalibration run (warmups only)."""
    old = run.get_metadata()["loops"]
    warmups = [*run.warmups, *((old, v) for v in run.values)]
    metadata = {**run.get_metadata(), "recalibrate_loops": loops}
    return pyperf.Run([], warmups=warmups, metadata=metadata, collect_metadata=False)


def _reason(exc: HarnessError) -> str:
    return f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
