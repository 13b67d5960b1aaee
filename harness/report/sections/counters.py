"""Lost-update counts of the counter workloads, per process (shared by two sections)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from harness.report.context import Context, count, pct
from harness.report.model import InterpreterResults, lost_updates


@dataclass(frozen=True)
class Lost:
    """One point's lost updates: totals and the per-process shares."""

    lost: int
    expected: int
    shares: tuple[float, ...]  # lost / expected, one per process (run)

    def median(self) -> float:
        """The median share over processes."""
        return statistics.median(self.shares) if self.shares else 0.0

    def text(self) -> str:
        """"21% (median of 3 processes, 15-30%)"."""
        n = len(self.shares)
        if n == 1:
            return f"{pct(self.shares[0])} (1 process)"
        lo, hi = min(self.shares), max(self.shares)
        return f"{pct(self.median())} (median of {n} processes, {pct(lo)}-{pct(hi)})"


def counter_points(r: InterpreterResults, workload: str, ctx: Context) -> dict[int, Lost]:
    """threads -> lost updates of ``workload``'s points, from each run's metadata."""
    out: dict[int, Lost] = {}
    if r.suite is None:
        return out
    for bench in r.suite.get_benchmarks():
        p = ctx.points.get(bench.get_name())
        if p is None or p.workload != workload or not p.count:
            continue
        counts = lost_updates(bench)
        lost, expected = sum(n for n, _ in counts), sum(e for _, e in counts)
        shares = [n / e if e else 0.0 for n, e in counts]
        if shares:
            prev = out.get(p.count)
            if prev is not None:
                lost, expected = lost + prev.lost, expected + prev.expected
                shares = list(prev.shares) + shares
            out[p.count] = Lost(lost, expected, tuple(shares))
    for t, v in out.items():  # as printed: the median share, the smallest and the largest
        ctx.estimates.add_range(r.id, workload, f"lost threads={t}", v.median(),
                                min(v.shares), max(v.shares), len(v.shares))
    return out


def worst(points: dict[int, Lost]) -> tuple[int, Lost]:
    """The thread count whose median share lost is largest (ties: more threads)."""
    return max(points.items(), key=lambda kv: (kv[1].median(), kv[0]))


def worst_text(points: dict[int, Lost]) -> str:
    """"21% (median of 3 processes, 15-30%) at 4 threads", or "0"."""
    if not any(v.lost for v in points.values()):
        return "0"
    t, lost = worst(points)
    return f"{lost.text()} at {count(t, 'threads')}"
