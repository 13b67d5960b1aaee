"""Thread scaling: one chart and one table per strong or weak scaling workload."""

from __future__ import annotations

from harness import stats
from harness.report import charts
from harness.report.context import (
    PRACTICAL,
    Context,
    count,
    fmt_interval,
    fmt_mean,
    missing_lines,
    slug,
)
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults, ScalingSeries
from harness.report.sections import precision
from harness.report.verdicts import change_word, limit_note, weak_words


def scaling(ctx: Context) -> Section:
    """Speedup against the thread (or process) count, with 95% intervals."""
    sec = Section(
        "scaling", "Thread scaling",
        "Speedup = time with 1 thread / time with T threads for the same total work, the "
        "geometric mean of the per-process ratios (each worker process measures every "
        f"point). The dashed line is the ideal, min(T, {ctx.cores} cores): more threads than "
        "cores cannot go faster. Error bars and ranges: 95% intervals over processes. "
        f"\"n.s.\": the interval does not lie beyond {PRACTICAL:.0%} of 1 (no significant "
        "change).",
    )
    if not ctx.series:
        sec.blocks.append(Para("No workload with a thread count was measured.", css="missing"))
        return sec
    for s in ctx.series:
        sec.blocks += _series_blocks(ctx, s)
    return sec


def _series_blocks(ctx: Context, s: ScalingSeries) -> list[Para | Chart | Table | Bullets]:
    weak = s.kind == "weak"
    counts = sorted(s.names)
    lines: list[charts.Series] = []
    rows: list[list[str]] = []
    for r in ctx.measured:
        row, line = _interpreter_row(ctx, r, s, counts)
        if row is not None:
            rows.append(row)
        if line is not None:
            lines.append(line)
    blocks: list[Para | Chart | Table | Bullets] = [
        Para(f"`{s.workload}`: {ctx.description(s.workload)}", css="subhead")]
    if lines:
        blocks.append(_chart(ctx, s, lines, counts))
    else:
        blocks.append(Para(
            f"No chart: no interpreter has `{s.workload}` at 1 and at more "
            f"{s.scale_param}.", css="missing"))
    headers = ["interpreter"] + [count(t, s.scale_param) for t in counts]
    caption = ("time per run (mean of per-process means ± 95% half-width), then "
               + ("throughput against 1 (T x time at 1 / time at T; ideal T: time unchanged)"
                  if weak else "speedup against 1 (95% interval)"))
    blocks.append(Table(headers, rows, caption=caption))
    missing = missing_lines(ctx, s.workload)
    if missing:
        blocks.append(Bullets(missing, css="missing"))
    return blocks


def _interpreter_row(
    ctx: Context, r: InterpreterResults, s: ScalingSeries, counts: list[int]
) -> tuple[list[str] | None, charts.Series | None]:
    weak = s.kind == "weak"
    one = r.benchmark(s.names.get(1, ""))
    found: list[tuple[float, stats.Estimate]] = []
    row = [r.id]
    for t in counts:
        bench = r.benchmark(s.names[t])
        if bench is None:
            row.append(r.absent(s.workload))
            continue
        cell = fmt_mean(bench)
        ctx.estimates.add(r.id, s.workload, f"time {s.scale_param}={t}", stats.bench_mean(bench))
        if one is not None:
            est = stats.speedup(one, bench, float(t) if weak else 1.0)
            if t != 1:
                ctx.estimates.add(r.id, s.workload,
                                  f"{'throughput' if weak else 'speedup'} {s.scale_param}={t}",
                                  est)
            # At T=1 the speedup is 1 by definition: its spread is in the others'.
            found.append((float(t), est if t != 1 else
                          stats.Estimate(est.value, None, None, est.processes)))
            if t != 1:
                cell += "\n" + _cell(ctx, r, est, t, weak)
                short = precision.cell_note(r, s.names[1], s.names[t])
                cell += f"\n{short}" if short else ""
        row.append(cell)
    if all(c == "not measured" for c in row[1:]):
        return None, None
    line = None
    if len(found) >= 2:
        line = charts.Series.from_estimates(r.label, found, ctx.style(r))
    return row, line


def _cell(ctx: Context, r: InterpreterResults, est: stats.Estimate, t: int, weak: bool) -> str:
    if weak:
        return f"{fmt_interval(est)}\n{weak_words(est, t)}"
    mark = change_word(est)
    text = fmt_interval(est) + (f" {mark}" if mark == "n.s." else "")
    note = limit_note(est, min(t, ctx.cores_of(r)))
    return text + (f"\n{note}" if note else "")


def _chart(ctx: Context, s: ScalingSeries, lines: list[charts.Series], counts: list[int]) -> Chart:
    weak = s.kind == "weak"
    name = slug(s.workload)
    title = f"{s.workload}: speedup against {s.scale_param}"
    if weak:
        title = f"{s.workload}: throughput against {s.scale_param} (fixed work each)"
    svg = charts.scaling_chart(
        f"scaling-{name}", title, lines, counts,
        cores=max(counts) if weak else ctx.cores,
        ideal_label="ideal: T (time unchanged; waiting needs no core)" if weak else "",
        xlabel=f"{s.scale_param} (fixed work each)" if weak else
        f"{s.scale_param} (same total work, split between them)",
        ylabel="throughput against 1 (T x time at 1 / time at T)" if weak else "",
    )
    alt = f"Speedup of {s.workload} against the number of {s.scale_param}"
    caption = (
        "Weak scaling: each thread has the same work, so the ideal is T times the "
        "throughput of one, the time unchanged (waiting needs no core)."
        if weak else ""
    )
    return Chart(f"chart-scaling-{name}.svg", svg, alt, caption)
