"""harness.stats on synthetic data with answers computed by hand."""

from __future__ import annotations

import math
import random

import pyperf
import pytest

from harness import stats


def _bench(name: str, per_process: list[list[float]], with_ids: bool = True,
           ids: list[int] | None = None) -> pyperf.Benchmark:
    runs = []
    for i, values in enumerate(per_process):
        meta: dict[str, object] = {"name": name}
        if with_ids:
            meta["process"] = (ids or list(range(len(per_process))))[i]
        runs.append(pyperf.Run(values, metadata=meta, collect_metadata=False))
    return pyperf.Benchmark(runs)


def test_ratio_interval_by_hand() -> None:
    # logs of 1.1, 1.2, 1.3, 1.4: mean m, sample sd s, t(0.975, 3) = 3.182446305284263
    ratios = [1.1, 1.2, 1.3, 1.4]
    logs = [math.log(r) for r in ratios]
    m = sum(logs) / 4
    s = math.sqrt(sum((x - m) ** 2 for x in logs) / 3)
    half = 3.182446305284263 * s / 2.0
    est = stats.ratio_interval(ratios, confidence=0.95)
    assert est.processes == 4 and est.enough
    assert est.value == pytest.approx(math.exp(m))
    assert est.low == pytest.approx(math.exp(m - half))
    assert est.high == pytest.approx(math.exp(m + half))
    assert est.half_width() == pytest.approx((math.exp(m + half) - math.exp(m - half)) / 2)
    assert est.excludes(1.0) and not est.excludes(1.2)


def test_mean_interval_by_hand() -> None:
    est = stats.mean_interval([10.0, 12.0, 14.0], confidence=0.95)
    # mean 12, sd 2, t(0.975, 2) = 4.302652729749464
    half = 4.302652729749464 * 2.0 / math.sqrt(3)
    assert (est.value, est.low, est.high) == pytest.approx((12.0, 12 - half, 12 + half))
    assert est.rel_half_width() == pytest.approx(half / 12.0)


def test_one_process_is_not_enough_and_does_not_raise() -> None:
    est = stats.ratio_interval([1.7])
    assert est.value == pytest.approx(1.7) and not est.enough
    assert est.low is None and est.half_width() is None and est.rel_half_width() is None
    assert not est.excludes(1.0) and not est.includes(1.7)
    one = _bench("a/threads=1", [[1.0, 1.0]])
    many = _bench("a/threads=2", [[0.5, 0.5]])
    sp = stats.speedup(one, many)
    assert sp.value == pytest.approx(2.0) and not sp.enough and sp.processes == 1
    assert not stats.ratio_of_means([1.0], [2.0, 2.1]).enough
    assert math.isnan(stats.ratio_interval([]).value)


def test_welch_on_unequal_counts_by_hand() -> None:
    a = [1.0, 1.1, 0.9]
    b = [2.0, 2.2, 1.8, 2.1, 1.9]
    la, lb = [math.log(x) for x in a], [math.log(x) for x in b]
    ma, mb = sum(la) / 3, sum(lb) / 5
    va = sum((x - ma) ** 2 for x in la) / 2 / 3
    vb = sum((x - mb) ** 2 for x in lb) / 4 / 5
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 4)
    from scipy.stats import t

    half = float(t.ppf(0.975, df)) * math.sqrt(va + vb)
    est = stats.ratio_of_means(a, b, confidence=0.95)
    assert est.processes == 3
    assert est.value == pytest.approx(math.exp(mb - ma))
    assert est.low == pytest.approx(math.exp(mb - ma - half))
    assert est.high == pytest.approx(math.exp(mb - ma + half))
    assert est.excludes(1.0)


def test_pairing_by_process_id_and_by_index() -> None:
    one = _bench("w/threads=1", [[2.0, 2.0], [3.0, 3.0], [4.0]], ids=[7, 8, 9])
    # Written in another order, and process 9 missing: pairs by id, not position.
    many = _bench("w/threads=2", [[1.5], [1.0, 1.0]], ids=[8, 7])
    assert stats.process_means(one) == {7: 2.0, 8: 3.0, 9: 4.0}
    assert stats.paired_ratios(one, many) == pytest.approx([2.0, 2.0])
    assert stats.paired_ratios(one, many, factor=2.0) == pytest.approx([4.0, 4.0])
    old_one = _bench("w/threads=1", [[2.0], [3.0]], with_ids=False)
    old_many = _bench("w/threads=2", [[1.0], [3.0]], with_ids=False)
    assert stats.paired_ratios(old_one, old_many) == pytest.approx([2.0, 1.0])


