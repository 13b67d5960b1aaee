"""Three ways around the GIL: threads, processes and sub-interpreters side by side, start costs.

The same CPU-bound work (the same total) split over T threads (the workload of
role ``headline``), T processes (``processes``) and T sub-interpreters with their own
GIL (``interpreters``; roles in ``harness.roles``), per interpreter: each speedup
against one worker of the same kind, from paired per-process ratios
(``stats.speedup``), and what one worker of each kind costs to start.
"""

from __future__ import annotations

import pyperf

from harness import stats
from harness.points import Point, name_of, workload_of
from harness.report import charts
from harness.report.context import Context, fmt_interval, short
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import NOT_MEASURED, InterpreterResults

# (label, role of the workload (``harness.roles``), its scale axis): the three ways, in the
# order shown.
WAYS = (
    ("threads", "headline", "threads"),
    ("processes", "processes", "processes"),
    ("sub-interpreters", "interpreters", "interpreters"),
)
# The key of the thread-start point (role ``thread_start``); the parameter of the
# sub-interpreter start point (role ``interpreters``): ``start=T``.
START_JOIN = "start_join"
SUB_START = "start"


def ways(ctx: Context) -> Section:
    """Per interpreter: the three speedups at T workers and the start cost of each kind."""
    t = _count(ctx)
    sec = Section(
        "ways", "Three ways around the GIL",
        f"The same CPU-bound work, the same total, split over {t} threads, {t} processes "
        f"or {t} sub-interpreters (each with its own GIL: CPython 3.12+). Speedup = time "
        "with 1 worker / time with T of the same kind (every call starts and joins its "
        "workers), the geometric mean of per-process ratios with its 95% interval. "
        f"Start costs, per worker: a thread from `{_name(ctx, 'thread_start')}`; a process "
        "as the 1-process time minus the 1-thread time (Welch 95% interval); a "
        f"sub-interpreter from `{_name(ctx, 'interpreters')}`' `start=T` point (create T, "
        "run `pass` in each, close) / T.",
    )
    rows: list[list[str]] = []
    bars: dict[str, list[tuple[int, stats.Estimate]]] = {label: [] for label, _, _ in WAYS}
    shown: list[InterpreterResults] = []
    for r in ctx.measured:
        cells = [_speedup_cell(r, ctx.workload(role), key, t) for _, role, key in WAYS]
        if all(text == "not measured" for text, _ in cells):
            continue
        for (label, _, _), (_, est) in zip(WAYS, cells, strict=True):
            if est is not None:
                bars[label].append((len(shown), est))
        shown.append(r)
        rows.append([r.id] + [text for text, _ in cells]
                    + [_thread_start(ctx, r), _process_start(ctx, r), _sub_start(ctx, r)])
    if not rows:
        sec.blocks.append(Para("None of the three ways was measured.", css="missing"))
        return sec
    chart = _chart(shown, bars, t)
    if chart is not None:
        sec.blocks.append(chart)
    headers = ["interpreter"] + [f"{label} x{t}" for label, _, _ in WAYS]
    headers += ["start: thread", "start: process", "start: sub-interpreter"]
    sec.blocks.append(Table(
        headers, rows, css="wide",
        caption=f"speedup at {t} workers against 1 (95% interval); start cost per worker",
    ))
    why = _unsupported(ctx)
    if why:
        sec.blocks.append(Bullets(why, css="missing"))
    return sec


def _name(ctx: Context, role: str) -> str:
    """The workload of ``role`` as these files name it (its role when none measured it)."""
    return ctx.workload(role) or role


def _count(ctx: Context) -> int:
    """The worker count compared: the largest measured count at most the cores (at least 2)."""
    counts = {p.count for p in ctx.points.values()
              if p.role in {role for _, role, _ in WAYS} and p.count > 1}
    fitting = [c for c in counts if c <= max(ctx.cores, 2)]
    return max(fitting) if fitting else min(counts) if counts else 2


def _bench(r: InterpreterResults, workload: str | None, key: str,
           count: int) -> pyperf.Benchmark | None:
    return r.benchmark(name_of(workload, [(key, str(count))])) if workload else None


def _speedup_cell(
    r: InterpreterResults, workload: str | None, key: str, t: int
) -> tuple[str, stats.Estimate | None]:
    one, many = _bench(r, workload, key, 1), _bench(r, workload, key, t)
    if workload is None:
        return NOT_MEASURED, None
    if one is None or many is None:
        outcome = _outcome(r, workload)
        return (outcome or r.absent(workload)), None
    est = stats.speedup(one, many)
    return fmt_interval(est), est


