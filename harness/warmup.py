"""``python -m harness warmup``: long in-process series, to see whether a JIT warms up.

For each interpreter and workload (default: countdown and counter_lock at 1
and 2 threads), one calibration process picks each point's loops (each
iteration lasts at least ``--min-time``, cold), then ``--processes`` worker
processes each run ``--iterations`` rounds of every point, interleaved as in
the default profile. **Every iteration is kept as a pyperf value** (no
warm-ups: ``--warmups 0``), so ``python -m pyperf show``/``dump`` print the
whole series, and ``harness.changepoint`` classifies each process from the
file alone. Run metadata ``warmup_study`` (the iterations asked) marks these
suites; the report's "Does the JIT warm up?" section reads them from
``RESULTS/warmup/`` (this command's default output is ``results/warmup``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf

from harness import changepoint, interpreters, kinds, lock, results
from harness import suite as suite_mod
from harness import workloads as workloads_mod
from harness.errors import HarnessError, UsageError, WorkerError
from harness.progress import Progress
from harness.spawn import run_worker
from harness.spec import Interpreter, check_id
from harness.workloads import Workload

DEFAULT_WORKLOADS = ("countdown", "counter_lock")
DEFAULT_THREADS = (1, 2)
DEFAULT_IDS = ("pypy3.9", "pypy3.11", "jython2.7", "3.13")  # the JITs, CPython as control
MIN_ITERATIONS = changepoint.MIN_SERIES
# A call longer than this (Jython's countdown: 0.35 s) has its CPU-bound total divided
# (an integer factor, metadata ``work_scale`` = 1/factor) so 200 iterations x 5
# processes fit in minutes; a JIT's warm-up is then counted in more, shorter calls.
MAX_CALL = 0.02
SIZED_PARAM = "total"
STUDY_KEY = "warmup_study"


@dataclass(frozen=True)
class Study:
    """What to run: iterations per process, processes, how long one iteration lasts."""

    iterations: int = 200
    processes: int = 5
    min_time: float = 0.01
    threads: tuple[int, ...] = DEFAULT_THREADS
    timeout: float = 300.0
    fast: bool = False  # the workloads' FAST_PARAMS (a smoke study)

    def __post_init__(self) -> None:
        if self.iterations < MIN_ITERATIONS or self.processes < 1 or self.min_time <= 0:
            raise UsageError(
                f"a warm-up study needs at least {MIN_ITERATIONS} iterations, 1 process and "
                f"a positive --min-time (got {self.iterations}, {self.processes}, "
                f"{self.min_time:g})", "e.g. --iterations 200 --processes 5")


def _params(study: Study, workload: Workload) -> dict[str, Any]:
    return dict(workload.fast_params) if study.fast else {}


def _shrink(doc: dict[str, Any], workload: Workload, params: dict[str, Any]) -> int:
    """The factor that brings the slowest call under ``MAX_CALL`` (1: none, or not sized).

    The study divides the ``total`` of the CPU-bound and correctness groups (the
    counters too, which ``SIZED_BY`` does not scale up in a run)."""
    total = params.get(SIZED_PARAM, workload.params.get(SIZED_PARAM))
    if workload.group not in ("cpu", "correctness") or not isinstance(total, int):
        return 1
    calls = [float(p["values"][-1]) for p in doc.get("points") or [] if p.get("values")]
    slowest = max(calls, default=0.0)
    return math.ceil(slowest / MAX_CALL) if slowest > MAX_CALL else 1


def run_pair(interp: Interpreter, workload: Workload, study: Study,
             progress: Progress | None = None) -> dict[str, list[pyperf.Run]]:
    """One workload under one interpreter: its runs (one per process and point), by name."""
    folder = workload.folder
    params = _params(study, workload)

    def call(args: list[str]) -> dict[str, Any]:
        common = ["--threads", ",".join(str(t) for t in study.threads)]
        if params:
            common += ["--params", json.dumps(params, sort_keys=True)]
        return run_worker(interp, workload.name, common + args, timeout=study.timeout,
                          workloads_dir=folder)

    doc = call(["--calibrate", "--min-time", repr(study.min_time)])
    if doc.get("unsupported"):
        return {}
    factor = _shrink(doc, workload, params)
    if factor > 1:
        total = int(params.get(SIZED_PARAM, workload.params[SIZED_PARAM]))
        params[SIZED_PARAM] = max(total // factor, 1)
        doc = call(["--calibrate", "--min-time", repr(study.min_time)])
    loops = {p["key"]: max(int(p.get("loops") or 1), 1)
             for p in doc["points"] if not p.get("unsupported")}
    ctx = suite_mod.RunContext(interp.id, interp.implementation, interp.gil,
                               work_scale=1.0 / factor,
                               workload_kind=workload.kind, workload_role=workload.role)
    out: dict[str, list[pyperf.Run]] = {}
    for index in range(1, study.processes + 1):
        if progress:
            progress.line(f"{interp.id}: {workload.name} process {index}/{study.processes}")
        doc = call(["--loops", json.dumps(loops, sort_keys=True),
                    "--values", str(study.iterations), "--warmups", "0", "--seed", str(index)])
        runs = suite_mod.runs_from_document(doc, dataclasses.replace(ctx, process=index))
        for name, run in runs.items():
            metadata = {**run.get_metadata(), STUDY_KEY: study.iterations,
                        "warmup_min_time": study.min_time}
            out.setdefault(name, []).append(pyperf.Run(
                list(run.values), metadata=metadata, collect_metadata=False))
    return out


def run_study(interps: Sequence[Interpreter], workloads: Sequence[Workload], study: Study,
              output: Path, progress: Progress | None = None) -> dict[str, str]:
    """Every pair; one suite per interpreter in ``output``. Returns failures by pair."""
    output.mkdir(parents=True, exist_ok=True)
    failures: dict[str, str] = {}
    for interp in interps:
        runs: dict[str, list[pyperf.Run]] = {}
        for workload in workloads:
            started = time.monotonic()
            try:
                runs.update(run_pair(interp, workload, study, progress))
            except WorkerError as exc:
                failures[f"{interp.id} {workload.name}"] = exc.message
            if progress:
                progress.line(f"{interp.id}: {workload.name} took "
                              f"{time.monotonic() - started:.0f} s")
        built = suite_mod.build_suite(runs)
        if built is not None:
            suite_mod.dump_suite(built, results.inside(output, f"{interp.id}.json"))
    return failures


def summary_lines(output: Path) -> list[str]:
    """One line per (interpreter, benchmark): the classes and where the steady state starts."""
    lines = []
    for path in sorted(output.glob("*.json")):
        suite = pyperf.BenchmarkSuite.load(str(path))
        for bench in suite.get_benchmarks():
            verdict = changepoint.pair_verdict(
                [changepoint.classify(run.values) for run in bench.get_runs() if run.values])
            where = verdict.start_range
            start = f"steady from iteration {where[0]} ({where[1]}-{where[2]})" if where else ""
            lines.append(f"{path.stem} {bench.get_name()}: {verdict.text} {start}".rstrip())
    return lines


def cmd_warmup(args: argparse.Namespace) -> int:
    """``python -m harness warmup``: run the study, print each pair's verdict."""
    study = Study(iterations=args.iterations, processes=args.processes,
                  min_time=args.min_time, fast=args.fast,
                  timeout=args.timeout or Study.timeout)
    for ident in args.interpreter or ():
        check_id(ident)
    ids = list(args.interpreter) if args.interpreter else None
    if ids is None:
        known = {i.id for i in interpreters.discover() if i.ready}
        ids = [i for i in DEFAULT_IDS if i in known]
    interps = interpreters.resolve(ids, ready_only=True)
    if not interps:
        raise HarnessError("no interpreter is ready for the warm-up study",
                           "see `python -m harness interpreters`")
    workloads = workloads_mod.resolve_workloads(list(args.workload or DEFAULT_WORKLOADS))
    output = Path(args.output)
    lock.check_output(output)  # an unusable output folder: one line, exit 2, before any work
    lock.make_output(output)
    progress = Progress(stamp=False)
    jits = [i.id for i in interps if kinds.has_jit(i)]
    progress.line(f"warm-up study: {', '.join(i.id for i in interps)} (JIT: "
                  f"{', '.join(jits) or 'none'}); {study.processes} processes x "
                  f"{study.iterations} iterations")
    started = time.monotonic()
    failures = run_study(interps, workloads, study, output, progress)
    progress.line(f"warm-up study: {(time.monotonic() - started) / 60:.1f} min "
                  f"({', '.join(i.id for i in interps)}); suites in {output}")
    for line in summary_lines(output):
        progress.line(line)
    for pair, why in failures.items():
        progress.line(f"{pair}: failed: {why}")
    return 1 if failures else 0
