"""Run workloads under interpreters the way pyperf does, and keep going when one fails.

Every interpreter is started (probed), then the run is a schedule of rounds
across all of them (``harness.schedule``): round 0 calibrates every
(interpreter, workload) job, then each round gives every job that still needs
one a measuring process (``harness.measure``; each runs ALL the points of its
workload, interleaved), in an order shuffled per round from the recorded seed:
the profile's minimum first (the floor, always), then, with the default and
rigorous profiles, more to the jobs that miss their targets until the run's
time cap (``harness.sampling``).  Between processes the run's references are
timed (``harness.machine``: the noise loop, the drift references, the parallel
capacity).  Every process becomes one ``pyperf.Run`` per point.

A failure is recorded as an outcome and the run goes on; the exit status says
something failed.  Every interpreter's suite and facts are written beside the
folder's pair after each round and replace it only once complete
(``harness.results.PairWriter``); an interruption keeps every complete round,
an earlier complete pair too, and says so in the partial pair's facts.  One
run per results folder at a time (``harness.lock``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyperf

import harness
from harness import (
    affinity,
    calibrations,
    container,
    drift,
    environment,
    interpreters,
    lock,
    paths,
    procgroup,
    results,
    sampling,
    sid,
)
from harness import suite as suite_mod
from harness import workloads as workloads_mod
from harness.capacity import ParallelReference
from harness.errors import HarnessError
from harness.machine import Machine
from harness.measure import JobSetup, WorkloadJob, env_note
from harness.observer import Observer, ProgressLines
from harness.profiles import PROFILES, Profile, default_threads, parse_threads
from harness.progress import Progress
from harness.results import Outcome
from harness.schedule import Schedule
from harness.spec import Interpreter, check_id, memory_facts, worker_memory
from harness.summary import InterpreterResult, RunSummary


def _reproduce(
    interp: Interpreter,
    workloads: Sequence[str],
    threads: Sequence[int],
    profile_name: str,
    timeout: float | None,
    output: Path,
    folders: Sequence[Path] = (),
    cpus: Sequence[affinity.Cpus] = ((),),
) -> str:
    argv = ["python", "-m", "harness", "run", "--interpreter", interp.id]
    for folder in folders:
        argv += ["--workloads", _as_typed(folder)]
    for name in workloads:
        argv += ["--workload", name]
    argv += ["--threads", ",".join(map(str, threads)), "--output", str(output)]
    if profile_name != "default":
        argv.append(f"--{profile_name}")
    if timeout:
        argv += ["--timeout", f"{timeout:g}"]
    if list(cpus) != [()]:
        argv += ["--cpus", ",".join(str(len(c)) if c else affinity.ALL for c in cpus)]
    return shlex.join(argv)


def _as_typed(folder: Path) -> str:
    """A folder as a user types it: relative to the current folder when inside it (portable)."""
    try:
        return str(folder.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(folder)


def new_facts(interp: Interpreter, run_info: dict[str, Any]) -> results.Facts:
    """The one builder of a facts record: the interpreter, and what is known of the run."""
    base = {
        "started": environment.now().isoformat(timespec="seconds"),
        "finished": None,
        "harness_version": harness.__version__,
        "worker_memory": memory_facts(),  # each worker's limit (issue 23)
    }
    return results.Facts(interpreter=interp.to_json(), run={**base, **run_info})


def _probe(interp: Interpreter) -> tuple[Any, str]:
    """``interpreters.probe(interp)`` when it works: (probe, ""), else (None, the error)."""
    try:
        return interpreters.probe(interp), ""
    except Exception as exc:  # a probe failure must not stop the measurements
        return None, str(exc)


def _describe_container(interp: Interpreter) -> dict[str, Any]:
    """Engine and version, image id, Java and Jython versions inside (or the error)."""
    try:
        return sid.describe(interp) if sid.is_sid(interp) else container.describe(interp)
    except HarnessError as exc:  # recorded; the measurements say the rest
        return {"error": str(exc)}


@dataclass
class RunOptions:
    """How one interpreter is run: the profile and where things are."""

    profile: Profile
    profile_name: str
    threads: Sequence[int]
    output: Path
    workloads_dir: Path
    timeout: float | None = None
    worker: Path = paths.WORKER_SCRIPT
    seed: int = 0
    cpus: Sequence[affinity.Cpus] = ((),)  # one set of processes per choice (run --cpus)
    memory: calibrations.Memory | None = None  # plans chosen before on this machine

    @property
    def target(self) -> sampling.Target:
        """The sampling target of this profile."""
        p = self.profile
        return sampling.Target(p.ratio_half_width, p.mean_rel_half_width, p.pyperf_bar)


def _run_facts(interp: Interpreter, opts: RunOptions, workloads: Sequence[Any]) -> results.Facts:
    """An interpreter's facts as its run starts: how the run was asked for, on what."""
    names = [w.name for w in workloads]
    return new_facts(
        interp,
        {
            "profile": opts.profile_name,
            "settings": asdict(opts.profile),
            "threads": list(opts.threads),
            "workloads": names,
            "git_commit": environment.git_commit(),
            "pyperf_version": pyperf.__version__,
            "cpu_model": environment.cpu_model(),
            "host_os": platform.platform(),
            "loadavg_start": environment.loadavg(),
            "command": _reproduce(
                interp, names, opts.threads, opts.profile_name, opts.timeout, opts.output,
                workloads_mod.user_folders(workloads), opts.cpus,
            ),
            "cpus": [affinity.label(c) for c in opts.cpus],
        },
    )


