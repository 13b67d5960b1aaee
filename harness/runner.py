"""Run workloads under interpreters the way pyperf does, and keep going when one fails.

For each (interpreter, workload): one calibration process picks the loops of
every point (``--calibrate --min-time``), then ``processes`` measuring
processes each run ALL the points of the workload with those loops.  One
process per point would multiply Jython's 1-1.5 s JVM start by the number of
points; one process per workload keeps it affordable while pyperf's
"several processes per benchmark" still holds.  Each process's document
becomes one ``pyperf.Run`` per point (``harness.suite``).

Every worker gets an allow-listed environment, its own session (so a hang is
killed with its whole process group), and a timeout.  A failure is recorded
as an outcome and the run goes on; the exit status says something failed.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyperf

import harness
from harness import container, interpreters, kinds, paths
from harness import suite as suite_mod
from harness.errors import HarnessError, UsageError, WorkerError
from harness.progress import Progress
from harness.spec import Interpreter, base_environ


@dataclass(frozen=True)
class Profile:
    """How much measuring to do: pyperf's processes x values, warmups, loop length, timeout.

    ``jit_*`` apply to interpreters with a JIT (PyPy; Jython's JVM too), whose
    first values are far slower than the steady state.  ``fast_params``
    scales workloads down (``--fast`` only) so a smoke run stays short.
    """

    processes: int
    values: int
    warmups: int
    jit_warmups: int
    min_time: float  # seconds; calibration makes each value last at least this
    timeout: float  # seconds, per worker process
    jit_values: int = 0  # 0: same as values
    fast_params: bool = False

    def __post_init__(self) -> None:
        if self.processes < 1 or self.values < 1 or self.warmups < 0 or self.jit_warmups < 0:
            raise ValueError("processes and values must be >= 1, warmups >= 0")
        if self.min_time <= 0 or self.timeout <= 0:
            raise ValueError("min_time and timeout must be > 0 seconds")

    def for_interpreter(self, interp: Interpreter) -> tuple[int, int]:
        """(warmups, values) for this interpreter: more of both for a JIT."""
        if has_jit(interp):
            return self.jit_warmups, self.jit_values or self.values
        return self.warmups, self.values


# Chosen on a 2-core VM so that the default comparison (8 interpreters x 7
# workloads x threads 1,2,4, Jython in a container) stays under 10 minutes:
# measured 274 s for "default" and 35 s for "fast" (load average ~2.5 from
# other jobs).  One process per workload per run, so Jython's JVM start is
# paid 4-5 times per workload, not once per point.
PROFILES: dict[str, Profile] = {
    "fast": Profile(
        processes=1,
        values=2,
        warmups=1,
        jit_warmups=1,
        min_time=0.005,
        timeout=60.0,
        jit_values=2,
        fast_params=True,
    ),
    "default": Profile(
        processes=3,
        values=3,
        warmups=1,
        jit_warmups=3,
        min_time=0.05,
        timeout=120.0,
        jit_values=5,
    ),
    "rigorous": Profile(
        processes=6,
        values=5,
        warmups=2,
        jit_warmups=6,
        min_time=0.1,
        timeout=300.0,
        jit_values=10,
    ),
}

# --fast: smaller totals for the workloads we know, so one loop is short
# everywhere (the defaults count down 8 M: ~0.25 s on 3.x; Jython starts slowly).
# Only keys the workload's PARAMS has are passed (the worker refuses others).
FAST_PARAMS: dict[str, dict[str, Any]] = {
    "countdown": {"total": 200_000},
    "countdown_processes": {"total": 200_000},
    "counter_race": {"total": 20_000},
    "counter_lock": {"total": 20_000},
    "c_release": {"total": 4 * 1024 * 1024},
    "io_wait": {"waits": 2},
    "switch_latency": {"sleeps": 10},
}

_STDERR_TAIL_LINES = 10


def has_jit(interp: Interpreter) -> bool:
    """True for interpreters whose early values are warm-up noise (PyPy, the JVM's Jython)."""
    return kinds.has_jit(interp)


def default_threads(cpu_count: int | None = None) -> list[int]:
    """1, 2, 4 ... up to twice the CPU count."""
    cpus = cpu_count or os.cpu_count() or 1
    counts = [1]
    while counts[-1] * 2 <= 2 * cpus:
        counts.append(counts[-1] * 2)
    return counts


def parse_threads(text: str | None) -> list[int]:
    """``"1,2,4"`` -> [1, 2, 4]; None -> the default; anything else is a UsageError."""
    if not text:
        return default_threads()
    counts: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise UsageError(
                f"--threads: {part!r} is not a positive integer", "e.g. --threads 1,2,4"
            )
        if int(part) not in counts:
            counts.append(int(part))
    if not counts:
        raise UsageError("--threads: no thread counts given", "e.g. --threads 1,2,4")
    return counts


# ---------------------------------------------------------------- one process


class WorkerTimeout(WorkerError):
    """A worker process ran past its timeout and was killed with its process group."""


def _tail(text: str, lines: int = _STDERR_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the worker and everything it started (threads' subprocesses, a JVM, an engine)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _stop_container(interp: Interpreter, argv: Sequence[str], env: Mapping[str, str]) -> None:
    """A killed engine client leaves its container running: remove it too."""
    if interp.container is not None:
        container.stop_container(argv, env)


def run_worker(
    interp: Interpreter,
    workload: str,
    args: Sequence[str],
    *,
    timeout: float,
    workloads_dir: Path,
    worker: Path = paths.WORKER_SCRIPT,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run one worker process; return its checked document or raise ``WorkerError``.

    The process gets its own session: on timeout (or Ctrl-C) the whole group
    is killed, so no thread, child process or JVM outlives it.
    """
    argv = interp.command(worker, ["--workload", workload, *args], workloads_dir)
    child_env = interp.environ(base_environ() if env is None else env)
    where = f"{workload!r} under {interp.id!r}"
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise WorkerError(f"cannot start {where}: {exc}", f"command: {shlex.join(argv)}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        _stop_container(interp, argv, child_env)
        _, stderr = proc.communicate()
        raise WorkerTimeout(
            f"{where} timed out after {timeout:g} s and was killed",
            _tail(stderr) or "no output on stderr",
        ) from None
    except BaseException:  # Ctrl-C: no orphan left burning a core
        _kill_group(proc)
        _stop_container(interp, argv, child_env)
        proc.communicate()
        raise
    finally:
        # A daemon grandchild could still hold the group: never leave one behind.
        if proc.returncode is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode != 0:
        raise WorkerError(
            f"{where} exited with status {proc.returncode}",
            _tail(stderr) or "no output on stderr",
        )
    return suite_mod.parse_worker_output(stdout, interp.id, workload)


# ---------------------------------------------------------------- one workload


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


def workload_params(name: str, path: Path | None, profile: Profile) -> dict[str, Any]:
    """The ``--params`` overrides for this workload under this profile ({} for most)."""
    if not profile.fast_params or name not in FAST_PARAMS:
        return {}
    wanted = FAST_PARAMS[name]
    known = _declared_params(path)
    if known is None:
        return {}
    return {k: v for k, v in wanted.items() if k in known}


def _declared_params(path: Path | None) -> set[str] | None:
    """The keys of the workload's ``PARAMS`` literal, read without importing it."""
    if path is None or not Path(path).is_file():
        return None
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (SyntaxError, OSError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PARAMS" for t in node.targets
        ):
            # Only the keys matter: values may be expressions (16 * 1024 * 1024).
            if not isinstance(node.value, ast.Dict):
                return None
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.value.keys]
            names = {k for k in keys if isinstance(k, str)}
            return names if len(names) == len(keys) else None
    return None


def run_workload(
    interp: Interpreter,
    workload: str,
    threads: Sequence[int],
    profile: Profile,
    *,
    workloads_dir: Path,
    workload_path: Path | None = None,
    timeout: float | None = None,
    worker: Path = paths.WORKER_SCRIPT,
    ctx: suite_mod.RunContext | None = None,
    on_process: Callable[[str], None] | None = None,
) -> WorkloadResult:
    """Calibrate, then measure with ``profile.processes`` processes; never raises WorkerError.

    A failure (crash, timeout, unreadable output) becomes a workload-level
    outcome and no runs are kept for that workload: a benchmark is either
    measured as the profile asked or not at all.
    """
    ctx = ctx or suite_mod.RunContext(interp.id, interp.implementation, interp.gil)
    timeout = timeout or profile.timeout
    result = WorkloadResult(workload)
    started = time.monotonic()
    common = ["--threads", ",".join(str(t) for t in threads)]
    params = workload_params(workload, workload_path, profile)
    if params:
        common += ["--params", json.dumps(params, sort_keys=True)]
    warmups, values = profile.for_interpreter(interp)

    def call(args: list[str]) -> dict[str, Any]:
        return run_worker(
            interp,
            workload,
            common + args,
            timeout=timeout,
            workloads_dir=workloads_dir,
            worker=worker,
        )

    try:
        if on_process:
            on_process("calibrate")
        calibration = call(["--calibrate", "--min-time", repr(profile.min_time)])
        if calibration.get("unsupported"):
            result.outcomes.append(
                Outcome(workload, "unsupported", str(calibration["unsupported"]))
            )
            return result
        loops: dict[str, int] = {}
        for point in calibration["points"]:
            name = suite_mod.benchmark_name(workload, point["key"])
            if point.get("unsupported"):
                result.outcomes.append(Outcome(name, "unsupported", str(point["unsupported"])))
            else:
                loops[point["key"]] = max(int(point.get("loops") or 1), 1)
                result.runs[name] = []
        if not loops:
            return result
        # A JIT is cold in the calibration process (Jython's first call can be
        # 6x its steady state), so its loops come out too low: like pyperf, one
        # more process recalibrates them from warm values and is stored as a
        # calibration run (no values), not measured.
        recalibrate = has_jit(interp) and calibration.get("measures") != "own"
        total = profile.processes + (1 if recalibrate else 0)
        for index in range(total):
            calibrating = recalibrate and index == 0
            if on_process:
                on_process("recalibrate" if calibrating else f"run {index + 1}/{total}")
            measure = [
                "--loops",
                ";".join(f"{k}={n}" for k, n in loops.items()),
                "--values",
                str(values),
                "--warmups",
                str(warmups),
            ]
            # pyperf's per-run date: when this process started (stats shows the span).
            date = _now().strftime("%Y-%m-%d %H:%M:%S")
            doc = call(measure)
            runs = suite_mod.runs_from_document(doc, dataclasses.replace(ctx, date=date))
            for key in loops:
                name = suite_mod.benchmark_name(workload, key)
                if name not in runs:
                    raise WorkerError(
                        f"worker for {workload!r} under {interp.id!r} returned no values for "
                        f"{name!r}"
                    )
                if calibrating:
                    loops[key] = _recalibrated(loops[key], runs[name], profile.min_time)
                    result.runs[name].append(_as_recalibration(runs[name], loops[key]))
                else:
                    result.runs[name].append(runs[name])
        result.outcomes.extend(Outcome(name, "ok") for name in result.runs)
    except WorkerTimeout as exc:
        result.runs.clear()
        result.outcomes[:] = [Outcome(workload, "timeout", _reason(exc))]
    except WorkerError as exc:
        result.runs.clear()
        result.outcomes[:] = [Outcome(workload, "failed", _reason(exc))]
    except ValueError as exc:  # pyperf refused a value or metadata
        result.runs.clear()
        result.outcomes[:] = [
            Outcome(workload, "failed", f"{workload!r} under {interp.id!r}: {exc}")
        ]
    finally:
        result.seconds = time.monotonic() - started
    return result


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


# ---------------------------------------------------------------- one interpreter


def _probe(interp: Interpreter) -> tuple[Any, str]:
    """``interpreters.probe(interp)`` when it works: (probe, ""), else (None, the error)."""
    try:
        return interpreters.probe(interp), ""
    except Exception as exc:  # a probe failure must not stop the measurements
        return None, str(exc)


def _describe_container(interp: Interpreter) -> dict[str, Any]:
    """Engine and version, image id, Java and Jython versions inside (or the error)."""
    try:
        return container.describe(interp)
    except HarnessError as exc:  # recorded; the measurements say the rest
        return {"error": str(exc)}


def _cpu_model() -> str | None:
    """The CPU's model name (Linux), for the report's environment section."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _loadavg() -> list[float] | None:
    """The 1/5/15-minute load averages: a busy machine explains a wide spread."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(paths.ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).astimezone()


@dataclass
class InterpreterResult:
    """Everything one interpreter produced in this run."""

    interpreter: Interpreter
    outcomes: list[Outcome] = field(default_factory=list)
    suite: Path | None = None
    facts: Path | None = None


def _reproduce(
    interp: Interpreter,
    workloads: Sequence[str],
    threads: Sequence[int],
    profile_name: str,
    timeout: float | None,
    output: Path,
) -> str:
    argv = ["python", "-m", "harness", "run", "--interpreter", interp.id]
    for name in workloads:
        argv += ["--workload", name]
    argv += ["--threads", ",".join(map(str, threads)), "--output", str(output)]
    if profile_name != "default":
        argv.append(f"--{profile_name}")
    if timeout:
        argv += ["--timeout", f"{timeout:g}"]
    return shlex.join(argv)


def run_interpreter(
    interp: Interpreter,
    workloads: Sequence[Any],
    threads: Sequence[int],
    profile: Profile,
    output: Path,
    *,
    profile_name: str = "default",
    timeout: float | None = None,
    workloads_dir: Path | None = None,
    worker: Path = paths.WORKER_SCRIPT,
    progress: Progress | None = None,
    position: tuple[int, int] = (1, 1),
) -> InterpreterResult:
    """Run every workload under one interpreter; write ``<id>.json`` and ``<id>.facts.json``.

    Both files are rewritten atomically after each workload, so an
    interruption leaves a consistent, readable pair.  ``workloads`` are
    ``harness.workloads.Workload`` objects (anything with ``name`` and ``path``).
    """
    output = Path(output)
    workloads_dir = (workloads_dir or paths.workloads_dir()).resolve()
    result = InterpreterResult(interp)
    spath = suite_mod.suite_path(output, interp.id)
    fpath = suite_mod.facts_path(output, interp.id)
    result.facts = fpath
    started = _now()
    names = [w.name for w in workloads]
    facts: dict[str, Any] = {
        "version": suite_mod.FACTS_FORMAT_VERSION,
        "interpreter": interp.to_json(),
        "probe": None,
        "outcomes": [],
        "run": {
            "profile": profile_name,
            "settings": asdict(profile),
            "threads": list(threads),
            "workloads": names,
            "started": started.isoformat(timespec="seconds"),
            "finished": None,
            "harness_version": harness.__version__,
            "git_commit": _git_commit(),
            "pyperf_version": pyperf.__version__,
            "cpu_model": _cpu_model(),
            "host_os": platform.platform(),
            "loadavg_start": _loadavg(),
            "command": _reproduce(interp, names, threads, profile_name, timeout, output),
        },
    }
    # A suite from an earlier run would not match these facts: drop it first.
    spath.unlink(missing_ok=True)
    if not interp.ready:
        why = "; ".join(interp.notes)
        reason = f"interpreter {interp.id!r} is not ready" + (f": {why}" if why else "")
        if interp.hint:
            reason += f"\n{interp.hint}"
        result.outcomes.append(Outcome(interp.id, "failed", reason))
        facts["outcomes"] = [o.to_json() for o in result.outcomes]
        facts["run"]["finished"] = _now().isoformat(timespec="seconds")
        suite_mod.write_json(fpath, facts)
        if progress:
            progress.line(f"[{position[0]}/{position[1]} {interp.id}] not ready: {interp.hint}")
        return result

    probe, probe_error = _probe(interp)
    facts["probe"] = probe
    if probe_error:
        facts["probe_error"] = probe_error
    if interp.container is not None:
        facts["container"] = _describe_container(interp)
    suite_mod.write_json(fpath, facts)

    ctx = suite_mod.RunContext(
        interp.id,
        interp.implementation,
        interp.gil,
        date=started.strftime("%Y-%m-%d %H:%M:%S"),
    )
    all_runs: dict[str, list[pyperf.Run]] = {}
    for index, workload in enumerate(workloads, 1):
        head = (
            f"[{position[0]}/{position[1]} {interp.id}] {workload.name} ({index}/{len(workloads)})"
        )
        if progress:
            progress.start(head)
        wres = run_workload(
            interp,
            workload.name,
            threads,
            profile,
            workloads_dir=workloads_dir,
            workload_path=workload.path,
            timeout=timeout,
            worker=worker,
            ctx=ctx,
            on_process=progress.step if progress else None,
        )
        result.outcomes.extend(wres.outcomes)
        all_runs.update(wres.runs)
        suite = suite_mod.build_suite(all_runs)
        if suite is not None:
            suite_mod.dump_suite(suite, spath)
            result.suite = spath
        facts["outcomes"] = [o.to_json() for o in result.outcomes]
        suite_mod.write_json(fpath, facts)
        if progress:
            detail = ""
            if wres.status in ("failed", "timeout", "unsupported"):
                detail = wres.outcomes[0].reason.splitlines()[0] if wres.outcomes else ""
            progress.done(wres.status, wres.seconds, detail)
    facts["run"]["loadavg_end"] = _loadavg()
    facts["run"]["finished"] = _now().isoformat(timespec="seconds")
    suite_mod.write_json(fpath, facts)
    return result


# ---------------------------------------------------------------- a whole run


@dataclass
class RunSummary:
    """The outcome of ``run``: per interpreter, and whether everything went through."""

    results: list[InterpreterResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[tuple[str, Outcome]]:
        """(interpreter id, outcome) for every failure and timeout."""
        return [
            (r.interpreter.id, o)
            for r in self.results
            for o in r.outcomes
            if o.status in ("failed", "timeout")
        ]

    @property
    def ok(self) -> bool:
        """True when nothing failed or timed out (unsupported is fine)."""
        return not self.failed

    def lines(self) -> list[str]:
        """A short human summary: counts per interpreter, then each failure's first line."""
        out = []
        for r in self.results:
            counts: dict[str, int] = {}
            for o in r.outcomes:
                counts[o.status] = counts.get(o.status, 0) + 1
            text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing run"
            out.append(f"  {r.interpreter.id:<12} {text}")
        unsupported = [
            (r.interpreter.id, o)
            for r in self.results
            for o in r.outcomes
            if o.status == "unsupported"
        ]
        if unsupported:
            out.append("unsupported:")
            out += [f"  {i} {o.benchmark}: {o.reason.splitlines()[0]}" for i, o in unsupported]
        if self.failed:
            out.append("failed:")
            for i, o in self.failed:
                first = o.reason.splitlines()[0] if o.reason else ""
                out.append(f"  {i} {o.benchmark} [{o.status}]: {first}")
        return out


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
) -> RunSummary:
    """Run every workload under every interpreter, one interpreter at a time.

    Processes run one after another: measuring on a 2-core machine while
    something else measures would only measure the contention.
    """
    if isinstance(profile, str):
        profile_name, prof = profile, PROFILES[profile]
    else:
        profile_name, prof = "custom", profile
    counts = list(threads) if threads else default_threads()
    summary = RunSummary()
    started = time.monotonic()
    try:
        for index, interp in enumerate(interpreters, 1):
            summary.results.append(
                run_interpreter(
                    interp,
                    workloads,
                    counts,
                    prof,
                    Path(output),
                    profile_name=profile_name,
                    timeout=timeout,
                    workloads_dir=workloads_dir,
                    worker=worker,
                    progress=progress,
                    position=(index, len(interpreters)),
                )
            )
    finally:
        summary.seconds = time.monotonic() - started
    return summary


def _resolve_interpreters(ids: Sequence[str] | None) -> list[Interpreter]:
    return interpreters.resolve(list(ids) if ids else None)


def _resolve_workloads(names: Sequence[str] | None) -> list[Any]:
    from harness import workloads as workloads_mod

    return list(workloads_mod.resolve_workloads(list(names) if names else None))


def cmd_run(args: argparse.Namespace) -> int:
    """``python -m harness run``: measure, write suites and facts, print a summary.

    Exit status 0 when everything ran (unsupported points are fine), 1 when
    any workload failed or timed out, or an asked interpreter is missing.
    """
    profile_name = "fast" if args.fast else "rigorous" if args.rigorous else "default"
    threads = parse_threads(args.threads)
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    directory = paths.workloads_dir()
    workloads = _resolve_workloads(args.workload)
    interps = _resolve_interpreters(args.interpreter)
    if not interps:
        raise HarnessError(
            "no interpreter is ready to run",
            "see `python -m harness interpreters` and `python -m harness provision`",
        )
    output = Path(args.output)
    progress = Progress()
    progress.line(
        f"running {len(workloads)} workload(s) under {len(interps)} interpreter(s), "
        f"threads {','.join(map(str, threads))}, profile {profile_name} -> {output}"
    )
    summary = run(
        interps,
        workloads,
        output,
        threads=threads,
        profile=profile_name,
        timeout=args.timeout,
        workloads_dir=directory,
        progress=progress,
    )
    progress.line(f"done in {summary.seconds:.0f} s; results in {output}")
    for line in summary.lines():
        progress.line(line)
    if not args.interpreter:
        absent = record_unavailable(output, profile_name)
        if absent:
            progress.line("not available here (recorded for the report):")
            for interp in absent:
                why = interp.notes[-1] if interp.notes else interp.hint
                progress.line(f"  {interp.id}: {why.splitlines()[0] if why else 'missing'}")
    return 0 if summary.ok else 1


def record_unavailable(output: Path, profile_name: str) -> list[Interpreter]:
    """Write a facts file for each default interpreter that is not ready here.

    The default comparison runs what is ready; a reader of the report should
    still learn that, say, 3.14t was meant to be there and why it is not. Its
    outcome is "missing", which is neither a failure of the run nor a result.
    """
    absent = [i for i in interpreters.discover() if i.default and not i.ready]
    now = _now().isoformat(timespec="seconds")
    for interp in absent:
        # The remedy first: the report shortens long reasons.
        why = "; ".join(interp.notes) or "not provisioned"
        reason = f"to provide it: {interp.hint}; why: {why}" if interp.hint else why
        facts = {
            "version": suite_mod.FACTS_FORMAT_VERSION,
            "interpreter": interp.to_json(),
            "probe": None,
            "outcomes": [Outcome("*", "missing", reason).to_json()],
            "run": {"profile": profile_name, "started": now, "finished": now,
                    "harness_version": harness.__version__},
        }
        suite_mod.write_json(suite_mod.facts_path(output, interp.id), facts)
    return absent
