"""Headline: a chart of each interpreter's speedup at as many threads as cores, then verdicts."""

from __future__ import annotations

from harness import stats
from harness.report import charts
from harness.report.context import (
    PRACTICAL,
    SMOKE_PROFILES,
    Context,
    beyond,
    count,
    fmt_compare,
    fmt_interval,
    relative_spread,
    sentence,
    target_scale,
)
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults, ScalingSeries
from harness.report.sections import precision
from harness.report.sections.counters import counter_points, worst, worst_text
from harness.report.sections.single_thread import PRICE, gil_twin
from harness.report.sections.user_workloads import gil_reenabled_lines
from harness.report.sections.warmup import headline_warnings as warmup_warnings
from harness.report.verdicts import limit_note, strong_verdict

UNSTABLE = 0.1


def headline(ctx: Context) -> Section:
    """The chart, one verdict per interpreter, and the headline table."""
    sec = Section(
        "headline", "Headline",
        "One verdict per interpreter, for as many threads as cores, drawn only where the 95% "
        "interval of the speedup supports it: in parallel when the whole interval lies at "
        f"least {stats.CLEAR_FRACTION:.0%} of the way to the ideal gain "
        f"({stats.parallel_line(2):g}x with 2 threads); taking turns when all of it "
        "lies below that; in each other's way when all of it lies below "
        f"{stats.SLOWER_THAN_ONE:g}x; no clear verdict when it crosses the parallel line, "
        "and none when one process gives no interval.",
    )
    series = next((s for s in ctx.series if s.workload == ctx.workload("headline")), None)
    if series is None:
        series = next((s for s in ctx.series if s.kind == "strong"), None)
    chart = _chart(ctx, series)
    if chart is not None:
        sec.blocks.append(chart)
    sec.blocks += _warnings(ctx)
    items, rows = [], []
    for r in ctx.results:
        item, row = _verdict(ctx, r, series)
        items.append(item)
        rows.append(row)
    sec.blocks.append(Bullets(items, css="headline"))
    scale = target_scale(series, ctx.cores) if series is not None else None
    scale_head = (f"{count(scale, series.scale_param)} of `{series.workload}` vs 1"
                  if series is not None and scale else "threads vs 1")
    base = ctx.baseline.id if ctx.baseline is not None else "baseline"
    head = ["interpreter", "GIL", scale_head, "lost updates, no lock (worst)", "with a lock",
            f"one thread vs {base}"]
    if any(gil_twin(ctx, r) is not None for r in ctx.results):
        head.append(PRICE)
    else:
        rows = [row[:-1] for row in rows]
    reason = f" ({ctx.baseline_reason})" if ctx.baseline is not None else ""
    sec.blocks.append(Table(
        head, rows, caption="speed relative to one thread (ideal: the number of cores) with "
        "its 95% interval from paired per-process ratios; lost updates: median share over "
        f"processes (range); n.s.: the interval does not lie beyond {PRACTICAL:.0%} of 1; one "
        f"thread vs {base}: the stated "
        f"baseline{reason}, time ratio with its 95% interval (paired by round where the "
        "run was interleaved, else Welch)", numeric_from=2,
        css="headline"))
    return sec


def _warnings(ctx: Context) -> list[Para]:
    out = []
    smoke = sorted({str(r.run_info.get("profile")) for r in ctx.results
                    if r.run_info.get("profile") in SMOKE_PROFILES})
    if smoke:
        out.append(Para(
            f"**Smoke test**: these results were made with the `{', '.join(smoke)}` profile "
            "(one process, few values, small workloads): spreads are wide and a verdict can "
            "be wrong. Run the default or `--rigorous` profile for numbers to quote.",
            css="warning"))
    busy = [r.id for r in ctx.results
            if r.facts.environment and r.facts.environment.get("busy_at_start")]
    if busy:
        out.append(Para(
            "**Busy machine**: the load was high when the runs of " + ", ".join(busy)
            + " started (see Method and environment): their intervals may be wide.",
            css="warning"))
    less_sure = precision.warning(ctx)
    if less_sure is not None:
        out.append(less_sure)
    cut = [f"{r.id} ({r.interrupted_text()})" for r in ctx.results if r.interrupted is not None]
    if cut:
        out.append(Para(
            "**Interrupted**: the run of " + ", ".join(cut) + " was cut short: the workload "
            "in progress reads \"interrupted\", the ones after it \"not reached\"; what "
            "was complete is shown.", css="warning"))
    out += [Para(f"**GIL turned back on**: {line}.", css="warning")
            for line in gil_reenabled_lines(ctx)]
    out += warmup_warnings(ctx)  # a JIT figure taken before the study's steady state
    if ctx.several_hosts:
        out.append(Para(
            "**Several machines**: these suites come from more than one machine. Each "
            "interpreter's scaling is its own; single-thread comparisons across machines are "
            "marked not comparable.", css="warning"))
    return out


