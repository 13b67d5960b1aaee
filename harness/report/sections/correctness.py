"""Correctness: lost updates of the unsynchronized counter and of its locked twin."""

from __future__ import annotations

from harness import stats
from harness.report import charts
from harness.report.context import Context, count, fmt_interval, missing_lines, pct
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.sections.counters import Lost, counter_points
from harness.stats import Estimate

# The counters, by role (``harness.roles``), in the order shown, with their titles. The
# one whose `+` is Python code (``race_method``) loses updates under the GIL too.
COUNTERS = (("race", "without a lock"), ("lock", "with a lock"),
            ("race_method", "without a lock, where `+` is a Python `__add__` (a frame "
             "between the load and the store)"))


def correctness(ctx: Context) -> Section:
    """Lost updates per thread count: totals, and their spread over processes."""
    sec = Section(
        "correctness", "Correctness: lost updates",
        "T threads each add 1 to a shared global (`n += 1`), a fixed total split over them. "
        "Lost updates = expected - final value, counted in each worker process: the tables "
        "give the total over processes and the median share lost with its range over "
        "processes (how much it varies from one process to the next). `n += 1` is several "
        "bytecodes, so a thread switch in the middle loses an update unless a lock protects "
        "it. A zero without the lock is what this run saw, not a promise.",
    )
    any_data = False
    for role, title in COUNTERS:
        workload = ctx.workload(role)
        if workload is None or (role == "race_method" and not any(
                p.workload == workload for p in ctx.points.values())):
            continue  # a newer workload: folders made before it are not short of anything
        blocks = _workload_blocks(ctx, workload, role, title)
        any_data = any_data or any(isinstance(b, Table) for b in blocks)
        sec.blocks += blocks
    if not any_data:
        sec.intro += " (No counter results in this folder.)"
    return sec


def _workload_blocks(ctx: Context, workload: str, role: str,
                     title: str) -> list[Para | Bullets | Chart | Table]:
    totals = {r.id: counter_points(r, workload, ctx) for r in ctx.measured}
    counts = sorted({t for v in totals.values() for t in v})
    blocks: list[Para | Bullets | Chart | Table] = [
        Para(f"`{workload}`: {title}", css="subhead")]
    missing = missing_lines(ctx, workload)
    if not counts:
        blocks.append(Para(f"No `{workload}` results with lost-update counts.", css="missing"))
        if missing:
            blocks.append(Bullets(missing, css="missing"))
        return blocks
    rows = []
    bars = []
    for r in ctx.measured:
        data = totals[r.id]
        if not data:
            continue
        row = [r.id]
        found: list[tuple[float, Estimate]] = []
        for i, t in enumerate(counts):
            if t not in data:
                row.append(r.absent(workload))
                continue
            lost = data[t]
            row.append(_cell(lost))
            # the median share with its range over processes (not an interval)
            found.append((float(i), Estimate(lost.median(), min(lost.shares),
                                             max(lost.shares), len(lost.shares))))
        rows.append(row)
        bars.append(charts.Series.from_estimates(r.label, found, ctx.style(r), scale=100.0))
    if role == "race":
        svg = charts.grouped_bars(
            "lost-updates", "Lost updates without a lock (median over processes, range)",
            [str(t) for t in counts], bars, ylabel="lost updates (% of increments)",
            xlabel="threads", value_format="{:.2g}",
        )
        blocks.append(Chart(
            "chart-lost-updates.svg", svg,
            "Percentage of lost updates of the unsynchronized counter, by threads",
        ))
    elif role != "lock":
        pass
    elif all(v.lost == 0 for d in totals.values() for v in d.values()):
        blocks.append(Para("Under the lock every interpreter kept every update."))
    else:
        blocks.append(Para("**Updates were lost under a lock**: see the table.", css="missing"))
    notebook = sorted({
        p.count for p in ctx.points.values()
        if p.workload == workload and p.param_dict.get("increments") == "1"
    })
    caption = "lost of expected increments over all processes; median share lost (range)"
    if notebook:
        caption += (f"; {count(notebook[0], 'threads')}: the notebook's case, one "
                    "increment per thread")
    blocks.append(Table(["interpreter"] + [count(t, "threads") for t in counts], rows,
                        caption=caption))
    if role == "lock":
        blocks += _convoy(ctx, workload)
    if missing:
        blocks.append(Bullets(missing, css="missing"))
    return blocks


# A lock whose T-thread runs are at most half as fast as one thread's, with the whole
# interval below that: the threads spend their time handing the lock over.
CONVOY_BELOW = 0.5


def _convoy(ctx: Context, workload: str) -> list[Para | Bullets]:
    """Where threads under one lock run far slower than one thread: a lock convoy, in figures."""
    series = next((s for s in ctx.series if s.workload == workload), None)
    if series is None or 1 not in series.names:
        return []
    lines = []
    for r in ctx.measured:
        one = r.benchmark(series.names[1])
        if one is None:
            continue
        for t in sorted(series.names):
            many = r.benchmark(series.names[t])
            if t == 1 or many is None:
                continue
            est = stats.speedup(one, many)
            if est.high is None or est.high >= CONVOY_BELOW:
                continue
            values = many.get_values()
            lines.append(
                f"**{r.id}** ({r.gil_text}), {count(t, 'threads')}: {fmt_interval(est)} the "
                f"speed of one thread; single values from {min(values) * 1e3:.3g} to "
                f"{max(values) * 1e3:.3g} ms per call (one thread: "
                f"{stats.bench_mean(one).value * 1e3:.3g} ms)")
    if not lines:
        return []
    return [Para("The lock's cost with several threads: where T threads under one lock run at "
                 "less than half the speed of one (the whole 95% interval), each increment "
                 "hands the lock to a thread that must first be scheduled (and, under a GIL, "
                 "get the GIL): a lock convoy. The wide spread of single values is the "
                 "convoy forming and breaking, not measurement noise."),
            Bullets(lines)]


def _cell(lost: Lost) -> str:
    head = f"{lost.lost:,} of {lost.expected:,}"
    if not lost.lost:
        return f"{head}\n(0%)"
    return f"{head}\n({lost.text()})" if len(lost.shares) > 1 else \
        f"{head}\n({pct(lost.lost, lost.expected)})"
