"""Single-thread cost: each interpreter's one-thread time against the baseline's."""

from __future__ import annotations

from harness.report import charts, stats
from harness.report.context import Context, fmt_compare, fmt_mean
from harness.report.document import Chart, Para, Section, Table


def single_thread(ctx: Context) -> Section:
    """Time ratios against the baseline (Welch on per-process means), chart and table."""
    base = ctx.baseline
    sec = Section(
        "single-thread", "Single-thread cost",
        "Each interpreter against the baseline"
        + (f" ({base.id}: {ctx.baseline_reason})" if base else "")
        + " with one thread: the price of a build, a version or a JIT that needs warming. "
        "Ratio = time / baseline time, the ratio of the geometric means of per-process "
        "means, with a Welch 95% interval (different process counts and spreads allowed); "
        "\"no significant change\" when the interval includes 1. Interpreters measured on "
        "another machine than the baseline are not compared.",
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
                row.append("not measured")
            elif not ctx.comparable(r, base):
                row.append(f"{fmt_mean(bench)}\nnot comparable (different machines)")
            else:
                est = stats.compare_means(ref, bench)
                row.append(f"{fmt_mean(bench)}\n{fmt_compare(est)}")
                data[r.id].append((float(gi), est))
        rows.append(row)
    if not rows:
        sec.blocks.append(Para(f"{base.id} has no single-thread benchmark.", css="missing"))
        return sec
    kept = [r for r in others if data[r.id]]
    if kept:
        bars = [charts.Series(r.label, tuple(x for x, _ in data[r.id]),
                              tuple(e.value for _, e in data[r.id]), style=r.chart_style)
                for r in kept]
        not_sig = [(i, j) for i, r in enumerate(kept) for j, (_, e) in enumerate(data[r.id])
                   if not e.excludes(1.0)]
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
    return sec
