"""The one statistics module: estimates with 95% intervals, by process.

Used by every table, verdict and chart of the report, by the diff gate and by
the runner's adaptive sampling (which stops on the same intervals the report
prints): a leaf that imports only pyperf and scipy.

Processes are the independent samples. Each pyperf ``Run`` holds one worker
process's values for one point; runs of different points of one workload come
from the same process when their run metadata ``process`` is equal (older files
without it pair by run index, the order the runner wrote them in). Values from
one process share its warm-up, its memory layout and the machine's mood of the
moment, so they are not independent: every interval here is computed from one
number per process.

- A scaling ratio (speedup) comes from the paired per-process ratios
  ``factor * mean_1 / mean_T``: its estimate is their geometric mean, its
  interval a Student t-interval on their logarithms (``n - 1`` degrees of freedom).
- Two interpreters (different processes, different counts) are compared by the
  ratio of the geometric means of their per-process means, with Welch's
  t-interval on logarithms (Welch-Satterthwaite degrees of freedom).
- Fewer than two processes give an estimate without an interval ("not enough
  processes"): never a verdict, never an exception.

Distributions come from ``scipy.stats``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import pyperf
from scipy import stats as _scipy_stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval (``low``/``high`` None: not enough processes)."""

    value: float
    low: float | None
    high: float | None
    processes: int  # independent samples behind it (the smaller side for two samples)

    @property
    def enough(self) -> bool:
        """True when the interval is known (at least two processes)."""
        return self.low is not None and self.high is not None

    def half_width(self) -> float | None:
        """(high - low) / 2, in the value's unit; None without an interval."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2.0

    def rel_half_width(self) -> float | None:
        """half_width / value; None without an interval or for a zero value."""
        hw = self.half_width()
        if hw is None or not self.value:
            return None
        return hw / abs(self.value)

    def excludes(self, x: float) -> bool:
        """True when the interval is known and ``x`` lies outside it."""
        if self.low is None or self.high is None:
            return False
        return x < self.low or x > self.high

    def includes(self, x: float) -> bool:
        """True when the interval is known and ``x`` lies inside it (bounds included)."""
        return self.enough and not self.excludes(x)


def _t_quantile(df: float) -> float:
    """The two-sided critical value of Student's t for ``CONFIDENCE`` with ``df`` degrees."""
    return float(_scipy_stats.t.ppf(0.5 + CONFIDENCE / 2.0, df))


def _process_values(bench: pyperf.Benchmark) -> dict[int, list[float]]:
    """Process id -> its values; runs without values (calibration only) are skipped.

    The id is the run metadata ``process`` when every measured run has one;
    otherwise the run's index among the measured runs.
    """
    runs = [run for run in bench.get_runs() if run.values]
    ids: list[int] = []
    for run in runs:
        raw = run.get_metadata().get("process")
        if isinstance(raw, bool) or not isinstance(raw, int):
            ids = list(range(len(runs)))
            break
        ids.append(raw)
    out: dict[int, list[float]] = {}
    for ident, run in zip(ids, runs, strict=True):
        out.setdefault(ident, []).extend(float(v) for v in run.values)
    return out


def process_means(bench: pyperf.Benchmark) -> dict[int, float]:
    """Process id -> mean of that process's values for this point."""
    return {k: statistics.fmean(v) for k, v in _process_values(bench).items() if v}


def paired_ratios(
    one: pyperf.Benchmark, many: pyperf.Benchmark, factor: float = 1.0
) -> list[float]:
    """``factor * mean_one / mean_many`` for each process present in both points (speedup)."""
    a, b = process_means(one), process_means(many)
    return [factor * a[k] / b[k] for k in sorted(a) if k in b and a[k] > 0 and b[k] > 0]


def ratio_interval(ratios: Sequence[float]) -> Estimate:
    """Geometric mean of ``ratios`` and a t-interval on their logarithms."""
    logs = [math.log(r) for r in ratios if r > 0]
    n = len(logs)
    if n == 0:
        return Estimate(math.nan, None, None, 0)
    centre = statistics.fmean(logs)
    if n < 2:
        return Estimate(math.exp(centre), None, None, n)
    half = _t_quantile(n - 1) * statistics.stdev(logs) / math.sqrt(n)
    return Estimate(math.exp(centre), math.exp(centre - half), math.exp(centre + half), n)


def mean_interval(samples: Sequence[float]) -> Estimate:
    """Arithmetic mean of ``samples`` (one per process) and its t-interval."""
    n = len(samples)
    if n == 0:
        return Estimate(math.nan, None, None, 0)
    centre = statistics.fmean(samples)
    if n < 2:
        return Estimate(centre, None, None, n)
    half = _t_quantile(n - 1) * statistics.stdev(samples) / math.sqrt(n)
    return Estimate(centre, centre - half, centre + half, n)


def ratio_of_means(a: Sequence[float], b: Sequence[float]) -> Estimate:
    """``b`` relative to ``a`` (per-process means of each): Welch's t-interval on logs.

    The estimate is ``exp(mean(log b) - mean(log a))``; the counts may differ;
    fewer than two on either side gives no interval. Never raises.
    """
    la = [math.log(x) for x in a if x > 0]
    lb = [math.log(x) for x in b if x > 0]
    n = min(len(la), len(lb))
    if not la or not lb:
        return Estimate(math.nan, None, None, n)
    diff = statistics.fmean(lb) - statistics.fmean(la)
    if n < 2:
        return Estimate(math.exp(diff), None, None, n)
    va, vb = statistics.variance(la) / len(la), statistics.variance(lb) / len(lb)
    se2 = va + vb
    if se2 == 0.0:
        return Estimate(math.exp(diff), math.exp(diff), math.exp(diff), n)
    df = se2**2 / (va**2 / (len(la) - 1) + vb**2 / (len(lb) - 1))
    half = _t_quantile(df) * math.sqrt(se2)
    return Estimate(math.exp(diff), math.exp(diff - half), math.exp(diff + half), n)


def speedup(one: pyperf.Benchmark, many: pyperf.Benchmark, factor: float = 1.0) -> Estimate:
    """The speedup of ``many`` over ``one`` from paired per-process ratios, with its interval."""
    return ratio_interval(paired_ratios(one, many, factor))


def compare_means(base: pyperf.Benchmark, other: pyperf.Benchmark) -> Estimate:
    """``other``'s time relative to ``base``'s (1.3: 30% slower), from per-process means."""
    return ratio_of_means(list(process_means(base).values()),
                          list(process_means(other).values()))


def bench_mean(bench: pyperf.Benchmark) -> Estimate:
    """A point's mean over its per-process means, with the t-interval of those means."""
    return mean_interval(list(process_means(bench).values()))