def sampling_facts(
    jobs: Sequence[WorkloadJob], opts: RunOptions, schedule: dict[str, Any]
) -> dict[str, Any]:
    """The facts' ``sampling``: the target, the time cap and spent, every point against it."""
    points: dict[str, Any] = {}
    for job in jobs:
        for check in job.checks(opts.target):
            points[check.name] = {**check.to_json(),
                                  "cap_reached": bool(job.capped and not check.met)}
    profile = opts.profile
    scale = schedule.get("time_scale", profile.cap_factor)
    return {
        "target": opts.target.to_json(),
        "budget_s": profile.budget or None,
        "time_scale": scale,
        "cap_s": round(profile.budget * scale, 1) or None,
        "max_cap_s": profile.cap or None,
        "spent_s": round(sum(job.seconds for job in jobs), 1),
        "min_processes": profile.processes,
        "max_processes": profile.max_processes or profile.processes,
        "adaptive": profile.adds_processes,
        "points": points,
    }


def summary_line(head: str, jobs: Sequence[WorkloadJob], target: sampling.Target) -> str:
    """``[1/2 host] 6 processes per point (5-9); 4/6 points met the target; ...``."""
    counts = [job.processes for job in jobs if job.processes]
    checks = [c for job in jobs for c in job.checks(target) if c.measure != "none"]
    met = sum(1 for c in checks if c.met)
    capped = [job.name for job in jobs if job.capped]
    low, high = min(counts, default=0), max(counts, default=0)
    span = f"{low}" if low == high else f"{low}-{high}"
    noun = "process" if high == 1 else "processes"
    text = f"{head} {span} {noun} per workload; {met}/{len(checks)} points met the target"
    if capped:
        text += f"; the time cap stopped {', '.join(capped)} short of it"
    flagged = sum(job.runs.flagged for job in jobs)
    return text + (f"; {flagged} processes flagged" if flagged else "")


def _detail(job: WorkloadJob) -> str:
    """The end of a job's calibration line: why it ended, or its work scale and environment."""
    if job.status in ("failed", "timeout", "unsupported"):
        return job.outcomes[0].reason.splitlines()[0] if job.outcomes else ""
    scale = f"work x{job.work.scale}" if job.work.scale > 1 else ""
    return (scale + env_note(job)).lstrip("; ")


