"""harness.stats on synthetic data with answers computed by hand."""

from __future__ import annotations

import math

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
    est = stats.ratio_interval(ratios)
    assert est.processes == 4 and est.enough
    assert est.value == pytest.approx(math.exp(m))
    assert est.low == pytest.approx(math.exp(m - half))
    assert est.high == pytest.approx(math.exp(m + half))
    assert est.half_width() == pytest.approx((math.exp(m + half) - math.exp(m - half)) / 2)
    assert est.excludes(1.0) and not est.excludes(1.2)


def test_mean_interval_by_hand() -> None:
    est = stats.mean_interval([10.0, 12.0, 14.0])
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
    est = stats.ratio_of_means(a, b)
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
    half = 2.4469118511449692 * se  # t(0.975, 6)
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
