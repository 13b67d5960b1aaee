"""Two runs side by side: what changed, with 95% intervals, and the regression gate.

``python -m harness diff OLD NEW`` reads two results folders (or published
report folders: both hold ``<id>.json`` suites and ``<id>.facts.json``) and
compares every interpreter and point present in both (``harness.report.gate``
judges which changes fail ``--fail-on-regression``):

- time: NEW's per-process means against OLD's (Welch's t-interval on logs,
  ``stats.ratio_of_means``): "faster", "slower" (the whole interval beyond the
  report's 2% threshold, ``context.beyond``) or "no significant change";
- scaling: each T-thread (or T-process) ratio against one, old and new with
  their intervals (``stats.speedup``), and the change of the ratio from the two
  sets of per-process paired ratios (Welch again, on the ratio lists);
- correctness: lost updates under a lock where there were none is always a
  regression; a change in lost updates without a lock is reported, not judged.

An interpreter whose build facts differ (another implementation, version,
build or GIL state) is compared and shown, but its times and ratios never fail
the gate; on another machine its times are not judged, and its ratios against
one thread only with the same CPU count.
The command and the pages are in ``harness.report.diff``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf

from harness import drift, results, roles, stats
from harness.points import Point
from harness.report.context import interval_pct, pct_change
from harness.report.model import ROLE_KINDS, InputError, load_readable, lost_updates
from harness.report.verdicts import change_verdict
from harness.stats import Estimate

DEFAULT_THRESHOLD = 5.0  # percent
# Verdicts of changes that are not judged (``verdicts.change_verdict``).
UNJUDGED = ("not enough processes", "other work")

# The roles (``harness.roles``) of the counters whose lost updates are compared: the
# unsynchronized one (a change is reported) and the locked one (a loss is a regression).
LOST_ROLES = ("race", "lock")

# Point metadata that sizes the work of one call: when it differs, times are not compared.
WORK_KEYS = ("total", "increments", "waits", "wait", "sleeps", "sleep", "chunk", "work_scale")

# Facts that make two runs of one id different things: (label, section, key).
BUILD_FACTS = (
    ("implementation", "probe", "implementation"),
    ("Python version", "probe", "python_version"),
    ("build optimizations", "probe", "build_optimizations"),
    ("free-threaded build", "probe", "gil_disabled_build"),
    ("GIL at run time", "probe", "gil_enabled"),
    ("family", "interpreter", "family"),
)
MACHINE_FACTS = (
    ("CPU model", "run", "cpu_model"),
    ("CPU count", "probe", "cpu_count"),
)


class DiffError(InputError):
    """An input the comparison cannot use: one line, exit status 2, nothing written."""


# --------------------------------------------------------------------------- input


@dataclass
class Side:
    """One folder's suites and facts, by interpreter id."""

    folder: Path
    suites: dict[str, pyperf.BenchmarkSuite]
    facts: dict[str, results.Facts]


def suite_ids(folder: Path) -> list[str]:
    """The interpreter ids of ``folder`` that have a suite file."""
    return [i for i in results.list_ids(folder) if results.suite_path(folder, i).is_file()]