def _chart(ctx: Context, series: ScalingSeries | None) -> Chart | None:
    if series is None:
        return None
    t = target_scale(series, ctx.cores)
    bars: list[charts.Series] = []
    for r in ctx.measured:
        one = r.benchmark(series.names.get(1, ""))
        many = r.benchmark(series.names.get(t, "")) if t else None
        if one is None or many is None:
            continue
        est = stats.speedup(one, many)
        bars.append(charts.Series.from_estimates(r.label, [(0.0, est)], ctx.style(r)))
    if not bars or not t:
        return None
    ideal = min(t, ctx.cores)
    svg = charts.headline_chart(
        "headline", f"{count(t, series.scale_param)} of {series.workload} against 1 "
        "(95% interval)", bars, float(ideal),
        f"speedup (dashed: ideal {ideal}x on {ctx.cores} cores; solid: no speedup)")
    return Chart("chart-headline.svg", svg,
                 f"Speedup of {series.workload} at {t} {series.scale_param} per interpreter")


def _verdict(
    ctx: Context, r: InterpreterResults, series: ScalingSeries | None
) -> tuple[str, list[str]]:
    """One headline item ("**id** (what it is): verdict." then the figures) and its table row."""
    head = f"**{r.id}** ({r.description})"
    row = [r.id, r.gil_text, "-", "-", "-", "-", "-"]
    cut = r.interrupted_text()
    if r.suite is None:
        _mark_interrupted(ctx, r, series, row)
        if cut:
            return f"{head}: {cut}, before anything was measured.", row
        return f"{head}: no measurements.\n{'; '.join(r.problems)}.", row
    verdicts: list[str] = []
    figures: list[str] = []
    if series is not None:
        _threads(ctx, r, series, verdicts, figures, row)
    _counters(ctx, r, verdicts, figures, row)
    _single(ctx, r, series, figures, row)
    _price(ctx, r, series, figures, row)
    _mark_interrupted(ctx, r, series, row)
    verdict = "; ".join(verdicts) if verdicts else "no verdict: no thread data"
    if cut:
        figures.insert(0, f"run {cut}: later workloads were not measured")
    return f"{head}: {verdict}.\n" + sentence("; ".join(figures)), row


def _mark_interrupted(ctx: Context, r: InterpreterResults, series: ScalingSeries | None,
                      row: list[str]) -> None:
    """Empty cells of an interrupted run say so ("interrupted" where it was cut)."""
    if r.interrupted is None:
        return
    columns = {2: series.workload if series else ctx.workload("headline"),
               3: ctx.workload("race"), 4: ctx.workload("lock")}
    for i, workload in columns.items():
        if row[i] == "-" and workload:
            row[i] = r.absent(workload)


