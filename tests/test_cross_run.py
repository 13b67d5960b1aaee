"""Cross-run coverage on the four published default runs of identical code (2026-11-26).

Each run's figure is checked against every other run's 95% interval
(``tests/cross_run.py``). With no run-to-run effect an exact interval covers
another run's estimate about 83% of the time; the per-process intervals the
report printed before did worse (the runs differ by more than they said).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cross_run import by_workload, coverage

ROOT = Path(__file__).resolve().parent.parent
RUNS = [ROOT / "reports" / f"2026-11-26-debian12-2cpu-x86_64{s}"
        for s in ("", "-repeat", "-third", "-fourth")]


@pytest.mark.skipif(not all(r.is_dir() for r in RUNS), reason="the published runs are not "
                    "in this checkout")
def test_the_intervals_cover_another_run_better_than_before() -> None:
    table = coverage(RUNS)
    assert set(table) == {"ratio 2", "ratio 4", "one-thread"}
    for kind, ((hit_before, n_before), (hit_now, n_now)) in table.items():
        assert n_before == n_now > 500, kind  # every pair judged by both methods
        assert hit_now > hit_before, kind
        if kind.startswith("ratio"):
            # at least what an exact 95% interval gives without a run-to-run effect
            assert hit_now / n_now >= 0.83, (kind, hit_now, n_now)


ONE_PLAN = [ROOT / "reports" / f"2026-12-07-debian12-2cpu-x86_64-back-to-back-{i}"
            for i in (6, 7, 8, 9, 10)]


@pytest.mark.skipif(not all(r.is_dir() for r in ONE_PLAN), reason="the published runs are not "
                    "in this checkout")
def test_runs_with_one_plan_cover_each_other_pair_by_pair() -> None:
    """Runs 6 to 10 of 2026-12-07 (noise 19-24%): the first chose the plans, the others
    recalled them (``harness.calibrations``). In every pair a 2-worker ratio lies inside the
    other run's interval for 85% of points and each workload's for 75% (issue 18's lines);
    one-thread comparisons 85% in 9 of the 10 pairs (runs 6 and 9: 82.9%) and over the five
    runs. Runs 3, 4 and 5 (each with its own plans) missed a line in every pair
    (``countdown_processes`` 68.2%, ``counter_race_method`` 69.6%, one-thread 82.9%)."""
    one_thread = []
    for i, a in enumerate(ONE_PLAN):
        for b in ONE_PLAN[i + 1:]:
            table = coverage([a, b])
            hit, n = table["ratio 2"][1]
            assert hit / n >= 0.85, (a.name, b.name, hit, n)
            one_thread.append(table["one-thread"][1][0] / table["one-thread"][1][1])
            for workload, counts in by_workload([a, b]).items():
                hit, n = counts[1]
                assert hit / n >= 0.75, (a.name, b.name, workload, hit, n)
    assert min(one_thread) >= 0.82 and sum(c >= 0.85 for c in one_thread) >= 9, one_thread
    hit, n = coverage(ONE_PLAN)["one-thread"][1]
    assert hit / n >= 0.85


LAST_PAIR = [ROOT / "reports" / f"2026-12-07-debian12-2cpu-x86_64-back-to-back-{i}"
             for i in (11, 12)]


@pytest.mark.skipif(not all(r.is_dir() for r in LAST_PAIR), reason="the published runs are "
                    "not in this checkout")
def test_the_last_two_runs_meet_issue_18s_lines() -> None:
    """Runs 11 and 12 of 2026-12-07, back to back (noise 23% and 24%; the parallel-capacity
    reference low in most readings): both directions, a 2-worker ratio inside the other
    run's interval for at least 85% of points (90.1%), each workload at least 75% (85.0%
    the lowest), one-thread comparisons at least 85% (93.9%)."""
    table = coverage(LAST_PAIR)
    for kind in ("ratio 2", "one-thread"):
        hit, n = table[kind][1]
        assert n > 150 and hit / n >= 0.85, (kind, hit, n)
    for workload, counts in by_workload(LAST_PAIR).items():
        hit, n = counts[1]
        assert hit / n >= 0.75, (workload, hit, n)