def load_side(folder: Path, role: str) -> Side:
    """Read every suite and facts file of ``folder``; raise ``DiffError`` on bad input."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DiffError(
            f"{role} folder {folder} "
            f"{'is a file, not a folder' if folder.exists() else 'does not exist'}",
            "give a results folder (python -m harness run -o DIR) or a folder under reports/",
        )
    ids = suite_ids(folder)
    if not ids:
        raise DiffError(
            f"{role} folder {folder} holds no suite (<id>{results.SUITE_SUFFIX}): "
            "nothing was measured there",
            "give a results folder written by `python -m harness run` or a published report",
        )
    loaded = load_readable(folder, DiffError)
    return Side(folder, {r.id: r.suite for r in loaded if r.suite is not None},
                {r.id: r.facts for r in loaded if r.facts_file is not None})


# --------------------------------------------------------------------------- points


def scaling_pairs(names: Sequence[str]) -> list[tuple[str, str, int]]:
    """(one-thread point, T point, T) for every workload with a scale-1 point.

    Only the run's plain counts (those of single-parameter points such as
    ``threads=4``) make a series, as in the report: the notebook's 100 threads x
    1 increment is a different experiment, not a point of the curve.
    """
    parsed = [Point.parse(n) for n in names]
    plain = {p.count for p in parsed if p.count and len(p.params) <= 1}
    by_workload: dict[str, list[Point]] = {}
    for p in parsed:
        if p.count and (not plain or p.count in plain):
            by_workload.setdefault(p.workload, []).append(p)
    pairs = []
    for found in by_workload.values():
        ones = [p for p in found if p.count == 1]
        if len(ones) != 1:
            continue
        pairs += [(ones[0].name, p.name, p.count)
                  for p in sorted(found, key=lambda q: q.count) if p.count > 1]
    return pairs


# --------------------------------------------------------------------------- comparisons


# The gate judges a point only where each run has at least this many processes behind it
# (after those that ran short of free cores are left out): Welch's interval on a side of
# two processes whose values happen to agree is far too narrow (seen: 3.12's
# `counter_lock` 2-thread ratio from 2 processes, 1.19 and 1.21, "regressed" 18% against a
# second run of the same code, 0.98x from 3; its three other processes, left out, gave
# 0.64-0.90). Below it the point is "not enough processes", reported, never judged.
JUDGE_MIN = 3


def _judged(*sides: Estimate) -> bool:
    return all(e.processes >= JUDGE_MIN for e in sides)


@dataclass(frozen=True)
class TimeChange:
    """One point's time, NEW against OLD (change 1.2: 20% slower)."""

    point: str
    old: Estimate  # mean of per-process means, seconds
    new: Estimate
    change: Estimate
    work: str = ""  # how the work per call differs ("total 8000000 -> 800000"): not judged
    # What ``change`` is divided by ("" when nothing: then it is the raw change):
    # the machine's reference loop, or its thread-start or fresh-memory reference.
    adjusted_by: str = ""
    raw: Estimate | None = None  # NEW / OLD before any adjustment
    loops: str = ""  # the loops per value differ ("256 -> 64": another calibration): judged

    @property
    def adjusted(self) -> bool:
        """True when ``change`` is divided by one of the machine's references."""
        return bool(self.adjusted_by)

    @property
    def verdict(self) -> str:
        """"faster" | "slower" | "no significant change" | "not enough processes" |
        "other work" (``verdicts.change_verdict``)."""
        return change_verdict(self.change, self.work, ("faster", "slower"),
                              _judged(self.old, self.new))


@dataclass(frozen=True)
class ScalingChange:
    """T against one, old and new, and NEW's ratio relative to OLD's (0.8: 20% lower)."""

    point: str
    base: str
    scale: int
    old: Estimate
    new: Estimate
    change: Estimate
    work: str = ""  # the work per call differs at 1 or T: not judged

    @property
    def verdict(self) -> str:
        """"higher" | "lower" | "no significant change" | "not enough processes" |
        "other work" (``verdicts.change_verdict``)."""
        return change_verdict(self.change, self.work, ("lower", "higher"),
                              _judged(self.old, self.new))


@dataclass(frozen=True)
class LostChange:
    """Lost updates of one counter point, old and new (lost, expected), all runs summed."""

    point: str
    locked: bool
    old: tuple[int, int]
    new: tuple[int, int]

    @property
    def regression(self) -> bool:
        """Lost updates under a lock where there were none: always a regression."""
        return self.locked and self.old[0] == 0 and self.new[0] > 0

    @property
    def changed(self) -> bool:
        """Whether the share of lost updates moved at all."""
        return _share(self.old) != _share(self.new)


def _share(counts: tuple[int, int]) -> float:
    return counts[0] / counts[1] if counts[1] else 0.0


@dataclass
class InterpreterDiff:
    """Everything compared for one interpreter id present on both sides."""

    id: str
    differences: list[str]  # build facts that differ: the comparison means little
    machine: list[str]  # machine facts that differ
    times: list[TimeChange] = field(default_factory=list)
    scaling: list[ScalingChange] = field(default_factory=list)
    lost: list[LostChange] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        """Same build and machine: its time and scaling changes may fail the gate."""
        return not self.differences and not self.machine

    @property
    def other_machine(self) -> bool:
        """Measured on another machine (CPU model or count): nothing of it is judged, not
        even its ratios against one thread (a ratio depends on the cores' sharing of
        caches, memory and turbo, which another CPU model changes too)."""
        return bool(self.machine)


