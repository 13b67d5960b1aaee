"""The workloads the harness knows: ``workloads/MANIFEST`` and each module's own metadata.

The host never imports a workload (it may not even run on the host's Python):
the MANIFEST names them and their groups; the module docstring (summary),
``KIND``, ``DESCRIPTION`` and ``FAST_PARAMS`` are read with ``ast`` as literals.
The worker imports them inside the target interpreter.

``KIND`` says what the report does with the workload's points:

- ``"strong"``: a fixed total split over T threads (or processes); ideal min(T, cores);
- ``"weak"``: fixed work per thread; ideal: the time does not change (T x the throughput);
- ``"latency"``: the value is the workload's own measurement, not a duration to scale;
- ``"overhead"``: a fixed cost (e.g. starting and joining one thread), shown as is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, UsageError
from harness.paths import workloads_dir

MANIFEST = "MANIFEST"
KINDS = ("strong", "weak", "latency", "overhead")


@dataclass(frozen=True)
class Workload:
    """One workload: name, group, docstring summary, file, and the module's own metadata."""

    name: str
    group: str
    summary: str
    path: Path
    kind: str = "strong"
    description: str = ""  # DESCRIPTION, else the summary
    fast_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Module:
    summary: str
    constants: dict[str, Any]


def _read_module(path: Path) -> _Module:
    """The docstring's first line and the module-level literal constants, without importing."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError:
        # Valid 2.7 that is not valid 3.x: the worker still runs it; nothing read here.
        return _Module("", {})
    doc = ast.get_docstring(tree)
    constants: dict[str, Any] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper()):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # not a literal: not metadata
    return _Module(doc.strip().splitlines()[0] if doc else "", constants)


def _workload(name: str, group: str, path: Path, where: str) -> Workload:
    """Build a ``Workload``; a missing or unknown ``KIND`` is an error naming the file."""
    module = _read_module(path)
    kind = module.constants.get("KIND")
    if kind not in KINDS:
        got = "no KIND" if kind is None else f"KIND = {kind!r}"
        raise HarnessError(
            f"{where}: workload {name!r} ({path.name}) has {got}",
            f"set KIND in {path.name} to one of: {', '.join(repr(k) for k in KINDS)}",
        )
    fast = module.constants.get("FAST_PARAMS", {})
    description = module.constants.get("DESCRIPTION")
    return Workload(
        name=name, group=group, summary=module.summary, path=path, kind=str(kind),
        description=str(description) if description else module.summary,
        fast_params=dict(fast) if isinstance(fast, dict) else {},
    )


def list_workloads(directory: Path | None = None) -> list[Workload]:
    """Every workload in ``directory``/MANIFEST (default: ``paths.workloads_dir()``), in order."""
    folder = directory if directory is not None else workloads_dir()
    manifest = folder / MANIFEST
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessError(
            f"cannot read the workloads manifest {manifest}: {exc.strerror or exc}",
            "set HARNESS_WORKLOADS to a folder holding MANIFEST and <name>.py files",
        ) from exc
    workloads: list[Workload] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2:
            raise HarnessError(
                f"{manifest}:{number}: expected 'name group', got {raw.strip()!r}",
                "one workload per line: its name and its group, separated by spaces",
            )
        name, group = fields
        path = folder / f"{name}.py"
        if name in seen:
            raise HarnessError(f"{manifest}:{number}: {name!r} is listed twice", "list it once")
        if not path.is_file():
            raise HarnessError(
                f"{manifest}:{number}: workload {name!r} has no file {path}",
                f"add {path.name} or remove the line",
            )
        seen.add(name)
        workloads.append(_workload(name, group, path, f"{manifest}:{number}"))
    return workloads


def resolve_workloads(
    names: Iterable[str] | None, directory: Path | None = None
) -> list[Workload]:
    """The workloads asked for by name or group, in MANIFEST order; all of them when none.

    An unknown name raises ``UsageError`` listing the valid names and groups.
    """
    available = list_workloads(directory)
    wanted = [name for name in (names or []) if name]
    if not wanted:
        return available
    by_name = {w.name: w for w in available}
    groups = {w.group for w in available}
    unknown = [name for name in wanted if name not in by_name and name not in groups]
    if unknown:
        raise UsageError(
            f"unknown workload {', '.join(repr(n) for n in unknown)}",
            f"choose from: {', '.join(by_name)}; or a group: {', '.join(sorted(groups))}",
        )
    selected = {name for name in wanted if name in by_name}
    selected |= {w.name for w in available if w.group in wanted}
    return [w for w in available if w.name in selected]
