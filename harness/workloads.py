"""The workloads the harness knows: ``workloads/MANIFEST`` and each file, read once.

The host never imports a workload (it may not even run on the host's Python):
the MANIFEST names them and their groups; each file is read once, with
``ast`` (``_read_module``, the one reader of workload files), into a frozen
``Workload`` holding everything the harness needs: the docstring's summary and
the declarations below, as literals. The worker imports them inside the target
interpreter.

The contract (README, "Your own code") a workload file declares as data:

- ``KIND``: what the report does with its points: ``"strong"`` (a fixed total
  split over T threads or processes; ideal min(T, cores)), ``"weak"`` (fixed
  work per thread), ``"latency"`` (the value is the workload's own
  measurement), ``"overhead"`` (a fixed cost, shown as is), ``"interference"``
  (one thread's own time, alone and beside other threads);
- ``DESCRIPTION``, ``PARAMS`` (the defaults; ``--params`` overrides),
  ``FAST_PARAMS`` (``--fast``), ``MEASURES`` (``"time"``, or ``"own"``: ``run``
  returns its own ``value``), ``WARM_CALLS``;
- ``SCALES``: the parameter of its points that is a scale axis (``"threads"``,
  ``"processes"``, ``"interpreters"``; None: no scaling curve);
- ``SIZED_BY``: the integer parameter of ``PARAMS`` the harness scales so that
  one call lasts the profile's ``min_call`` on every interpreter (None: not
  sized);
- ``ROLE``: what it is for in the report (``harness.roles.ROLES``);
- ``REQUIRES``: pip requirement strings (a user's workload; ``harness.venvs``).

A user's folder (``run --workloads DIR``) follows the same contract; there a
MANIFEST is optional (without one, every ``*.py`` whose top level defines
``run`` is a workload, in the group named after the folder) and ``KIND``
defaults to ``"strong"``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, UsageError
from harness.paths import workloads_dir
from harness.points import SCALE_AXES
from harness.roles import ROLES

MANIFEST = "MANIFEST"
KINDS = ("strong", "weak", "latency", "overhead", "interference")
MEASURES = ("time", "own")


@dataclass(frozen=True)
class Workload:
    """One workload: name, group, docstring summary, file, and what the file declares."""

    name: str
    group: str
    summary: str
    path: Path
    kind: str = "strong"
    description: str = ""  # DESCRIPTION, else the summary
    fast_params: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()  # REQUIRES: pip requirement strings
    user: bool = False  # from a --workloads folder, not the harness's own
    params: dict[str, Any] = field(default_factory=dict)  # PARAMS ({}: not a dict literal)
    measures: str = "time"  # MEASURES: "time" | "own"
    warm_calls: int = 0  # WARM_CALLS
    scales: str = "threads"  # SCALES: one of points.SCALE_AXES, "" for none
    sized_by: str = ""  # SIZED_BY: the int parameter scaled per interpreter, "" for none
    role: str = ""  # ROLE: one of roles.ROLES

    @property
    def folder(self) -> Path:
        """The folder the worker imports this workload from (``--workloads`` of the worker)."""
        return self.path.parent


@dataclass(frozen=True)
class _Module:
    summary: str
    constants: dict[str, Any]
    functions: frozenset[str] = frozenset()
    error: str = ""  # why the file could not be parsed as Python 3


_UNREAD = object()  # an assignment whose value is not data (a call, a name...)


def _arithmetic(node: ast.expr) -> Any:
    """A constant, or integer arithmetic on constants (``16 * 1024``); None otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.Sub)):
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        if isinstance(left, int) and isinstance(right, int):
            if isinstance(node.op, ast.Mult):
                return left * right
            return left + right if isinstance(node.op, ast.Add) else left - right
    return None


