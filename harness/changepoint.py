"""One in-process series classified as flat, warm-up, slowdown or no steady state.

The rules follow Barrett, Bolz-Tereick, Killick, Mount and Tratt, "Virtual
machine warmup blows hot and cold" (OOPSLA 2017), section 4:

1. Changepoints: ``ruptures``' PELT with the Gaussian cost (a change of mean
   and/or variance, as their ``cpt.meanvar``), penalty ``15 log n`` (theirs),
   segments of at least ``MIN_SEGMENT`` iterations (one outlier is not a segment).
2. Equivalent segments: a segment whose mean differs from the steady state's
   (the last segment's) by no more than the larger of ``REL_TOLERANCE`` of that
   mean and the steady state's standard deviation is treated as equal to it
   (their tolerance: the larger of a fixed floor and the steady segment's
   variation; an earlier segment's own spread does not widen it, so a short,
   erratic warm-up is not hidden by its own noise).
3. The steady state: the last segment, extended back over the segments just
   before it that are equivalent to it. It must cover at least ``STEADY_SHARE``
   of the series (theirs: the last 500 of 2000 iterations); otherwise the
   series has **no steady state**.
4. **flat**: every segment is equivalent to the steady state (or no changepoint);
   **slowdown**: an earlier non-equivalent segment was faster than the steady
   state; **warm-up**: every earlier non-equivalent segment was slower.

A pair (interpreter, benchmark) is **consistent** when all its process
executions have the same class, else **inconsistent** (``pair_verdict``).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FLAT = "flat"
WARMUP = "warm-up"
SLOWDOWN = "slowdown"
NO_STEADY_STATE = "no steady state"
CLASSES = (FLAT, WARMUP, SLOWDOWN, NO_STEADY_STATE)

PENALTY_FACTOR = 15.0  # Barrett et al.: penalty 15 log n
MIN_SEGMENT = 5  # iterations
REL_TOLERANCE = 0.01  # 1% of the steady mean: the floor of "equivalent"
STEADY_SHARE = 0.25  # the steady state covers at least the last quarter
MIN_SERIES = 4 * MIN_SEGMENT  # shorter series cannot be classified
SMALL_DIAG = 1e-6  # ruptures' CostNormal adds it to a segment's variance (constant segments)


@dataclass(frozen=True)
class Segment:
    """Iterations ``start`` (inclusive) to ``end`` (exclusive), their mean and spread."""

    start: int
    end: int
    mean: float
    stdev: float

    @property
    def length(self) -> int:
        """How many iterations."""
        return self.end - self.start


@dataclass(frozen=True)
class Classification:
    """One process execution: its class, where its steady state starts, its segments."""

    kind: str
    steady_start: int | None  # first iteration (0-based) of the steady state; None: none
    steady_mean: float | None
    steady_rsd: float | None  # the steady state's relative standard deviation (its noise)
    segments: tuple[Segment, ...]

    @property
    def changepoints(self) -> list[int]:
        """The iterations where a new segment starts."""
        return [s.start for s in self.segments[1:]]


def _gaussian_cost() -> Any:
    """ruptures' ``CostNormal`` (1-D), its segment cost from running sums: the same numbers.

    ``CostNormal.error`` recomputes a segment's variance from its values on every
    call; PELT calls it about n^2 / 2 times (18,000 calls, 0.5 s for 200
    iterations on a busy machine, for every series a report reads). Prefix sums
    of x and x^2 give each variance in constant time; the cost is unchanged:
    ``n log(var + 1e-6)`` (the small diagonal ruptures adds since 1.1.5).
    """
    import numpy as np
    from ruptures.costs import CostNormal, NotEnoughPoints

    class RunningNormal(CostNormal):
        def __init__(self) -> None:  # CostNormal's own warns that it adds the diagonal
            self.signal = None
            self.min_size = 2
            self.add_small_diag = True

        def fit(self, signal: Any) -> RunningNormal:
            super().fit(signal)
            column = np.asarray(self.signal, dtype=float)[:, 0]
            # float64 prefix sums of a series scaled to about 1: no cancellation to fear
            self._s1 = np.concatenate(([0.0], np.cumsum(column))).tolist()
            self._s2 = np.concatenate(([0.0], np.cumsum(column * column))).tolist()
            return self

        def error(self, start: int, end: int) -> float:
            n = end - start
            if n < self.min_size:
                raise NotEnoughPoints
            mean = (self._s1[end] - self._s1[start]) / n
            var = max((self._s2[end] - self._s2[start]) / n - mean * mean, 0.0)
            return n * math.log(var + SMALL_DIAG)

    return RunningNormal()


def changepoints(values: Sequence[float]) -> list[int]:
    """Where segments start (0-based iteration indexes), by PELT on mean and variance."""
    import numpy as np
    import ruptures as rpt

    n = len(values)
    if n < 2 * MIN_SEGMENT:
        return []
    data = np.asarray(values, dtype=float)
    # Scale-free: the Gaussian cost is invariant, but its small diagonal is not.
    scale = float(np.median(np.abs(data))) or 1.0
    signal = (data / scale).reshape(-1, 1)
    algo = rpt.Pelt(custom_cost=_gaussian_cost(), min_size=MIN_SEGMENT, jump=1).fit(signal)
    ends = algo.predict(pen=PENALTY_FACTOR * math.log(n))
    return [int(e) for e in ends[:-1]]


def segments_of(values: Sequence[float], cuts: Sequence[int]) -> list[Segment]:
    """The segments between ``cuts`` (start indexes), with their means and deviations."""
    bounds = [0, *cuts, len(values)]
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        part = [float(v) for v in values[start:end]]
        stdev = statistics.stdev(part) if len(part) > 1 else 0.0
        out.append(Segment(start, end, statistics.fmean(part), stdev))
    return out


def equivalent(a: Segment, b: Segment) -> bool:
    """Rule 2: ``a``'s mean within the larger of 1% and the deviation of ``b`` (the steady)."""
    tolerance = max(REL_TOLERANCE * abs(b.mean), b.stdev)
    return abs(a.mean - b.mean) <= tolerance


