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
from collections.abc import Callable, Sequence
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


def _work_scale(run: pyperf.Run) -> float:
    """The run's work relative to its workload's default size (metadata ``work_scale``)."""
    scale = run.get_metadata().get("work_scale", 1.0)
    return float(scale) if isinstance(scale, (int, float)) and scale > 0 else 1.0


def _process_values(bench: pyperf.Benchmark, per_unit: bool = False) -> dict[int, list[float]]:
    """Process id -> its values; runs without values (calibration only) are skipped.

    The id is the run metadata ``process`` when every measured run has one;
    otherwise the run's index among the measured runs. ``per_unit`` divides each
    value by the run's ``work_scale``: time per default-sized call, so that an
    interpreter whose work was sized up (PyPy's countdown) compares with the others.
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
        scale = _work_scale(run) if per_unit else 1.0
        out.setdefault(ident, []).extend(float(v) / scale for v in run.values)
    return out


def process_means(bench: pyperf.Benchmark, per_unit: bool = False) -> dict[int, float]:
    """Process id -> mean of that process's values for this point (``per_unit``: per
    default-sized call, see ``_process_values``)."""
    return {k: statistics.fmean(v) for k, v in _process_values(bench, per_unit).items() if v}


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
    return log_contrast([(a, -1), (b, +1)])


def difference_of_means(a: Sequence[float], b: Sequence[float]) -> Estimate:
    """mean(b) - mean(a) with Welch's 95% t-interval (a start cost: two times measured apart).

    Fewer than two samples on either side give no interval. Never raises.
    """
    return _welch([(list(a), -1), (list(b), +1)], lambda x: x)


def log_contrast(terms: Sequence[tuple[Sequence[float], int]]) -> Estimate:
    """``exp(sum(sign * mean(log x)))`` over independent samples, with a Welch t-interval.

    Each term is (samples, +1 or -1); the variance of the sum is the sum of the
    terms' variances of the mean, and the degrees of freedom are
    Welch-Satterthwaite's for several samples. ``ratio_of_means`` is the
    two-term case; four terms adjust a change between two runs by the change of
    a reference measured in both (the machine got 4% slower: so did everything).
    Fewer than two samples in any term give no interval. Never raises.
    """
    return _welch([([math.log(x) for x in xs if x > 0], sign) for xs, sign in terms], math.exp)


def _welch(terms: Sequence[tuple[list[float], int]], back: Callable[[float], float]) -> Estimate:
    """``back(sum(sign * mean(x)))`` and its Welch-Satterthwaite t-interval mapped by ``back``."""
    n = min((len(xs) for xs, _ in terms), default=0)
    if any(not xs for xs, _ in terms):
        return Estimate(math.nan, None, None, n)
    centre = sum(sign * statistics.fmean(xs) for xs, sign in terms)
    if n < 2:
        return Estimate(back(centre), None, None, n)
    parts = [statistics.variance(xs) / len(xs) for xs, _ in terms]
    se2 = sum(parts)
    if se2 == 0.0:
        return Estimate(back(centre), back(centre), back(centre), n)
    df = se2**2 / sum(v**2 / (len(xs) - 1) for v, (xs, _) in zip(parts, terms, strict=True))
    half = _t_quantile(df) * math.sqrt(se2)
    return Estimate(back(centre), back(centre - half), back(centre + half), n)


def speedup(one: pyperf.Benchmark, many: pyperf.Benchmark, factor: float = 1.0) -> Estimate:
    """The speedup of ``many`` over ``one`` from paired per-process ratios, with its interval."""
    return ratio_interval(paired_ratios(one, many, factor))


def compare_means(base: pyperf.Benchmark, other: pyperf.Benchmark) -> Estimate:
    """``other``'s time relative to ``base``'s (1.3: 30% slower), from per-process means.

    Times are per default-sized call (divided by ``work_scale``): two interpreters
    whose work was sized differently still compare the same amount of work.
    """
    return ratio_of_means(list(process_means(base, per_unit=True).values()),
                          list(process_means(other, per_unit=True).values()))


def bench_mean(bench: pyperf.Benchmark) -> Estimate:
    """A point's mean over its per-process means, with the t-interval of those means."""
    return mean_interval(list(process_means(bench).values()))
