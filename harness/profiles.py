"""How much measuring to do: the run profiles (fast, default, rigorous) and thread counts.

A profile says how many worker processes measure each workload, how many
values each takes, how long one value lasts, and how much time one
interpreter may spend before adaptive sampling stops adding processes
(``harness.sampling``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from harness.errors import UsageError


@dataclass(frozen=True)
class Profile:
    """pyperf's processes x values, warmups, loop length, timeout, and the sampling targets.

    ``processes`` is the minimum number of measuring processes per workload
    (a floor: always run, whatever the time); while a target is not met and the
    run's time allows (``budget`` per interpreter, shared by the run's jobs,
    scaled by the machine's slowness up to ``cap_factor``: ``sampling.time_scale``),
    adaptive sampling adds processes up to ``max_processes`` (0: no adaptive
    sampling).
    ``jit_*`` apply to interpreters with a JIT (PyPy; Jython's JVM too), whose
    first values are far slower than the steady state. ``fast_params`` scales
    workloads down (``--fast`` only) so a smoke run stays short.
    """

    processes: int
    values: int
    warmups: int
    jit_warmups: int
    min_time: float  # seconds; calibration makes each value last at least this
    timeout: float  # seconds, per worker process
    jit_values: int = 0  # 0: same as values
    fast_params: bool = False
    max_processes: int = 0  # 0: exactly ``processes``
    budget: float = 0.0  # seconds per interpreter for all its workloads; 0: no limit
    cap_factor: float = 2.0  # a slower machine may take up to budget x this (the cap)
    ratio_half_width: float = 0.05  # target: scaling ratio's 95% interval half-width
    mean_rel_half_width: float = 0.02  # target: 1-thread mean's relative half-width
    pyperf_bar: bool = False  # also aim at pyperf's required_nprocesses() <= processes
    min_call: float = 0.0  # seconds: CPU-bound work is scaled so one call lasts this long
    noise_reruns: int = 0  # processes re-measured per workload when they ran in a burst

    def __post_init__(self) -> None:
        if self.processes < 1 or self.values < 1 or self.warmups < 0 or self.jit_warmups < 0:
            raise ValueError("processes and values must be >= 1, warmups >= 0")
        if self.min_time <= 0 or self.timeout <= 0:
            raise ValueError("min_time and timeout must be > 0 seconds")
        if self.max_processes and self.max_processes < self.processes:
            raise ValueError("max_processes must be 0 or >= processes")
        if self.cap_factor < 1:
            raise ValueError("cap_factor must be >= 1")

    @property
    def cap(self) -> float:
        """Seconds per interpreter the run may spend at most, on the slowest machine
        (0: no limit)."""
        return self.budget * self.cap_factor

    @property
    def adds_processes(self) -> bool:
        """True when processes are added until the targets are met (or the budget spent)."""
        return self.max_processes > self.processes

    def for_interpreter(self, jit: bool) -> tuple[int, int]:
        """(warmups, values) for an interpreter with or without a JIT: more of both for a JIT."""
        if jit:
            return self.jit_warmups, self.jit_values or self.values
        return self.warmups, self.values


# Chosen on a 2-core VM.  Default: at least 5 processes per workload (always: the
# floor holds on a slow machine too), then more until the targets are met, or
# the 70 s budget per interpreter is spent on the machine the budget was chosen
# on; a slower machine gets as much more as its reference loop is slower, up to
# twice the budget (the precision asked for is the unit; the cap is what a slow
# machine may spend on it: sampling.time_scale).  With
# the probe, container starts and calibration on top, 75 s per interpreter on
# average (measured: a 75 s budget gave 79 s; 12 interpreters in about 15 min).
# Processes are the independent samples, so a process takes 2 values (after 1
# warmup) rather than 3: the minimum of 5 processes of the 9 workloads then costs
# about 55 s on CPython 3.x here, which leaves time
# to add processes where a target is missed.  One process runs all points of a
# workload (interleaved), so Jython's JVM start is paid once per process.
PROFILES: dict[str, Profile] = {
    "fast": Profile(
        processes=1,
        values=2,
        warmups=1,
        jit_warmups=1,
        min_time=0.005,
        timeout=60.0,
        jit_values=2,
        fast_params=True,
    ),
    "default": Profile(
        processes=5,
        values=2,
        warmups=1,
        jit_warmups=3,
        min_time=0.05,
        timeout=120.0,
        jit_values=4,
        max_processes=40,
        budget=70.0,
        min_call=0.05,
        noise_reruns=2,
    ),
    "rigorous": Profile(
        processes=8,
        values=5,
        warmups=2,
        jit_warmups=6,
        min_time=0.1,
        timeout=300.0,
        jit_values=10,
        max_processes=60,
        budget=300.0,
        pyperf_bar=True,
        min_call=0.05,
        noise_reruns=3,
    ),
}

def default_threads(cpu_count: int | None = None) -> list[int]:
    """1, 2, 4 ... up to twice the CPU count."""
    cpus = cpu_count or os.cpu_count() or 1
    counts = [1]
    while counts[-1] * 2 <= 2 * cpus:
        counts.append(counts[-1] * 2)
    return counts


# A thread count above this many per usable CPU is a typo, not an experiment
# (``--threads 100000`` started 100,000 threads); HARNESS_MAX_THREADS raises it.
THREADS_PER_CPU = 64
MAX_THREADS_ENV = "HARNESS_MAX_THREADS"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def max_threads() -> int:
    """The largest thread count accepted: ``$HARNESS_MAX_THREADS``, else 64 x usable CPUs."""
    text = os.environ.get(MAX_THREADS_ENV, "").strip()
    if not text:
        return THREADS_PER_CPU * usable_cpus()
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{MAX_THREADS_ENV}={text!r} is not a positive integer",
                         f"e.g. {MAX_THREADS_ENV}=10000, or unset it")
    return int(text)


def _limit_source() -> str:
    if os.environ.get(MAX_THREADS_ENV, "").strip():
        return f"set by {MAX_THREADS_ENV}"
    return f"{THREADS_PER_CPU} x {usable_cpus()} usable CPUs"


def _short(text: str) -> str:
    return text if len(text) <= 20 else f"{text[:8]}...({len(text)} digits)"


def parse_threads(text: str | None) -> list[int]:
    """``"1,2,4"`` -> [1, 2, 4]; None -> the default; anything else is a UsageError.

    Each count must be at most ``max_threads()``.
    """
    if not text:
        return default_threads()
    counts: list[int] = []
    limit: int | None = None
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        digits = part.lstrip("0")
        if not part.isascii() or not part.isdigit() or not digits:
            raise UsageError(
                f"--threads: {part!r} is not a positive integer", "e.g. --threads 1,2,4"
            )
        limit = max_threads() if limit is None else limit
        # (int() refuses strings of over 4300 digits: such a count is over the limit anyway)
        count = int(digits) if len(digits) <= 18 else limit + 1
        if count > limit:
            raise UsageError(f"--threads: {_short(part)} is above the limit of {limit} "
                             f"threads ({_limit_source()})",
                             f"to go higher, set {MAX_THREADS_ENV}=N")
        if count not in counts:
            counts.append(count)
    if not counts:
        raise UsageError("--threads: no thread counts given", "e.g. --threads 1,2,4")
    return counts


class Declared(Protocol):
    """What ``workload_params`` reads of a ``workloads.Workload`` (a module beside this one)."""

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def fast_params(self) -> Mapping[str, Any]: ...


def workload_params(workload: Declared, profile: Profile) -> dict[str, Any]:
    """The ``--params`` overrides for this workload under this profile ({} for most).

    With ``fast_params`` (``--fast``): the workload's own ``FAST_PARAMS``
    (``Workload.fast_params``), only the keys its ``PARAMS`` declares
    (``Workload.params``: the worker refuses others).
    """
    wanted = workload.fast_params
    if not profile.fast_params or not wanted:
        return {}
    return {k: v for k, v in wanted.items() if k in workload.params}
