"""The one statistics module: estimates with 95% intervals, by process and by time block.

Used by every table, verdict and chart of the report, by the diff gate and by
the runner's adaptive sampling (which stops on the same intervals the report
prints): a leaf that imports only pyperf and scipy.

Processes are the independent samples within a stretch of machine time. Each
pyperf ``Run`` holds one worker process's values for one point; runs of
different points of one workload come from the same process when their run
metadata ``process`` is equal (older files without it pair by run index, the
order the runner wrote them in). Values from one process share its warm-up,
its memory layout and the machine's mood of the moment, so every interval here
is computed from one number per process.

A second run on the same machine adds what a stretch of machine time shares:
the other tenant on the second core, the host's frequency, the memory
controller's load. Processes close in time share it too, so they are not
independent of each other either. Every interval is therefore a two-level one
(Kalibera and Jones, "Rigorous benchmarking in reasonable time", 2013): the
processes of a point, in the order they ran (run metadata ``harness_round``,
else ``harness_started``, else pyperf's ``date``, else the process id), are cut
into at most ``MAX_BLOCKS`` blocks of consecutive processes, and the
t-interval is taken over the block means (``B - 1`` degrees of freedom). The
spread of block means holds the between-block variance and the processes'
own; with ``B`` processes or fewer every process is its own block and the
interval is the per-process one.

- A scaling ratio (speedup) comes from the paired per-process ratios
  ``factor * mean_1 / mean_T``: its estimate is their geometric mean, its
  interval the block t-interval on their logarithms. Processes that ran while
  the machine had fewer free cores than the point needed (run metadata
  ``harness_capacity_low``) are left out (``capacity_low``).
- Two interpreters measured in the same interleaved run (run metadata
  ``harness_round`` on both) are compared by per-round ratios: the time of the
  other's process over the base's process of the same round (per unit of work),
  their geometric mean and the block t-interval over rounds: drift over the
  run's time cancels in each round. Without rounds (older files, or two runs)
  the ratio of the geometric means of per-process means, with Welch's
  t-interval on the logarithms of the block means (Welch-Satterthwaite
  degrees of freedom).
- Fewer than two processes give an estimate without an interval ("not enough
  processes"): never a verdict, never an exception.
- A family of tests (the diff gate's hundreds of changes) is judged by its
  discoveries at a false discovery rate (``discoveries``, Benjamini-Hochberg),
  each test's one-sided p-value from its estimate (``Estimate.p_above``).

Distributions come from ``scipy.stats``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyperf
from scipy import stats as _scipy_stats

CONFIDENCE = 0.95
# The t quantile every interval is drawn with: a 98% one. The sampler stops a point
# as soon as its interval is narrow enough, and so stops more often on a sample whose
# spread happens to be small: with the 95% quantile, simulated coverage of the truth
# falls to 88% (spread 8%, target +-0.05) and 84% (spread 12%). Drawn and judged with
# the 98% quantile it stays at 94-98% (tests/test_stats.py), at the cost of more
# processes for a noisy point. The intervals are still called 95% intervals: that is
# what they cover after the stopping.
QUANTILE_LEVEL = 0.98
# The top level of every interval: at most this many blocks of consecutive processes
# (rounds). Fewer blocks give fewer degrees of freedom (t(0.975, 5) = 2.57 against
# 2.09 for 19); more would let processes a few seconds apart count as independent.
MAX_BLOCKS = 6
# What ``Estimate.method`` says for each way an interval was made.
PAIRED_PROCESS = "paired by process"
PAIRED_ROUND = "paired by round"
UNPAIRED = "unpaired (Welch)"
ADJUSTED = "unpaired, adjusted by the reference loop"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval (``low``/``high`` None: not enough processes)."""

    value: float
    low: float | None
    high: float | None
    processes: int  # independent samples behind it (the smaller side for two samples)
    # How it was made (PAIRED_ROUND...; "" when not said) and by what order its blocks
    # were cut ("rounds", "start times", "process order"): not part of equality.
    method: str = field(default="", compare=False)
    order: str = field(default="", compare=False)
    # The interval's standard error and degrees of freedom, on the scale it was drawn on
    # (``on_logs``: the logarithms of a ratio): what ``p_above`` and ``p_below`` test with.
    se: float | None = field(default=None, compare=False)
    df: float | None = field(default=None, compare=False)
    on_logs: bool = field(default=False, compare=False)

    @property
    def enough(self) -> bool:
        """True when the interval is known (at least two processes)."""
        return self.bounds is not None

    @property
    def bounds(self) -> tuple[float, float] | None:
        """(low, high), or None without an interval: the one check of both ends."""
        return None if self.low is None or self.high is None else (self.low, self.high)

    def half_width(self) -> float | None:
        """(high - low) / 2, in the value's unit; None without an interval."""
        bounds = self.bounds
        return None if bounds is None else (bounds[1] - bounds[0]) / 2.0

    def rel_half_width(self) -> float | None:
        """half_width / value; None without an interval or for a zero value."""
        hw = self.half_width()
        if hw is None or not self.value:
            return None
        return hw / abs(self.value)

    def excludes(self, x: float) -> bool:
        """True when the interval is known and ``x`` lies outside it."""
        bounds = self.bounds
        return bounds is not None and not bounds[0] <= x <= bounds[1]

    def includes(self, x: float) -> bool:
        """True when the interval is known and ``x`` lies inside it (bounds included)."""
        return self.enough and not self.excludes(x)

    def p_above(self, x: float) -> float | None:
        """The one-sided p-value of "the true value is at most ``x``" (small: the value is
        significantly above ``x``); with the 98% quantile every interval is drawn with,
        below 0.01 exactly when the whole interval lies above ``x``. None without one."""
        return self._tail(x, upper=True)

    def p_below(self, x: float) -> float | None:
        """As ``p_above``, for "the true value is at least ``x``"."""
        return self._tail(x, upper=False)

    def _tail(self, x: float, upper: bool) -> float | None:
        if self.bounds is None or self.se is None or self.df is None:
            return None
        if self.on_logs and (x <= 0 or self.value <= 0):
            return None
        scale = math.log if self.on_logs else float
        distance = (scale(self.value) - scale(x)) * (1.0 if upper else -1.0)
        if self.se == 0.0:
            return 0.0 if distance > 0 else 1.0
        return float(_scipy_stats.t.sf(distance / self.se, self.df))


