"""Discarded processes: how many, why, and what keeping them would have changed.

The runner keeps every worker process it discarded (one that ran in a noise
burst, re-run) in ``<results>/discarded/<id>.json``: a pyperf suite whose runs
carry ``harness_discarded`` (the reason) in their metadata. The report never
uses them for a figure; the Method section says how many there were per
interpreter and what the headline figures (the headline workload's speedup and
its one-thread comparison with the baseline) would be with them included, so
anyone can check what discarding did. No folder: nothing to say.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyperf

from harness import stats
from harness.points import workload_of
from harness.report.context import Context, count, fmt_compare, fmt_interval, target_scale
from harness.report.document import Block, Bullets, Para
from harness.report.model import InterpreterResults, load_checked_suite
from harness.report.sections import precision

FOLDER = "discarded"
REASON_KEY = "harness_discarded"
# Process ids of discarded runs, moved out of the kept ones' range: a discarded process
# pairs its own 1-thread and T-thread runs, never a kept process's.
OFFSET = 1_000_000


def discarded_path(suite_file: Path) -> Path:
    """``<results>/discarded/<same name as the interpreter's suite file>``."""
    return suite_file.parent / FOLDER / suite_file.name


def load_discarded(r: InterpreterResults) -> pyperf.BenchmarkSuite | None:
    """The interpreter's discarded runs, or None (no file, or one pyperf cannot read)."""
    if r.suite_file is None or not discarded_path(r.suite_file).is_file():
        return None
    try:
        return load_checked_suite(discarded_path(r.suite_file))
    except Exception:  # pyperf raises ValueError, KeyError, TypeError...: say nothing
        return None


def _moved(run: pyperf.Run) -> pyperf.Run:
    meta = dict(run.get_metadata())
    if isinstance(meta.get("process"), int) and not isinstance(meta.get("process"), bool):
        meta["process"] = OFFSET + meta["process"]
    return pyperf.Run(list(run.values), warmups=list(run.warmups) or None, metadata=meta,
                      collect_metadata=False)


def with_discarded(bench: pyperf.Benchmark | None,
                   extra: pyperf.BenchmarkSuite) -> pyperf.Benchmark | None:
    """``bench`` with the discarded runs of the same point added (None when ``bench`` is)."""
    if bench is None:
        return None
    name = bench.get_name()
    if name not in extra.get_benchmark_names():
        return bench
    runs = list(bench.get_runs()) + [_moved(x) for x in extra.get_benchmark(name).get_runs()
                                     if x.values]
    return pyperf.Benchmark(runs)


def _reasons(extra: pyperf.BenchmarkSuite) -> tuple[int, Counter[str], Counter[str]]:
    """(discarded processes, per workload, per reason): a process is its (workload, id)."""
    seen: dict[tuple[str, object], str] = {}
    for bench in extra.get_benchmarks():
        for run in bench.get_runs():
            if not run.values:
                continue
            meta = run.get_metadata()
            key = (workload_of(bench.get_name()), meta.get("process", id(run)))
            seen.setdefault(key, str(meta.get(REASON_KEY) or "no reason recorded"))
    return (len(seen), Counter(w for w, _ in seen), Counter(seen.values()))


def _effect(ctx: Context, r: InterpreterResults, extra: pyperf.BenchmarkSuite) -> list[str]:
    """The headline figures as printed, and with the discarded processes included."""
    out: list[str] = []
    series = next((s for s in ctx.series if s.workload == ctx.workload("headline")), None)
    if series is None:
        return out
    t = target_scale(series, ctx.cores_of(r))
    one, many = r.benchmark(series.names.get(1, "")), r.benchmark(series.names.get(t or 0, ""))
    if t and one is not None and many is not None:
        kept = stats.speedup(one, many)
        both = stats.speedup(with_discarded(one, extra), with_discarded(many, extra))
        out.append(f"{count(t, series.scale_param)} of `{series.workload}` "
                   f"{fmt_interval(kept)}, with them {fmt_interval(both)}")
    base = ctx.baseline
    ref = base.benchmark(series.names.get(1, "")) if base is not None and base is not r else None
    if ref is not None and one is not None and base is not None and ctx.comparable(r, base):
        base_extra = load_discarded(base)
        ref_both = with_discarded(ref, base_extra) if base_extra is not None else ref
        printed = precision.compare(base, ref, r, one)
        both_est = precision.compare(base, ref_both, r, with_discarded(one, extra))
        out.append(f"one thread against {base.id} {fmt_compare(printed)}, "
                   f"with them {fmt_compare(both_est)}")
    return out


def discarded_blocks(ctx: Context) -> list[Block]:
    """The Method section's paragraph on discarded processes ([] when none was kept)."""
    lines = []
    for r in ctx.measured:
        extra = load_discarded(r)
        if extra is None:
            continue
        n, workloads, reasons = _reasons(extra)
        if not n:
            continue
        where = ", ".join(f"`{w}` {k}" for w, k in sorted(workloads.items()))
        why = "; ".join(f"{reason} ({k})" for reason, k in reasons.most_common(3))
        effect = _effect(ctx, r, extra)
        lines.append(f"**{r.id}**: {count(n, 'processes')} discarded ({where}; {why})"
                     + (f"; including them: {'; '.join(effect)}" if effect else ""))
    if not lines:
        return []
    return [Para("Discarded processes (kept in `discarded/`, never used for a figure): "
                 "how many per interpreter, why, and the headline figures as printed and "
                 "with them included."), Bullets(lines)]
