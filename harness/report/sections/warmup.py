"""Does the JIT warm up? The warm-up study's series, classified, against the default profile.

The study's suites (``python -m harness warmup``) are read from ``report
--warmup DIR``, else from ``RESULTS/warmup/`` beside the run's suites (or are
the folder's own suites); the report copies them into its own ``warmup/``, so
a published report carries them. Every run there holds one process execution,
every value one in-process iteration. Each is classified by
``harness.changepoint`` here, from the files alone, and set against the
default profile's warm-up as the run's own suites recorded it: the section says,
for each measured JIT interpreter, whether its figures were taken inside the
steady state the study found (``jit_lines``), and the headline warns where not.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyperf

from harness import changepoint, kinds
from harness.points import workload_of
from harness.profiles import PROFILES
from harness.report import charts
from harness.report.context import Context
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults

STUDY_KEY = "warmup_study"  # run metadata of a study's runs (harness.warmup writes it)
STUDY_FOLDER = "warmup"
CHART_SERIES = 4  # process executions drawn
JIT_FAMILIES = ("pypy", "jython")
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

    @property
    def workload(self) -> str:
        """The workload's name (the benchmark name's first part)."""
        return workload_of(self.bench.get_name())


@dataclass(frozen=True)
class Coverage:
    """Does the default profile's warm-up reach a pair's steady state?

    ``status``: "covers" (the latest steady-state start over processes lies within
    the default warm-up's in-process seconds), "short" (it lies beyond: the
    default's first values are taken before it) or "none" (a process without a
    steady state: the default's figure is no steady-state figure there).
    """

    status: str
    default_seconds: float
    how: str  # "measured in this run" or "nominal"
    latest: float  # in-process seconds before the latest steady state start
    rounds_needed: int  # warm-up rounds that would reach it ("short" only)


def study_paths(results: Sequence[InterpreterResults], warmup_dir: Path | None) -> list[Path]:
    """The study's suite files: ``warmup_dir``'s, else each results folder's ``warmup/``."""
    folders = [warmup_dir] if warmup_dir is not None else [
        f / STUDY_FOLDER for f in _folders(results)]
    return [path for folder in folders for path in sorted(folder.glob("*.json"))
            if not path.name.endswith(".facts.json") and not path.name.startswith(".")]


def study_suites(ctx: Context) -> list[tuple[str, str, pyperf.BenchmarkSuite]]:
    """(interpreter id, family, suite) of every study: the folder's own, or the study folder."""
    return _load_studies(ctx)[0]


def _load_studies(ctx: Context) -> tuple[list[tuple[str, str, pyperf.BenchmarkSuite]],
                                         list[str]]:
    """The studies, and the study files that could not be read (named, not dropped)."""
    out = []
    families = {r.id: r.family for r in ctx.results}
    for r in ctx.measured:
        if r.suite is not None and _is_study(r.suite):
            out.append((r.id, r.family, r.suite))
    seen = {ident for ident, _f, _s in out}
    unreadable = []
    for path in study_paths(ctx.results, ctx.warmup_dir):
        if path.stem in seen:
            continue
        try:
            suite = pyperf.BenchmarkSuite.load(str(path))
        except (OSError, ValueError) as exc:
            unreadable.append(f"{path.name} ({type(exc).__name__})")
            continue
        if _is_study(suite):
            out.append((path.stem, families.get(path.stem, _family(path.stem)), suite))
            seen.add(path.stem)
    return out, unreadable


def _folders(results: Sequence[InterpreterResults]) -> list[Path]:
    files = [r.suite_file or r.facts_file for r in results]
    return sorted({f.parent for f in files if f is not None})


def _family(ident: str) -> str:
    return next((f for f in ("pypy", "jython") if ident.startswith(f)), "cpython")


def _is_study(suite: pyperf.BenchmarkSuite) -> bool:
    return any(STUDY_KEY in run.get_metadata()
               for b in suite.get_benchmarks() for run in b.get_runs())


@functools.lru_cache(maxsize=4096)
def _classify(values: tuple[float, ...]) -> changepoint.Classification:
    """One series, classified once per report (the headline and the section both ask)."""
    return changepoint.classify(values)


def classify_suite(ident: str, family: str, suite: pyperf.BenchmarkSuite) -> list[Pair]:
    """Every benchmark of a study suite, each process execution classified."""
    benches = suite.get_benchmarks()
    pairs = []
    for bench in benches:
        siblings = [b for b in benches if workload_of(b.get_name())
                    == workload_of(bench.get_name())]
        runs = [run for run in bench.get_runs() if len(run.values) >= changepoint.MIN_SERIES]
        classes = [_classify(tuple(run.values)) for run in runs]
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


def default_warmup_seconds(r: InterpreterResults | None, workload: str, points: int,
                           jit: bool = True) -> tuple[float, str, int]:
    """In-process seconds the run's warm-ups lasted (median over processes), how, and rounds.

    From the run's own suite when it has the workload, else nominal: the default
    profile's warm-up rounds (a JIT's or not) x points x ``min_time`` (a lower
    bound: a value lasts at least that).
    """
    if r is not None and r.suite is not None and not _is_study(r.suite):
        per_process: dict[object, float] = {}
        rounds = []
        for bench in r.suite.get_benchmarks():
            if workload_of(bench.get_name()) != workload:
                continue
            for run in bench.get_runs():
                if run.values and run.warmups:
                    key = run.get_metadata().get("process")
                    per_process[key] = per_process.get(key, 0.0) + sum(
                        loops * value for loops, value in run.warmups)
                    rounds.append(len(run.warmups))
        if per_process:
            return (statistics.median(per_process.values()), "measured in this run",
                    int(statistics.median_low(rounds)))
    profile = PROFILES["default"]
    nominal = profile.for_interpreter(jit)[0]
    return nominal * points * profile.min_time, "nominal", nominal


def coverage(p: Pair, r: InterpreterResults | None) -> Coverage:
    """Whether the run's warm-up (``r``'s own, else nominal) reaches ``p``'s steady state."""
    default_s, how, rounds = default_warmup_seconds(r, p.workload, p.points, _pair_jit(p))
    latest = max(p.start_seconds, default=0.0)
    if changepoint.NO_STEADY_STATE in p.verdict.classes or not p.classes:
        return Coverage("none", default_s, how, latest, 0)
    if latest <= default_s:
        return Coverage("covers", default_s, how, latest, 0)
    need = math.ceil(max(rounds, 1) * latest / max(default_s, 1e-9))
    return Coverage("short", default_s, how, latest, need)


def _pair_jit(p: Pair) -> bool:
    return kinds.has_jit(p.interpreter) or p.family in JIT_FAMILIES


def _pairs(ctx: Context) -> tuple[list[Pair], list[str]]:
    suites, unreadable = _load_studies(ctx)
    return [p for ident, family, suite in suites
            for p in classify_suite(ident, family, suite)], unreadable


def warmup(ctx: Context) -> Section:
    """The study's table, a chart of a few series, and what it means for the default profile."""
    profile = PROFILES["default"]
    sec = Section("warmup", "Does the JIT warm up?", INTRO.format(warmups=profile.jit_warmups))
    pairs, unreadable = _pairs(ctx)
    if not pairs:
        sec.blocks.append(Para(
            "No warm-up study in this folder: `python -m harness warmup -o RESULTS/warmup` "
            "runs one (about 10 minutes for PyPy and Jython), or `python -m harness report "
            "RESULTS --warmup DIR` reads one from elsewhere."
            + (f" Unreadable study files: {', '.join(unreadable)}." if unreadable else ""),
            css="missing"))
        lines = jit_lines(ctx, pairs)
        if lines:
            sec.blocks.append(Bullets(lines))
        return sec
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
        "the warm-up rounds of this report's run lasted (median over its processes; else "
        f"nominal: the default profile's {profile.jit_warmups} rounds for a JIT, "
        f"{profile.warmups} otherwise, at {profile.min_time:g} s a point), and whether it "
        "reaches the latest steady state start"))
    sec.blocks.append(_chart(pairs))
    notes = _control_note(pairs) + notes
    if unreadable:
        notes.append(f"Unreadable study files, left out: {', '.join(unreadable)}.")
    sec.blocks.append(Bullets(notes or [
        "Every pair's steady state starts within the warm-up of the last column (or the "
        "series is flat): values taken after that warm-up are in the steady state this "
        "study found."]))
    lines = jit_lines(ctx, pairs)
    if lines:
        sec.blocks.append(Para("**This report's JIT figures** against the study:"))
        sec.blocks.append(Bullets(lines))
    return sec