class InterpreterRun:
    """One interpreter's part of a run: its jobs, its files; the schedule drives its processes."""

    def __init__(
        self,
        interp: Interpreter,
        workloads: Sequence[Any],
        opts: RunOptions,
        machine: Machine,
        observer: Observer | None = None,
        position: tuple[int, int] = (1, 1),
    ) -> None:
        self.interp = interp
        self.first = position[0] == 1
        self.workloads = list(workloads)
        self.opts = opts
        self.machine = machine
        self.observer = observer or Observer()
        self.head = f"[{position[0]}/{position[1]} {interp.id}]"
        self.result = InterpreterResult(interp)
        self.files = results.PairWriter(opts.output, interp.id)
        self.current = "*"  # the workload in progress ("*": none, between workloads)
        self.cut: Outcome | None = None  # the "interrupted" outcome, once interrupted
        self.jobs: list[WorkloadJob] = []
        self.schedule: dict[str, Any] = {}  # the run's round seed and rounds (shared)
        self.facts = _run_facts(interp, opts, self.workloads)
        started = self.facts.run["started"]
        self.ctx = suite_mod.RunContext(
            interp.id,
            interp.implementation,
            interp.gil,
            date=started[:19].replace("T", " "),
        )

    @property
    def ident(self) -> str:
        """The interpreter's id."""
        return self.interp.id

    # ------------------------------------------------------------ files

    def _all_runs(self, discarded: bool = False) -> dict[str, list[pyperf.Run]]:
        runs: dict[str, list[pyperf.Run]] = {}
        for job in self.jobs:
            runs.update(job.runs.discarded if discarded else job.runs.kept)
        return runs

    def save(self) -> None:
        """Rewrite the staging suite (when there are runs), facts and discarded runs, atomically."""
        suite = suite_mod.build_suite(self._all_runs())
        self.result.outcomes = [o for job in self.jobs for o in job.outcomes]
        if self.cut is not None:
            self.result.outcomes.append(self.cut)
        self.facts.outcomes = list(self.result.outcomes)
        self.facts.sampling = sampling_facts(self.jobs, self.opts, self.schedule)
        reruns = sum(job.runs.reruns for job in self.jobs)
        self.facts.noise = {**self.machine.to_json(), "flagged_processes": reruns,
                            "kept_flagged": sum(job.runs.flagged for job in self.jobs) - reruns}
        self.facts.run.update(self.schedule)
        self.facts.work = {job.work_key: job.work_facts() for job in self.jobs}
        discarded = suite_mod.build_suite(self._all_runs(discarded=True))
        self.files.save(suite, self.facts, discarded)

    # ------------------------------------------------------------ steps

    def _not_ready(self) -> None:
        """A failed outcome, and facts that say why (unless a measured pair is kept)."""
        why = "; ".join(self.interp.notes)
        reason = f"interpreter {self.interp.id!r} is not ready" + (f": {why}" if why else "")
        if self.interp.hint:
            reason += f"\n{self.interp.hint}"
        self.result.outcomes.append(Outcome(self.interp.id, "failed", reason))
        self.facts.outcomes = list(self.result.outcomes)
        self.facts.run["finished"] = environment.now().isoformat(timespec="seconds")
        self.result.facts_path = results.write_record(self.opts.output, self.interp.id,
                                                      self.facts)
        kept = "" if self.result.facts_path else " (its earlier results in the folder are kept)"
        self.observer.note(f"{self.head} not ready: {self.interp.hint}{kept}")

    def start(self) -> bool:
        """Probe, take the machine's measure; False (and a failed outcome) when not ready."""
        if not self.interp.ready:
            self._not_ready()
            return False
        probe, probe_error = _probe(self.interp)
        self.facts.probe = probe
        self.facts.probe_error = probe_error or None
        # A container's engine and image, or a local Jython standing in for the image.
        self.facts.container = _describe_container(self.interp) or None
        if self.facts.container and "fallback" in self.facts.container:
            self.observer.note(f"{self.head} {container.FALLBACK}: {self.facts.container['why']}")
        order = (f"shuffled per round; process i uses seed {self.opts.seed} + i; jobs interleaved "
                 f"across interpreters in rounds shuffled from the round seed")
        env = environment.environment_facts(self.opts.seed, order)
        # The 1-minute load average is mostly the harness's own workers once a run
        # is going: only the run's start is judged by it; the rest by the reference loop.
        load = env["loadavg_before"] if self.first else None
        busy = environment.busy_reasons(load, self.machine.noise.rsd(), environment.usable_cpus())
        env["busy_at_start"] = bool(busy)
        env["busy_reasons"] = busy
        self.facts.environment = env
        if busy and self.first:
            self.observer.note(f"warning: the machine is busy ({'; '.join(busy)})")
        self.jobs = [self._job(w, c) for w in self.workloads for c in self.opts.cpus]
        self.save()
        return True

    def _job(self, workload: Any, cpus: affinity.Cpus = ()) -> WorkloadJob:
        setup = JobSetup(
            workloads_dir=self.opts.workloads_dir,
            timeout=self.opts.timeout,
            worker=self.opts.worker,
            ctx=self.ctx,
            machine=self.machine,
            seed=self.opts.seed,
            on_step=self._step,
            cpus=cpus,
            memory=self.opts.memory,
        )
        return WorkloadJob(self.interp, workload, self.opts.threads, self.opts.profile, setup)

    def calibrate(self, job: WorkloadJob, round_index: int) -> None:
        """Calibrate one workload (its own progress line)."""
        self.observer.calibrating(self.head, job.work_key, self.jobs.index(job) + 1,
                                  len(self.jobs))
        job.prepare(round_index)
        self.observer.calibrated(job.status, job.seconds, _detail(job))

    def _step(self, what: str) -> None:
        self.observer.step(self.interp.id, self.current, what, self.machine.noise.summary())

    def finish(self) -> None:
        """Close the facts (load average and time at the end); the pair replaces the folder's."""
        for job in self.jobs:
            job.finish()
        if self.facts.environment is not None:
            self.facts.environment["loadavg_after"] = environment.loadavg()
        self.facts.run["loadavg_end"] = environment.loadavg()
        self.facts.run["finished"] = environment.now().isoformat(timespec="seconds")
        self.save()
        self.result.suite, self.result.facts_path = self.files.commit()
        self.observer.note(summary_line(self.head, self.jobs, self.opts.target))

    def interrupted(self, exc: KeyboardInterrupt) -> None:
        """Ctrl-C, SIGTERM or SIGHUP: keep the partial pair, saying so, beside a complete one."""
        if self.files.done:  # cut right after the commit: nothing is partial
            return
        signame = getattr(exc, "signame", None) or "SIGINT"
        at = environment.now().isoformat(timespec="seconds")
        self.facts.run["interrupted"] = {"signal": signame, "at": at}
        for job in self.jobs:  # what complete processes measured is "ok", as far as it goes
            if job.processes:
                job.finish()
        self.cut = Outcome(self.current, "interrupted", f"interrupted by {signame} at {at}")
        self.save()
        self.result.suite, self.result.facts_path = self.files.keep_interrupted()
        where = self.result.facts_path.parent
        if where != self.opts.output.resolve():
            self.observer.note(f"{self.head} interrupted: earlier results kept; this run's "
                               f"partial results are in {where}")


