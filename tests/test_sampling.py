"""harness.sampling: targets on synthetic runs with known spreads, and the budget's rules."""

from __future__ import annotations

import pyperf
import pytest

from harness import sampling

TARGET = sampling.Target(ratio_half_width=0.05, mean_rel_half_width=0.02)


def _run(name: str, process: int, values: list[float]) -> pyperf.Run:
    meta = {"name": name, "loops": 1, "process": process}
    return pyperf.Run(values, metadata=meta, collect_metadata=False)


def _runs(one: list[float], two: list[float]) -> dict[str, list[pyperf.Run]]:
    """countdown/threads=1 and threads=2, one run per process, paired by ``process``."""
    return {
        "countdown/threads=1": [_run("countdown/threads=1", i, [v]) for i, v in enumerate(one)],
        "countdown/threads=2": [_run("countdown/threads=2", i, [v]) for i, v in enumerate(two)],
    }


def test_points_without_a_scale_axis_have_no_target() -> None:
    """Only a point of a scale axis (``points.Point``) among the run's counts gets a target."""
    runs = {
        **_runs([0.2] * 3, [0.1] * 3),
        "switch_latency/interval=default": [_run("switch_latency/interval=default", 0, [1.0])],
        "thread_start/start_join": [_run("thread_start/start_join", 0, [1.0])],
        "counter_lock/threads=100,increments=1": [
            _run("counter_lock/threads=100,increments=1", 0, [1.0])],
        "countdown_processes/processes=2": [_run("countdown_processes/processes=2", 0, [1.0])],
    }
    checks = {c.name: c.measure for c in sampling.check_workload(runs, [1, 2, 100], TARGET)}
    assert checks["countdown/threads=2"] == "ratio"
    assert checks["switch_latency/interval=default"] == "none"
    assert checks["thread_start/start_join"] == "none"
    assert checks["counter_lock/threads=100,increments=1"] == "ratio"  # against threads=1
    assert checks["countdown_processes/processes=2"] == "none"  # no processes=1 point


def test_steady_points_meet_the_target() -> None:
    one = [0.200, 0.201, 0.199, 0.200, 0.200]
    two = [0.100, 0.1005, 0.0995, 0.100, 0.100]  # ratio 2.0 in every process
    checks = {c.name: c for c in sampling.check_workload(_runs(one, two), [1, 2], TARGET)}
    assert checks["countdown/threads=1"].measure == "mean"
    assert checks["countdown/threads=1"].met
    ratio = checks["countdown/threads=2"]
    assert ratio.measure == "ratio" and ratio.met and ratio.processes == 5
    assert ratio.half_width is not None and ratio.half_width < 0.01
    assert sampling.worst(list(checks.values())) is None


def test_noisy_ratio_misses_and_is_the_worst() -> None:
    one = [0.2, 0.2, 0.2, 0.2, 0.2]
    two = [0.10, 0.14, 0.09, 0.16, 0.11]  # ratios from 1.25 to 2.2
    checks = sampling.check_workload(_runs(one, two), [1, 2], TARGET)
    bad = sampling.worst(checks)
    assert bad is not None and bad.name == "countdown/threads=2" and not bad.met
    assert bad.half_width is not None and bad.half_width > 0.05
    assert "worst +-" in sampling.describe(checks)


def test_one_process_has_no_interval_and_no_target_met() -> None:
    checks = sampling.check_workload(_runs([0.2], [0.1]), [1, 2], TARGET)
    assert all(not c.met and c.half_width is None for c in checks)
    assert sampling.worst(checks) is not None
    assert "no interval yet" in sampling.describe(checks)


def test_weak_scaling_is_judged_on_the_ratio_of_times() -> None:
    one = [0.05] * 4
    two = [0.05, 0.0505, 0.0495, 0.05]  # time unchanged: the ideal of weak scaling
    runs = {
        "io_wait/threads=1": [_run("io_wait/threads=1", i, [v]) for i, v in enumerate(one)],
        "io_wait/threads=2": [_run("io_wait/threads=2", i, [v]) for i, v in enumerate(two)],
    }
    check = sampling.check_point("io_wait/threads=2", runs, [1, 2], TARGET)
    assert check.measure == "ratio" and check.met
    assert check.half_width is not None and check.half_width < 0.05


