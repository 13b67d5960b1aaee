"""Worker documents -> pyperf runs and suites, written atomically (the folder's format: results).

One suite per interpreter (pyperf refuses to mix implementations in one
benchmark), benchmark names ``workload/pointkey`` shared by every interpreter,
so ``python -m pyperf compare_to 3.12.json 3.13t.json`` lines them up.  Each
worker process becomes one ``pyperf.Run`` per point.
"""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf

from harness import spec
from harness.affinity import format_list
from harness.errors import WorkerError
from harness.fileutil import atomic_write
from harness.points import benchmark_name

# The worker's JSON document format this runner understands.
WORKER_FORMAT_VERSION = 1

# Keys the harness sets itself, or that pyperf parses with its own rules: a
# workload parameter with one of these names is stored as "param_<name>".
_RESERVED_KEYS = frozenset(
    {
        "name",
        "loops",
        "process",
        "work_scale",
        "seed",
        "workload_kind",
        "workload_description",
        "workload_role",
        "inner_loops",
        "unit",
        "date",
        "duration",
        "tags",
        "interpreter",
        "python_implementation",
        "python_version",
        "gil",
        "switch_interval",
        "workload",
        "cpu_count",
        "cpu_affinity",
        "hostname",
        "platform",
        "calibrate_loops",
        "recalibrate_loops",
        "calibrate_warmups",
        "recalibrate_warmups",
        "uptime",
        "load_avg_1min",
        "mem_max_rss",
        "boot_time",
    }
)

# The metadata value for a fact an interpreter does not have.
NOT_AVAILABLE = "not available"

# pyperf refuses values <= 0; a clock with a coarse tick (Jython's time.time)
# can report 0 for a very short loop.  The smallest value we store instead.
_MIN_VALUE = 1e-9


def parse_worker_output(stdout: str, interpreter: str, workload: str) -> dict[str, Any]:
    """Read and check the worker's JSON document; raise ``WorkerError`` naming both ends.

    The worker prints exactly one JSON object on stdout; anything else (a
    traceback, a stray print, a newer format) is refused here rather than
    half-read downstream.
    """
    where = f"worker for {workload!r} under {interpreter!r}"
    text = stdout.strip()
    if not text:
        raise WorkerError(f"{where} printed nothing on stdout", "see its stderr above")
    try:
        doc = json.loads(text)
    except ValueError:
        # A stray line before the document: take the last line if it parses.
        last = text.splitlines()[-1]
        try:
            doc = json.loads(last)
        except ValueError:
            raise WorkerError(
                f"{where} printed output that is not JSON: {_shorten(text)}",
                "the worker must print one JSON document on stdout (logs go to stderr)",
            ) from None
    if not isinstance(doc, dict):
        raise WorkerError(f"{where} printed JSON that is not an object: {_shorten(text)}")
    version = doc.get("version")
    if version != WORKER_FORMAT_VERSION:
        raise WorkerError(
            f"{where} printed document version {version!r}; this runner reads version "
            f"{WORKER_FORMAT_VERSION}",
            "use the worker.py of the same checkout as the runner",
        )
    points = doc.get("points")
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise WorkerError(f"{where} printed a document without a list of points")
    for point in points:
        if not isinstance(point.get("key"), str):
            raise WorkerError(f"{where} printed a point without a key: {_shorten(str(point))}")
        for name in ("values", "warmups"):
            seq = point.get(name) or []
            if not isinstance(seq, list) or not all(_is_number(v) for v in seq):
                raise WorkerError(f"{where}: point {point['key']!r} has bad {name}: {seq!r}")
    return doc


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shorten(text: str, limit: int = 120) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def gil_state(facts: Mapping[str, Any], expected: str) -> str:
    """The GIL state at run time: the worker's observation, else what the entry expects.

    The one derivation is ``harness.spec.gil_state`` (the report uses it too).
    """
    return spec.gil_state(facts, expected)