@dataclass
class Diff:
    """The whole comparison of NEW against OLD."""

    old: Path
    new: Path
    interpreters: list[InterpreterDiff]
    only_old: list[str]  # interpreter ids measured only in OLD
    only_new: list[str]
    # What is compared, when not two folders ("RESULTS: branch against main, one run").
    title: str = ""
    # Earlier runs of OLD's code on its machine (--history): the intervals hold the
    # variation between runs estimated from them and OLD; none: within runs only.
    history: list[Path] = field(default_factory=list)

    def between_runs(self) -> str:
        """What the intervals hold, in one line."""
        if self.history:
            return (f"intervals include the variation between runs, estimated from "
                    f"{len(self.history) + 1} runs (OLD and {len(self.history)} --history)")
        return ("intervals hold the variation within each run only: a whole run shifted "
                "(another tenant for 20 minutes) can read as a change; --history with "
                "earlier runs of OLD's code on this machine includes it")

    def not_comparable(self) -> str:
        """"" when every interpreter ran on the same machine in both; else the one line that
        says the runs are not comparable and that nothing of those interpreters is judged."""
        other = [i for i in self.interpreters if i.other_machine]
        if not other:
            return ""
        facts = sorted({m for i in other for m in i.machine})
        who = ("every interpreter" if len(other) == len(self.interpreters)
               else ", ".join(i.id for i in other))
        return (f"not comparable: OLD and NEW ran on different machines ({'; '.join(facts)}): "
                f"nothing judged for {who}; compare with a baseline measured on the same "
                "machine")


def time_text(t: TimeChange, word: str = "") -> str:
    """"+18.8% slower [+12.0%, +25.9%] adjusted for the machine's reference loop (raw
    +236.0% [...])": an adjusted change always says so, beside the raw one."""
    text = f"{pct_change(t.change.value)}{' ' + word if word else ''} {interval_pct(t.change)}"
    if t.adjusted and t.raw is not None:
        text += (f" adjusted for {t.adjusted_by} (raw {pct_change(t.raw.value)} "
                 f"{interval_pct(t.raw)})")
    return text


def _means(bench: pyperf.Benchmark) -> list[float]:
    return list(stats.process_means(bench).values())


def lost_total(bench: pyperf.Benchmark) -> tuple[int, int] | None:
    """(lost, expected) updates of a counter point over all its processes (None: no count)."""
    counts = lost_updates(bench)
    return (sum(n for n, _ in counts), sum(e for _, e in counts)) if counts else None


def _fact(facts: results.Facts | None, section: str, key: str) -> Any:
    part = getattr(facts, section, None) if facts is not None else None
    return part.get(key) if isinstance(part, dict) else None


def fact_differences(
    old: results.Facts | None, new: results.Facts | None, table: Sequence[tuple[str, str, str]]
) -> list[str]:
    """"Python version 3.13.0 -> 3.13.1" for each fact of ``table`` known on both sides."""
    out = []
    for label, section, key in table:
        a, b = _fact(old, section, key), _fact(new, section, key)
        if key == "build_optimizations" and isinstance(a, str) and isinstance(b, str) \
                and ("," in a) != ("," in b):
            # Older probes recorded PGO/LTO only ("none"); newer ones add ", shared" and
            # the JIT: compare what both recorded.
            a, b = a.split(",")[0], b.split(",")[0]
        if a is not None and b is not None and a != b:
            out.append(f"{label} {_show(a)} -> {_show(b)}")
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def work_difference(old: pyperf.Benchmark, new: pyperf.Benchmark) -> str:
    """"total 8000000 -> 800000" when the work of one call differs (a --fast run, work
    sized per interpreter); "" when it is the same or not recorded."""
    a, b = old.get_metadata(), new.get_metadata()
    missing = {"work_scale": 1.0}  # files from before work was sized per interpreter
    out = []
    for k in WORK_KEYS:
        va, vb = a.get(k, missing.get(k)), b.get(k, missing.get(k))
        if va != vb:
            out.append(f"{k} {'-' if va is None else va} -> {'-' if vb is None else vb}")
    return "; ".join(out)


def loops_difference(old: pyperf.Benchmark, new: pyperf.Benchmark) -> str:
    """"256 -> 64" when the processes' loops per value differ (calibration chose otherwise)."""
    la, lb = ({r.get_loops() for r in b.get_runs() if r.values} for b in (old, new))
    return "" if la == lb else f"{'/'.join(map(str, sorted(la)))} -> " \
        f"{'/'.join(map(str, sorted(lb)))}"


def point_role(bench: pyperf.Benchmark) -> str:
    """The role of the point's workload (``roles.role_of``: its run metadata, else legacy)."""
    meta = bench.get_metadata()
    return roles.role_of(Point.parse(bench.get_name(), meta).workload, meta)


def point_kind(bench: pyperf.Benchmark) -> str:
    """The point's workload KIND: its run metadata, else the kind of its role ("" unknown)."""
    return str(bench.get_metadata().get("workload_kind") or ROLE_KINDS.get(point_role(bench), ""))


