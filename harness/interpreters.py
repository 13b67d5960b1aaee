"""The interpreters the harness knows: what each is, where it is, and whether it is ready.

Discovery looks in five places, in this order (the first entry for an id wins):

* the free-threaded builds of ``python -m harness provision`` (``<cache>/cpython-*t``);
* pyenv's versions folders (``$PYENV_ROOT`` or ``~/.pyenv``; ``versions/*/bin/python``,
  never the shims, which do not resolve inactive versions);
* every ``python*``/``pypy*``/``jython`` binary on ``PATH`` (shim folders skipped);
* uv's managed Pythons (``~/.local/share/uv/python/*/bin``);
* the Jython container image (``harness.container``).

Binaries are deduplicated by real path. What each binary is (implementation,
version, free-threaded or not) comes from ``harness.binaries`` (the probe's
``--identity``, cached), and which kind of entry it makes from the rows of
``harness.kinds``. A free-threaded CPython is
named ``X.Yt`` whatever its file is called (``make altinstall`` also creates a
``python3.13`` that is free-threaded), and gets a ``X.Yt+gil`` twin: the same
binary run with ``PYTHON_GIL=1``.

User entries (``harness.userconfig``) come from ``$HARNESS_CONFIG``, the
``pyproject.toml`` of the current folder, then the checkout's, and
``~/.config/gil-harness/interpreters.toml``, in that order of precedence; a
user entry replaces a discovered one with the same id. A broken entry is
listed as missing with the reason, so ``interpreters`` still shows everything;
asking to run it fails with that reason.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import container, kinds, paths, procgroup, sid
from harness.binaries import BinaryInfo, binary_infos
from harness.errors import HarnessError, InterpreterNotFound, UsageError, WorkerError
from harness.spec import (
    MISSING,
    READY,
    SOURCE_APT,
    SOURCE_BUILT,
    SOURCE_CONTAINER,
    SOURCE_PATH,
    SOURCE_PYENV,
    SOURCE_UV,
    Interpreter,
    base_environ,
)
from harness.state import last_failures
from harness.userconfig import user_entries

# ---------------------------------------------------------------- the seam


@dataclass(frozen=True)
class Sources:
    """Where discovery looks: the one seam unit tests replace with fake trees.

    ``from_environment()`` builds the real one from ``PATH``, ``PYENV_ROOT``,
    ``HARNESS_CONFIG``, the cache folder and the current directory.
    """

    path_dirs: tuple[Path, ...]
    pyenv_root: Path | None
    cache: Path
    # (file, table prefix) in order of precedence: ("interpreters",) or
    # ("tool", "gil-harness", "interpreters") for a pyproject.toml.
    config_files: tuple[tuple[Path, tuple[str, ...]], ...] = ()
    uv_python_dir: Path | None = None
    container: bool = True  # ask harness.container for the Jython image
    apt_prefixes: tuple[str, ...] = ("/usr/bin/", "/usr/lib/", "/usr/share/")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Sources:
        """The real machine's sources, read from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        home = Path(env.get("HOME") or Path.home())
        path_dirs = tuple(
            Path(d) for d in env.get("PATH", "").split(os.pathsep) if d and not _is_shims(d)
        )
        pyenv = Path(env["PYENV_ROOT"]) if env.get("PYENV_ROOT") else home / ".pyenv"
        configs: list[tuple[Path, tuple[str, ...]]] = []
        if env.get("HARNESS_CONFIG"):
            configs.append((Path(env["HARNESS_CONFIG"]).expanduser(), ("interpreters",)))
        pyproject_table = ("tool", "gil-harness", "interpreters")
        for folder in (Path.cwd(), paths.checkout_root()):
            if folder is None:
                continue
            candidate = folder / "pyproject.toml"
            if candidate.is_file() and all(candidate != c for c, _ in configs):
                configs.append((candidate, pyproject_table))
        xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        user_file = xdg / "gil-harness" / "interpreters.toml"
        if user_file.is_file():
            configs.append((user_file, ("interpreters",)))
        data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
        return cls(
            path_dirs=path_dirs,
            pyenv_root=pyenv,
            cache=paths.cache_dir(),
            config_files=tuple(configs),
            uv_python_dir=data_home / "uv" / "python",
        )