def _is_jit(r: InterpreterResults) -> bool:
    return kinds.has_jit(r.id) or r.family in JIT_FAMILIES


def _run_workloads(r: InterpreterResults) -> list[str]:
    names = r.suite.get_benchmark_names() if r.suite is not None else []
    return sorted({workload_of(n) for n in names})


def jit_lines(ctx: Context, pairs: Sequence[Pair]) -> list[str]:
    """Per measured JIT interpreter: were its figures taken inside the study's steady state?"""
    lines = []
    for r in ctx.measured:
        if not _is_jit(r) or r.suite is None or _is_study(r.suite):
            continue
        mine = [p for p in pairs if p.interpreter == r.id]
        if not mine:
            lines.append(f"**{r.id}**: not in the warm-up study: whether its figures were "
                         "taken in a steady state is not known.")
            continue
        parts = []
        for status, words in (("covers", "inside the steady state"),
                              ("short", "not all inside: its first values come before the "
                               "steady state"),
                              ("none", "no steady state in some process")):
            names = [f"`{p.bench.get_name()}`" for p in mine
                     if r.benchmark(p.bench.get_name()) is not None
                     and coverage(p, r).status == status]
            if names:
                parts.append(f"{', '.join(names)}: {words}")
        studied = {p.bench.get_name() for p in mine}
        names = r.suite.get_benchmark_names()
        points = [f"`{n}`" for n in names if workload_of(n) in {p.workload for p in mine}
                  and n not in studied]
        others = [w for w in _run_workloads(r) if w not in {p.workload for p in mine}]
        if points or others:
            parts.append("not studied: " + ", ".join(points + others))
        lines.append(f"**{r.id}**: " + "; ".join(parts) + ".")
    return lines