def _threads(ctx: Context, r: InterpreterResults, series: ScalingSeries,
             verdicts: list[str], figures: list[str], row: list[str]) -> None:
    cores = ctx.cores_of(r)
    t = target_scale(series, cores)
    one = r.benchmark(series.names.get(1, ""))
    many = r.benchmark(series.names.get(t, "")) if t else None
    if not t or one is None or many is None:
        figures.append(f"no `{series.workload}` scaling data")
        return
    est = stats.speedup(one, many)
    ideal = min(t, cores)
    verdicts.append(strong_verdict(est, ideal))
    text = (f"{count(t, series.scale_param)} of `{series.workload}`: "
            + (f"{fmt_interval(est)} the speed of one (ideal {ideal}x)" if est.processes
               else fmt_interval(est)))
    row[2] = fmt_interval(est) + ("" if beyond(est) or not est.enough else " n.s.")
    note = limit_note(est, ideal)
    if note:
        text += f", {note}"
        row[2] += f"\n{note}"
    spread = max(relative_spread(one), relative_spread(many))
    if spread > UNSTABLE:
        text += f", unstable (stdev up to {spread:.0%} of the mean)"
    left_out = precision.capacity_low(r, series.workload)
    if left_out:
        text += (f", {left_out} process{'es' if left_out != 1 else ''} left out (ran short "
                 "of free cores)")
    short = precision.cell_note(r, str(one.get_name()), str(many.get_name()))
    if short:
        text += f", less sure: {short}"
        row[2] += f"\n{short}"
    figures.append(text)


def _counters(ctx: Context, r: InterpreterResults, verdicts: list[str], figures: list[str],
              row: list[str]) -> None:
    race_workload, lock_workload = ctx.workload("race"), ctx.workload("lock")
    race = counter_points(r, race_workload, ctx) if race_workload else {}
    if race:
        row[3] = worst_text(race)
        if any(v.lost for v in race.values()):
            t, lost = worst(race)
            verdicts.append("loses updates without a lock")
            figures.append(f"unlocked `n += 1`: {lost.text()} of updates lost at "
                           f"{count(t, 'threads')} ({lost.lost:,} of {lost.expected:,})")
        else:
            expected = sum(v.expected for v in race.values())
            figures.append(f"unlocked `n += 1`: none of {expected:,} updates lost in this run")
    lock = counter_points(r, lock_workload, ctx) if lock_workload else {}
    if lock:
        lost_n = sum(v.lost for v in lock.values())
        if lost_n:
            verdicts.append("LOSES UPDATES EVEN UNDER A LOCK")
        figures.append("with a lock: 0 lost" if lost_n == 0 else f"with a lock: {lost_n:,} lost")
        row[4] = f"{lost_n:,}"


def _single(ctx: Context, r: InterpreterResults, series: ScalingSeries | None,
            figures: list[str], row: list[str]) -> None:
    base = ctx.baseline
    if r is base:
        figures.append("the baseline of the comparisons")
        row[5] = "baseline"
        return
    if base is None or series is None:
        return
    name = series.names.get(1)
    mine = r.benchmark(name) if name else None
    ref = base.benchmark(name) if name else None
    if mine is None or ref is None:
        return
    if not ctx.comparable(r, base):
        row[5] = "not comparable (different machines)"
        figures.append(f"one thread: not comparable with {base.id} (different machines)")
        return
    est = precision.compare(base, ref, r, mine)
    row[5] = fmt_compare(est)
    if gil_twin(ctx, r) is base:  # said once, as the price of free threading (_price)
        return
    if beyond(est):
        figures.append(f"one thread: {fmt_compare(est, base.id)}")
    else:
        figures.append(f"one thread against {base.id}: {fmt_compare(est)}")


def _price(ctx: Context, r: InterpreterResults, series: ScalingSeries | None,
           figures: list[str], row: list[str]) -> None:
    """The price of free threading: one thread of ``X.Yt`` against its GIL twin (row[6])."""
    for ft in ctx.measured:
        if gil_twin(ctx, ft) is r:
            row[6] = f"the GIL twin of {ft.id}"
    twin = gil_twin(ctx, r)
    name = series.names.get(1) if series is not None else None
    if twin is None or not name:
        return
    mine, ref = r.benchmark(name), twin.benchmark(name)
    if mine is None or ref is None or not ctx.comparable(r, twin):
        return
    est = precision.compare(twin, ref, r, mine)
    row[6] = fmt_compare(est)
    figures.append(f"price of free threading (one thread against its GIL twin {twin.id}, "
                   f"same source and flags): {fmt_compare(est, twin.id)}")