def _measure_all(states: Sequence[InterpreterRun], schedule: Schedule) -> None:
    """Start every interpreter, calibrate every job, measure in rounds, commit every pair."""
    ready = [state for state in states if state.start()]
    schedule.members = ready
    for state in ready:
        state.schedule = schedule.to_json()
    schedule.calibrate()
    schedule.measure()
    for state in ready:
        state.finish()


def _run_states(states: Sequence[InterpreterRun], schedule: Schedule, lines: Observer) -> None:
    """``_measure_all`` with today's rules on the way out: an interruption keeps every
    interpreter's partial pair (beside an earlier complete one), a full disk the last save,
    a crash leaves the folder as it was."""
    try:
        _measure_all(states, schedule)
    except KeyboardInterrupt as exc:  # harness.errors.Interrupted (SIGTERM, SIGHUP) is one
        with procgroup.held(reraise=False):  # a second signal must not cut the save short
            lines.cut("interrupted", f"by {getattr(exc, 'signame', None) or 'SIGINT'}")
            for state in states:
                if state.facts.probe is not None or state.facts.probe_error is not None:
                    state.interrupted(exc)
        raise
    except results.DiskFull as exc:  # keep the last save's pairs (renames need no space)
        kept = []
        with procgroup.held(reraise=False):
            lines.cut("stopped", "disk full")
            for state in states:
                if state.files.staged_facts.exists():
                    kept.append(state.files.keep_interrupted()[1].parent)
        where = ", ".join(sorted({str(k) for k in kept})) or "nothing"
        exc.message += f"; completed rounds kept in {where}"
        raise
    except BaseException:
        for state in states:
            state.files.discard()  # a crash: the folder keeps what it had
        raise


