"""One core against all: 2 threads of countdown against 1, with the processes pinned or not.

``run --cpus 1,all`` measures every workload again in worker processes pinned
to one core (points ``...,cpus=1``, ``harness.affinity``). Per interpreter
this section gives time(T threads) / time(1 thread) of ``countdown`` for each
core count (paired per-process ratios, ``stats.speedup``), and what changes
from one core to all of them: the ratio of the two (Welch 95% interval on the
logarithms of the per-process ratios, ``stats.ratio_of_means``); words only
where the interval lies beyond the practical threshold (``context.fmt_compare``).
"""

from __future__ import annotations

from harness import stats
from harness.points import workload_of
from harness.report import charts
from harness.report.context import Context, count, fmt_compare
from harness.report.document import Bullets, Chart, Para, Section, Table
from harness.report.model import InterpreterResults, short

PINNED = ",cpus="  # how a pinned job's outcome is named: "countdown,cpus=1"


def _names(ctx: Context, workload: str) -> dict[int, dict[int, str]]:
    """cores (0: all, unpinned) -> threads -> benchmark name, for ``workload``'s plain points."""
    out: dict[int, dict[int, str]] = {}
    for p in [*ctx.points.values(), *ctx.pinned.values()]:
        extra = [k for k, _ in p.params if k not in ("threads", "cpus")]
        if p.workload == workload and p.axis == "threads" and p.count and not extra:
            out.setdefault(p.cpus, {})[p.count] = p.name
    return out


def _threads(names: dict[int, dict[int, str]]) -> int | None:
    """T compared with 1: 2 when every core count has it, else the smallest common T > 1."""
    common = set.intersection(*(set(v) for v in names.values())) if names else set()
    above = sorted(t for t in common if t > 1)
    if 1 not in common or not above:
        return None
    return 2 if 2 in above else above[0]


def cores(ctx: Context) -> Section:
    """Per interpreter: T threads against 1 on one core and on all, and what changes."""
    workload = ctx.workload("headline") or "headline"
    sec = Section(
        "cores", "One core against all",
        f"The same `{workload}` (a fixed total split over T threads) in worker processes "
        "pinned to N cores (`run --cpus 1,all`: `taskset`, `os.sched_setaffinity` or the "
        "container engine's `--cpuset-cpus`; every process records the CPUs it saw) and "
        "unpinned. Time ratio = time with T threads / time with 1, from paired per-process "
        "ratios (95% interval); the change = the ratio on all cores / the ratio on one core "
        "(Welch 95% interval). A GIL that fights itself across cores makes two threads "
        "slower on two cores than on one; without a GIL two threads gain only where there "
        "is a second core.",
    )
    names = _names(ctx, workload)
    t = _threads(names)
    pinned = sorted(c for c in names if c)
    if not pinned or t is None or 0 not in names:
        sec.blocks.append(Para(
            f"Not measured: no `{workload}` points pinned to fewer cores beside unpinned "
            "ones in this folder. Run with `--cpus 1,all` (it measures everything twice).",
            css="missing"))
        sec.blocks += _unpinnable(ctx)
        return sec
    choices = [*pinned, 0]
    rows, lines = [], []
    for r in ctx.measured:
        ests = {c: _ratio(ctx, r, names[c], t, c) for c in choices}
        if all(e is None for e in ests.values()):
            continue
        row = [r.id] + [fmt_compare(e) if e is not None else "not measured"
                        for e in ests.values()]
        change = _change(ctx, r, names, t, pinned[0])
        row.append(fmt_compare(change, f"on {count(pinned[0], 'cores')}")
                   if change is not None else "-")
        rows.append(row)
        lines.append(_sentence(ctx, r, ests, change, t, pinned[0]))
    headers = ["interpreter"] + [f"{t} vs 1 thread, {_cores_text(ctx, c)}" for c in choices]
    headers.append(f"all cores against {count(pinned[0], 'cores')}")
    sec.blocks.append(Chart("chart-cores.svg", _chart(ctx, names, choices),
                            f"{workload}: speedup against threads, one panel per core count"))
    sec.blocks.append(Bullets(lines))
    sec.blocks.append(Table(headers, rows, caption=f"`{workload}`: time with {t} threads / "
                            "time with 1 (95% interval), per core count", css="wide"))
    seen = _seen(ctx, names, choices)
    if seen:
        sec.blocks.append(Para("CPUs the worker processes could run on, as each read them "
                               "(run metadata `cpu_affinity`): " + "; ".join(seen) + "."))
    sec.blocks += _unpinnable(ctx)
    return sec