def classify(values: Sequence[float]) -> Classification:
    """Rules 1-4 on one process execution's per-iteration times."""
    if len(values) < MIN_SERIES:
        raise ValueError(f"a series of {len(values)} iterations is too short to classify "
                         f"(at least {MIN_SERIES})")
    segs = segments_of(values, changepoints(values))
    last = segs[-1]
    first_steady = len(segs) - 1
    while first_steady > 0 and equivalent(segs[first_steady - 1], last):
        first_steady -= 1
    start = segs[first_steady].start
    steady = [float(v) for v in values[start:]]
    if len(steady) < STEADY_SHARE * len(values):
        return Classification(NO_STEADY_STATE, None, None, None, tuple(segs))
    mean = statistics.fmean(steady)
    rsd = statistics.stdev(steady) / mean if mean > 0 and len(steady) > 1 else 0.0
    earlier = [s for s in segs[:first_steady] if not equivalent(s, last)]
    if not earlier:
        kind, start = FLAT, 0
    elif any(s.mean < last.mean for s in earlier):
        kind = SLOWDOWN
    else:
        kind = WARMUP
    return Classification(kind, start, mean, rsd, tuple(segs))


@dataclass(frozen=True)
class PairVerdict:
    """All process executions of one (interpreter, benchmark)."""

    classes: tuple[str, ...]
    starts: tuple[int, ...]  # steady-state starts of the processes that have one

    @property
    def consistent(self) -> bool:
        """Every process execution has the same class."""
        return len(set(self.classes)) == 1

    @property
    def text(self) -> str:
        """"consistent warm-up", or "inconsistent (3 flat, 2 warm-up)"."""
        if not self.classes:
            return "no process"
        if self.consistent:
            return f"consistent {self.classes[0]}"
        counts = Counter(self.classes)
        return "inconsistent (" + ", ".join(
            f"{counts[c]} {c}" for c in CLASSES if counts[c]) + ")"

    @property
    def start_range(self) -> tuple[int, int, int] | None:
        """(median, lowest, highest) steady-state start over processes; None without one."""
        if not self.starts:
            return None
        ordered = sorted(self.starts)
        return int(statistics.median_low(ordered)), ordered[0], ordered[-1]


def pair_verdict(results: Sequence[Classification]) -> PairVerdict:
    """The pair's verdict from its processes' classifications."""
    return PairVerdict(tuple(r.kind for r in results),
                       tuple(r.steady_start for r in results if r.steady_start is not None))
