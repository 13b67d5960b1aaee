"""harness/drift.py: the thread-start and fresh-memory references, timed for real."""

from __future__ import annotations

from harness import drift


def test_the_references_time_real_threads_and_pages() -> None:
    monitor = drift.DriftMonitor()
    for _ in range(3):
        monitor.sample()
    record = monitor.to_json()
    assert len(record[drift.THREAD_KEY]) == 3 and len(record[drift.MEMORY_KEY]) == 3
    assert all(x > 0 for x in record[drift.THREAD_KEY] + record[drift.MEMORY_KEY])
    assert "start+join of 40 threads" in record["reference"]
    assert drift.samples({"drift": record}, drift.THREAD_KEY) == record[drift.THREAD_KEY]


def test_alongside_takes_one_sample_per_reference_and_returns_the_loop_time() -> None:
    monitor = drift.DriftMonitor(thread=lambda: 1e-4, memory=lambda: 5e-3)
    measure = monitor.alongside(lambda: 0.014)
    assert [measure(), measure()] == [0.014, 0.014]
    assert monitor.thread_us == [100.0, 100.0] and monitor.memory_ms == [5.0, 5.0]


def test_older_records_have_no_samples() -> None:
    assert drift.samples(None, drift.THREAD_KEY) == []
    assert drift.samples({"samples_ms": [14.0]}, drift.THREAD_KEY) == []
    assert drift.samples({"drift": {drift.MEMORY_KEY: [0, "x", 2.5]}}, drift.MEMORY_KEY) == [2.5]
