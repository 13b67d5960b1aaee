"""harness.environment: machine facts and the noise monitor (a fake reference at its seam)."""

from __future__ import annotations

from pathlib import Path

from harness import environment


def _monitor(values: list[float]) -> environment.NoiseMonitor:
    feed = iter(values)
    return environment.NoiseMonitor(measure=lambda: next(feed))


def test_noise_monitor_records_samples_and_bursts() -> None:
    monitor = _monitor([0.020, 0.021, 0.019, 0.020, 0.030, 0.020])
    seen = [monitor.sample() for _ in range(4)]
    assert seen == [0.020, 0.021, 0.019, 0.020]
    assert monitor.is_burst(0.030) and not monitor.is_burst(0.022)
    monitor.sample()
    monitor.sample()
    facts = monitor.to_json()
    assert facts["samples_ms"] == [20.0, 21.0, 19.0, 20.0, 30.0, 20.0]
    assert facts["bursts"] == 1
    assert facts["rsd"] is not None and 0.1 < facts["rsd"] < 0.25
    assert "countdown" in facts["reference"]
    assert "1 burst" in monitor.summary()


def test_too_few_samples_are_never_a_burst() -> None:
    monitor = _monitor([0.02, 0.02])
    monitor.sample()
    monitor.sample()
    assert not monitor.is_burst(1.0)


def test_real_reference_loop_is_timed() -> None:
    monitor = environment.NoiseMonitor(count=10_000)
    assert monitor.sample() > 0
    assert len(monitor.samples) == 1 and monitor.rsd() is None


def test_busy_reasons() -> None:
    assert environment.busy_reasons([0.3, 0.2, 0.1], 0.02, 2) == []
    reasons = environment.busy_reasons([1.5, 1.0, 1.0], 0.15, 2)
    assert len(reasons) == 2 and "load average 1.50" in reasons[0] and "15%" in reasons[1]


def test_machine_facts(tmp_path: Path) -> None:
    governor = tmp_path / "scaling_governor"
    assert environment.governor(governor) is None
    governor.write_text("performance\n")
    assert environment.governor(governor) == "performance"
    cpus = environment.affinity()
    assert cpus is None or (cpus and all(isinstance(c, int) for c in cpus))
    assert environment.usable_cpus() >= 1
    facts = environment.environment_facts(7, "shuffled")
    assert facts["seed"] == 7 and facts["point_order"] == "shuffled"
    assert set(facts) >= {"affinity", "governor", "loadavg_before", "loadavg_after"}


def test_a_busy_start_does_not_make_the_baseline() -> None:
    """Seen in all four published runs: 20-32 ms references at the start against a quiet
    13-14 ms. The reference is repeated until it settles, so the baseline is the quiet one
    and the first burst after the start is seen."""
    monitor = _monitor([0.030, 0.026, 0.032, 0.021, 0.014, 0.0141, 0.0139, 0.025])
    assert monitor.settle(window=3, most=10)
    assert len(monitor.samples) == 7 and monitor.settled
    baseline = monitor.baseline()
    assert baseline is not None and baseline < 0.015
    assert monitor.is_burst(monitor.sample())  # 25 ms: a burst against the quiet 14 ms
    assert monitor.to_json()["settled"] is True


def test_a_reference_that_never_settles_says_so() -> None:
    monitor = _monitor([0.01 * (1 + (i % 2)) for i in range(10)])
    assert not monitor.settle(window=3, most=10)
    assert monitor.to_json()["settled"] is False and len(monitor.samples) == 10