def _is_shims(folder: str) -> bool:
    """pyenv's (and pyenv-virtualenv's) shims resolve only the active version: skip them."""
    return Path(folder).name == "shims"


# ---------------------------------------------------------------- finding binaries


@dataclass(frozen=True)
class _Candidate:
    path: Path  # as found (argv[0])
    real: Path
    source: str


def _candidates(sources: Sources) -> list[_Candidate]:
    """Every candidate binary, in order of precedence, deduplicated by real path."""
    found: list[tuple[Path, str]] = []
    # The harness's own builds first: their names are free-threaded ("python3.13t").
    for prefix in sorted(sources.cache.glob("cpython-*t"), key=lambda p: kinds.version_key(p.name),
                         reverse=True):
        for binary in sorted((prefix / "bin").glob("python3.*t")):
            if re.fullmatch(r"python\d+\.\d+t", binary.name):
                found.append((binary, SOURCE_BUILT))
    # Their GIL twins (the same source and flags without --disable-gil): "X.Y-twin".
    for prefix in sorted(sources.cache.glob(f"cpython-*{kinds.GIL_TWIN_SUFFIX}"),
                         key=lambda p: kinds.version_key(p.name), reverse=True):
        for binary in sorted((prefix / "bin").glob("python3.*")):
            if re.fullmatch(r"python\d+\.\d+", binary.name):
                found.append((binary, SOURCE_BUILT))
    if sources.pyenv_root is not None:
        versions = sources.pyenv_root / "versions"
        folders = [p for p in _listed(versions) if _stat_ok(p.is_dir) and not p.is_symlink()]
        # Newest patch release first, so it wins its X.Y.
        for folder in sorted(folders, key=lambda p: kinds.version_key(p.name), reverse=True):
            for name in kinds.binary_names():
                if (folder / "bin" / name).exists():
                    found.append((folder / "bin" / name, SOURCE_PYENV))
                    break
    binary_re = kinds.binary_pattern()
    for folder in sources.path_dirs:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if binary_re.match(name):
                found.append((folder / name, SOURCE_PATH))
    if sources.uv_python_dir is not None:
        for folder in sorted(sources.uv_python_dir.glob("*"), reverse=True):
            for binary in sorted((folder / "bin").glob("python3*")):
                if binary_re.match(binary.name):
                    found.append((binary, SOURCE_UV))
    seen: set[Path] = set()
    out = []
    for path, source in found:
        # A folder this user may not enter (another user's venv, /root/.pyenv) is no binary.
        if not (_stat_ok(path.is_file) and os.access(path, os.X_OK)):
            continue
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        out.append(_Candidate(path, real, source))
    return out


def _stat_ok(check: Callable[[], bool]) -> bool:
    """``path.is_file``/``is_dir``, False where the user may not look (EACCES raises)."""
    try:
        return check()
    except OSError:
        return False


def _listed(folder: Path) -> list[Path]:
    """The entries of ``folder``; none where it is missing or unreadable."""
    try:
        return [folder / name for name in os.listdir(folder)]
    except OSError:
        return []


