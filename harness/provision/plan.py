"""What a provisioning run will do and about how long it will take, said before it starts.

The estimates are seconds measured on the machine kind the README's durations
come from (2 vCPUs, x86-64, Debian 12; cold cache, 2026-12): each CPython
build about 290 s (a target builds two: free-threaded and its GIL twin), the
sid image about 107 s, the Jython image about 102 s, PyPy's Debian packages
about 26 s. A slower machine of the same kind took about 2.5 times as long for
the builds.

Lanes: steps of one lane run one after another, lanes side by side
(``harness.provision.schedule``). The CPython builds share one lane (each
``make -j<cores>`` already uses every core); the images share one (one
container engine; a failed build removes the build containers started since it
began, which must not be another image's); the rest run beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from harness import kinds

BUILD_LANE = "cpython builds"
IMAGE_LANE = "container images"
# The lane of each provisioning target of ``harness.kinds`` (absent: a lane of its own).
LANES: dict[str, str] = {
    "source": BUILD_LANE, "3.13t": BUILD_LANE, "3.14t": BUILD_LANE, "3.15t": BUILD_LANE,
    "sid": IMAGE_LANE, "jython": IMAGE_LANE, "jython-container": IMAGE_LANE,
}
CPYTHON_PAIR = 2 * 290.0 + 10.0  # two builds and the source's download and extraction
# Seconds each target takes from a cold cache on this machine kind (see the module doc).
ESTIMATES: dict[str, float] = {
    "source": CPYTHON_PAIR, "3.13t": CPYTHON_PAIR, "3.14t": CPYTHON_PAIR,
    "3.15t": CPYTHON_PAIR, "sid": 107.0, "jython": 102.0 + 10.0, "jython-container": 102.0,
    "jython-local": 10.0, "pypy": 26.0,
}
MACHINE = "a 2-vCPU x86-64 machine"


# The steps beside the builds run at a lower priority: they mostly wait on downloads and the
# disk, and what CPU they take (dpkg, tar) should not lengthen the builds, the longest lane.
BESIDE_NICENESS = 10


def niceness(target: str) -> int:
    """How much ``nice`` the step of ``target`` gets (0 for the builds)."""
    return 0 if lane_of(target) == BUILD_LANE else BESIDE_NICENESS


def lane_of(target: str) -> str:
    """The lane ``target`` runs in (its own name when it shares nothing)."""
    return LANES.get(target, target)


def ids_of(target: str) -> tuple[str, ...]:
    """The interpreter ids that ``target`` makes ready (its kinds' ids, twins included)."""
    return tuple(i for kind in kinds.KINDS if kind.target == target for i in kind.ids)


def needed(targets: Iterable[str], known: Mapping[str, bool]) -> list[str]:
    """The targets with an id that is not ready; ``known``: every discovered id -> ready.

    A target's id that discovery names otherwise (``pypy3`` is found as
    ``pypy3.9``) counts as ready when a ready id of the same target exists.
    ``source`` is always needed (its ids are unknown beforehand).
    """
    made = {kinds.kind_of(i).target for i, ready in known.items() if ready}
    return [t for t in targets if t == "source" or not ids_of(t)
            or not all(known.get(i, t in made) for i in ids_of(t))]


def expected_seconds(targets: Sequence[str]) -> float:
    """The longest lane's sum of estimates: the run's expected length when lanes overlap."""
    lanes: dict[str, float] = {}
    for target in targets:
        lane = lane_of(target)
        lanes[lane] = lanes.get(lane, 0.0) + ESTIMATES.get(target, 60.0)
    return max(lanes.values(), default=0.0)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def announcement(todo: Sequence[str], unavailable: dict[str, str]) -> str:
    """The line printed before provisioning: what is to do, the expected time, and why."""
    counted = [t for t in todo if t not in unavailable]
    if not counted and not unavailable:
        return "provision: everything is ready"
    if counted:
        parts = ", ".join(f"{t} (~{_minutes(ESTIMATES.get(t, 60.0))})" for t in counted)
        text = (f"provision: to do {parts}; expected about "
                f"{_minutes(expected_seconds(counted))} (estimates from {MACHINE}, CPython "
                "builds beside the images; a slower machine up to 2.5x)")
    else:
        text = "provision: nothing new to do"
    if unavailable:
        text += f"; tried again, not counted (not had last time): {', '.join(sorted(unavailable))}"
    return text
