"""Does the JIT warm up? The warm-up study's series, classified, against the default profile.

The study's suites (``python -m harness warmup``) live in ``RESULTS/warmup/``
beside the run's suites (or are the folder's own suites); every run there holds
one process execution, every value one in-process iteration. Each is
classified by ``harness.changepoint`` here, from the files alone.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyperf

from harness import changepoint
from harness.profiles import PROFILES
from harness.report import charts
from harness.report.context import Context
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults

STUDY_KEY = "warmup_study"  # run metadata of a study's runs (harness.warmup writes it)
STUDY_FOLDER = "warmup"
CHART_SERIES = 4  # process executions drawn
INTRO = (
    "Barrett et al. (\"Virtual machine warmup blows hot and cold\", OOPSLA 2017) found that "
    "only a minority of (VM, benchmark) pairs warm up in the textbook way. The default "
    "profile takes its JIT values after {warmups} warm-up rounds inside each worker process. "
    "`python -m harness warmup` runs long series instead: every in-process iteration is a "
    "pyperf **value** (no warm-ups), one run per process execution. Each execution is "
    "classified by changepoint analysis (`ruptures`' PELT on mean and variance, penalty "
    "15 log n, segments of at least 5 iterations): a segment is equal to the last one when "
    "their means differ by no more than the larger of 1% and the last one's standard "
    "deviation; the last segment (with the equal ones just before it) is the steady "
    "state, which must cover the last quarter of "
    "the series, else **no steady state**; **flat** when every segment equals it, "
    "**slowdown** when an earlier segment was faster, else **warm-up**. A pair is "
    "**consistent** when all its executions share a class."
)


@dataclass(frozen=True)
class Pair:
    """One (interpreter, benchmark) of the study, classified."""

    interpreter: str
    family: str
    bench: pyperf.Benchmark
    classes: list[changepoint.Classification]
    start_seconds: list[float]  # in-process seconds before each steady state (all points)
    points: int  # the workload's points in the study (interleaved in each process)

    @property
    def verdict(self) -> changepoint.PairVerdict:
        """The pair's verdict over its process executions."""
        return changepoint.pair_verdict(self.classes)


def study_suites(ctx: Context) -> list[tuple[str, str, pyperf.BenchmarkSuite]]:
    """(interpreter id, family, suite) of every study: the folder's own, or ``warmup/``."""
    out = []
    families = {r.id: r.family for r in ctx.results}
    for r in ctx.measured:
        if r.suite is not None and _is_study(r.suite):
            out.append((r.id, r.family, r.suite))
    seen = {ident for ident, _f, _s in out}
    for folder in _folders(ctx.results):
        for path in sorted((folder / STUDY_FOLDER).glob("*.json")):
            if path.stem in seen or path.name.endswith(".facts.json"):
                continue
            try:
                suite = pyperf.BenchmarkSuite.load(str(path))
            except (OSError, ValueError):
                continue
            if _is_study(suite):
                out.append((path.stem, families.get(path.stem, _family(path.stem)), suite))
                seen.add(path.stem)
    return out


def _folders(results: Sequence[InterpreterResults]) -> list[Path]:
    files = [r.suite_file or r.facts_file for r in results]
    return sorted({f.parent for f in files if f is not None})


def _family(ident: str) -> str:
    return next((f for f in ("pypy", "jython") if ident.startswith(f)), "cpython")


def _is_study(suite: pyperf.BenchmarkSuite) -> bool:
    return any(STUDY_KEY in run.get_metadata()
               for b in suite.get_benchmarks() for run in b.get_runs())


def classify_suite(ident: str, family: str, suite: pyperf.BenchmarkSuite) -> list[Pair]:
    """Every benchmark of a study suite, each process execution classified."""
    benches = suite.get_benchmarks()
    pairs = []
    for bench in benches:
        siblings = [b for b in benches if b.get_name().split("/")[0]
                    == bench.get_name().split("/")[0]]
        runs = [run for run in bench.get_runs() if len(run.values) >= changepoint.MIN_SERIES]
        classes = [changepoint.classify(run.values) for run in runs]
        starts = [_seconds_before(run, c.steady_start, siblings)
                  for run, c in zip(runs, classes, strict=True) if c.steady_start is not None]
        pairs.append(Pair(ident, family, bench, classes, starts, len(siblings)))
    return pairs


def _seconds_before(run: pyperf.Run, start: int | None, siblings: Sequence[pyperf.Benchmark],
                    ) -> float:
    """In-process seconds of the rounds before ``start``: every point of the same process."""
    process = run.get_metadata().get("process")
    total = 0.0
    for bench in siblings:
        for other in bench.get_runs():
            if other.get_metadata().get("process") == process:
                loops = int(other.get_metadata().get("loops") or 1)
                total += sum(other.values[: start or 0]) * loops
    return total


def default_warmup_seconds(r: InterpreterResults | None, workload: str,
                           points: int) -> tuple[float, str]:
    """In-process seconds the default profile's warm-ups lasted (median over processes).

    From the run's own suite when it has the workload, else nominal: warm-up
    rounds x points x ``min_time`` (a lower bound: a value lasts at least that).
    """
    profile = PROFILES["default"]
    if r is not None and r.suite is not None and not _is_study(r.suite):
        per_process: dict[object, float] = {}
        for bench in r.suite.get_benchmarks():
            if bench.get_name().split("/")[0] != workload:
                continue
            for run in bench.get_runs():
                if run.values and run.warmups:
                    key = run.get_metadata().get("process")
                    per_process[key] = per_process.get(key, 0.0) + sum(
                        loops * value for loops, value in run.warmups)
        if per_process:
            return statistics.median(per_process.values()), "measured in this run"
    return profile.jit_warmups * points * profile.min_time, "nominal"