def headline_warnings(ctx: Context) -> list[Para]:
    """A warning for the headline where a JIT figure was not taken in the steady state."""
    pairs, _unreadable = _pairs(ctx)
    if not pairs:
        return []
    off = []
    for r in ctx.measured:
        if not _is_jit(r) or r.suite is None or _is_study(r.suite):
            continue
        bad = [p.bench.get_name() for p in pairs if p.interpreter == r.id
               and r.benchmark(p.bench.get_name()) is not None
               and coverage(p, r).status != "covers"]
        if bad:
            off.append(f"{r.id} ({', '.join(f'`{b}`' for b in bad)})")
    if not off:
        return []
    return [Para("**JIT warm-up**: the warm-up study found that some figures of "
                 + ", ".join(off) + " were not taken in a steady state: see \"Does the JIT "
                 "warm up?\".", css="warning")]


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
    cov = coverage(p, r)
    note = ""
    if cov.status == "none":
        cover = "no steady state in some process"
        note = (f"**{p.interpreter}** `{p.bench.get_name()}`: no steady state in "
                f"{v.classes.count(changepoint.NO_STEADY_STATE)} of {len(v.classes)} processes: "
                "its default-profile figure is not a steady-state figure there.")
    elif cov.status == "covers":
        cover = f"{cov.default_seconds:.2f} s ({cov.how}): covers it"
    else:
        cover = (f"{cov.default_seconds:.2f} s ({cov.how}): too short, "
                 f"~{cov.rounds_needed} rounds needed")
        note = (f"**{p.interpreter}** `{p.bench.get_name()}`: the steady state starts after up "
                f"to {cov.latest:.2f} s in process, the default profile's warm-up lasts "
                f"{cov.default_seconds:.2f} s: about {cov.rounds_needed} warm-up rounds would "
                "reach it.")
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