def _t_quantile(df: float, confidence: float = QUANTILE_LEVEL) -> float:
    """The two-sided critical value of Student's t for ``confidence`` with ``df`` degrees
    (``QUANTILE_LEVEL``: 95% intervals corrected for data-dependent stopping)."""
    return float(_scipy_stats.t.ppf(0.5 + confidence / 2.0, df))


def _work_scale(run: pyperf.Run) -> float:
    """The run's work relative to its workload's default size (metadata ``work_scale``)."""
    scale = run.get_metadata().get("work_scale", 1.0)
    return float(scale) if isinstance(scale, (int, float)) and scale > 0 else 1.0


@dataclass(frozen=True)
class Process:
    """One worker process's figure for one point, and when it ran."""

    id: int
    mean: float
    round: int | None  # run metadata ``harness_round`` (interleaved runs)
    started: float | None  # ``harness_started``, else pyperf's ``date`` (to the second)
    capacity_low: bool  # ``harness_capacity_low``: fewer free cores than the point needed


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _started(meta: dict[str, object]) -> float | None:
    value = _number(meta.get("harness_started"))
    if value is not None:
        return value
    date = meta.get("date")
    if isinstance(date, str):
        try:
            return _dt.datetime.fromisoformat(date).timestamp()
        except ValueError:
            return None
    return None


def processes(bench: pyperf.Benchmark, per_unit: bool = False) -> dict[int, Process]:
    """Process id -> its mean for this point and when it ran (see ``process_means``)."""
    runs = [run for run in bench.get_runs() if run.values]
    ids: list[int] = []
    for run in runs:
        raw = run.get_metadata().get("process")
        if isinstance(raw, bool) or not isinstance(raw, int):
            ids = list(range(len(runs)))
            break
        ids.append(raw)
    values: dict[int, list[float]] = {}
    first: dict[int, dict[str, object]] = {}
    low: set[int] = set()
    for ident, run in zip(ids, runs, strict=True):
        scale = _work_scale(run) if per_unit else 1.0
        values.setdefault(ident, []).extend(float(v) / scale for v in run.values)
        meta = run.get_metadata()
        first.setdefault(ident, meta)
        if meta.get("harness_capacity_low") is True:
            low.add(ident)
    out: dict[int, Process] = {}
    for ident, vals in values.items():
        meta = first[ident]
        rnd = meta.get("harness_round")
        out[ident] = Process(ident, statistics.fmean(vals),
                             rnd if isinstance(rnd, int) and not isinstance(rnd, bool) else None,
                             _started(meta), ident in low)
    return out