def _value(node: ast.expr) -> Any:
    """A literal; a dict of string keys whose values may be integer arithmetic (a value
    that is some other expression reads as None); else ``_UNREAD``."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        pass
    if isinstance(node, ast.Dict):
        pairs = [(k.value, v) for k, v in zip(node.keys, node.values, strict=True)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        if len(pairs) == len(node.keys):
            return {key: _arithmetic(value) for key, value in pairs}
    value = _arithmetic(node)
    return _UNREAD if value is None else value


def _read_module(path: Path) -> _Module:
    """The docstring's first line, the module-level constants and functions, without
    importing: the one reader of a workload file."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        # Valid 2.7 that is not valid 3.x: the worker still runs it; nothing read here.
        return _Module("", {}, error=f"line {exc.lineno}: {exc.msg}")
    doc = ast.get_docstring(tree)
    constants: dict[str, Any] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper()):
            value = _value(node.value)
            if value is not _UNREAD:
                constants[node.targets[0].id] = value
    functions = frozenset(
        node.name for node in tree.body if isinstance(node, ast.FunctionDef)
    )
    return _Module(doc.strip().splitlines()[0] if doc else "", constants, functions)


def _requires(module: _Module, path: Path, where: str) -> tuple[str, ...]:
    """``REQUIRES``: a list (or tuple) of requirement strings, else an error naming the file."""
    value = module.constants.get("REQUIRES", [])
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise HarnessError(
            f"{where}: REQUIRES in {path.name} is not a list of requirement strings",
            'write e.g. REQUIRES = ["numpy>=1.26", "python-dateutil"]',
        )
    return tuple(item.strip() for item in value)


def _choice(module: _Module, key: str, allowed: Iterable[Any], default: Any,
            path: Path, where: str) -> Any:
    """The declared ``key`` (``default`` when absent), else an error naming the file."""
    value = module.constants.get(key, default)
    allowed = tuple(allowed)
    if value not in allowed:
        raise HarnessError(
            f"{where}: {key} = {value!r} in {path.name} is not one of its values",
            f"set {key} in {path.name} to one of: {', '.join(repr(a) for a in allowed)}",
        )
    return value


def _sized_by(module: _Module, params: dict[str, Any], path: Path, where: str) -> str:
    """``SIZED_BY``: None, or the name of an integer parameter of ``PARAMS``."""
    value = module.constants.get("SIZED_BY")
    if value is None:
        return ""
    if not isinstance(value, str) or not isinstance(params.get(value), int):
        raise HarnessError(
            f"{where}: SIZED_BY = {value!r} in {path.name} names no integer parameter of PARAMS",
            'name the integer parameter of PARAMS that sizes its work (e.g. SIZED_BY = "total"), '
            "or set SIZED_BY = None",
        )
    return value


def _workload(name: str, group: str, path: Path, where: str, module: _Module,
              user: bool = False) -> Workload:
    """Build a ``Workload``; a missing (built-in only) or unknown ``KIND`` is an error."""
    kind = module.constants.get("KIND", "strong" if user else None)
    if kind not in KINDS:
        got = "no KIND" if kind is None else f"KIND = {kind!r}"
        raise HarnessError(
            f"{where}: workload {name!r} ({path.name}) has {got}",
            f"set KIND in {path.name} to one of: {', '.join(repr(k) for k in KINDS)}",
        )
    fast = module.constants.get("FAST_PARAMS", {})
    params = module.constants.get("PARAMS", {})
    params = dict(params) if isinstance(params, dict) else {}
    description = module.constants.get("DESCRIPTION")
    warm = module.constants.get("WARM_CALLS", 0)
    return Workload(
        name=name, group=group, summary=module.summary, path=path, kind=str(kind),
        description=str(description) if description else module.summary,
        fast_params=dict(fast) if isinstance(fast, dict) else {},
        requires=_requires(module, path, where), user=user, params=params,
        measures=_choice(module, "MEASURES", MEASURES, "time", path, where),
        warm_calls=warm if isinstance(warm, int) and not isinstance(warm, bool) else 0,
        scales=_choice(module, "SCALES", (*SCALE_AXES, None, ""), "threads", path, where) or "",
        sized_by=_sized_by(module, params, path, where),
        role=_choice(module, "ROLE", (*ROLES, None), None, path, where) or "",
    )


