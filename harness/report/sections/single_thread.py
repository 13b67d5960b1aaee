"""Single-thread cost: each interpreter's one-thread time against the baseline's."""

from __future__ import annotations

import re

from harness import stats
from harness.report import charts
from harness.report.context import PRACTICAL, Context, beyond, fmt_compare, fmt_mean
from harness.report.document import Chart, Para, Section, Table
from harness.report.model import InterpreterResults
from harness.report.sections import precision

# What the report calls the one comparison that isolates free threading.
PRICE = "free-threaded vs its GIL twin (same source and flags)"


def gil_twin(ctx: Context, r: InterpreterResults) -> InterpreterResults | None:
    """The measured GIL twin of a free-threaded ``X.Yt`` ("X.Y-twin", same version), or None.

    The twin is the default CPython built from the same source with the same
    configure flags but ``--disable-gil``: one thread of ``X.Yt`` against it is the
    price of free threading and nothing else.
    """
    match = re.fullmatch(r"(\d+\.\d+)t", r.id)
    if match is None or r.suite is None:
        return None
    for other in ctx.measured:
        if other.id == f"{match.group(1)}-twin" and other.version == r.version:
            return other
    return None


def price_of_free_threading(ctx: Context) -> list[Para | Table]:
    """One thread of each free-threaded build against its GIL twin, where both were measured."""
    pairs = [(r, t) for r in ctx.measured for t in [gil_twin(ctx, r)] if t is not None]
    if not pairs:
        return []
    names = [s.names[1] for s in ctx.series if 1 in s.names]
    intro = Para(
        "**Price of free threading**: one thread of each free-threaded build against its "
        "GIL twin, the default CPython built here from the same source tarball with the "
        "same configure flags but --disable-gil (their build records name the tarball and "
        "its sha256). Only this comparison isolates what free threading costs a single "
        "thread; paired by round where the run was interleaved, else the ratio of the "
        "geometric means of per-process means with a Welch interval; 95% intervals.")
    rows = []
    for name in names:
        row = [name]
        for ft, twin in pairs:
            ref, mine = twin.benchmark(name), ft.benchmark(name)
            if ref is None or mine is None or not ctx.comparable(ft, twin):
                row.append("-")
                continue
            est = precision.compare(twin, ref, ft, mine)
            ctx.estimates.add(ft.id, ctx.points[name].workload, f"vs {twin.id}", est)
            row.append(f"{fmt_mean(mine)} vs {fmt_mean(ref)}\n{fmt_compare(est, twin.id)}")
        rows.append(row)
    return [intro, Table(["benchmark"] + [f"{ft.id} vs {twin.id}" for ft, twin in pairs],
                         rows, caption=f"{PRICE}: time per run, free-threaded vs twin; "
                         "ratio (95% interval)", css="wide")]


def single_thread(ctx: Context) -> Section:
    """Time ratios against the baseline (Welch on per-process means), chart and table."""
    base = ctx.baseline
    sec = Section(
        "single-thread", "Single-thread cost",
        "Each interpreter against the baseline"
        + (f" ({base.id}: {ctx.baseline_reason})" if base else "")
        + " with one thread: the price of a build, a version or a JIT that needs warming "
        "(builds differ in version and flags, so this is not the price of free threading: "
        "that is only a free-threaded build against its GIL twin, at the end). "
        "Ratio = time / baseline time: in an interleaved run the geometric mean of the "
        "per-round ratios (the two interpreters' processes of the same round), else the "
        "ratio of the geometric means of per-process means, divided for CPU-bound points "
        "by the ratio of the machine's reference loop in the two interpreters' stretches, "
        "with a Welch interval (see Method and environment), with its 95% interval; "
        f"\"no significant change\" unless the whole interval lies beyond {PRACTICAL:.0%} "
        f"(above {1 + PRACTICAL:g} or below 1 / {1 + PRACTICAL:g}). Ratios compare the same "
        "work: where an interpreter's calls were sized up (the facts' \"work scaled\", so that "
        "the calibration's shortest call lasts at least 50 ms; a JIT's warm calls may be "
        "shorter), its times are divided by that factor. Interpreters "
        "measured on another machine than the baseline are not compared.",
    )
    if base is None:
        sec.blocks.append(Para("No baseline: no interpreter has measurements.", css="missing"))
        return sec
    names = [s.names[1] for s in ctx.series if 1 in s.names]
    others = [r for r in ctx.measured if r is not base]
    if not others:
        sec.blocks.append(Para(f"Only {base.id} was measured: nothing to compare with.",
                               css="missing"))
        return sec
    rows = []
    groups: list[str] = []
    data: dict[str, list[tuple[float, stats.Estimate]]] = {r.id: [] for r in others}
    for name in names:
        ref = base.benchmark(name)
        if ref is None:
            continue
        gi = len(groups)
        groups.append(ctx.points[name].workload)
        row = [name, fmt_mean(ref)]
        for r in others:
            bench = r.benchmark(name)
            if bench is None:
                row.append(r.absent(ctx.points[name].workload))
            elif not ctx.comparable(r, base):
                row.append(f"{fmt_mean(bench)}\nnot comparable (different machines)")
            else:
                est = precision.compare(base, ref, r, bench)
                ctx.estimates.add(r.id, ctx.points[name].workload, f"vs {base.id}", est)
                short = precision.cell_note(r, name)
                row.append(f"{fmt_mean(bench)}\n{fmt_compare(est)}"
                           + (f"\n{short}" if short else ""))
                data[r.id].append((float(gi), est))
        rows.append(row)
    if not rows:
        sec.blocks.append(Para(f"{base.id} has no single-thread benchmark.", css="missing"))
        return sec
    kept = [r for r in others if data[r.id]]
    if kept:
        bars = [charts.Series(r.label, tuple(x for x, _ in data[r.id]),
                              tuple(e.value for _, e in data[r.id]), style=ctx.style(r))
                for r in kept]
        not_sig = [(i, j) for i, r in enumerate(kept) for j, (_, e) in enumerate(data[r.id])
                   if not beyond(e)]
        svg = charts.relative_chart(
            "single-thread", f"One thread: time relative to {base.id}", groups, bars,
            baseline=base.id, not_significant=not_sig,
        )
        sec.blocks.append(Chart("chart-single-thread.svg", svg,
                                f"Single-thread time of each interpreter relative to {base.id}"))
    sec.blocks.append(Table(["benchmark", f"{base.id} (baseline)"] + [r.id for r in others],
                            rows, caption="time per run (mean of per-process means ± 95% "
                            "half-width); ratio against the baseline (95% interval)",
                            css="wide"))
    sec.blocks += price_of_free_threading(ctx)
    return sec