def test_compare_means_of_benchmarks_with_different_value_counts() -> None:
    base = _bench("w", [[1.0, 1.0, 1.0], [1.1, 1.1, 1.1], [0.9, 0.9, 0.9]])
    other = _bench("w", [[0.5] * 5, [0.55] * 5])
    est = stats.compare_means(base, other)
    assert est.processes == 2 and est.enough and est.value < 1.0


def _scaled(name: str, per_process: list[list[float]], scale: float) -> pyperf.Benchmark:
    runs = [pyperf.Run(values, metadata={"name": name, "process": i, "work_scale": scale},
                       collect_metadata=False)
            for i, values in enumerate(per_process)]
    return pyperf.Benchmark(runs)


def test_compare_means_is_per_unit_of_work() -> None:
    """An interpreter whose work was sized up x10 and takes 10x the time is as fast."""
    base = _scaled("countdown/threads=1", [[1.0], [1.1], [0.9]], 1.0)
    sized = _scaled("countdown/threads=1", [[10.0], [11.0], [9.0]], 10.0)
    est = stats.compare_means(base, sized)
    assert est.value == pytest.approx(1.0)
    assert not est.excludes(1.0)
    # The displayed mean stays what pyperf reads from the file: time per call.
    assert stats.bench_mean(sized).value == pytest.approx(10.0)


def test_difference_of_means_by_hand() -> None:
    """Welch on a difference: means 1.0 and 2.0, variances 1/150 each, df 6."""
    a, b = [1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.0]
    est = stats.difference_of_means(a, b)
    se = math.sqrt(2 * (0.02 / 3) / 4)
    # The quantile is a 98% one (stats.QUANTILE_LEVEL: corrected for data-dependent stopping).
    half = 3.142668403290985 * se  # t(0.99, 6)
    assert est.value == pytest.approx(1.0)
    assert est.low == pytest.approx(1.0 - half) and est.high == pytest.approx(1.0 + half)
    assert stats.difference_of_means([1.0], [2.0, 2.1]).low is None


def test_log_contrast_two_terms_is_ratio_of_means() -> None:
    a, b = [1.0, 1.1, 0.9, 1.05], [1.3, 1.2, 1.25]
    two = stats.log_contrast([(a, -1), (b, +1)])
    ref = stats.ratio_of_means(a, b)
    assert two.value == pytest.approx(ref.value)
    assert two.low == pytest.approx(ref.low) and two.high == pytest.approx(ref.high)


def test_log_contrast_removes_a_drift_the_reference_saw() -> None:
    """Everything 5% slower in NEW, the reference too: the adjusted change is about 1."""
    old, new = [1.00, 1.01, 0.99, 1.00], [1.05, 1.06, 1.04, 1.05]
    ref_old, ref_new = [0.014, 0.0141, 0.0139, 0.014], [0.0147, 0.0148, 0.0146, 0.0147]
    raw = stats.ratio_of_means(old, new)
    adjusted = stats.log_contrast([(old, -1), (new, +1), (ref_old, +1), (ref_new, -1)])
    assert raw.excludes(1.0)
    assert adjusted.value == pytest.approx(1.0, abs=0.001) and adjusted.includes(1.0)
    assert stats.log_contrast([(old, -1), ([1.0], +1)]).low is None


def _round_bench(name: str, means: list[float], rounds: list[int],
                 low: set[int] | None = None, scale: float = 1.0) -> pyperf.Benchmark:
    """One run per process with the interleaved runner's metadata (data contract of issue 18)."""
    runs = []
    for i, (mean, rnd) in enumerate(zip(means, rounds, strict=True)):
        meta: dict[str, object] = {"name": name, "process": i + 1, "harness_round": rnd,
                                   "harness_started": 1_000_000.0 + 60.0 * rnd,
                                   "work_scale": scale}
        if low and i in low:
            meta["harness_capacity_low"] = True
        runs.append(pyperf.Run([mean, mean], metadata=meta, collect_metadata=False))
    return pyperf.Benchmark(runs)


