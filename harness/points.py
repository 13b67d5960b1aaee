"""A point: one benchmark of one workload, its name parsed once.

A suite file names each benchmark ``<workload>/<key>``, the key a list of
``name=value`` parameters: ``countdown/threads=2``,
``counter_race/threads=100,increments=1000``, ``countdown/threads=2,cpus=1``.
This module is the one parser of those names (the sampler, the report and the
gate build a ``Point`` and read its fields). The run metadata may hold the same
parameters (``workload``, ``threads``...): the metadata wins, as it did in
every reader before this module.

The scale axis is the first parameter among ``SCALE_AXES`` whose value is an
integer (threads, processes or sub-interpreters: a point of a scaling curve);
``cpus`` is the cores its processes were pinned to (``run --cpus``), not a
parameter of the workload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The parameters that make a point a step of a scaling curve, in order of precedence.
SCALE_AXES = ("threads", "processes", "interpreters")
# The parameter naming the cores a pinned point ran on (``run --cpus N``).
PINNED = "cpus"
_PAIR = re.compile(r"([A-Za-z_][\w.]*)=([^,;]+)")


@dataclass(frozen=True)
class Point:
    """One benchmark name, split: workload, parameters, scale axis and count, cores."""

    name: str
    workload: str
    key: str
    params: tuple[tuple[str, str], ...]
    axis: str = ""  # "threads" | "processes" | "interpreters" | "" (no scale)
    count: int = 0  # the axis's count; 0 when there is no axis
    cpus: int = 0  # cores its processes were pinned to; 0: all, unpinned

    @classmethod
    def parse(cls, name: str, metadata: Mapping[str, Any] | None = None) -> Point:
        """``countdown/threads=2`` (and the run metadata, which wins) -> a Point."""
        meta = metadata or {}
        name = str(name)  # (a hand-made suite may name it with a number)
        workload, _, key = name.partition("/")
        workload = str(meta.get("workload") or workload)
        params = tuple((k, v) for k, v in _PAIR.findall(key))
        given = dict(params)
        axis, count = "", 0
        for candidate in SCALE_AXES:
            raw = meta.get(candidate, given.get(candidate))
            if raw is None:
                continue
            try:
                axis, count = candidate, int(raw)
                break
            except (TypeError, ValueError):
                continue
        cpus = given.get(PINNED, "0")
        return cls(name, workload, key, params, axis, count, int(cpus) if cpus.isdigit() else 0)

    @property
    def param_dict(self) -> dict[str, str]:
        """The key's parameters as a dict (``cpus`` included when pinned)."""
        return dict(self.params)

    @property
    def plain(self) -> bool:
        """True for a step of the run's plain curve: the axis alone (``threads=4``),
        besides ``cpus``; the notebook's ``threads=100,increments=1000`` is not."""
        return bool(self.axis) and len([k for k, _ in self.params if k != PINNED]) <= 1

    @property
    def pinned(self) -> bool:
        """Measured with its processes pinned to ``cpus`` cores."""
        return self.cpus > 0

    def with_count(self, count: int) -> str:
        """The name of the same point at another count of its axis (same other parameters)."""
        if not self.axis:
            raise ValueError(f"{self.name} has no scale axis")
        params = [(k, str(count) if k == self.axis else v) for k, v in self.params]
        return name_of(self.workload, params)


def benchmark_name(workload: str, key: str | None) -> str:
    """The benchmark name shared by every interpreter: ``workload/key`` (or ``workload``)."""
    return f"{workload}/{key}" if key else workload


def name_of(workload: str, params: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    """``countdown``, [("threads", "2")] -> ``countdown/threads=2`` (the suites' names)."""
    return benchmark_name(workload, ",".join(f"{k}={v}" for k, v in params))


def workload_of(name: str) -> str:
    """The workload part of a benchmark name (``countdown/threads=2`` -> ``countdown``)."""
    return str(name).partition("/")[0]