def _cores_text(ctx: Context, cpus: int) -> str:
    return count(cpus, "cores") if cpus else f"all {count(ctx.cores, 'cores')}"


def _ratio(ctx: Context, r: InterpreterResults, names: dict[int, str], t: int,
           cpus: int) -> stats.Estimate | None:
    """time(T threads) / time(1 thread) in the same processes; recorded as printed."""
    one, many = r.benchmark(names.get(1, "")), r.benchmark(names.get(t, ""))
    if one is None or many is None:
        return None
    est = stats.speedup(many, one)
    if not est.processes:
        return None
    where = f"cpus={cpus}" if cpus else "cpus=all"
    ctx.estimates.add(r.id, workload_of(names[t]), f"ratio threads={t}/1 {where}", est)
    return est


def _change(ctx: Context, r: InterpreterResults, names: dict[int, dict[int, str]], t: int,
            cpus: int) -> stats.Estimate | None:
    """The time ratio on all cores / on ``cpus`` cores, between processes (Welch)."""
    ratios = []
    for c in (cpus, 0):
        one, many = r.benchmark(names[c].get(1, "")), r.benchmark(names[c].get(t, ""))
        if one is None or many is None:
            return None
        ratios.append(stats.paired_ratios(many, one))
    est = stats.ratio_of_means(ratios[0], ratios[1])
    if not est.processes:
        return None
    ctx.estimates.add(r.id, workload_of(names[0][t]),
                      f"change threads={t}/1 cpus=all vs cpus={cpus}",
                      est)
    return est


def _sentence(ctx: Context, r: InterpreterResults, ests: dict[int, stats.Estimate | None],
              change: stats.Estimate | None, t: int, cpus: int) -> str:
    """"**2.7** (GIL on): 2 threads vs 1: on 1 core 1.02x ...; on all 2 cores 1.66x slower
    (...); all cores against 1: 1.63x slower (...)"."""
    parts = [f"{_cores_text(ctx, c)}: {fmt_compare(e)}" for c, e in ests.items()
             if e is not None]
    text = f"**{r.id}** ({r.gil_text}), {t} threads against 1: " + "; ".join(parts)
    if change is not None:
        text += f"; from {count(cpus, 'cores')} to all: {fmt_compare(change)}"
    return text


def _chart(ctx: Context, names: dict[int, dict[int, str]], choices: list[int]) -> str:
    panels = []
    counts = sorted({t for v in names.values() for t in v})
    for c in choices:
        group = []
        for r in ctx.measured:
            one = r.benchmark(names[c].get(1, ""))
            found = []
            for t in counts:
                many = r.benchmark(names[c].get(t, ""))
                if one is not None and many is not None:
                    found.append((float(t), stats.speedup(one, many)))
            if found:
                group.append(charts.Series.from_estimates(r.label, found, ctx.style(r)))
        panels.append((c or ctx.cores, _cores_text(ctx, c), group))
    return charts.cores_chart("cores", f"{ctx.workload('headline')}: speedup on N cores", panels,
                              counts)


def _seen(ctx: Context, names: dict[int, dict[int, str]], choices: list[int]) -> list[str]:
    """Per interpreter, the distinct ``cpu_affinity`` of its runs, per core count."""
    out = []
    for r in ctx.measured:
        parts = []
        for c in choices:
            found = {str(run.get_metadata()["cpu_affinity"])
                     for name in names[c].values()
                     for bench in [r.benchmark(name)] if bench is not None
                     for run in bench.get_runs() if "cpu_affinity" in run.get_metadata()}
            if found:
                parts.append(f"{_cores_text(ctx, c)}: {', '.join(sorted(found))}")
        if parts:
            out.append(f"{r.id} ({', '.join(parts)})")
    return out


def _unpinnable(ctx: Context) -> list[Para | Bullets]:
    """Interpreters whose pinned processes did not run, with the reason they gave."""
    lines = []
    for r in ctx.results:
        for o in r.outcomes:
            name = str(o.get("benchmark", ""))
            if PINNED in workload_of(name) and o.get("status") != "ok":
                lines.append(f"**{r.id}** `{name}`: {o.get('status')}: "
                             f"{short(str(o.get('reason', '')))}")
    if not lines:
        return []
    return [Para("Could not be pinned (the worker refuses to measure when the CPUs it may "
                 "run on are not the ones asked for):"), Bullets(lines, css="missing")]
