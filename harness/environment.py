"""Facts about the machine a run measures on, and a monitor of its noise.

The machine facts (CPU model, CPU affinity, frequency governor, load average,
git commit) go into each interpreter's facts file.  The noise monitor times a
fixed single-thread reference loop with the harness's own interpreter between
worker processes: its spread over the run is the machine's noise level, and a
reference far above the quiet machine's marks a burst (another job, a throttled core),
during which a worker process measured the machine rather than the interpreter.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import paths

# About 20 ms on CPython 3.11 on this kind of machine: long enough for a clock,
# short enough to take between every two worker processes.
REFERENCE_COUNT = 1_000_000
# A reference this much above the quiet machine's (the samples' lower quartile)
# marks a burst.  Not the median: a run that starts in a burst would raise the
# median so far, and the bursts that follow would pass unnoticed (seen here: 5
# references at 21-44 ms at the start, 14 ms for the rest of the run).
BURST_FACTOR = 1.25
# Before the first process the reference is repeated until this many samples in a
# row lie within this spread of each other (at most SETTLE_MOST samples, about 1 s).
SETTLE_WINDOW = 3
SETTLE_SPREAD = 0.05
SETTLE_MOST = 40
# The machine counts as busy at the start above these (load per core, noise).
BUSY_LOAD_PER_CPU = 0.5
BUSY_RSD = 0.10
GOVERNOR_FILE = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")


def now() -> datetime.datetime:
    """The local time, with its UTC offset."""
    return datetime.datetime.now(datetime.timezone.utc).astimezone()


def cpu_model() -> str | None:
    """The CPU's model name (Linux), for the report's environment section."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def loadavg() -> list[float] | None:
    """The 1/5/15-minute load averages: a busy machine explains a wide spread."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def affinity() -> list[int] | None:
    """The CPUs this process (and so every worker) may run on; None where unknown."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return None
    try:
        return sorted(getter(0))
    except OSError:
        return None


def governor(path: Path = GOVERNOR_FILE) -> str | None:
    """The CPU frequency governor ("performance", "powersave"...), where the kernel shows it."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def usable_cpus() -> int:
    """CPUs the workers may use: the affinity's size, else the CPU count."""
    cpus = affinity()
    return len(cpus) if cpus else (os.cpu_count() or 1)


def git_commit() -> str | None:
    """The checkout's commit, or None when the harness is installed (not run from a clone)."""
    checkout = paths.checkout_root()
    if checkout is None:
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def busy_reasons(load: list[float] | None, rsd: float | None, cpus: int) -> list[str]:
    """Why the machine looks busy: 1-minute load above half the cores, or a noisy reference."""
    reasons = []
    if load and load[0] > cpus * BUSY_LOAD_PER_CPU:
        reasons.append(f"load average {load[0]:.2f} on {cpus} CPUs")
    if rsd is not None and rsd > BUSY_RSD:
        reasons.append(f"reference loop spread {rsd:.0%}")
    return reasons


def _countdown(n: int) -> None:
    """The reference: the same tight loop as the countdown workload."""
    while n > 0:
        n -= 1


class NoiseMonitor:
    """Times the reference loop between worker processes and spots bursts.

    ``measure`` is the seam: it returns one reference time in seconds (by
    default the countdown above, run in this process: the harness's own
    interpreter, idle while no worker runs).
    """

    def __init__(
        self,
        measure: Callable[[], float] | None = None,
        count: int = REFERENCE_COUNT,
        burst_factor: float = BURST_FACTOR,
    ) -> None:
        self.count = count
        self.burst_factor = burst_factor
        self.measure = measure or self._time_reference
        self.samples: list[float] = []
        self.flagged = 0
        self.settled: bool | None = None  # after ``settle``: whether the reference settled
        self._warm = False

    def _time_reference(self) -> float:
        if not self._warm:  # the first call specializes the loop (3.11+): not a sample
            _countdown(self.count // 10)
            self._warm = True
        start = time.perf_counter()
        _countdown(self.count)
        return time.perf_counter() - start

    @property
    def reference(self) -> str:
        """What is timed, for the facts file."""
        impl = platform.python_implementation()
        return f"countdown({self.count}) in the harness's {impl} {platform.python_version()}"

    def sample(self) -> float:
        """Time the reference once; keep and return it (seconds)."""
        value = self.measure()
        self.samples.append(value)
        return value

    def settle(self, window: int = SETTLE_WINDOW, most: int = SETTLE_MOST) -> bool:
        """Time the reference until ``window`` samples in a row agree within ``SETTLE_SPREAD``.

        Called before the first worker process, so that the baseline (a low
        quantile of the samples) never comes from a busy start alone. The
        samples taken stay in the record. False when ``most`` samples never
        settled (the machine was busy throughout: its run says so).
        """
        for _ in range(most):
            self.sample()
            last = self.samples[-window:]
            if len(last) == window and max(last) <= (1 + SETTLE_SPREAD) * min(last):
                self.settled = True
                return True
        self.settled = False
        return False

    def baseline(self) -> float | None:
        """The quiet machine's reference time: the lower quartile of the samples so far."""
        if not self.samples:
            return None
        if len(self.samples) < 4:
            return min(self.samples)
        return statistics.quantiles(self.samples, n=4)[0]

    def is_burst(self, value: float) -> bool:
        """True when ``value`` lies more than ``burst_factor`` above the baseline so far."""
        baseline = self.baseline()
        if len(self.samples) < 3 or baseline is None:
            return False
        return value > self.burst_factor * baseline

    def rsd(self) -> float | None:
        """Relative standard deviation of the samples (None with fewer than two)."""
        if len(self.samples) < 2:
            return None
        mean = statistics.fmean(self.samples)
        return statistics.stdev(self.samples) / mean if mean > 0 else None

    def bursts(self) -> int:
        """Samples above ``burst_factor`` times the run's baseline."""
        baseline = self.baseline()
        if baseline is None:
            return 0
        return sum(1 for s in self.samples if s > self.burst_factor * baseline)

    def summary(self) -> str:
        """``noise 4% (12 samples, 1 burst)`` for the progress output."""
        rsd = self.rsd()
        level = "?" if rsd is None else f"{rsd:.0%}"
        bursts = self.bursts()
        return f"noise {level} ({len(self.samples)} samples, {bursts} burst{'s' * (bursts != 1)})"

    def to_json(self) -> dict[str, Any]:
        """The facts file's ``noise`` record."""
        rsd, baseline = self.rsd(), self.baseline()
        return {
            "reference": self.reference,
            "samples_ms": [round(s * 1e3, 3) for s in self.samples],
            "rsd": None if rsd is None else round(rsd, 4),
            "baseline_ms": None if baseline is None else round(baseline * 1e3, 3),
            "bursts": self.bursts(),
            "flagged_processes": self.flagged,
            "burst_factor": self.burst_factor,
            "settled": self.settled,
        }


def environment_facts(seed: int, point_order: str) -> dict[str, Any]:
    """The facts file's ``environment`` record at the start of an interpreter's run."""
    return {
        "affinity": affinity(),
        "governor": governor(),
        "loadavg_before": loadavg(),
        "loadavg_after": None,
        "busy_at_start": False,
        "point_order": point_order,
        "seed": seed,
        "python": sys.version.split()[0],
    }
