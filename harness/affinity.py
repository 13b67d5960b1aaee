"""One core against all: the CPUs a worker process may use (``run --cpus 1,all``).

``--cpus`` takes core counts and ``all``. Each count is a separate set of
worker processes, pinned to the first N of the CPUs the harness itself may use:

- a local interpreter starts under ``taskset -c LIST`` (util-linux), so the
  pinning holds from the first instruction, a JVM's own threads included (2.7
  and Jython have no ``os.sched_setaffinity``); where ``taskset`` is missing the
  worker pins itself with ``os.sched_setaffinity`` (CPython 3, PyPy 3);
- a container entry gets the engine's ``--cpuset-cpus=LIST``
  (``harness.spec.container_run_flags``, the one place for container flags);
- the worker reads back the CPUs it may run on (``os.sched_getaffinity``, else
  ``/proc/self/status``) and refuses to measure (the workload is "unsupported"
  there, with the reason) when they are not the ones asked for, so a point
  named ``cpus=1`` never ran on two.

In the files the axis is part of the benchmark name: a pinned process's points
are ``countdown/threads=2,cpus=1``; ``all`` (no pinning, the default) keeps the
plain names, so every file written before the axis existed still means what
it meant, and a run without ``--cpus`` writes exactly what it wrote before.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from harness.errors import UsageError

ALL = "all"
# What a pinned point's key ends with: "threads=2,cpus=1".
PARAM = "cpus"

# A choice of CPUs: () for all of them (no pinning), else the CPU ids.
Cpus = tuple[int, ...]


def usable() -> list[int]:
    """The CPU ids this process (and so, unpinned, every worker) may run on."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is not None:
        try:
            return sorted(getter(0))
        except OSError:
            pass
    return list(range(os.cpu_count() or 1))


def parse_cpus(text: str | None, available: Sequence[int] | None = None) -> list[Cpus]:
    """``"1,all"`` -> ``[(), (0,)]``: one CPU choice per item, each once, all CPUs first,
    then by count (a suite's first benchmark is then an unpinned one).

    ``None`` or ``""``: ``[()]`` (all CPUs, no pinning: the default run). A count
    above the usable CPUs, zero, or a word other than ``all`` is a ``UsageError``.
    """
    if not text:
        return [()]
    cpus = list(available) if available is not None else usable()
    out: list[Cpus] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part == ALL:
            choice: Cpus = ()
        else:
            try:
                n = int(part)
            except ValueError:
                raise UsageError(f"--cpus: {part!r} is neither a core count nor 'all'",
                                 "e.g. --cpus 1,all or --cpus 1,2") from None
            if not 1 <= n <= len(cpus):
                raise UsageError(
                    f"--cpus: {n} cores asked for, but this process may use "
                    f"{len(cpus)} ({format_list(cpus)})",
                    f"give counts from 1 to {len(cpus)}, or 'all'")
            choice = tuple(cpus[:n])
        if choice not in out:
            out.append(choice)
    if not out:
        raise UsageError(f"--cpus: no core count in {text!r}", "e.g. --cpus 1,all")
    return sorted(out, key=lambda c: (bool(c), len(c)))


def format_list(cpus: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2,5"`` (taskset's, cpuset's and the kernel's notation)."""
    ids = sorted(set(cpus))
    parts: list[str] = []
    start = prev = None
    for cpu in [*ids, None]:
        if cpu is not None and prev is not None and cpu == prev + 1:
            prev = cpu
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = cpu
    return ",".join(parts)


def label(cpus: Cpus) -> str:
    """``"cpus=1"`` for a pinned choice, ``"all"`` for none (the run's facts, progress)."""
    return f"{PARAM}={len(cpus)}" if cpus else ALL


def key_suffix(cpus: Cpus) -> str:
    """What a pinned process's point keys end with (``",cpus=1"``); ``""`` unpinned."""
    return f",{PARAM}={len(cpus)}" if cpus else ""


def local_prefix(cpus: Cpus) -> list[str]:
    """``["taskset", "-c", "0"]`` before a local interpreter's command; ``[]`` unpinned
    or without ``taskset`` (the worker then pins itself where it can)."""
    if not cpus:
        return []
    taskset = shutil.which("taskset")
    return [taskset, "-c", format_list(cpus)] if taskset else []


def container_flags(cpus: Cpus) -> list[str]:
    """``["--cpuset-cpus=0"]`` for a container engine; ``[]`` unpinned."""
    return [f"--cpuset-cpus={format_list(cpus)}"] if cpus else []


def worker_args(cpus: Cpus) -> list[str]:
    """``["--cpus", "0"]`` for the worker (it pins itself too, and checks); ``[]`` unpinned."""
    return ["--cpus", format_list(cpus)] if cpus else []
