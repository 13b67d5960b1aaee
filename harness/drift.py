"""Drift references: the machine's cost of starting a thread and of fresh memory, over a run.

The noise monitor's reference loop (``harness.environment``) is CPU-bound: it
sees a slower core, not a kernel that got slower at creating threads or at
faulting in pages. Between the third and fourth published runs (identical code)
thread start got 10-16% slower, sub-interpreter start 11-27% and Jython's
100-thread counters 31-41%, while the reference loop stayed put; an A/B traced
it to the machine's thread-creation and memory costs. So two more references
are timed beside the loop, between worker processes, and the gate
(``harness.report.changes``) divides the points whose time is mostly those
costs by them, as it divides CPU-bound points by the loop.

They run in the harness's own interpreter (the host), not in the interpreter
under test: what drifts is the kernel's and the machine's work (clone, stacks,
page faults, zeroing), which every interpreter pays the same way, Jython's JVM
threads included (native threads too); the host is idle between workers, so a
sample costs a few milliseconds and no process start (a JVM start would cost
seconds per sample); and the same reference in both runs is what makes two runs
comparable, whichever interpreters they measured. Stdlib only.
"""

from __future__ import annotations

import mmap
import platform
import threading
import time
from collections.abc import Callable
from typing import Any

# Enough to cover a clock tick many times over, few enough to take between every
# two worker processes (about 9 ms together on this kind of machine, beside the
# reference loop's 14-20 ms).
THREADS = 40
PAGES = 1024  # 4 MB of 4 KB pages
PAGE = 4096


def _nothing() -> None:
    pass


def time_thread_start(threads: int = THREADS) -> float:
    """Seconds per start and join of a thread that does nothing (the thread_start workload's
    unit, timed on the host)."""
    start = time.perf_counter()
    for _ in range(threads):
        t = threading.Thread(target=_nothing)
        t.start()
        t.join()
    return (time.perf_counter() - start) / threads


def time_fresh_memory(pages: int = PAGES) -> float:
    """Seconds to map ``pages`` fresh anonymous pages, write one byte in each and unmap them:
    the page faults and zeroing that every new interpreter, thread stack and heap pays."""
    start = time.perf_counter()
    block = mmap.mmap(-1, pages * PAGE)
    try:
        for offset in range(0, pages * PAGE, PAGE):
            block[offset] = 1
    finally:
        block.close()
    return time.perf_counter() - start


class DriftMonitor:
    """Times both references each time ``sample`` is called; ``to_json`` is their record.

    ``thread`` and ``memory`` are the seams (seconds per sample), for tests.
    """

    def __init__(self, thread: Callable[[], float] | None = None,
                 memory: Callable[[], float] | None = None) -> None:
        self.thread = thread or time_thread_start
        self.memory = memory or time_fresh_memory
        self.thread_us: list[float] = []
        self.memory_ms: list[float] = []

    def sample(self) -> None:
        """One sample of each reference."""
        self.thread_us.append(self.thread() * 1e6)
        self.memory_ms.append(self.memory() * 1e3)

    def alongside(self, measure: Callable[[], float]) -> Callable[[], float]:
        """``measure`` (the noise monitor's reference loop) followed by one drift sample,
        returning the loop's time: the hook that makes every reference sample take both."""
        def both() -> float:
            value = measure()
            self.sample()
            return value
        return both

    def to_json(self) -> dict[str, Any]:
        """The record kept in the facts file (``noise.drift``)."""
        return {
            "reference": f"start+join of {THREADS} threads; {PAGES} fresh {PAGE}-byte pages "
                         f"(mmap, one write each), in the harness's "
                         f"{platform.python_implementation()} {platform.python_version()}",
            "thread_start_us": [round(x, 3) for x in self.thread_us],
            "fresh_memory_ms": [round(x, 4) for x in self.memory_ms],
        }


# What the gate reads: record key -> what a point's time is adjusted for.
THREAD_KEY = "thread_start_us"
MEMORY_KEY = "fresh_memory_ms"
LABELS = {THREAD_KEY: "the machine's thread-start reference",
          MEMORY_KEY: "the machine's fresh-memory reference"}


def samples(record: Any, key: str) -> list[float]:
    """One reference's samples from a facts ``noise`` record (empty when absent or older)."""
    drift = record.get("drift") if isinstance(record, dict) else None
    values = drift.get(key) if isinstance(drift, dict) else None
    if not isinstance(values, list):
        return []
    return [float(v) for v in values if isinstance(v, (int, float)) and v > 0]