def test_points_off_the_thread_counts_have_no_target() -> None:
    runs = _runs([0.2, 0.2], [0.1, 0.1])
    runs["counter_lock/threads=100,increments=1"] = [
        _run("counter_lock/threads=100,increments=1", i, [v]) for i, v in enumerate([0.1, 0.3])
    ]
    check = sampling.check_point("counter_lock/threads=100,increments=1", runs, [1, 2], TARGET)
    assert check.measure == "none" and check.met and check.processes == 2


def test_pyperf_bar_needs_required_nprocesses() -> None:
    one = [0.200, 0.203, 0.198, 0.201, 0.199]  # ~1% spread: pyperf wants ~16 processes
    two = [v / 2 for v in one]
    rigorous = sampling.Target(0.05, 0.02, pyperf_bar=True)
    check = sampling.check_point("countdown/threads=1", _runs(one, two), [1, 2], rigorous)
    plain = sampling.check_point("countdown/threads=1", _runs(one, two), [1, 2], TARGET)
    assert plain.met and not check.met


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_shares_and_fits() -> None:
    clock = Clock()
    budget = sampling.Budget(60.0, 3, clock=clock)
    assert budget.fair_share() == 20.0
    clock.now += 50
    assert budget.left() == pytest.approx(10.0)
    assert budget.fits(9.0) and not budget.fits(11.0)
    unlimited = sampling.Budget(0.0, 3, clock=clock)
    assert not unlimited.limited and unlimited.fits(1e9)


def test_a_round_holds_the_floor_always_then_the_worst_that_fit_in_the_cap() -> None:
    clock = Clock()
    budget = sampling.Budget(100.0, 4, clock=clock)
    clock.now += 90  # 10 s left of the cap
    far = [sampling.PointCheck("a/threads=2", "ratio", 5, 0.20, 0.05, False)]
    near = [sampling.PointCheck("b/threads=2", "ratio", 5, 0.06, 0.05, False)]
    done = [sampling.PointCheck("c/threads=2", "ratio", 5, 0.01, 0.05, True)]
    candidates = [("slow-start", [], 60.0, 2), ("a", far, 6.0, 5), ("b", near, 6.0, 5),
                  ("c", done, 1.0, 5), ("d", far, 1.0, 40)]
    # Below the floor of 5 a job gets a process whatever the time (60 s over the cap);
    # "a" is furthest from its target but does not fit after the floor: the cap left it out.
    chosen, capped = sampling.plan_round(candidates, 5, 40, budget)
    assert chosen == ["slow-start"] and capped == ["a", "b"]
    clock.now = 180.0  # 20 s left, the floor job done: both fit
    candidates[0] = ("slow-start", [], 60.0, 5)
    chosen, capped = sampling.plan_round(candidates[1:], 5, 40, budget)
    assert chosen == ["a", "b"] and capped == []
    clock.now = 190.0  # 10 s: "a" (the furthest) first, then "b" does not fit
    chosen, capped = sampling.plan_round(candidates[1:], 5, 40, budget)
    assert chosen == ["a"] and capped == ["b"]
    # No adaptive sampling (max 0): the floor only.
    assert sampling.plan_round(candidates[1:], 5, 0, budget) == ([], [])


def test_the_time_scales_with_the_machine_up_to_the_cap() -> None:
    """The reference machine (its loop 13.4-14.3 ms) gets the budget; a machine whose
    loop is 2.5x slower gets the cap (2x); a faster one never less than the budget."""
    ref = sampling.REFERENCE_LOOP_S
    assert sampling.time_scale(0.0134, 2.0) == 1.0
    assert sampling.time_scale(ref * 1.5, 2.0) == 1.5
    assert sampling.time_scale(ref * 2.5, 2.0) == 2.0
    assert sampling.time_scale(0.005, 2.0) == 1.0
    assert sampling.time_scale(None, 2.0) == 2.0  # no reference: the cap