def _outcome(r: InterpreterResults, workload: str) -> str:
    for o in r.outcomes:
        if workload_of(o.get("benchmark", "")) == workload and o.get("status") != "ok":
            return str(o.get("status"))
    return ""


def _unsupported(ctx: Context) -> list[str]:
    lines = []
    # A workload with a scaling section of its own says there why it is missing: once.
    ways = {ctx.workload(role) for _, role, _ in WAYS} - {s.workload for s in ctx.series}
    for r in ctx.measured:
        for o in r.outcomes:
            workload = workload_of(o.get("benchmark", ""))
            if workload in ways and o.get("status") != "ok":
                reason = f": {short(str(o.get('reason')))}" if o.get("reason") else ""
                lines.append(f"**{r.id}**: `{workload}` {o.get('status')}{reason}")
    return lines


def _seconds(bench: pyperf.Benchmark, est: stats.Estimate, per: int = 1) -> str:
    text = bench.format_value(est.value / per)
    half = est.half_width()
    return text + (f" ± {bench.format_value(half / per)}" if half is not None else " (1 process)")


def _thread_start(ctx: Context, r: InterpreterResults) -> str:
    workload = ctx.workload("start_cost")
    if workload is None:
        return NOT_MEASURED
    name = next((p.name for p in ctx.points.values()
                 if p.workload == workload and p.key == START_JOIN), "")
    bench = r.benchmark(name)
    if bench is None:
        return r.absent(workload)
    est = stats.bench_mean(bench)
    ctx.estimates.add(r.id, workload, f"time {START_JOIN}", est)
    return _seconds(bench, est)


def _sub_start(ctx: Context, r: InterpreterResults) -> str:
    workload = ctx.workload("interpreters")
    if workload is None:
        return NOT_MEASURED
    found = [] if r.suite is None else [
        p for n in r.suite.get_benchmark_names()
        if (p := Point.parse(n)).workload == workload and p.param_dict.get(SUB_START, "").isdigit()]
    if not found:
        return _outcome(r, workload) or r.absent(workload)
    bench = r.benchmark(found[0].name)
    assert bench is not None
    count = int(found[0].param_dict[SUB_START])
    est = stats.bench_mean(bench)
    per = stats.Estimate(est.value / count, None if est.low is None else est.low / count,
                         None if est.high is None else est.high / count, est.processes)
    ctx.estimates.add(r.id, workload, "start per interpreter", per)
    return _seconds(bench, est, per=count)


def _scale(bench: pyperf.Benchmark) -> object:
    return bench.get_metadata().get("work_scale", 1.0)


def _process_start(ctx: Context, r: InterpreterResults) -> str:
    workload = ctx.workload("processes")
    if workload is None:
        return NOT_MEASURED
    procs, thread = _bench(r, workload, "processes", 1), _bench(
        r, ctx.workload("headline"), "threads", 1)
    if procs is None or thread is None:
        return _outcome(r, workload) or r.absent(workload)
    scales = {_scale(thread), _scale(procs)}
    if len(scales) > 1:
        # Sized up differently per workload (a JIT): the difference of the two
        # times would mix work with start cost.
        return "not resolved: work sized differently (see the facts' work scaled)"
    est = stats.difference_of_means(list(stats.process_means(thread).values()),
                                    list(stats.process_means(procs).values()))
    if est.value <= 0 or (est.enough and not est.excludes(0.0)):
        # Start cost within the noise of two separately measured times.
        return f"not resolved: {_seconds(procs, est)}"
    return _seconds(procs, est)


def _chart(
    shown: list[InterpreterResults], bars: dict[str, list[tuple[int, stats.Estimate]]], t: int
) -> Chart | None:
    palette = charts.styles_for(["cpython", "pypy", "jython"])
    series = []
    for (label, _, _), style in zip(WAYS, palette, strict=True):
        found = bars[label]
        if not found:
            continue
        series.append(charts.Series.from_estimates(label, [(float(i), e) for i, e in found],
                                                   style))
    if not series:
        return None
    svg = charts.grouped_bars(
        "ways", f"Speedup with {t} workers: threads, processes, sub-interpreters",
        [r.id for r in shown], series, ylabel=f"speedup at {t} against 1 (95% interval)",
        xlabel="interpreter", value_format="{:.2f}x",
    )
    return Chart("chart-ways.svg", svg,
                 f"Speedup at {t} threads, processes and sub-interpreters, per interpreter")
