"""I/O beside CPU-bound threads: the convoy factor of an I/O thread, per interpreter.

The ``interference`` workloads (``io_convoy``) time one I/O thread's round
trips alone (``cpu_threads=0``) and beside C CPU-bound threads, in the same
worker process: the convoy factor is time(beside C) / time(alone), the
geometric mean of the per-process ratios with its 95% interval
(``stats.speedup`` of the two points, the same pairing as a thread ratio).
Words come from ``context.fmt_compare``: "slower" only where the whole
interval lies beyond the practical threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness import stats
from harness.report import charts
from harness.report.context import Context, beyond, count, fmt_compare, fmt_mean, missing_lines
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults, Point
from harness.report.sections.facts import fmt_seconds

KIND = "interference"
OTHERS = "cpu_threads"  # the point parameter: CPU-bound threads beside the measured one
DEFAULT = "default"  # the interval of the interpreter as it comes


@dataclass(frozen=True)
class Column:
    """One convoy factor: C CPU-bound threads at a switch interval, on N cores (0: all)."""

    workload: str
    threads: int
    interval: str
    cpus: int = 0

    def figure(self) -> str:
        """The estimates.csv figure name: ``convoy cpu_threads=1,interval=default``."""
        pinned = f",cpus={self.cpus}" if self.cpus else ""
        return f"convoy {OTHERS}={self.threads},interval={self.interval}{pinned}"

    def label(self) -> str:
        """The table header and chart group: "beside 1, 1 ms", "beside 2, default"."""
        interval = DEFAULT if self.interval == DEFAULT else f"{float(self.interval) * 1e3:g} ms"
        cores = f", {count(self.cpus, 'cores')}" if self.cpus else ""
        return f"beside {self.threads}, {interval}{cores}"

    def alone(self) -> Column:
        """The same process's point without CPU-bound threads (the ratio's denominator)."""
        return Column(self.workload, 0, self.interval, self.cpus)


def _key(p: Point) -> Column | None:
    params = dict(p.params)
    raw = params.get(OTHERS, "")
    if not raw.isdigit() or "interval" not in params:
        return None
    return Column(p.workload, int(raw), params["interval"], p.cpus)


def _names(ctx: Context) -> dict[Column, str]:
    """Column -> benchmark name, for every point of an interference workload (pinned too)."""
    out: dict[Column, str] = {}
    for p in [*ctx.points.values(), *ctx.pinned.values()]:
        info = ctx.catalogue.get(p.workload)
        column = _key(p) if info is not None and info.kind == KIND else None
        if column is not None:
            out[column] = p.name
    return out


def _order(c: Column) -> tuple[int, int, float, int, str]:
    return (c.cpus or 10**6, c.interval != DEFAULT,
            float(c.interval) if c.interval != DEFAULT else 0.0, c.threads, c.workload)


def convoy(ctx: Context) -> Section:
    """Per interpreter: how many times slower the I/O thread runs beside C CPU-bound threads."""
    sec = Section(
        "convoy", "I/O beside CPU-bound threads",
        "One thread makes short blocking round trips (one byte to an echo process and "
        "back), alone and beside C CPU-bound pure-Python threads, in the same worker "
        "process. Each blocking call releases the GIL; getting it back from a busy thread "
        "can take up to the switch interval (CPython's \"convoy effect\", bpo-7946, open "
        "since 2010). Convoy factor = the I/O thread's time beside C threads / its time "
        "alone: the geometric mean of the per-process ratios with its 95% interval; "
        "\"slower\" only where the whole interval lies beyond 2%.",
    )
    names = _names(ctx)
    columns = sorted((c for c in names if c.threads > 0 and c.alone() in names), key=_order)
    if not columns:
        sec.blocks.append(Para("No I/O convoy results in this folder (workload `io_convoy`).",
                               css="missing"))
        return sec
    rows, bars, lines = [], [], []
    for r in ctx.measured:
        estimates = {c: _factor(ctx, r, names, c) for c in columns}
        if all(e is None for e in estimates.values()):
            continue
        alone = next((r.benchmark(names[c.alone()]) for c in columns
                      if r.benchmark(names[c.alone()]) is not None), None)
        rows.append([r.id, fmt_mean(alone) if alone is not None else "-"]
                    + [fmt_compare(e) if e is not None else r.absent(c.workload)
                       for c, e in estimates.items()])
        bars.append(_bars(ctx, r, columns, estimates))
        lines.append(_sentence(r, estimates))
    groups = [c.label().replace(", ", "\n") for c in columns]
    svg = charts.convoy_chart(
        "convoy", "The I/O thread's time beside CPU-bound threads / alone (log scale)",
        groups, bars)
    sec.blocks.append(Chart("chart-convoy.svg", svg, "Convoy factor per interpreter, "
                            "CPU-bound threads and switch interval"))
    sec.blocks.append(Bullets(lines))
    sec.blocks.append(Table(
        ["interpreter", "alone (time of the round trips)"] + [c.label() for c in columns],
        rows, caption="convoy factor: the I/O thread's time beside C CPU-bound threads / "
        "alone, with its 95% interval; 'alone': mean over processes ± 95% half-width",
        css="wide"))
    missing = [line for w in sorted({c.workload for c in columns}) for line in
               missing_lines(ctx, w)]
    if missing:
        sec.blocks.append(Bullets(missing, css="missing"))
    return sec


def _factor(ctx: Context, r: InterpreterResults, names: dict[Column, str],
            column: Column) -> stats.Estimate | None:
    """time(beside C) / time(alone) from paired per-process ratios; recorded as printed."""
    many, alone = r.benchmark(names[column]), r.benchmark(names[column.alone()])
    if many is None or alone is None:
        return None
    est = stats.speedup(many, alone)
    if not est.processes:
        return None
    ctx.estimates.add(r.id, column.workload, column.figure(), est)
    return est


def _bars(ctx: Context, r: InterpreterResults, columns: Sequence[Column],
          estimates: dict[Column, stats.Estimate | None]) -> charts.Series:
    found = [(float(i), est) for i, c in enumerate(columns)
             if (est := estimates[c]) is not None]
    return charts.Series.from_estimates(r.label, found, ctx.style(r))


def _sentence(r: InterpreterResults, estimates: dict[Column, stats.Estimate | None]) -> str:
    """"**3.13** (GIL on, switch interval 5 ms): beside 1 CPU-bound thread the I/O thread
    runs 25.0x slower (22.1-28.3x); at a 1 ms switch interval, 6.10x slower (...)"."""
    interval = r.probe.get("switch_interval")
    head = f"**{r.id}** ({r.gil_text}" + (
        f", switch interval {fmt_seconds(interval)})" if isinstance(interval, (int, float))
        else ")")
    parts = []
    for c, est in estimates.items():
        if est is None or c.cpus or c.threads != 1:
            continue
        where = "" if c.interval == DEFAULT else \
            f"at a {float(c.interval) * 1e3:g} ms switch interval, "
        parts.append(where + _words(est))
    if not parts:  # only other counts or pinned points: the first one measured
        c, est = next((c, e) for c, e in estimates.items() if e is not None)
        parts.append(f"{c.label()}: " + _words(est))
    return f"{head}: beside {count(1, 'CPU-bound threads')} " + "; ".join(parts)


def _words(est: stats.Estimate) -> str:
    """"the I/O thread runs 25.0x slower (22.1-28.3x)", or why there is no verdict."""
    text = fmt_compare(est)
    if est.enough and beyond(est):
        return f"the I/O thread runs {text}"
    return f"the I/O thread's time: {text}"