def test_block_means_cut_consecutive_runs() -> None:
    assert stats.block_means([1.0, 2.0, 3.0], 6) == [1.0, 2.0, 3.0]
    assert stats.block_means([1.0, 3.0, 5.0, 7.0, 9.0], 2) == [3.0, 8.0]
    assert stats.block_means([1.0, 2.0, 3.0], 0) == [1.0, 2.0, 3.0]
    # Up to MAX_BLOCKS processes the interval is the per-process one.
    ratios = [1.1, 1.2, 1.3, 1.4]
    assert stats.ratio_interval(ratios) == stats.ratio_interval(ratios, blocks=0)


def test_block_interval_by_hand() -> None:
    """12 ratios, 6 blocks of 2: a t-interval with 5 degrees of freedom over block means."""
    ratios = [1.0, 1.02, 1.1, 1.12, 0.95, 0.97, 1.05, 1.07, 1.0, 1.0, 1.2, 1.18]
    logs = [math.log(r) for r in ratios]
    means = [(logs[i] + logs[i + 1]) / 2 for i in range(0, 12, 2)]
    m = sum(means) / 6
    s = math.sqrt(sum((x - m) ** 2 for x in means) / 5)
    half = 2.5705818366147395 * s / math.sqrt(6)  # t(0.975, 5)
    centre = sum(logs) / 12
    est = stats.ratio_interval(ratios, confidence=0.95)
    assert est.processes == 12
    assert est.low == pytest.approx(math.exp(centre - half))
    assert est.high == pytest.approx(math.exp(centre + half))


def _coverage(blocks: int, sims: int = 2000) -> float:
    """Share of simulated runs whose interval holds the true ratio 1.5.

    A run of 30 rounds spans 6 stretches of machine time of 5 rounds each; every
    stretch shifts the log ratio by N(0, 0.04) (the second core's other tenant),
    every process adds N(0, 0.02): the between-block component is known.
    """
    rng = random.Random(18)
    hits = 0
    for _ in range(sims):
        ratios = []
        for _stretch in range(6):
            shift = rng.gauss(0.0, 0.04)
            ratios += [1.5 * math.exp(shift + rng.gauss(0.0, 0.02)) for _ in range(5)]
        # at the nominal 95% quantile: no stopping rule here to correct for
        hits += stats.ratio_interval(ratios, blocks=blocks, confidence=0.95).includes(1.5)
    return hits / sims


def test_block_interval_covers_with_a_between_block_component() -> None:
    """The two-level interval covers the truth about 95% of the time; the per-process
    interval, which takes 30 processes of 6 stretches as independent, far less."""
    assert 0.93 <= _coverage(stats.MAX_BLOCKS) <= 0.97
    assert _coverage(0) < 0.80


def test_paired_by_round_is_unbiased_under_a_drift() -> None:
    """The machine slows 1% per round; OTHER is 1.2x BASE. BASE met its target after 8
    rounds, OTHER ran 24 (adaptive sampling): the unpaired ratio mixes later, slower
    rounds into OTHER's mean; the per-round ratio does not."""
    rng = random.Random(7)
    paired, unpaired = [], []
    for _ in range(200):
        drift = [1.01 ** r for r in range(24)]
        base = [drift[r] * math.exp(rng.gauss(0, 0.01)) for r in range(8)]
        other = [1.2 * drift[r] * math.exp(rng.gauss(0, 0.01)) for r in range(24)]
        b = _round_bench("countdown/threads=1", base, list(range(8)))
        o = _round_bench("countdown/threads=1", other, list(range(24)))
        est = stats.compare_means(b, o)
        assert est.method == stats.PAIRED_ROUND and est.processes == 8
        paired.append(est.value)
        unpaired.append(stats.compare_means(b, o, paired=False).value)
    assert sum(paired) / 200 == pytest.approx(1.2, rel=0.002)
    assert sum(unpaired) / 200 > 1.2 * 1.05  # 8 rounds of drift: about 8% too slow
    # Older files (no rounds): the unpaired method, and the Estimate says so.
    old = stats.compare_means(_bench("w", [[1.0], [1.1], [0.9]]), _bench("w", [[2.0], [2.1]]))
    assert old.method == stats.UNPAIRED