def time_order(procs: Sequence[Process]) -> tuple[str, list[Process]]:
    """``procs`` in the order they ran and what said so: "rounds", "start times" or
    "process order" (the first that every process has)."""
    if procs and all(p.round is not None for p in procs):
        return "rounds", sorted(procs, key=lambda p: (p.round, p.started or 0.0, p.id))
    if procs and all(p.started is not None for p in procs):
        return "start times", sorted(procs, key=lambda p: (p.started, p.id))
    return "process order", sorted(procs, key=lambda p: p.id)


def capacity_low(bench: pyperf.Benchmark) -> int:
    """How many of the point's processes ran with fewer free cores than it needed."""
    return sum(1 for p in processes(bench).values() if p.capacity_low)


def process_means(bench: pyperf.Benchmark, per_unit: bool = False) -> dict[int, float]:
    """Process id -> mean of that process's values for this point.

    The id is the run metadata ``process`` when every measured run has one;
    otherwise the run's index among the measured runs. ``per_unit`` divides each
    value by the run's ``work_scale``: time per default-sized call, so that an
    interpreter whose work was sized up (PyPy's countdown) compares with the others.
    """
    return {k: p.mean for k, p in processes(bench, per_unit).items()}


def block_means(samples: Sequence[float], blocks: int = MAX_BLOCKS) -> list[float]:
    """Means of at most ``blocks`` runs of consecutive ``samples`` (sizes differ by at most 1);
    ``blocks`` 0: the samples themselves."""
    n = len(samples)
    count = n if blocks <= 0 else min(n, blocks)
    if count == n:
        return list(samples)
    size, extra = divmod(n, count)
    out, start = [], 0
    for i in range(count):
        stop = start + size + (1 if i < extra else 0)
        out.append(statistics.fmean(samples[start:stop]))
        start = stop
    return out


def _back(on_logs: bool) -> Callable[[float], float]:
    """From the scale an interval is drawn on back to the value's: ``exp`` for logarithms."""
    return math.exp if on_logs else float


def _block_interval(xs: Sequence[float], on_logs: bool, blocks: int,
                    confidence: float = QUANTILE_LEVEL) -> Estimate:
    """``mean(xs)`` with the t-interval over the block means of ``xs`` (in time order),
    mapped back by ``exp`` when ``xs`` are logarithms (``on_logs``)."""
    back = _back(on_logs)
    n = len(xs)
    if n == 0:
        return Estimate(math.nan, None, None, 0)
    centre = statistics.fmean(xs)
    if n < 2:
        return Estimate(back(centre), None, None, n)
    means = block_means(xs, blocks)
    se = statistics.stdev(means) / math.sqrt(len(means))
    half = _t_quantile(len(means) - 1, confidence) * se
    return Estimate(back(centre), back(centre - half), back(centre + half), n,
                    se=se, df=len(means) - 1.0, on_logs=on_logs)


def paired_ratios(
    one: pyperf.Benchmark, many: pyperf.Benchmark, factor: float = 1.0,
    skip_capacity_low: bool = True,
) -> list[float]:
    """``factor * mean_one / mean_many`` for each process present in both points (speedup),
    in the order the processes ran; processes that ran short of free cores are left out."""
    a, b = processes(one), processes(many)
    kept = [p for p in a.values() if p.id in b and p.mean > 0 and b[p.id].mean > 0
            and not (skip_capacity_low and (p.capacity_low or b[p.id].capacity_low))]
    _, ordered = time_order(kept)
    return [factor * p.mean / b[p.id].mean for p in ordered]


def ratio_interval(ratios: Sequence[float], blocks: int = MAX_BLOCKS,
                   confidence: float = QUANTILE_LEVEL) -> Estimate:
    """Geometric mean of ``ratios`` (in time order) and the block t-interval on their logs
    (``blocks`` 0: one block per ratio, the per-process interval)."""
    return _block_interval([math.log(r) for r in ratios if r > 0], True, blocks,
                           confidence)


def mean_interval(samples: Sequence[float], blocks: int = MAX_BLOCKS,
                  confidence: float = QUANTILE_LEVEL) -> Estimate:
    """Arithmetic mean of ``samples`` (one per process, in time order) and its block
    t-interval."""
    return _block_interval(list(samples), False, blocks, confidence)


