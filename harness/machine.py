"""The machine between worker processes: the run's references, and what they say of a process.

One ``Machine`` serves a whole run (every interpreter, interleaved in rounds),
so every interpreter is judged against the same references:

- the single-thread reference loop (``environment.NoiseMonitor``), with the
  thread-start and fresh-memory references beside each sample
  (``drift.DriftMonitor``): a sample far above the quiet machine's is a burst;
- the parallel-capacity reference (``capacity.ParallelReference``): the same
  loop in as many processes at once as the run's largest worker count, capped
  at the usable cores; fewer effective cores than that is a low stretch.

After each worker process ``after_process`` times them and says whether the
process must be measured again (a burst after it, or a low capacity reading just
before or just after it: the stretch it ran in) and whether it ran with low
capacity; ``before_process`` reads the capacity again when the last reading was
low, so that a process started after the machine got its cores back is not
charged with the reading that sent the previous one back. The runner then
re-runs it (within the profile's ``noise_reruns``) or keeps it flagged (run
metadata ``harness_capacity_low``, ``harness_burst``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.capacity import ParallelReference
from harness.drift import DriftMonitor
from harness.environment import NoiseMonitor


@dataclass(frozen=True)
class Check:
    """What the references said after one worker process."""

    burst: bool
    capacity_low: bool
    reference_ms: float
    capacity: float | None  # effective cores at the reading after the process (None: no reading)

    @property
    def reason(self) -> str | None:
        """Why the process is not to be trusted (None: keep it)."""
        if self.burst:
            return f"noise burst (reference loop {self.reference_ms:.1f} ms)"
        if self.capacity_low:
            seen = "" if self.capacity is None else f" ({self.capacity:.2f} effective cores)"
            return f"low parallel capacity{seen}"
        return None

    def metadata(self) -> dict[str, Any]:
        """Run metadata for a process kept although the check failed (re-runs used up)."""
        out: dict[str, Any] = {}
        if self.burst:
            out["harness_burst"] = True
        if self.capacity_low:
            out["harness_capacity_low"] = True
        return out


class Machine:
    """The run-wide references; ``round`` is the round in progress (recorded with each reading)."""

    def __init__(
        self,
        noise: NoiseMonitor | None = None,
        drift: DriftMonitor | None = None,
        capacity: ParallelReference | None = None,
    ) -> None:
        self.noise = noise or NoiseMonitor()
        self.drift = drift
        if drift is not None:  # thread-start and fresh-memory beside every loop sample
            self.noise.measure = drift.alongside(self.noise.measure)
        self.capacity = capacity
        self.round = 0
        self._low_before = False

    @property
    def workers(self) -> int:
        """Processes the capacity reference runs at once (0 or 1: none)."""
        return self.capacity.workers if self.capacity is not None else 0

    def settle(self) -> bool:
        """Before the first process: a quiet baseline, and a first capacity reading."""
        settled = self.noise.settle()
        self._low_before = self._capacity_low(self._reading())
        return settled

    def _reading(self) -> dict[str, Any] | None:
        if self.capacity is None:
            return None
        return self.capacity.sample(self.round)

    @staticmethod
    def _capacity_low(reading: dict[str, Any] | None) -> bool:
        return bool(reading and reading.get("low"))

    def before_process(self) -> None:
        """Just before a process: after a low reading, read again (the stretch it starts in)."""
        if self._low_before:
            self._low_before = self._capacity_low(self._reading())

    def after_process(self) -> Check:
        """Time the references after a process: a burst? low capacity around it?"""
        value = self.noise.sample()
        burst = self.noise.is_burst(value)
        reading = self._reading()
        low_after = self._capacity_low(reading)
        low = low_after or self._low_before
        self._low_before = low_after
        capacity = None if reading is None else float(reading["capacity"])
        return Check(burst, low, value * 1e3, capacity)

    def summary(self) -> str:
        """``noise 4% (12 samples, 1 burst), capacity 1.9-2.0 of 2`` for the progress output."""
        text = self.noise.summary()
        readings = self.capacity.readings if self.capacity is not None else []
        if readings:
            caps = [r["capacity"] for r in readings]
            low = sum(1 for r in readings if r["low"])
            text += (f", capacity {min(caps):.1f}-{max(caps):.1f} of {self.workers}"
                     f" ({low} low)")
        return text

    def to_json(self) -> dict[str, Any]:
        """The facts file's ``noise`` record (the run's, the same in every interpreter's file)."""
        out = self.noise.to_json()
        if self.drift is not None:
            out["drift"] = self.drift.to_json()
        if self.capacity is not None:
            out["parallel_capacity"] = list(self.capacity.readings)
            out["capacity_workers"] = self.workers
        return out

    def close(self) -> None:
        """End the capacity reference's processes."""
        if self.capacity is not None:
            self.capacity.close()
