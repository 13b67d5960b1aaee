"""Two builds in one run: ``python -m harness diff RESULTS --between A B``.

The gate for people who build CPython: two entries of the user config (say
``main`` and ``branch``) measured in the same interleaved run, compared point
by point. Both interpreters' processes of one round ran in the same stretch of
machine time, so every comparison is paired by round (``stats.compare_means``,
``stats.speedup_change``): B's time over A's in each round, the geometric mean
and the two-level interval over rounds. Files without rounds (older runs) fall
back on the unpaired comparison (Welch), and the Method section of the pages
says which was used. The result is a ``changes.Diff`` with one interpreter
("B against A"), so the terminal table, the pages and the gate are the diff's.
"""

from __future__ import annotations

from pathlib import Path

from harness import stats
from harness.report import changes
from harness.report.changes import (
    LOST_ROLES,
    MACHINE_FACTS,
    Diff,
    DiffError,
    InterpreterDiff,
    LostChange,
    ScalingChange,
    TimeChange,
)

# What sizes one call, apart from ``work_scale``: the comparison is per unit of work,
# so two builds whose calls were sized differently still compare.
WORK_KEYS = tuple(k for k in changes.WORK_KEYS if k != "work_scale")


def _work(a_meta: dict[str, object], b_meta: dict[str, object]) -> str:
    out = [f"{k} {a_meta.get(k, '-')} -> {b_meta.get(k, '-')}"
           for k in WORK_KEYS if a_meta.get(k) != b_meta.get(k)]
    return "; ".join(out)


def compare_between(folder: Path, a: str, b: str) -> Diff:
    """B against A, both measured in ``folder``; ``DiffError`` on bad input."""
    side = changes.load_side(Path(folder), "RESULTS")
    for ident in (a, b):
        if ident not in side.suites:
            raise DiffError(
                f"--between: {folder} has no suite of {ident!r}",
                f"choose two of: {', '.join(sorted(side.suites))}")
    if a == b:
        raise DiffError(f"--between {a} {b}: the same interpreter twice",
                        "name two interpreters measured in the same run")
    old, new = side.suites[a], side.suites[b]
    d = InterpreterDiff(f"{b} vs {a}", [], changes.fact_differences(
        side.facts.get(a), side.facts.get(b), MACHINE_FACTS))
    names_a, names_b = old.get_benchmark_names(), new.get_benchmark_names()
    common = [n for n in names_a if n in names_b]
    d.only_old = [n for n in names_a if n not in names_b]
    d.only_new = [n for n in names_b if n not in names_a]
    for name in common:
        ba, bb = old.get_benchmark(name), new.get_benchmark(name)
        change = stats.compare_means(ba, bb)
        d.times.append(TimeChange(name, stats.bench_mean(ba), stats.bench_mean(bb), change,
                                  _work(ba.get_metadata(), bb.get_metadata()),
                                  "", change))
        role = changes.point_role(bb)
        lost_a, lost_b = changes.lost_total(ba), changes.lost_total(bb)
        if role in LOST_ROLES and lost_a and lost_b:
            d.lost.append(LostChange(name, role == "lock", lost_a, lost_b))
    for base, point, scale in changes.scaling_pairs(common):
        a1, at, b1, bt = (old.get_benchmark(base), old.get_benchmark(point),
                          new.get_benchmark(base), new.get_benchmark(point))
        factor = float(scale) if changes.point_kind(bt) == "weak" else 1.0
        work = _work(a1.get_metadata(), b1.get_metadata()) or \
            _work(at.get_metadata(), bt.get_metadata())
        d.scaling.append(ScalingChange(point, base, scale, stats.speedup(a1, at, factor),
                                       stats.speedup(b1, bt, factor),
                                       stats.speedup_change(a1, at, b1, bt, factor), work))
    if not d.times:
        raise DiffError(f"--between {a} {b}: no point measured for both in {folder}",
                        "measure both interpreters with the same workloads in one run")
    label = Path(folder)
    return Diff(label / a, label / b, [d], [], [],
                f"{folder}: {b} against {a}, measured in the same run")


def method_line(d: Diff) -> str:
    """How the comparisons of ``d`` were made: paired by round, or not (older files)."""
    methods = {t.change.method for i in d.interpreters for t in i.times if t.change.enough}
    if methods == {stats.PAIRED_ROUND}:
        return ("Both interpreters were measured in the same interleaved run: every time "
                "and every ratio is compared round by round (B's process over A's process "
                "of the same round, per unit of work), the geometric mean of the per-round "
                "ratios with its two-level interval over rounds: what drifts over the run's "
                "time cancels in each round.")
    return ("The files have no rounds (a run made before interleaving): times are compared "
            "unpaired, the ratio of the geometric means of per-process means with Welch's "
            "interval, and each interpreter's processes ran in another stretch of machine "
            "time: a drift of the machine between them reads as a difference.")