def ratio_of_means(a: Sequence[float], b: Sequence[float], blocks: int = MAX_BLOCKS,
                   confidence: float = QUANTILE_LEVEL,
                   extra: tuple[float, float] | None = None) -> Estimate:
    """``b`` relative to ``a`` (per-process means of each, in time order): Welch's
    t-interval on the logs of their block means.

    The estimate is ``exp(mean(log b) - mean(log a))``; the counts may differ;
    fewer than two on either side gives no interval; ``extra`` as in ``log_contrast``.
    Never raises.
    """
    return log_contrast([(a, -1), (b, +1)], blocks, confidence, extra)


def difference_of_means(a: Sequence[float], b: Sequence[float],
                        blocks: int = MAX_BLOCKS) -> Estimate:
    """mean(b) - mean(a) with Welch's 95% t-interval on block means (a start cost: two
    times measured apart). Fewer than two samples on either side give no interval."""
    return _welch([(list(a), -1), (list(b), +1)], False, blocks)


def log_contrast(terms: Sequence[tuple[Sequence[float], int]],
                 blocks: int = MAX_BLOCKS, confidence: float = QUANTILE_LEVEL,
                 extra: tuple[float, float] | None = None) -> Estimate:
    """``exp(sum(sign * mean(log x)))`` over independent samples, with a Welch t-interval.

    Each term is (samples in time order, +1 or -1); the variance of the sum is
    the sum of the terms' variances of the mean (from their block means), and the
    degrees of freedom are Welch-Satterthwaite's for several samples.
    ``ratio_of_means`` is the two-term case; four terms adjust a change between
    two runs by the change of a reference measured in both (the machine got 4%
    slower: so did everything). Fewer than two samples in any term give no
    interval. ``extra`` (a variance on the log scale, its degrees of freedom) is one
    more independent part of the sum's variance: the variation between runs
    (``between_runs``). Never raises.
    """
    return _welch([([math.log(x) for x in xs if x > 0], sign) for xs, sign in terms],
                  True, blocks, confidence, extra)


def log_centre(terms: Sequence[tuple[Sequence[float], int]],
               blocks: int = MAX_BLOCKS) -> tuple[float, float] | None:
    """``sum(sign * mean(log x))`` over the terms and the variance of that sum (from each
    term's block means): one run's centre for ``between_runs``; None when a term has
    fewer than two samples."""
    logs = [([math.log(x) for x in xs if x > 0], sign) for xs, sign in terms]
    if any(len(xs) < 2 for xs, _ in logs):
        return None
    centre = sum(sign * statistics.fmean(xs) for xs, sign in logs)
    return centre, sum(v for v, _ in _block_variances(logs, blocks))


def _block_variances(terms: Sequence[tuple[list[float], int]],
                     blocks: int) -> list[tuple[float, float]]:
    """Each term's variance of its mean, from its block means, and its degrees of freedom
    (every term with at least two samples)."""
    grouped = [block_means(xs, blocks) for xs, _ in terms]
    return [(statistics.variance(ms) / len(ms), len(ms) - 1.0) for ms in grouped]