def read_workload(path: Path, group: str = "", user: bool = True) -> Workload:
    """One workload file read into a ``Workload`` (its name the file's stem)."""
    return _workload(path.stem, group, path, str(path), _read_module(path), user)


def list_workloads(directory: Path | None = None, user: bool = False) -> list[Workload]:
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
        where = f"{manifest}:{number}"
        workloads.append(_workload(name, group, path, where, _read_module(path), user))
    return workloads


def user_workloads(directory: Path) -> list[Workload]:
    """The workloads of a user's folder: its MANIFEST, else every ``*.py`` defining ``run``.

    Without a MANIFEST the group is the folder's name. A folder that does not
    exist or holds no workload raises ``UsageError`` (exit 2).
    """
    folder = directory.expanduser().resolve()
    if not folder.is_dir():
        raise UsageError(
            f"--workloads {directory}: no such folder",
            "give a folder holding <name>.py workloads (see examples/)",
        )
    if (folder / MANIFEST).is_file():
        found = list_workloads(folder, user=True)
    else:
        found = []
        for path in sorted(folder.glob("*.py")):
            module = _read_module(path)
            if module.error:
                raise HarnessError(
                    f"{path}: not valid Python 3 ({module.error})",
                    "fix the file, or list the workloads in a MANIFEST beside them",
                )
            if path.stem.startswith("_") or "run" not in module.functions:
                continue
            if not path.stem.isidentifier():
                raise UsageError(
                    f"{path}: {path.stem!r} cannot be imported as a module name",
                    "rename the file to letters, digits and underscores",
                )
            found.append(_workload(path.stem, folder.name, path, str(path), module, user=True))
    if not found:
        raise UsageError(
            f"--workloads {directory}: no workload in {folder}",
            "a workload is a <name>.py defining run(point, params), PARAMS and points()",
        )
    return found


# Modules the worker has imported before it imports a workload by its name: a
# workload with one of these names would never be imported (``sys.modules`` wins).
WORKER_MODULES = frozenset({"probe", "worker", "__main__"})


def _check_clashes(builtin: list[Workload], user: list[Workload]) -> None:
    """A user workload may not take a built-in's name, another folder's, or a module's."""
    seen = {w.name: w for w in builtin}
    for w in user:
        if w.name in WORKER_MODULES or w.name in sys.stdlib_module_names:
            raise UsageError(
                f"workload {w.name!r} in {w.folder} has the name of a standard library "
                "or harness module, which the worker would import instead",
                f"rename {w.path.name}",
            )
        other = seen.get(w.name)
        if other is not None:
            what = "a built-in workload" if not other.user else f"a workload in {other.folder}"
            raise UsageError(
                f"workload {w.name!r} in {w.folder} has the name of {what}",
                f"rename {w.path.name}",
            )
        seen[w.name] = w


def resolve_workloads(
    names: Iterable[str] | None,
    directory: Path | None = None,
    user_dirs: Iterable[Path] = (),
) -> list[Workload]:
    """The workloads asked for by name or group, in MANIFEST order.

    With no name: every user workload when ``user_dirs`` are given, else every
    built-in one. Names choose among both (a user folder's group is its name).
    An unknown name raises ``UsageError`` listing the valid names and groups.
    """
    builtin = list_workloads(directory)
    folders = dict.fromkeys(Path(f).expanduser().resolve() for f in user_dirs)  # once each
    user = [w for folder in folders for w in user_workloads(folder)]
    _check_clashes(builtin, user)
    available = builtin + user
    wanted = [name for name in (names or []) if name]
    if not wanted:
        return user or builtin
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


def user_folders(workloads: Iterable[Workload]) -> list[Path]:
    """The user folders the given workloads come from, in order, once each."""
    found = (w.folder for w in workloads if w.user)
    return list(dict.fromkeys(found))