def warmup(ctx: Context) -> Section:
    """The study's table, a chart of a few series, and what it means for the default profile."""
    profile = PROFILES["default"]
    sec = Section("warmup", "Does the JIT warm up?", INTRO.format(warmups=profile.jit_warmups))
    suites = study_suites(ctx)
    if not suites:
        sec.blocks.append(Para(
            "No warm-up study in this folder: `python -m harness warmup -o RESULTS/warmup` "
            "runs one (about 10 minutes for PyPy and Jython).", css="missing"))
        return sec
    pairs = [p for ident, family, suite in suites for p in classify_suite(ident, family, suite)]
    by_id = {r.id: r for r in ctx.results}
    rows, notes = [], []
    for p in pairs:
        row, note = _row(p, by_id.get(p.interpreter))
        rows.append(row)
        if note:
            notes.append(note)
    sec.blocks.append(Table(
        ["interpreter", "benchmark", "processes x iterations", "verdict",
         "steady from iteration\nmedian (range)", "steady from\n(s in process)",
         "steady noise\n(median RSD)", "default warm-up"],
        rows, numeric_from=4,
        caption="steady from: the first iteration of the steady state, over the processes "
        "that have one; in seconds: the time the process spent before it, every point of "
        "the workload counted (they are interleaved); default warm-up: the in-process time "
        f"the default profile's {profile.jit_warmups} warm-up rounds last, and whether it "
        "reaches the latest steady state start"))
    sec.blocks.append(_chart(pairs))
    notes = _control_note(pairs) + notes
    sec.blocks.append(Bullets(notes or [
        f"Every pair's steady state starts within the default profile's {profile.jit_warmups} "
        "warm-up rounds (or the series is flat): the default profile's values are taken in "
        "the steady state this study found."]))
    return sec


def _control_note(pairs: Sequence[Pair]) -> list[str]:
    """CPython has no JIT: a control pair that is not consistently flat shows the machine."""
    control = [p for p in pairs if p.family in ("cpython", "free-threaded")]
    off = [f"`{p.bench.get_name()}` ({p.verdict.text})" for p in control
           if p.verdict.text != f"consistent {changepoint.FLAT}"]
    if not control or not off:
        return []
    return [f"**Control**: CPython ({', '.join(sorted({p.interpreter for p in control}))}) "
            f"has no JIT, yet is not consistently flat at {', '.join(off)}: changes of "
            "level on this machine come from the machine too (its noise; see the steady "
            "RSD column), so read the JIT interpreters' classes against it."]


def _row(p: Pair, r: InterpreterResults | None) -> tuple[list[str], str]:
    v = p.verdict
    lengths = sorted({len(run.values) for run in p.bench.get_runs()})
    rsds = [c.steady_rsd for c in p.classes if c.steady_rsd is not None]
    where = v.start_range
    start = f"{where[0]} ({where[1]}-{where[2]})" if where else "none"
    secs = (f"{statistics.median(p.start_seconds):.2f} "
            f"({min(p.start_seconds):.2f}-{max(p.start_seconds):.2f})"
            if p.start_seconds else "-")
    workload = p.bench.get_name().split("/")[0]
    default_s, how = default_warmup_seconds(r, workload, p.points)
    latest = max(p.start_seconds, default=0.0)
    note = ""
    if changepoint.NO_STEADY_STATE in v.classes:
        cover = "no steady state in some process"
        note = (f"**{p.interpreter}** `{p.bench.get_name()}`: no steady state in "
                f"{v.classes.count(changepoint.NO_STEADY_STATE)} of {len(v.classes)} processes: "
                "its default-profile figure is not a steady-state figure there.")
    elif latest <= default_s:
        cover = f"{default_s:.2f} s ({how}): covers it"
    else:
        need = math.ceil(PROFILES["default"].jit_warmups * latest / default_s)
        cover = f"{default_s:.2f} s ({how}): too short, ~{need} rounds needed"
        note = (f"**{p.interpreter}** `{p.bench.get_name()}`: the steady state starts after up "
                f"to {latest:.2f} s in process, the default profile's warm-up lasts "
                f"{default_s:.2f} s: about {need} warm-up rounds would reach it.")
    row = [p.interpreter, p.bench.get_name(),
           f"{len(p.classes)} x {'/'.join(str(n) for n in lengths)}", v.text, start, secs,
           f"{statistics.median(rsds):.1%}" if rsds else "-", cover]
    return row, note


def _chart(pairs: Sequence[Pair]) -> Chart:
    """The first process execution of each interpreter's first benchmark, per iteration."""
    chosen: list[Pair] = []
    for p in pairs:
        if p.interpreter not in {c.interpreter for c in chosen} and p.classes:
            chosen.append(p)
    chosen = chosen[:CHART_SERIES]
    styles = charts.styles_for([p.family for p in chosen])
    series, marks = [], []
    for p, style in zip(chosen, styles, strict=True):
        run = next(r for r in p.bench.get_runs() if len(r.values) >= changepoint.MIN_SERIES)
        label = f"{p.interpreter} {p.bench.get_name()}"
        series.append(charts.Series(label, tuple(float(i) for i in range(len(run.values))),
                                    tuple(v * 1e3 for v in run.values), style=style))
        start = p.classes[0].steady_start
        if start:
            marks.append((label, float(start)))
    svg = charts.iteration_chart("warmup", "One process execution per interpreter", series,
                                 marks)
    return Chart("chart-warmup.svg", svg, "Per-iteration times of a few process executions",
                 caption="dotted: where the steady state starts (none drawn: flat from the "
                 "first iteration)")