def run(
    interpreters: Sequence[Interpreter],
    workloads: Sequence[Any],
    output: Path,
    *,
    threads: Sequence[int] | None = None,
    profile: str | Profile = "default",
    timeout: float | None = None,
    workloads_dir: Path | None = None,
    worker: Path = paths.WORKER_SCRIPT,
    progress: Progress | None = None,
    seed: int | None = None,
    cpus: Sequence[affinity.Cpus] = ((),),
    machine: Machine | None = None,
    memory: calibrations.Memory | None = None,
) -> RunSummary:
    """Run every workload under every interpreter, interleaved in rounds (``harness.schedule``).

    ``machine`` (default: the real references) is the seam for tests.
    ``memory``: the plans calibrated before on this machine, recalled
    (``harness.calibrations``; ``cmd_run`` gives the cache's, None calibrates afresh).

    Processes run one after another: measuring on a 2-core machine while
    something else measures would only measure the contention.  ``seed``
    (default: a random one, recorded in the facts) orders the points and the rounds.
    """
    if isinstance(profile, str):
        profile_name, prof = profile, PROFILES[profile]
    else:
        profile_name, prof = "custom", profile
    opts = RunOptions(
        profile=prof,
        profile_name=profile_name,
        threads=list(threads) if threads else default_threads(),
        output=Path(output),
        workloads_dir=(workloads_dir or paths.workloads_dir()).resolve(),
        timeout=timeout,
        worker=worker,
        seed=random.SystemRandom().randrange(1, 2**31) if seed is None else seed,
        cpus=list(cpus),
        memory=memory,
    )
    summary = RunSummary()
    started = time.monotonic()
    workers = min(max(opts.threads), environment.usable_cpus())
    if machine is None:
        machine = Machine(drift=drift.DriftMonitor(), capacity=ParallelReference(workers))
    lines = ProgressLines(progress)  # the progress lines: an observer of the run's events
    states = [
        InterpreterRun(interp, workloads, opts, machine, lines, (index, len(interpreters)))
        for index, interp in enumerate(interpreters, 1)
    ]
    schedule = Schedule(states, machine, prof, opts.target, opts.seed, lines)
    try:
        machine.settle()  # a quiet baseline before the first process
        _run_states(states, schedule, lines)
    finally:
        machine.close()
        summary.results = [state.result for state in states]
        summary.seconds = time.monotonic() - started
    return summary