def _entries_for(cand: _Candidate, info: BinaryInfo, sources: Sources) -> list[Interpreter]:
    """The entries one binary makes: its kind's id, plus the "+gil" twin of a free-threaded one."""
    kind = kinds.kind_for_binary(info.implementation, info.free_threaded, info.minor)
    source = cand.source
    if info.implementation in ("pypy", "jython") and source == SOURCE_PATH and any(
        str(cand.real).startswith(p) for p in sources.apt_prefixes
    ):
        source = SOURCE_APT
    if kind is None:  # an implementation no row knows: listed, never compared by default
        impl = info.implementation
        return [Interpreter(
            id=f"{impl}{info.minor}", implementation=impl, version=info.version, gil="unknown",
            source=source, family=impl, argv=(str(cand.path),), default=False,
        )]
    ident = kind.id_format.format(minor=info.minor)
    record = _build_record(cand) if source == SOURCE_BUILT else None
    if record is not None and not info.free_threaded:  # a GIL twin's own prefix
        ident = f"{info.minor}{kinds.GIL_TWIN_SUFFIX}"
        kind = kinds.kind_of(ident)
    base = Interpreter(
        id=ident, implementation=kind.implementation, version=info.version, gil=kind.gil,
        source=source, family=kind.family, argv=(str(cand.path),), env=kind.env,
        default=kinds.is_default(ident), notes=_record_notes(record),
    )
    if not kind.twin:
        return [base]
    return [base, _twin(base)]


