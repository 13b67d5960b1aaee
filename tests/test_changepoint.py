"""The classifier on synthetic series of known shapes (Barrett et al.'s four classes)."""

from __future__ import annotations

import random

import pytest

from harness import changepoint


def noisy(mean: float, n: int, rng: random.Random, rel: float = 0.02) -> list[float]:
    return [mean * (1 + rng.gauss(0, rel)) for _ in range(n)]


def test_flat_series_is_flat_from_the_first_iteration() -> None:
    rng = random.Random(1)
    result = changepoint.classify(noisy(0.01, 200, rng))
    assert result.kind == changepoint.FLAT
    assert result.steady_start == 0
    assert result.steady_rsd is not None and result.steady_rsd < 0.05


def test_constant_series_is_flat() -> None:
    assert changepoint.classify([0.01] * 200).kind == changepoint.FLAT


def test_step_down_is_a_warmup_starting_at_the_step() -> None:
    rng = random.Random(2)
    result = changepoint.classify(noisy(0.05, 30, rng) + noisy(0.01, 170, rng))
    assert result.kind == changepoint.WARMUP
    assert result.steady_start == 30
    assert result.steady_mean == pytest.approx(0.01, rel=0.02)


def test_step_up_is_a_slowdown() -> None:
    rng = random.Random(3)
    result = changepoint.classify(noisy(0.01, 100, rng) + noisy(0.015, 100, rng))
    assert result.kind == changepoint.SLOWDOWN
    assert result.steady_start == 100


def test_level_that_keeps_moving_has_no_steady_state() -> None:
    rng = random.Random(4)
    series: list[float] = []
    level = 1.0
    for i in range(200):
        if i % 15 == 0:
            level = rng.choice([0.6, 1.0, 1.6, 2.2])
        series.append(level * (1 + rng.gauss(0, 0.02)))
    result = changepoint.classify(series)
    assert result.kind == changepoint.NO_STEADY_STATE
    assert result.steady_start is None


def test_a_step_within_the_noise_is_equivalent_not_a_class() -> None:
    rng = random.Random(5)
    # 0.5% apart with 2% noise: within the tolerance, one steady state.
    result = changepoint.classify(noisy(1.005, 100, rng) + noisy(1.0, 100, rng))
    assert result.kind == changepoint.FLAT


def test_short_series_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        changepoint.classify([1.0] * 10)


def test_pair_verdict_consistent_and_inconsistent() -> None:
    rng = random.Random(6)
    warm = changepoint.classify(noisy(0.05, 20, rng) + noisy(0.01, 180, rng))
    flat = changepoint.classify(noisy(0.01, 200, rng))
    same = changepoint.pair_verdict([warm, warm])
    assert same.consistent and same.text == "consistent warm-up"
    assert same.start_range == (20, 20, 20)
    mixed = changepoint.pair_verdict([flat, warm, warm])
    assert not mixed.consistent
    assert mixed.text == "inconsistent (1 flat, 2 warm-up)"
    assert mixed.start_range == (20, 0, 20)


def test_a_steady_drift_has_no_steady_state() -> None:
    rng = random.Random(7)
    # Noise without a level: each iteration 0.5% slower than the one before.
    series = [1.005 ** i * (1 + rng.gauss(0, 0.01)) for i in range(200)]
    result = changepoint.classify(series)
    assert result.kind == changepoint.NO_STEADY_STATE
    assert len(result.segments) > 2


@pytest.mark.parametrize("seed", range(8))
def test_running_sums_cost_finds_what_ruptures_costnormal_finds(seed: int) -> None:
    import math
    import warnings

    import numpy as np
    import ruptures as rpt

    rng = random.Random(seed)
    shapes = [
        [rng.lognormvariate(0, 0.5) for _ in range(200)],
        noisy(0.05, 30, rng, 0.05) + noisy(0.01, 170, rng),
        [(1 + i / 100) * (1 + rng.gauss(0, 0.01)) for i in range(200)],
        [rng.choice([1e-3, 2e-3]) * (1 + rng.gauss(0, 0.001)) for _ in range(200)],
    ]
    series = shapes[seed % len(shapes)]
    data = np.asarray(series) / float(np.median(series))
    with warnings.catch_warnings():  # ruptures says it adds a small diagonal
        warnings.simplefilter("ignore", UserWarning)
        cost = rpt.costs.CostNormal(add_small_diag=True)
    algo = rpt.Pelt(custom_cost=cost, min_size=changepoint.MIN_SEGMENT, jump=1)
    ends = algo.fit(data.reshape(-1, 1)).predict(
        pen=changepoint.PENALTY_FACTOR * math.log(len(series)))
    assert changepoint.changepoints(series) == ends[:-1]
