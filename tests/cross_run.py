"""Cross-run coverage: does one run's estimate fall inside another run's 95% interval?

Run it on repeat runs of identical code on one machine (the four published
default runs of 2026-11-26 are such runs):

    python tests/cross_run.py reports/2026-11-26-debian12-2cpu-x86_64{,-repeat,-third,-fourth}

For every ordered pair of runs (A, B) and every figure both have, the figure
counts as covered when A's estimate lies inside B's interval. Figures:

- ``ratio T``: each interpreter's T-worker ratio against one worker, every
  scaling workload (``stats.speedup``);
- ``one-thread``: every interpreter's one-thread time against the run's
  baseline, and each free-threaded build against its GIL twin, every one-thread
  point (``stats.compare_means``).

Each figure is computed twice: with the per-process intervals the report
printed before (``blocks=0``, Welch on process means, the 95% quantile) and
with the current ones, as the report computes them (``stats.MAX_BLOCKS`` time
blocks, the 98% quantile; one-thread comparisons paired by round where the
files have rounds, else adjusted by each interpreter's reference loop,
``precision.compare``). With no run-to-run effect and these process counts, an exact 95%
interval covers another run's estimate about 83% of the time (two equal
independent errors: P(|Z| < 1.96 / sqrt 2)).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import stats
from harness.report.model import (
    InterpreterResults,
    all_points,
    choose_baseline,
    load_results,
    scaling_series,
    workload_catalogue,
)
from harness.report.sections import precision

# (label, blocks, paired): today's method and the per-process one it replaced.
METHODS = (("per-process (before)", 0, False, stats.CONFIDENCE),
           ("two-level (now)", None, True, stats.QUANTILE_LEVEL))


@dataclass(frozen=True)
class Figure:
    """One figure of one run: what it is, and its estimate under each method."""

    key: tuple[str, str, str]  # (kind, interpreter, point)
    estimates: tuple[stats.Estimate, ...]  # one per METHODS entry


def _twin(r: InterpreterResults, results: Sequence[InterpreterResults]) -> str | None:
    match = re.fullmatch(r"(\d+\.\d+)t", r.id)
    if match is None:
        return None
    ids = {x.id for x in results if x.suite is not None}
    return f"{match.group(1)}-twin" if f"{match.group(1)}-twin" in ids else None


def _blocks(value: int | None) -> int:
    return stats.MAX_BLOCKS if value is None else value


def figures(folder: Path, scales: Sequence[int] = (2, 4)) -> Iterator[Figure]:
    """Every ratio and one-thread comparison of one results folder."""
    results = [r for r in load_results(folder) if r.suite is not None]
    points = all_points(results)
    series = scaling_series(points, workload_catalogue(points))
    base, _ = choose_baseline(results, None)
    by_id = {r.id: r for r in results}
    for s in series:
        for r in results:
            one = r.benchmark(s.names.get(1, ""))
            for t in scales:
                many = r.benchmark(s.names.get(t, ""))
                if one is None or many is None:
                    continue
                factor = float(t) if s.kind == "weak" else 1.0
                yield Figure((f"ratio {t}", r.id, s.names[t]), tuple(
                    stats.speedup(one, many, factor, blocks=_blocks(b), confidence=c)
                    for _, b, _, c in METHODS))
        name = s.names.get(1) or ""
        base_id = base.id if base else ""
        for r in results:
            twin = _twin(r, results)
            for ref_id, kind in ((base_id, "baseline"), (twin, "twin")):
                if not ref_id or ref_id == r.id or (kind == "twin" and ref_id == base_id):
                    continue
                ref, mine = by_id[ref_id].benchmark(name), r.benchmark(name)
                if ref is None or mine is None:
                    continue
                before = stats.compare_means(ref, mine, blocks=0, paired=False,
                                             confidence=stats.CONFIDENCE)
                now = precision.compare(by_id[ref_id], ref, r, mine)  # as the report does
                yield Figure((f"one-thread vs {kind}", r.id, f"{name} vs {ref_id}"),
                             (before, now))


def coverage(folders: Sequence[Path]) -> dict[str, list[tuple[int, int]]]:
    """kind ("ratio 2", "ratio 4", "one-thread") -> per method (covered, pairs)."""
    runs = [{f.key: f for f in figures(folder)} for folder in folders]
    out: dict[str, list[tuple[int, int]]] = {}
    for a, b in itertools.permutations(range(len(runs)), 2):
        for key, fig in runs[a].items():
            other = runs[b].get(key)
            if other is None:
                continue
            kind = "one-thread" if key[0].startswith("one-thread") else key[0]
            counts = out.setdefault(kind, [(0, 0)] * len(METHODS))
            for i, (mine, theirs) in enumerate(zip(fig.estimates, other.estimates,
                                                   strict=True)):
                if not theirs.enough:
                    continue
                hit, total = counts[i]
                counts[i] = (hit + theirs.includes(mine.value), total + 1)
    return out


def by_workload(folders: Sequence[Path], kind: str = "ratio 2") -> dict[str, list[tuple[int, int]]]:
    """Coverage of one kind per workload."""
    runs = [{f.key: f for f in figures(folder)} for folder in folders]
    out: dict[str, list[tuple[int, int]]] = {}
    for a, b in itertools.permutations(range(len(runs)), 2):
        for key, fig in runs[a].items():
            other = runs[b].get(key)
            if other is None or key[0] != kind:
                continue
            counts = out.setdefault(key[2].split("/")[0], [(0, 0)] * len(METHODS))
            for i, (mine, theirs) in enumerate(zip(fig.estimates, other.estimates,
                                                   strict=True)):
                if theirs.enough:
                    hit, total = counts[i]
                    counts[i] = (hit + theirs.includes(mine.value), total + 1)
    return out


def _line(label: str, counts: Sequence[tuple[int, int]]) -> str:
    cells = [f"{hit}/{total} = {hit / total:.1%}" if total else "-" for hit, total in counts]
    return f"{label:<24}" + "  ".join(f"{c:>22}" for c in cells)


def main(argv: Sequence[str]) -> int:
    """Print the coverage table of the folders named in ``argv``."""
    folders = [Path(a) for a in argv]
    if len(folders) < 2:
        print("usage: python tests/cross_run.py RESULTS RESULTS [RESULTS...]", file=sys.stderr)
        return 2
    print(f"{'':<24}" + "  ".join(f"{label:>22}" for label, _, _, _ in METHODS))
    for kind, counts in sorted(coverage(folders).items()):
        print(_line(kind, counts))
    for workload, counts in sorted(by_workload(folders).items()):
        print(_line(f"  ratio 2 {workload}", counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