def cmd_run(args: argparse.Namespace) -> int:
    """``python -m harness run``: measure, write suites and facts, print a summary.

    Exit status 0 when everything ran (unsupported points are fine), 1 when
    any workload failed or timed out, or an asked interpreter is missing.
    """
    profile_name = "fast" if args.fast else "rigorous" if args.rigorous else "default"
    threads = parse_threads(args.threads)  # --timeout: checked by argparse (harness.__main__)
    cpus = affinity.parse_cpus(getattr(args, "cpus", None))
    for ident in args.interpreter or ():
        check_id(ident)  # a name, not a path: before anything reads or writes a file
    output = Path(args.output)
    lock.check_output(output)
    plans_from = getattr(args, "plans_from", None)
    seeds = calibrations.from_results(Path(plans_from)) if plans_from else None
    memory = calibration_memory(not getattr(args, "recalibrate", False), seeds)
    worker_memory()  # a bad HARNESS_WORKER_MEMORY stops here, before any work (exit 2)
    workloads = workloads_mod.resolve_workloads(
        list(args.workload) if args.workload else None,
        user_dirs=[Path(d) for d in getattr(args, "workloads", None) or []],
    )
    interps = interpreters.resolve(list(args.interpreter) if args.interpreter else None)
    if not interps:
        raise HarnessError(
            "no interpreter is ready to run",
            "see `python -m harness interpreters` and `python -m harness provision`",
        )
    for interp in interps:
        check_id(interp.id)
    progress = Progress(stamp=False)
    with lock.hold(output, progress.line):
        return _run_and_record(args, (profile_name, threads, cpus), interps, workloads, output,
                               progress, memory)


def _run_and_record(
    args: argparse.Namespace,
    how: tuple[str, list[int], list[affinity.Cpus]],
    interps: Sequence[Interpreter],
    workloads: Sequence[Any],
    output: Path,
    progress: Progress,
    memory: calibrations.Memory,
) -> int:
    """``cmd_run`` once the folder is locked: run, summarize, record the absent defaults."""
    profile_name, threads, cpus = how
    cores = "" if cpus == [()] else f", cpus {', '.join(affinity.label(c) for c in cpus)}"
    progress.line(
        f"running {len(workloads)} workload(s) under {len(interps)} interpreter(s), "
        f"threads {','.join(map(str, threads))}{cores}, profile {profile_name} -> {output}"
    )
    summary = run(
        interps,
        workloads,
        output,
        threads=threads,
        profile=profile_name,
        timeout=args.timeout,
        workloads_dir=paths.workloads_dir(),
        progress=progress,
        seed=getattr(args, "seed", None),
        cpus=cpus,
        memory=memory,
    )
    progress.line(f"done in {summary.seconds:.0f} s; results in {output}")
    for line in summary.lines():
        progress.line(line)
    if not args.interpreter:
        absent = record_unavailable(output, profile_name)
        if absent:
            progress.line("not available here (recorded for the report):")
            for interp, written in absent:
                why = interp.notes[-1] if interp.notes else interp.hint
                why = why.splitlines()[0] if why else "missing"
                kept = "" if written else " (not recorded: earlier results in the folder kept)"
                progress.line(f"  {interp.id}: {why}{kept}")
    return 0 if summary.ok else 1


def calibration_memory(
    recall: bool = True, seeds: dict[tuple[str, str], calibrations.Plan] | None = None
) -> calibrations.Memory:
    """The cache's calibration memory for this machine (its CPU model, count and architecture);
    ``seeds``: the plans of ``run --plans-from DIR``, recalled first."""
    machine = f"{environment.cpu_model()}|{os.cpu_count()}|{platform.machine()}"
    return calibrations.Memory(paths.cache_dir() / calibrations.FILE_NAME, machine, recall,
                               seeds)


def record_unavailable(output: Path, profile_name: str) -> list[tuple[Interpreter, bool]]:
    """Write a facts file for each default interpreter that is not ready here.

    The default comparison runs what is ready; a reader of the report should
    still learn that, say, 3.14t was meant to be there and why it is not. Its
    outcome is "missing", which is neither a failure of the run nor a result.
    An earlier run's results for it in the same folder are kept instead
    (``results.write_record``). Returns (interpreter, whether recorded).
    """
    absent = [i for i in interpreters.discover() if i.default and not i.ready]
    recorded = []
    for interp in absent:
        # The remedy first: the report shortens long reasons.
        why = "; ".join(interp.notes) or "not provisioned"
        reason = f"to provide it: {interp.hint}; why: {why}" if interp.hint else why
        facts = new_facts(interp, {"profile": profile_name})
        facts.run["finished"] = facts.run["started"]
        facts.outcomes = [Outcome("*", "missing", reason)]
        recorded.append((interp, results.write_record(output, interp.id, facts) is not None))
    return recorded