def test_round_pairing_is_per_unit_of_work() -> None:
    base = _round_bench("countdown/threads=1", [1.0, 1.1, 0.9], [0, 1, 2])
    sized = _round_bench("countdown/threads=1", [10.0, 11.0, 9.0], [0, 1, 2], scale=10.0)
    est = stats.compare_means(base, sized)
    assert est.value == pytest.approx(1.0) and est.low == pytest.approx(1.0)


def test_capacity_low_processes_leave_the_ratio() -> None:
    """A process that ran with one core taken (ratio about 1) is left out of the speedup."""
    one = _round_bench("countdown/threads=1", [2.0, 2.0, 2.0, 2.0], [0, 1, 2, 3], low={2})
    many = _round_bench("countdown/threads=2", [1.0, 1.02, 2.0, 0.98], [0, 1, 2, 3], low={2})
    est = stats.speedup(one, many)
    assert est.processes == 3 and est.value == pytest.approx(2.0, rel=0.02)
    assert stats.capacity_low(one) == 1
    assert stats.speedup(one, many).order == "rounds"
    everything = stats.ratio_interval(stats.paired_ratios(one, many, skip_capacity_low=False))
    assert everything.processes == 4 and everything.value < 1.9


def _stopped_coverage(level: float, spread: float, sims: int = 1500) -> float:
    """The sampler's rule on simulated ratios: 5 processes, then one more until the
    interval's half-width is at most 0.05 (cap 40); the share of final intervals that
    hold the true ratio 1. The same quantile judges the stop and draws the interval."""
    rng = random.Random(3)
    hits = 0
    for _ in range(sims):
        ratios = [math.exp(rng.gauss(0.0, spread)) for _ in range(5)]
        while len(ratios) < 40:
            hw = stats.ratio_interval(ratios, confidence=level).half_width()
            if hw is not None and hw <= 0.05:
                break
            ratios.append(math.exp(rng.gauss(0.0, spread)))
        hits += stats.ratio_interval(ratios, confidence=level).includes(1.0)
    return hits / sims


def test_stopping_on_the_interval_keeps_its_coverage() -> None:
    """Stopping when the interval is narrow enough selects samples with a small spread:
    the 95% quantile then covers far less than 95%; the corrected quantile does not."""
    assert _stopped_coverage(stats.CONFIDENCE, 0.08) < 0.91
    assert _stopped_coverage(stats.QUANTILE_LEVEL, 0.08) >= 0.93
    assert _stopped_coverage(stats.QUANTILE_LEVEL, 0.05) >= 0.94


def test_comparison_across_stretches_divides_by_the_reference() -> None:
    """OTHER ran while the machine was 10% slower (its reference loop too): unpaired, it
    reads 10% slower; adjusted by the references, the same speed."""
    base = _bench("countdown/threads=1", [[1.0], [1.01], [0.99], [1.0]])
    other = _bench("countdown/threads=1", [[1.1], [1.111], [1.089], [1.1]])
    ref_base, ref_other = [14.0, 14.1, 13.9, 14.0], [15.4, 15.51, 15.29, 15.4]
    plain = stats.compare_means(base, other)
    assert plain.excludes(1.0)
    adjusted = stats.compare_across_stretches(base, other, ref_base, ref_other)
    assert adjusted.method == stats.ADJUSTED and adjusted.includes(1.0)
    assert adjusted.value == pytest.approx(1.0, abs=0.001)
    # Paired by round: no adjustment (both ran in the same stretch of each round).
    b = _round_bench("countdown/threads=1", [1.0, 1.0, 1.0], [0, 1, 2])
    o = _round_bench("countdown/threads=1", [1.1, 1.1, 1.1], [0, 1, 2])
    assert stats.compare_across_stretches(b, o, ref_base, ref_other).method == \
        stats.PAIRED_ROUND