def _metadata_value(value: object) -> str | int | float | None:
    """A value pyperf accepts as metadata (str/int/float, no empty string, no newline)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return text or None
    return json.dumps(value, sort_keys=True)


def _or_na(value: object) -> object:
    return NOT_AVAILABLE if value is None or value == "" else value


def _put(metadata: dict[str, str | int | float], key: str, value: object) -> None:
    converted = _metadata_value(value)
    if converted is not None:
        metadata[key] = converted


@dataclass(frozen=True)
class RunContext:
    """What is true of every run of one interpreter: who ran, where, when."""

    interpreter: str  # id, e.g. "3.13t+gil"
    implementation: str  # fallback when the worker does not say
    expected_gil: str  # the entry's gil field
    hostname: str = field(default_factory=socket.gethostname)
    date: str = ""  # "YYYY-MM-DD HH:MM:SS", the run's start
    process: int | None = None  # the worker process's index within the workload (pairs points)
    work_scale: float = 1.0  # the workload's size relative to its PARAMS (sized per interpreter)
    workload_kind: str = ""  # the workload's KIND ("strong", "weak", ...), read by the report
    workload_description: str = ""  # its DESCRIPTION
    workload_role: str = ""  # its ROLE (harness.roles): how the report finds it, not by name


def runs_from_document(doc: Mapping[str, Any], ctx: RunContext) -> dict[str, pyperf.Run]:
    """One worker process's document -> one ``pyperf.Run`` per measured point, by name.

    Points the worker marked unsupported, or without values, are left out
    (the caller records their outcome).
    """
    workload = str(doc.get("workload") or "")
    facts: Mapping[str, Any] = doc.get("facts") or {}
    params: Mapping[str, Any] = doc.get("params") or {}
    common: dict[str, str | int | float] = {}
    _put(common, "interpreter", ctx.interpreter)
    _put(common, "workload", workload)
    _put(common, "python_implementation", facts.get("implementation") or ctx.implementation)
    _put(common, "python_version", facts.get("python_version"))
    _put(common, "gil", gil_state(facts, ctx.expected_gil))
    # Always present, so every interpreter's runs carry the same keys
    # (2.7 and Jython have no switch interval).
    _put(common, "switch_interval", _or_na(facts.get("switch_interval")))
    if facts.get("check_interval") is not None:
        _put(common, "check_interval", facts.get("check_interval"))
    _put(common, "cpu_count", facts.get("cpu_count") or os.cpu_count())
    # The CPUs the worker process could run on, as it read them itself ("0-1"; run --cpus).
    cpus = facts.get("affinity")
    if isinstance(cpus, list) and cpus and all(isinstance(c, int) for c in cpus):
        _put(common, "cpu_affinity", format_list(cpus))
    _put(common, "platform", _or_na(facts.get("platform")))
    _put(common, "hostname", ctx.hostname)
    _put(common, "date", ctx.date)
    _put(common, "process", ctx.process)
    _put(common, "work_scale", ctx.work_scale)
    _put(common, "seed", doc.get("seed"))
    _put(common, "workload_kind", ctx.workload_kind)
    _put(common, "workload_description", ctx.workload_description)
    _put(common, "workload_role", ctx.workload_role)
    for key, value in params.items():
        _put(common, f"param_{key}" if key in _RESERVED_KEYS else key, value)

    runs: dict[str, pyperf.Run] = {}
    for point in doc.get("points") or []:
        values = [max(float(v), _MIN_VALUE) for v in point.get("values") or []]
        if point.get("unsupported") or not values:
            continue
        loops = int(point.get("loops") or 1)
        name = benchmark_name(workload, point["key"])
        metadata = dict(common)
        metadata["name"] = name
        metadata["loops"] = max(loops, 1)
        for key, value in (point.get("params") or {}).items():
            _put(metadata, f"param_{key}" if key in _RESERVED_KEYS else key, value)
        # Extras are kept per value (lost updates...): the run stores their sum.
        for key, seq in (point.get("extra") or {}).items():
            if isinstance(seq, list) and seq and all(_is_number(v) for v in seq):
                _put(metadata, key, sum(seq))
            else:
                _put(metadata, key, seq)
        warmups = [(max(loops, 1), max(float(w), 0.0)) for w in point.get("warmups") or []]
        runs[name] = pyperf.Run(
            values, warmups=warmups or None, metadata=metadata, collect_metadata=False
        )
    return runs


def build_suite(runs_by_name: Mapping[str, Sequence[pyperf.Run]]) -> pyperf.BenchmarkSuite | None:
    """Group runs into benchmarks (in the given order) and a suite; None when there are none."""
    benchmarks = [pyperf.Benchmark(list(runs)) for runs in runs_by_name.values() if runs]
    if not benchmarks:
        return None
    return pyperf.BenchmarkSuite(benchmarks)


def dump_suite(suite: pyperf.BenchmarkSuite, path: Path) -> None:
    """Write a pyperf suite file atomically (readable by ``python -m pyperf`` as is)."""
    atomic_write(path, lambda fp: suite.dump(fp))