LOOP = "the machine's reference loop"
THREAD_BOUND_ROLES = ("start_cost",)


def adjustment(bench: pyperf.Benchmark) -> str:
    """Which of the machine's references a point's time tracks ("" for none).

    Starting interpreters (``start=N``) is mostly fresh memory; starting threads
    (``thread_start``, and the counters' 100 threads of one increment each) is
    mostly the kernel's thread creation; any other point of a strong-scaling
    workload is computation, which tracks the CPU-bound reference loop. Sleeps
    (weak scaling, latency) track nothing.
    """
    point = Point.parse(bench.get_name())
    params = point.param_dict
    if "start" in params:
        return drift.MEMORY_KEY
    kind = point_kind(bench)
    if point_role(bench) in THREAD_BOUND_ROLES or kind == "overhead" \
            or (params.get("increments") == "1" and point.count > 1):
        return drift.THREAD_KEY
    return LOOP if kind == "strong" else ""


def quiet_reference(facts: results.Facts | None) -> list[float]:
    """The run's reference-loop times (ms) outside noise bursts: the machine's speed then.

    The runner times a fixed loop with its own interpreter between worker
    processes (facts ``noise``); a run made while the machine was slower has a
    slower reference too, so a time change is judged relative to it. Samples
    above ``burst_factor`` times the quiet baseline are left out, as the runner
    re-measures the processes that ran during them. Empty for older files.
    """
    noise = (facts.noise if facts is not None else None) or {}
    samples = [float(x) for x in noise.get("samples_ms") or [] if isinstance(x, (int, float))]
    baseline, factor = noise.get("baseline_ms"), noise.get("burst_factor")
    if isinstance(baseline, (int, float)) and isinstance(factor, (int, float)):
        samples = [x for x in samples if x <= baseline * factor]
    return samples


def _references(facts: results.Facts | None) -> dict[str, list[float]]:
    """The machine's references of one run, by key (the loop, thread start, memory)."""
    out = {LOOP: quiet_reference(facts)}
    for key in (drift.THREAD_KEY, drift.MEMORY_KEY):
        out[key] = drift.samples(facts.noise if facts else None, key)
    return out


def _time_centre(suite: pyperf.BenchmarkSuite, refs: dict[str, list[float]], point: str,
                 key: str = "") -> tuple[float, float] | None:
    """One run's log mean of ``point`` (less its reference's, by ``key``): None without it."""
    if point not in suite.get_benchmark_names():
        return None
    terms = [(_means(suite.get_benchmark(point)), +1)]
    return stats.log_centre(terms + ([(refs.get(key, []), -1)] if key else []))


def _ratios(suite: pyperf.BenchmarkSuite, base: str, point: str, factor: float) -> list[float]:
    """One run's paired ratios of ``point`` against ``base`` ([] without either)."""
    names = suite.get_benchmark_names()
    if base not in names or point not in names:
        return []
    return stats.paired_ratios(suite.get_benchmark(base), suite.get_benchmark(point), factor)


@dataclass(frozen=True)
class History:
    """OLD and the earlier runs of its code on its machine: what varies between runs."""

    # (suite, references) of each run, OLD's first; OLD alone: no history
    runs: Sequence[tuple[pyperf.BenchmarkSuite, dict[str, list[float]]]]

    def _extra(self, centres: Sequence[tuple[float, float] | None]) -> tuple[float, float] | None:
        """The variance two runs' own effects add to a change (twice one run's,
        ``stats.between_runs``) and its degrees of freedom."""
        between = stats.between_runs([c for c in centres if c is not None])
        return None if between is None else (2.0 * between[0], between[1])

    def time_extra(self, point: str, key: str = "") -> tuple[float, float] | None:
        """For a time change (adjusted by the reference ``key``); None without history."""
        if len(self.runs) < 2:
            return None
        return self._extra([_time_centre(suite, refs, point, key) for suite, refs in self.runs])

    def ratio_extra(self, base: str, point: str, factor: float) -> tuple[float, float] | None:
        """For a change of a ratio against one worker; None without history."""
        if len(self.runs) < 2:
            return None
        return self._extra([stats.log_centre([(_ratios(suite, base, point, factor), +1)])
                            for suite, _refs in self.runs])


