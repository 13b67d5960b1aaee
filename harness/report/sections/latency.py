"""Latency: how late a sleeping thread wakes up while another thread spins."""

from __future__ import annotations

from harness import stats
from harness.report import charts
from harness.report.context import Context, fmt_mean, missing_lines
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults, Point
from harness.report.sections.facts import fmt_seconds


def latency(ctx: Context) -> Section:
    """Mean lateness per interpreter and switch interval, with what the data shows."""
    sec = Section(
        "latency", "Latency",
        "One thread spins in pure Python while another sleeps briefly and measures how late "
        "each wake-up is. With a GIL the sleeper must wait until the spinner lets go; CPython "
        "forces that after its switch interval (`sys.getswitchinterval()`, 5 ms by default; "
        "`interval=0.001` sets it to 1 ms), but an interpreter may hand over sooner: the "
        "table says what each one did. Values: the mean lateness of one process's wake-ups; "
        "the table gives the mean over processes ± its 95% half-width, and the largest "
        "per-process mean (not the worst single wake-up, which is not recorded).",
    )
    lat = {w for w, info in ctx.catalogue.items() if info.kind == "latency"}
    names = sorted(
        (p for p in ctx.points.values() if p.workload in lat),
        key=lambda p: (p.workload, p.key != "interval=default", p.key),
    )
    if not names:
        sec.blocks.append(Para("No latency results in this folder.", css="missing"))
        return sec
    groups = [p.key for p in names]
    rows = []
    bars = []
    findings = []
    for r in ctx.measured:
        row, bar = _row(ctx, r, names)
        if bar is not None:
            rows.append(row)
            bars.append(bar)
            finding = _finding(r, names)
            if finding:
                findings.append(finding)
    svg = charts.grouped_bars(
        "latency", "Wake-up lateness while another thread spins (log scale)", groups, bars,
        ylabel="lateness (ms, log scale)", xlabel="switch interval", log=True,
        value_format="{:.2g}",
    )
    sec.blocks.append(Chart("chart-latency.svg", svg,
                            "Wake-up lateness per interpreter and switch interval"))
    if findings:
        sec.blocks.append(Bullets(findings))
    sec.blocks.append(Table(["interpreter"] + groups, rows,
                            caption="mean lateness per wake-up: mean over processes ± 95% "
                            "half-width; then the largest per-process mean"))
    missing = [line for w in sorted(lat) for line in missing_lines(ctx, w)]
    if missing:
        sec.blocks.append(Bullets(missing, css="missing"))
    return sec


def _row(ctx: Context, r: InterpreterResults,
         names: list[Point]) -> tuple[list[str], charts.Series | None]:
    row = [r.id]
    found: list[tuple[float, stats.Estimate]] = []
    for i, p in enumerate(names):
        bench = r.benchmark(p.name)
        if bench is None:
            row.append(r.absent(p.workload))
            continue
        means = stats.process_means(bench)
        est = stats.bench_mean(bench)
        ctx.estimates.add(r.id, p.workload, f"time {p.key}", est)
        row.append(f"{fmt_mean(bench)}\nlargest process mean "
                   f"{bench.format_value(max(means.values()))}")
        found.append((float(i), est))
    if not found:
        return row, None
    return row, charts.Series.from_estimates(r.label, found, ctx.style(r), scale=1e3)


def _finding(r: InterpreterResults, names: list[Point]) -> str:
    """"**pypy3.9** (GIL on, switch interval 5 ms): wakes 0.2 ms late on average"."""
    default = next((p for p in names if p.key == "interval=default"), None)
    bench = r.benchmark(default.name) if default is not None else None
    if bench is None:
        return ""
    est = stats.bench_mean(bench)
    interval = r.probe.get("switch_interval")
    text = (f"**{r.id}** ({r.gil_text}, switch interval {fmt_seconds(interval)}): wakes "
            f"{bench.format_value(est.value)} late on average")
    if isinstance(interval, (int, float)) and interval > 0 and r.gil == "on":
        share = est.value / interval
        text += f", {share:.0%} of its switch interval"
    return text
