"""The regression gate: which changes of a ``changes.Diff`` fail ``--fail-on-regression``.

A time or ratio change fails when its whole 95% interval lies beyond the
threshold in the bad direction (slower, or a lower ratio) and it is a discovery
among all the changes the comparison judges (``Gate``); lost updates under a
lock where there were none always fail. The command and pages that print the
judgement are ``harness.report.diff``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness import stats
from harness.report import changes
from harness.report.changes import Diff, LostChange
from harness.report.context import interval_pct, pct_change

# The false discovery rate over all the changes one comparison judges (``Gate``).
GATE_FDR = 0.05


@dataclass(frozen=True)
class Regression:
    """A significant loss beyond the threshold (``size`` is the relative loss; inf: correctness)."""

    interpreter: str
    point: str
    kind: str  # "time" | "scaling" | "lost updates under a lock"
    size: float
    text: str

    def line(self) -> str:
        """One line naming it."""
        return f"{self.interpreter} {self.point}: {self.kind}: {self.text}"


def _lost_text(c: LostChange) -> str:
    return f"{c.old[0]:,} of {c.old[1]:,} -> {c.new[0]:,} of {c.new[1]:,} lost"


@dataclass(frozen=True)
class Gate:
    """What ``--fail-on-regression`` judges: ``failing`` fails it (worst first).

    A time or ratio change fails when (1) its whole interval lies beyond the
    threshold in the bad direction, and (2) it is a discovery among all
    ``judged`` changes: Benjamini-Hochberg on the one-sided p-values of "no
    change", at a false discovery rate of ``GATE_FDR``. One comparison judges
    about 500 changes (12 interpreters); on a machine with 20% noise, a few
    intervals from 5 processes a side lie beyond 5% by chance in every other
    diff of identical code (10 of 20 directions among five runs, 1-4 each),
    and none is a discovery. With one change judged the rule is (1) alone.
    Lost updates under a lock where there were none always fail. ``alone``: the
    changes that meet (1) but not (2), named, never failing.
    """

    failing: list[Regression]
    alone: list[Regression]
    judged: int


def judge(d: Diff, threshold_pct: float) -> Gate:
    """The gate's judgement of ``d``: every loss beyond the threshold that is also a
    discovery among all the changes judged (see ``Gate``)."""
    limit = threshold_pct / 100.0
    lost: list[Regression] = []
    # Every judged change once: its regression (None: not beyond the threshold in the
    # bad direction) and the p-value of "no change" in that direction.
    tested: list[tuple[Regression | None, float | None]] = []
    for i in d.interpreters:
        if i.other_machine:  # not comparable: nothing is judged
            continue
        lost += [Regression(i.id, c.point, "lost updates under a lock",
                            math.inf, _lost_text(c)) for c in i.lost if c.regression]
        for t in i.times if i.comparable else []:
            if t.verdict in changes.UNJUDGED:
                continue
            # Significantly beyond the threshold: the whole interval, not only the
            # estimate (identical runs differ by more than their process-level
            # intervals on a noisy machine; the threshold is that allowance).
            beyond = t.verdict == "slower" and (t.change.low or 0.0) - 1.0 > limit
            tested.append((Regression(i.id, t.point, "time", t.change.value - 1.0,
                                      changes.time_text(t, "slower")) if beyond else None,
                           t.change.p_above(1.0)))
        for s in i.scaling if i.comparable else []:
            if s.verdict in changes.UNJUDGED:
                continue
            beyond = s.verdict == "lower" and 1.0 - (s.change.high or 1.0) > limit
            tested.append((Regression(
                i.id, s.point, "scaling", 1.0 - s.change.value,
                f"ratio against one {s.old.value:.2f}x -> {s.new.value:.2f}x "
                f"({pct_change(s.change.value)} {interval_pct(s.change)})")
                if beyond else None, s.change.p_below(1.0)))
    # Every change is drawn by ``stats`` with its standard error; one without is no
    # discovery.
    found = stats.discoveries([1.0 if p is None else p for _, p in tested], GATE_FDR)
    failing = [r for (r, _), hit in zip(tested, found, strict=True) if r and hit]
    alone = [r for (r, _), hit in zip(tested, found, strict=True) if r and not hit]
    return Gate(sorted(lost + failing, key=lambda r: -r.size),
                sorted(alone, key=lambda r: -r.size), len(tested))