def test_the_variation_between_runs_from_history_covers_a_second_run() -> None:
    """Runs with a known run effect (sd 0.05 on the log scale) and process noise (sd 0.03,
    5 processes a run): the change between two runs of identical code, with the
    between-run variance estimated from 6 earlier runs and OLD (``between_runs``, twice
    one run's), holds "no change" in about 95% of simulations; within runs only
    (``diff`` without ``--history``), far fewer."""
    rng = random.Random(7)

    def one_run() -> list[float]:
        effect = rng.gauss(0.0, 0.05)
        return [math.exp(effect + rng.gauss(0.0, 0.03)) for _ in range(5)]

    trials, with_history, within = 400, 0, 0
    for _ in range(trials):
        history = [one_run() for _ in range(6)]
        old, new = one_run(), one_run()
        centres = [c for xs in [*history, old] if (c := stats.log_centre([(xs, +1)]))]
        between = stats.between_runs(centres)
        assert between is not None and between[1] == 6
        extra = (2.0 * between[0], between[1])
        with_history += stats.ratio_of_means(old, new, extra=extra).includes(1.0)
        within += stats.ratio_of_means(old, new).includes(1.0)
    assert with_history / trials >= 0.93, with_history
    assert within / trials < 0.75, within
    assert stats.between_runs([(0.0, 0.01)]) is None
    # Runs that agree better than their own noise says: no between-run part (not below 0).
    assert stats.between_runs([(0.0, 0.01), (0.001, 0.01)]) == (0.0, 1.0)


def test_a_one_sided_p_value_agrees_with_the_interval_it_came_from() -> None:
    """Every interval is drawn with the 98% quantile: its low end lies above ``x`` exactly
    when ``p_above(x)`` is below 0.01 (and its high end below ``x`` for ``p_below``), for
    the paired and the Welch intervals alike, on logs and not."""
    rng = random.Random(11)
    for _ in range(300):
        a = [math.exp(rng.gauss(0.0, 0.1)) for _ in range(rng.randint(2, 9))]
        b = [math.exp(rng.gauss(rng.uniform(-0.3, 0.3), 0.1)) for _ in range(5)]
        for est in (stats.ratio_of_means(a, b), stats.ratio_interval(b),
                    stats.mean_interval(b)):
            bounds = est.bounds
            assert bounds is not None and est.se is not None
            for x in (0.9, 1.0, 1.05):
                p_above, p_below = est.p_above(x), est.p_below(x)
                assert p_above is not None and p_below is not None
                assert (p_above < 0.01) == (bounds[0] > x), (est, x, p_above)
                assert (p_below < 0.01) == (bounds[1] < x), (est, x, p_below)
                assert math.isclose(p_above + p_below, 1.0)
    assert stats.ratio_interval([1.2]).p_above(1.0) is None  # no interval: no p-value


def test_discoveries_are_benjamini_hochberg() -> None:
    """By hand: with 3 tests at a 5% rate the k-th smallest p-value must be at most 5% x k/3;
    alone, 0.01 is a discovery; among 500 it is not, 0.00005 still is."""
    assert stats.discoveries([0.01, 0.02, 0.5], 0.05) == [True, True, False]
    assert stats.discoveries([0.04, 0.034, 0.2], 0.05) == [False, False, False]
    assert stats.discoveries([0.01], 0.05) == [True]
    family = [0.01, 0.00005] + [0.5] * 498
    assert stats.discoveries(family, 0.05)[:2] == [False, True]
    assert stats.discoveries([], 0.05) == []


def test_a_family_of_identical_runs_has_few_discoveries() -> None:
    """400 points of identical code, 5 processes a side, 20% noise (this machine's), in 60
    simulated comparisons: an interval lies wholly beyond +5% somewhere in most of them,
    a discovery at a 5% false discovery rate in about 5% (3 of 60 with this seed; the
    gate's family, ``Gate``)."""
    rng = random.Random(2026)
    alone = found = 0
    for _ in range(60):
        changes = [stats.ratio_of_means([math.exp(rng.gauss(0.0, 0.2)) for _ in range(5)],
                                        [math.exp(rng.gauss(0.0, 0.2)) for _ in range(5)])
                   for _ in range(400)]
        beyond = [(c.low or 0.0) > 1.05 for c in changes]
        p = [c.p_above(1.0) for c in changes]
        hits = stats.discoveries([1.0 if x is None else x for x in p], 0.05)
        alone += any(beyond)
        found += any(b and h for b, h in zip(beyond, hits, strict=True))
    assert alone >= 20, alone
    assert found <= 6, found