def compare_interpreter(
    ident: str, old: pyperf.BenchmarkSuite, new: pyperf.BenchmarkSuite,
    old_facts: results.Facts | None, new_facts: results.Facts | None,
    history: Sequence[tuple[pyperf.BenchmarkSuite, dict[str, list[float]]]] = (),
) -> InterpreterDiff:
    """Every point of ``ident`` present in both suites, compared (with ``history``, every
    interval holds the variation between runs too)."""
    d = InterpreterDiff(ident, fact_differences(old_facts, new_facts, BUILD_FACTS),
                        fact_differences(old_facts, new_facts, MACHINE_FACTS))
    old_names, new_names = old.get_benchmark_names(), new.get_benchmark_names()
    common = [n for n in old_names if n in new_names]
    d.only_old = [n for n in old_names if n not in new_names]
    d.only_new = [n for n in new_names if n not in old_names]
    old_refs, new_refs = _references(old_facts), _references(new_facts)
    runs = History([(old, old_refs), *history])
    for name in common:
        a, b = old.get_benchmark(name), new.get_benchmark(name)
        ma, mb = _means(a), _means(b)
        # A point slows down with the machine's cost it mostly pays; a sleep does not.
        raw = stats.ratio_of_means(ma, mb, extra=runs.time_extra(name))
        key = adjustment(b)
        ref_a, ref_b = old_refs.get(key, []), new_refs.get(key, [])
        if (len(ref_a) < 2 or len(ref_b) < 2) and key == drift.THREAD_KEY \
                and point_kind(b) == "strong":
            # Older files have no drift references: a strong workload's point (the
            # 100-thread counters) is still adjusted by the loop, as before them.
            key = LOOP
            ref_a, ref_b = old_refs[LOOP], new_refs[LOOP]
        by = ""
        change = raw
        if len(ref_a) >= 2 and len(ref_b) >= 2:
            change = stats.log_contrast([(ma, -1), (mb, +1), (ref_a, +1), (ref_b, -1)],
                                        extra=runs.time_extra(name, key))
            by = drift.LABELS.get(key, key)
        d.times.append(TimeChange(name, stats.mean_interval(ma), stats.mean_interval(mb),
                                  change, work_difference(a, b), by, raw,
                                  loops_difference(a, b)))
        role = point_role(b)
        lost_a, lost_b = lost_total(a), lost_total(b)
        if role in LOST_ROLES and lost_a and lost_b:
            d.lost.append(LostChange(name, role == "lock", lost_a, lost_b))
    for base, point, scale in scaling_pairs(common):
        # Work per thread fixed (weak scaling: the ideal is T times the throughput).
        factor = float(scale) if point_kind(new.get_benchmark(point)) == "weak" else 1.0
        ra, rb = _ratios(old, base, point, factor), _ratios(new, base, point, factor)
        work = work_difference(old.get_benchmark(base), new.get_benchmark(base)) or \
            work_difference(old.get_benchmark(point), new.get_benchmark(point))
        d.scaling.append(ScalingChange(
            point, base, scale, stats.ratio_interval(ra), stats.ratio_interval(rb),
            stats.ratio_of_means(ra, rb, extra=runs.ratio_extra(base, point, factor)), work))
    return d


def compare(old: Side, new: Side, history: Sequence[Side] = ()) -> Diff:
    """NEW against OLD (``history``: earlier runs of OLD's code on its machine, whose
    variation between runs every interval then holds); ``DiffError`` when they have no
    interpreter and point in common (or only points whose work per call differs)."""
    common = [i for i in old.suites if i in new.suites]
    diffs = [compare_interpreter(
        i, old.suites[i], new.suites[i], old.facts.get(i), new.facts.get(i),
        [(h.suites[i], _references(h.facts.get(i))) for h in history if i in h.suites])
        for i in common]
    diffs = [d for d in diffs if d.times]
    if not diffs:
        raise DiffError(
            f"{old.folder} and {new.folder} have no interpreter and point in common "
            f"(OLD: {', '.join(old.suites)}; NEW: {', '.join(new.suites)})",
            "compare runs of the same interpreters and workloads",
        )
    if all(t.work for d in diffs for t in d.times):
        example = next(t for d in diffs for t in d.times)
        raise DiffError(
            f"{old.folder} and {new.folder} have no point measured with the same work per "
            f"call (e.g. {diffs[0].id} {example.point}: {example.work})",
            "compare runs made with the same profile: a --fast run with a --fast run",
        )
    return Diff(old.folder, new.folder, diffs,
                [i for i in old.suites if i not in new.suites],
                [i for i in new.suites if i not in old.suites],
                history=[h.folder for h in history])


def diff_folders(old: Path, new: Path, history: Sequence[Path] = ()) -> Diff:
    """Load the folders and compare them (every input error is a ``DiffError``)."""
    return compare(load_side(old, "OLD"), load_side(new, "NEW"),
                   [load_side(h, "--history") for h in history])