def between_runs(centres: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The variance a run's own effect adds to its centre, from runs of identical code on
    one machine: each run's (centre, variance of that centre), from ``log_centre``.

    Method of moments for a random run effect (Kalibera and Jones, 2013): the
    variance of the centres less the mean of their own variances, at least 0,
    with ``K - 1`` degrees of freedom for ``K`` runs. A run whose every process
    is shifted (a JVM's thread start twice as slow for a whole run) is the
    variation no interval from one run can hold. None for fewer than two runs.
    """
    if len(centres) < 2:
        return None
    spread = statistics.variance([c for c, _ in centres])
    own = statistics.fmean([v for _, v in centres])
    return max(0.0, spread - own), float(len(centres) - 1)


def _welch(terms: Sequence[tuple[list[float], int]], on_logs: bool,
           blocks: int = MAX_BLOCKS, confidence: float = QUANTILE_LEVEL,
           extra: tuple[float, float] | None = None) -> Estimate:
    """``sum(sign * mean(x))`` and its Welch-Satterthwaite t-interval over each term's
    block means (and ``extra``: a variance and its degrees of freedom), mapped back by
    ``exp`` when the terms are logarithms (``on_logs``)."""
    back = _back(on_logs)
    n = min((len(xs) for xs, _ in terms), default=0)
    if any(not xs for xs, _ in terms):
        return Estimate(math.nan, None, None, n, UNPAIRED)
    centre = sum(sign * statistics.fmean(xs) for xs, sign in terms)
    if n < 2:
        return Estimate(back(centre), None, None, n, UNPAIRED)
    parts = _block_variances(terms, blocks)
    if extra is not None and extra[0] > 0:
        parts.append(extra)
    se2 = sum(v for v, _ in parts)
    if se2 == 0.0:
        return Estimate(back(centre), back(centre), back(centre), n, UNPAIRED,
                        se=0.0, df=float(n - 1), on_logs=on_logs)
    df = se2**2 / sum(v**2 / dof for v, dof in parts)
    half = _t_quantile(df, confidence) * math.sqrt(se2)
    return Estimate(back(centre), back(centre - half), back(centre + half), n, UNPAIRED,
                    se=math.sqrt(se2), df=df, on_logs=on_logs)


def discoveries(p_values: Sequence[float], rate: float) -> list[bool]:
    """Which of a family of tests are discoveries at the false discovery ``rate``
    (Benjamini-Hochberg, ``scipy.stats.false_discovery_control``): the k smallest
    p-values, for the largest k whose k-th is at most ``rate * k / len(p_values)``.
    Alone, a test is a discovery when its p-value is at most ``rate``."""
    if not p_values:
        return []
    adjusted = _scipy_stats.false_discovery_control(list(p_values), method="bh")
    return [bool(q <= rate) for q in adjusted]


def speedup(one: pyperf.Benchmark, many: pyperf.Benchmark, factor: float = 1.0,
            blocks: int = MAX_BLOCKS, confidence: float = QUANTILE_LEVEL) -> Estimate:
    """The speedup of ``many`` over ``one`` from paired per-process ratios, with its block
    interval; processes that ran short of free cores are left out."""
    a = processes(one)
    order, _ = time_order(list(a.values()))
    est = ratio_interval(paired_ratios(one, many, factor), blocks, confidence)
    return dataclasses.replace(est, method=PAIRED_PROCESS, order=order)


# The headline's lines on threads (``harness.report.verdicts`` words them; the sampler
# gives the headline processes while its interval lies across one): "in parallel" needs
# the whole interval a quarter of the way to the ideal gain (1.25x with 2 threads on 2
# cores), "take turns" all of it below that, "in each other's way" all below 0.75x.
# Interpreters lie far from these lines (GIL builds 0.85-1.0, 2.7 0.55, free-threaded
# builds and Jython 1.7-1.8 on 2 cores), so two runs with an interval each agree.
CLEAR_FRACTION = 0.25
SLOWER_THAN_ONE = 0.75


def parallel_line(ideal: float) -> float:
    """The speedup "in parallel" needs its whole interval at or above: ``CLEAR_FRACTION`` of
    the way from 1 to the ideal gain (1.25x at 2). One core has no parallel gain to find:
    its line is still the one of two cores."""
    return 1.0 + CLEAR_FRACTION * (max(ideal, 2.0) - 1.0)


def thread_side(est: Estimate, ideal: float) -> str | None:
    """Where a strong-scaling speedup's whole interval lies against the headline's lines:
    "parallel", "in the way" (below ``SLOWER_THAN_ONE``), "turns" (below the parallel
    line, ``parallel_line``); None when the interval crosses a line or there is none."""
    bounds = est.bounds
    if bounds is None:
        return None
    parallel = parallel_line(ideal)
    if bounds[0] >= parallel:
        return "parallel"
    if bounds[1] < SLOWER_THAN_ONE:
        return "in the way"
    return "turns" if bounds[1] < parallel else None


def round_ratios(base: pyperf.Benchmark, other: pyperf.Benchmark) -> list[float] | None:
    """Per-round ``other / base`` time per unit of work, in round order; None unless every
    process of both carries ``harness_round`` (a round with several processes of one
    interpreter uses their mean)."""
    a = list(processes(base, per_unit=True).values())
    b = list(processes(other, per_unit=True).values())
    if not a or not b or any(p.round is None for p in a + b):
        return None
    by_a: dict[int, list[float]] = {}
    by_b: dict[int, list[float]] = {}
    for p in a:
        by_a.setdefault(p.round or 0, []).append(p.mean)
    for p in b:
        by_b.setdefault(p.round or 0, []).append(p.mean)
    return [statistics.fmean(by_b[r]) / statistics.fmean(by_a[r])
            for r in sorted(by_a) if r in by_b
            and statistics.fmean(by_a[r]) > 0 and statistics.fmean(by_b[r]) > 0]


def compare_means(base: pyperf.Benchmark, other: pyperf.Benchmark, blocks: int = MAX_BLOCKS,
                  paired: bool = True, confidence: float = QUANTILE_LEVEL) -> Estimate:
    """``other``'s time relative to ``base``'s (1.3: 30% slower), per unit of work.

    Both measured in the same interleaved run (``harness_round``): from per-round
    ratios (``round_ratios``), paired like thread ratios are paired by process.
    Otherwise (``paired`` False, older files): the ratio of the geometric means
    of per-process means, Welch on their block means. Times are per
    default-sized call (divided by ``work_scale``): two interpreters whose work
    was sized differently still compare the same amount of work.
    """
    ratios = round_ratios(base, other) if paired else None
    if ratios is not None:
        est = ratio_interval(ratios, blocks, confidence)
        return dataclasses.replace(est, method=PAIRED_ROUND, order="rounds")
    a_order, a = time_order(list(processes(base, per_unit=True).values()))
    b_order, b = time_order(list(processes(other, per_unit=True).values()))
    est = ratio_of_means([p.mean for p in a], [p.mean for p in b], blocks, confidence)
    return dataclasses.replace(est, order=a_order if a_order == b_order else "process order")


def bench_mean(bench: pyperf.Benchmark, blocks: int = MAX_BLOCKS) -> Estimate:
    """A point's mean over its per-process means, with the block t-interval of those means."""
    order, procs = time_order(list(processes(bench).values()))
    return dataclasses.replace(mean_interval([p.mean for p in procs], blocks), order=order)


def _ratios_by_round(one: pyperf.Benchmark, many: pyperf.Benchmark,
                     factor: float) -> dict[int, float] | None:
    """Round -> ``factor * mean_one / mean_many`` of the process of that round (capacity-low
    processes left out); None unless every process carries ``harness_round``."""
    a, b = processes(one), processes(many)
    if not a or any(p.round is None for p in a.values()):
        return None
    out: dict[int, list[float]] = {}
    for p in a.values():
        q = b.get(p.id)
        if q is None or p.mean <= 0 or q.mean <= 0 or p.capacity_low or q.capacity_low:
            continue
        out.setdefault(p.round or 0, []).append(factor * p.mean / q.mean)
    return {r: statistics.fmean(v) for r, v in out.items()}


def speedup_change(a_one: pyperf.Benchmark, a_many: pyperf.Benchmark,
                   b_one: pyperf.Benchmark, b_many: pyperf.Benchmark,
                   factor: float = 1.0) -> Estimate:
    """B's speedup relative to A's (0.8: 20% lower). Two interpreters of one interleaved
    run: per round, B's paired ratio over A's, and the block interval over rounds;
    otherwise Welch on the logs of the two sets of paired ratios."""
    ra, rb = _ratios_by_round(a_one, a_many, factor), _ratios_by_round(b_one, b_many, factor)
    if ra is not None and rb is not None:
        est = ratio_interval([rb[r] / ra[r] for r in sorted(ra) if r in rb])
        return dataclasses.replace(est, method=PAIRED_ROUND, order="rounds")
    return ratio_of_means(paired_ratios(a_one, a_many, factor),
                          paired_ratios(b_one, b_many, factor))


def compare_across_stretches(base: pyperf.Benchmark, other: pyperf.Benchmark,
                             ref_base: Sequence[float], ref_other: Sequence[float]) -> Estimate:
    """``compare_means``, and where it cannot pair by round, adjusted by a reference.

    Without rounds each interpreter ran in its own stretch of machine time; a
    reference timed in each stretch (the machine's reference loop, samples in
    any unit) says how fast the machine was then: the ratio is divided by the
    references' ratio and the interval carries their uncertainty too (four
    terms, ``log_contrast``). Fewer than two samples on a side: ``compare_means``.
    """
    est = compare_means(base, other)
    if est.method == PAIRED_ROUND or len(ref_base) < 2 or len(ref_other) < 2:
        return est
    _, a = time_order(list(processes(base, per_unit=True).values()))
    _, b = time_order(list(processes(other, per_unit=True).values()))
    adjusted = log_contrast([([p.mean for p in a], -1), ([p.mean for p in b], +1),
                             (ref_base, +1), (ref_other, -1)])
    # the worker processes behind it, not the reference's samples
    return dataclasses.replace(adjusted, method=ADJUSTED, order=est.order,
                               processes=min(len(a), len(b)))
