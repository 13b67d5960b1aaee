"""The workloads the harness knows: ``workloads/MANIFEST`` and each module's docstring.

The host never imports a workload (it may not even run on the host's Python):
the MANIFEST names them and their groups, and the summary is the first line of
the module docstring, read with ``ast``. The worker imports them inside the
target interpreter.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, UsageError
from harness.paths import workloads_dir

MANIFEST = "MANIFEST"


@dataclass(frozen=True)
class Workload:
    """One workload: its name, its group, the first line of its docstring, its file."""

    name: str
    group: str
    summary: str
    path: Path


def _summary(path: Path) -> str:
    """The docstring's first line, without importing the module ("" when there is none)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError:
        # Valid 2.7 that is not valid 3.x: the worker still runs it; no summary here.
        return ""
    doc = ast.get_docstring(tree)
    return doc.strip().splitlines()[0] if doc else ""


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
        workloads.append(Workload(name=name, group=group, summary=_summary(path), path=path))
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