def _build_record(cand: _Candidate) -> dict[str, Any] | None:
    """What a harness-built prefix says it was built from (``kinds.BUILD_RECORD``), if anything."""
    try:
        data = json.loads((cand.path.parent.parent / kinds.BUILD_RECORD).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _record_notes(record: Mapping[str, Any] | None) -> tuple[str, ...]:
    """One note from a build record: the source, its sha256, the configure flags, the sibling."""
    if not record:
        return ()
    flags = " ".join(str(f) for f in record.get("configure") or []) or "(none)"
    sibling = str(record.get("sibling") or "")
    text = (f"built from {record.get('tarball')} (sha256 {str(record.get('sha256'))[:16]}...), "
            f"configure {flags}")
    if sibling and record.get("gil") == "on":
        text += f"; the GIL twin of {sibling}: the same source and flags, without --disable-gil"
    elif sibling:
        text += f"; its GIL twin: {sibling}"
    return (text,)


def _twin(base: Interpreter) -> Interpreter:
    """The free-threaded ``base`` run with the GIL turned back on (``PYTHON_GIL=1``)."""
    twin = kinds.kind_of(base.id + kinds.TWIN_SUFFIX)
    notes = base.notes if base.status == MISSING else (
        "the free-threaded binary with PYTHON_GIL=1",)
    return dataclasses.replace(base, id=base.id + kinds.TWIN_SUFFIX, gil=twin.gil, env=twin.env,
                               notes=notes)


# ---------------------------------------------------------------- missing rows and hints


def _missing(kind: kinds.Kind, ident: str, failures: Mapping[str, str],
             source: str = SOURCE_BUILT) -> Interpreter:
    """A missing entry of ``kind``: its hint, and why its last provisioning failed (if it did)."""
    failed = failures.get(kind.target) if kind.target else None
    notes = (f"last provision: {failed}",) if failed else (kind.note,) if kind.note else ()
    return Interpreter(
        id=ident, implementation=kind.implementation, version="", gil=kind.gil, source=source,
        family=kind.family, env=kind.env, status=MISSING, hint=kind.hint_for(ident),
        notes=notes,
    )


def _listed_missing(entries: Mapping[str, Interpreter],
                    failures: Mapping[str, str]) -> list[Interpreter]:
    """The ids the harness always lists (the kinds' ``ids``) that discovery did not find.

    A PyPy of any version stands for ``pypy3``; the Jython rows are merged apart.
    """
    out: list[Interpreter] = []
    for kind in kinds.KINDS:
        if kind.family == "jython":
            continue
        for ident in kind.ids:
            if ident in entries or (ident == "pypy3" and any(
                    e.family == "pypy" for e in entries.values())):
                continue
            base = _missing(kind, ident, failures,
                            source=SOURCE_APT if kind.packages else SOURCE_BUILT)
            out.append(base)
            if kind.twin:
                out.append(_twin(base))
    return out


def _container_jython(sources: Sources) -> Interpreter | None:
    """The container entry from ``harness.container`` (None when ``sources`` leaves it out)."""
    if not sources.container:
        return None
    try:
        return container.discover_jython()
    except HarnessError as exc:
        missing = _missing(kinds.kind_of("jython2.7-container"), "jython2.7-container", {},
                           source=SOURCE_CONTAINER)
        return dataclasses.replace(missing, hint=exc.hint or missing.hint, notes=(exc.message,))


def _container_sid(sources: Sources) -> list[Interpreter]:
    """The sid image's ready entries (``harness.sid``); none when ``sources`` leaves images out."""
    return sid.discover() if sources.container else []


def _merge_jython(local: Interpreter | None, boxed: Interpreter | None,
                  failures: Mapping[str, str]) -> list[Interpreter]:
    """``jython2.7`` is the container entry when its image is ready, else the local one."""
    if local is None:
        local = _missing(kinds.kind_of("jython2.7-local"), "jython2.7", failures,
                         source=SOURCE_APT)
        if failures.get("jython"):  # the target that provides both Jythons
            local = dataclasses.replace(local, notes=(f"last provision: {failures['jython']}",))
    out: list[Interpreter] = []
    if boxed is not None and boxed.ready:
        out.append(dataclasses.replace(boxed, id="jython2.7"))
        out.append(dataclasses.replace(local, id="jython2.7-local", default=False))
        return out
    if boxed is not None:
        container_row = dataclasses.replace(boxed, id="jython2.7-container", default=False)
        if local.ready:  # said in the run's progress and recorded in its facts (fallback)
            local = dataclasses.replace(local, notes=(*local.notes,
                                                      container.fallback_note(boxed)))
        else:  # neither: what is missing first is the image (or the engine for it)
            local = dataclasses.replace(local, hint=boxed.hint or local.hint,
                                        notes=(*boxed.notes, *local.notes))
        out.append(dataclasses.replace(local, id="jython2.7"))
        out.append(container_row)
        return out
    return [dataclasses.replace(local, id="jython2.7")]


# ---------------------------------------------------------------- discovery


def discover(sources: Sources | None = None) -> list[Interpreter]:
    """Every interpreter the harness knows, ready or missing, one entry per id.

    ``sources`` is the seam for tests; by default the real machine's.
    Raises ``userconfig.ConfigError`` when a user config file is not valid TOML.
    """
    sources = sources or Sources.from_environment()
    candidates = _candidates(sources)
    infos = binary_infos([c.path for c in candidates], sources.cache)
    failures = last_failures(sources.cache)
    entries: dict[str, Interpreter] = {}
    jython_local: Interpreter | None = None
    for cand in candidates:
        info = infos.get(cand.path)
        if info is None:
            continue
        for entry in _entries_for(cand, info, sources):
            if entry.family == "jython":
                jython_local = jython_local or entry
            elif entry.id not in entries:  # first wins: built, pyenv, PATH, uv
                entries[entry.id] = entry
    for entry in _listed_missing(entries, failures):
        entries[entry.id] = entry
    for entry in _container_sid(sources):  # where no host interpreter of the id is ready
        if not (entry.id in entries and entries[entry.id].ready):
            entries[entry.id] = entry
    for entry in _merge_jython(jython_local, _container_jython(sources), failures):
        entries[entry.id] = entry
    for entry in user_entries(sources.config_files, sources.cache):
        entries[entry.id] = entry  # the user's word wins over discovery
    return sorted(entries.values(), key=kinds.sort_key)


def _alias(ident: str, known: Mapping[str, Interpreter]) -> str:
    """``pypy3`` means whichever PyPy is present (the ready one first)."""
    if ident == "pypy3" and ident not in known:
        pypys = [i for i in known.values() if i.family == "pypy"]
        pypys.sort(key=lambda i: (not i.ready, [-n for n in kinds.version_key(i.id)]))
        if pypys:
            return pypys[0].id
    return ident


def resolve(
    ids: Sequence[str] | None,
    *,
    ready_only: bool = False,
    sources: Sources | None = None,
) -> list[Interpreter]:
    """The interpreters for ``ids`` (None: the default comparison, ready ones only).

    An unknown id raises :class:`UsageError` listing the valid ids; with
    ``ready_only`` a missing one raises :class:`InterpreterNotFound` with the
    command that provides it.
    """
    everything = discover(sources)
    if ids is None:
        return [i for i in everything if i.ready and i.default]
    known = {i.id: i for i in everything}
    out: list[Interpreter] = []
    for raw in ids:
        ident = _alias(raw, known)
        if ident not in known:
            raise UsageError(
                f"unknown interpreter id {raw!r}",
                hint="valid ids: " + ", ".join(known) + " (and the alias pypy3)",
            )
        interp = known[ident]
        if ready_only and not interp.ready:
            reason = "; ".join(interp.notes)
            raise InterpreterNotFound(
                f"interpreter {interp.id} is missing" + (f": {reason}" if reason else ""),
                hint=interp.hint or None,
            )
        if interp not in out:
            out.append(interp)
    return out


# ---------------------------------------------------------------- the probe


def probe(interp: Interpreter, timeout: float = 60.0) -> dict[str, Any]:
    """Run ``harness/probe.py`` under ``interp`` and return its facts.

    The child gets an allow-listed environment plus the entry's own (so a
    ``PYTHON_GIL`` of the caller never leaks in). Raises :class:`WorkerError`
    (with the interpreter's id) when it fails, hangs or prints something else than JSON.
    """
    if not interp.ready:
        raise InterpreterNotFound(f"interpreter {interp.id} is missing", hint=interp.hint or None)
    base = base_environ()
    cmd = interp.command(paths.PROBE_SCRIPT, [])
    # Its own session: a hang, Ctrl-C, SIGTERM or SIGHUP kills its group and removes its
    # container (harness.procgroup).
    name = None
    if interp.container is not None:
        container.check_mounts([paths.PROBE_SCRIPT.parent])
        name = procgroup.container_name(cmd)
    try:
        done = procgroup.run(cmd, timeout=timeout, env=interp.environ(base), name=name)
    except subprocess.TimeoutExpired as exc:
        raise WorkerError(f"{interp.id}: the probe did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise WorkerError(f"{interp.id}: cannot run the probe: {exc}") from exc
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise WorkerError(f"{interp.id}: the probe exited with {done.returncode}: {tail}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    try:
        facts = json.loads(lines[-1]) if lines else None
    except ValueError:
        facts = None
    if not isinstance(facts, dict) or facts.get("version") != 1:
        raise WorkerError(
            f"{interp.id}: the probe printed no readable facts: {done.stdout.strip()[:200]!r}"
        )
    return facts


# ---------------------------------------------------------------- the command


def _status_text(interp: Interpreter) -> str:
    text = READY if interp.ready else f"{MISSING}: {interp.hint}" if interp.hint else MISSING
    if interp.notes:
        text += " -- " + "; ".join(interp.notes)
    return text


def format_table(entries: Iterable[Interpreter]) -> str:
    """The ``interpreters`` table: one row per interpreter."""
    header = ("id", "implementation", "version", "gil", "source", "default", "status")
    rows = [header] + [
        (i.id, i.implementation, i.version or "-", i.gil, i.source,
         "yes" if i.default else "no", _status_text(i))
        for i in entries
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def cmd_interpreters(args: argparse.Namespace) -> int:
    """``python -m harness interpreters [--json] [--ready] [--ids]``: list what the harness knows.

    Missing entries (and broken user entries) are rows with the command or the
    fix that provides them; the exit status is 0 unless a config file is unreadable.
    """
    entries = discover()
    if getattr(args, "ready", False):
        entries = [i for i in entries if i.ready]
    if getattr(args, "ids", False):
        for interp in entries:
            print(interp.id)
    elif getattr(args, "json", False):
        print(json.dumps([i.to_json() for i in entries], indent=2, sort_keys=True))
    else:
        print(format_table(entries))
    return 0
