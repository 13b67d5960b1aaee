"""The interpreters the harness knows: what each is, where it is, and whether it is ready.

Discovery looks in five places, in this order (the first entry for an id wins):

* the free-threaded builds of ``python -m harness provision`` (``<cache>/cpython-*t``);
* pyenv's versions folders (``$PYENV_ROOT`` or ``~/.pyenv``; ``versions/*/bin/python``,
  never the shims, which do not resolve inactive versions);
* every ``python*``/``pypy*``/``jython`` binary on ``PATH`` (shim folders skipped);
* uv's managed Pythons (``~/.local/share/uv/python/*/bin``);
* the Jython container image (``harness.container``).

Binaries are deduplicated by real path. What each binary is (implementation,
version, free-threaded or not) comes from one tiny ``-c`` run per binary, in
parallel, cached by (real path, mtime, size) in the cache folder, so a
discovery costs a few ``stat`` calls once warm. A free-threaded CPython is
named ``X.Yt`` whatever its file is called (``make altinstall`` also creates a
``python3.13`` that is free-threaded), and gets a ``X.Yt+gil`` twin: the same
binary run with ``PYTHON_GIL=1``.

User entries come from ``[interpreters.<id>]`` tables in ``$HARNESS_CONFIG``,
``[tool.gil-harness.interpreters.<id>]`` in ``pyproject.toml`` (the current
folder's, then the checkout's), and ``[interpreters.<id>]`` in
``~/.config/gil-harness/interpreters.toml``, in that order of precedence; a
user entry replaces a discovered one with the same id. Each has one of ``path``,
``command`` or ``image``, and optionally ``implementation``, ``version``,
``gil``, ``family``, ``env`` (a table), ``default``, ``interpreter`` (the command
inside an image) and ``engine``. A broken entry (none of path/command/image,
a path that does not exist, an unknown key) is listed as missing with the
reason, so ``interpreters`` still shows everything; asking to run it fails
with that reason. A TOML syntax error is a :class:`ConfigError`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import paths
from harness.errors import HarnessError, InterpreterNotFound, UsageError, WorkerError
from harness.spec import (
    GIL_VALUES,
    MISSING,
    READY,
    SOURCE_APT,
    SOURCE_BUILT,
    SOURCE_CONTAINER,
    SOURCE_PATH,
    SOURCE_PYENV,
    SOURCE_USER,
    SOURCE_UV,
    ContainerRef,
    Interpreter,
    base_environ,
)

# ---------------------------------------------------------------- errors and constants


class ConfigError(HarnessError):
    """A user configuration file that cannot be read (TOML syntax, wrong types)."""


# Ids that `python -m harness provision` can make ready even when discovery saw nothing.
PROVISIONABLE_IDS = (
    "3.13t",
    "3.13t+gil",
    "3.14t",
    "3.14t+gil",
    "pypy3",
    "jython2.7",
    "jython2.7-local",
    "jython2.7-container",
)
# The free-threaded builds the harness always lists (missing until provisioned).
FREE_THREADED_MINORS = ("3.13", "3.14")
USER_KEYS = {
    "path", "command", "image", "implementation", "version", "gil", "family", "env",
    "default", "interpreter", "engine",
}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_BINARY_RE = re.compile(r"^(?:python|pypy|jython)(?:\d+(?:\.\d+)?t?)?$")
# How long one binary may take to say what it is (Jython starts a JVM).
INFO_TIMEOUT = 30.0
INFO_CACHE = "interpreters-info.json"
INFO_CACHE_VERSION = 1

# Runs under every candidate binary (2.7, 3.x, PyPy, Jython): "impl X.Y.Z ft".
_INFO_SCRIPT = (
    "import sys\n"
    "try:\n"
    "    impl = sys.implementation.name\n"
    "except AttributeError:\n"
    "    import platform\n"
    "    impl = platform.python_implementation().lower()\n"
    "ft = 0\n"
    "if impl == 'cpython':\n"
    "    try:\n"
    "        import sysconfig\n"
    "        ft = int(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))\n"
    "    except Exception:\n"
    "        ft = 0\n"
    "v = sys.version_info\n"
    "sys.stdout.write('%s %d.%d.%d %d\\n' % (impl, v[0], v[1], v[2], ft))\n"
)


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
        for folder in (Path.cwd(), paths.ROOT):
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


# ---------------------------------------------------------------- what a binary is


@dataclass(frozen=True)
class BinaryInfo:
    """What one binary said about itself."""

    implementation: str  # "cpython" | "pypy" | "jython" | ...
    version: str  # "3.13.5"
    free_threaded: bool

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def _stat_key(path: Path) -> list[float] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime, float(st.st_size)]


def _load_info_cache(cache: Path) -> dict[str, Any]:
    try:
        data = json.loads((cache / INFO_CACHE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != INFO_CACHE_VERSION:
        return {}
    binaries = data.get("binaries")
    return binaries if isinstance(binaries, dict) else {}


def _save_info_cache(cache: Path, binaries: dict[str, Any]) -> None:
    # Best effort: a read-only cache only costs speed.
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / INFO_CACHE
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"version": INFO_CACHE_VERSION, "binaries": binaries}, sort_keys=True)
        )
        os.replace(tmp, target)


def _ask_binary(path: Path) -> dict[str, Any]:
    """Run the tiny info script under ``path``: {"info": [impl, version, ft]} or {"error": ...}."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        done = subprocess.run(
            [str(path), "-c", _INFO_SCRIPT],
            capture_output=True, text=True, timeout=INFO_TIMEOUT, env=env, check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc)}
    fields = done.stdout.strip().splitlines()[-1].split() if done.stdout.strip() else []
    if done.returncode != 0 or len(fields) != 3:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return {"info": [fields[0], fields[1], fields[2] == "1"]}


def binary_infos(paths_: Sequence[Path], cache: Path) -> dict[Path, BinaryInfo]:
    """What each binary is, keyed by its real path; unusable binaries are left out.

    Cached by (real path, mtime, size) in ``cache``; the uncached ones run in parallel.
    """
    cached = _load_info_cache(cache)
    results: dict[Path, dict[str, Any]] = {}
    todo: list[Path] = []
    for path in paths_:
        key = _stat_key(path)
        entry = cached.get(str(path))
        if key is not None and isinstance(entry, dict) and entry.get("stat") == key:
            results[path] = entry
        elif key is not None:
            todo.append(path)
    if todo:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            for path, answer in zip(todo, pool.map(_ask_binary, todo), strict=True):
                answer["stat"] = _stat_key(path)
                results[path] = answer
                cached[str(path)] = answer
        _save_info_cache(cache, cached)
    infos = {}
    for path, entry in results.items():
        info = entry.get("info")
        if isinstance(info, list) and len(info) == 3:
            infos[path] = BinaryInfo(str(info[0]), str(info[1]), bool(info[2]))
    return infos


# ---------------------------------------------------------------- finding binaries


@dataclass(frozen=True)
class _Candidate:
    path: Path  # as found (argv[0])
    real: Path
    source: str


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def _candidates(sources: Sources) -> list[_Candidate]:
    """Every candidate binary, in order of precedence, deduplicated by real path."""
    found: list[tuple[Path, str]] = []
    # The harness's own builds first: their names are free-threaded ("python3.13t").
    for prefix in sorted(sources.cache.glob("cpython-*t"), key=lambda p: _version_key(p.name),
                         reverse=True):
        for binary in sorted((prefix / "bin").glob("python3.*t")):
            if re.fullmatch(r"python\d+\.\d+t", binary.name):
                found.append((binary, SOURCE_BUILT))
    if sources.pyenv_root is not None:
        versions = sources.pyenv_root / "versions"
        folders = [p for p in versions.glob("*") if p.is_dir() and not p.is_symlink()]
        # Newest patch release first, so it wins its X.Y.
        for folder in sorted(folders, key=lambda p: _version_key(p.name), reverse=True):
            for name in ("python", "python3", "pypy3", "pypy", "jython"):
                if (folder / "bin" / name).exists():
                    found.append((folder / "bin" / name, SOURCE_PYENV))
                    break
    for folder in sources.path_dirs:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if _BINARY_RE.match(name):
                found.append((folder / name, SOURCE_PATH))
    if sources.uv_python_dir is not None:
        for folder in sorted(sources.uv_python_dir.glob("*"), reverse=True):
            for binary in sorted((folder / "bin").glob("python3*")):
                if _BINARY_RE.match(binary.name):
                    found.append((binary, SOURCE_UV))
    seen: set[Path] = set()
    out = []
    for path, source in found:
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        out.append(_Candidate(path, real, source))
    return out


def _default_for(implementation: str, minor: str) -> bool:
    """CPython 2.7 and 3.11+ are in the default comparison; 3.6-3.10 are asked for by id."""
    if implementation != "cpython":
        return True
    key = _version_key(minor)
    return key == (2, 7) or key >= (3, 11)


def _entries_for(cand: _Candidate, info: BinaryInfo, sources: Sources) -> list[Interpreter]:
    argv = (str(cand.path),)
    impl = info.implementation
    source = cand.source
    if impl in ("pypy", "jython") and source == SOURCE_PATH and any(
        str(cand.real).startswith(p) for p in sources.apt_prefixes
    ):
        source = SOURCE_APT
    if impl == "cpython" and info.free_threaded:
        base = Interpreter(
            id=f"{info.minor}t", implementation="cpython", version=info.version, gil="off",
            source=source, family="free-threaded", argv=argv,
        )
        twin = dataclasses.replace(
            base, id=f"{info.minor}t+gil", gil="on", env=(("PYTHON_GIL", "1"),),
            notes=("the free-threaded binary with PYTHON_GIL=1",),
        )
        return [base, twin]
    if impl == "cpython":
        return [Interpreter(
            id=info.minor, implementation="cpython", version=info.version, gil="on",
            source=source, family="cpython", argv=argv,
            default=_default_for("cpython", info.minor),
        )]
    if impl == "pypy":
        return [Interpreter(
            id=f"pypy{info.minor}", implementation="pypy", version=info.version, gil="on",
            source=source, family="pypy", argv=argv,
        )]
    if impl == "jython":
        return [Interpreter(
            id=f"jython{info.minor}", implementation="jython", version=info.version, gil="none",
            source=source, family="jython", argv=argv,
        )]
    return [Interpreter(
        id=f"{impl}{info.minor}", implementation=impl, version=info.version, gil="unknown",
        source=source, family=impl, argv=argv, default=False,
    )]


# ---------------------------------------------------------------- missing rows and hints


def _last_failures(cache: Path) -> dict[str, str]:
    try:
        data = json.loads((cache / "provision-state.json").read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _missing(ident: str, implementation: str, gil: str, family: str, hint: str,
             notes: tuple[str, ...] = (), default: bool = True,
             env: tuple[tuple[str, str], ...] = (), source: str = SOURCE_BUILT) -> Interpreter:
    return Interpreter(
        id=ident, implementation=implementation, version="", gil=gil, source=source,
        family=family, env=env, status=MISSING, hint=hint, notes=notes, default=default,
    )


def _free_threaded_missing(minor: str, failures: Mapping[str, str]) -> list[Interpreter]:
    ident = f"{minor}t"
    if minor == "3.13":
        hint = f"python -m harness provision {ident}"
        notes: tuple[str, ...] = (
            "builds CPython 3.13.5 --disable-gil into the cache (about 2-3 minutes)",
        )
    else:
        hint = (
            f"python -m harness provision {ident} [--source-3.14 PATH_OR_URL] "
            "(or $HARNESS_PY314_SOURCE, or `uv python install 3.14t`)"
        )
        notes = ("needs python.org, a source tarball, or an existing 3.14t install",)
    if failures.get(ident):
        notes = (f"last provision: {failures[ident]}",)
    base = _missing(ident, "cpython", "off", "free-threaded", hint, notes)
    twin = dataclasses.replace(base, id=f"{ident}+gil", gil="on", env=(("PYTHON_GIL", "1"),))
    return [base, twin]


def _container_jython(sources: Sources) -> Interpreter | None:
    """The container entry from ``harness.container`` (None when ``sources`` leaves it out)."""
    if not sources.container:
        return None
    from harness import container  # imported here: container imports this module

    try:
        return container.discover_jython()
    except HarnessError as exc:
        return _missing("jython2.7-container", "jython", "none", "jython",
                        exc.hint or "python -m harness provision jython2.7",
                        (exc.message,), source=SOURCE_CONTAINER)


def _merge_jython(local: Interpreter | None, boxed: Interpreter | None,
                  failures: Mapping[str, str]) -> list[Interpreter]:
    """``jython2.7`` is the container entry when its image is ready, else the local one."""
    apt_hint = "python -m harness provision jython2.7-local (runs: apt-get install -y jython)"
    if local is None:
        notes = (f"last provision: {failures['jython']}",) if failures.get("jython") else ()
        local = _missing("jython2.7", "jython", "none", "jython", apt_hint, notes,
                         source=SOURCE_APT)
    out: list[Interpreter] = []
    if boxed is not None and boxed.ready:
        out.append(dataclasses.replace(boxed, id="jython2.7"))
        out.append(dataclasses.replace(local, id="jython2.7-local", default=False))
        return out
    if boxed is not None:
        why = "; ".join(boxed.notes) or "image not built"
        container_row = dataclasses.replace(boxed, id="jython2.7-container", default=False)
        if local.ready:
            local = dataclasses.replace(
                local, notes=(*local.notes,
                              f"container image missing ({why}): {boxed.hint}"),
            )
        out.append(dataclasses.replace(local, id="jython2.7"))
        out.append(container_row)
        return out
    return [dataclasses.replace(local, id="jython2.7")]


# ---------------------------------------------------------------- user entries


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(
            f"cannot read interpreter config {path}: {exc.strerror}",
            hint="fix the path in $HARNESS_CONFIG" if "HARNESS_CONFIG" in os.environ else None,
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}",
                          hint="fix the file's syntax") from exc


def _table(data: Mapping[str, Any], keys: Sequence[str]) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            return {}
        data = value
    return data


def user_entries(sources: Sources) -> list[Interpreter]:
    """The user's interpreters from the config files (broken ones as missing, with the reason).

    Raises :class:`ConfigError` for a file that is not valid TOML.
    """
    out: dict[str, Interpreter] = {}
    for path, keys in sources.config_files:
        table = _table(_load_toml(path), keys)
        where = f"{path} [{'.'.join((*keys, '<id>'))}]"
        for ident, spec in table.items():
            if ident in out:
                continue  # an earlier file takes precedence
            out[ident] = _user_entry(str(ident), spec, where, sources)
    return list(out.values())


def _broken(ident: str, where: str, reason: str, spec: Mapping[str, Any]) -> Interpreter:
    return Interpreter(
        id=ident, implementation=str(spec.get("implementation", "unknown")), version="",
        gil="unknown", source=SOURCE_USER, family=str(spec.get("family", "user")),
        status=MISSING, hint=f"fix {where}", notes=(reason,), default=False,
    )


def _user_entry(ident: str, spec: Any, where: str, sources: Sources) -> Interpreter:
    where = where.replace("<id>", ident)
    if not isinstance(spec, Mapping):
        return _broken(ident, where, "an interpreter entry must be a table", {})
    if not _ID_RE.match(ident):
        return _broken(ident, where, f"invalid id {ident!r} (letters, digits, . _ + -)", spec)
    unknown = sorted(set(spec) - USER_KEYS)
    if unknown:
        return _broken(ident, where, f"unknown key(s) {', '.join(unknown)} "
                       f"(known: {', '.join(sorted(USER_KEYS))})", spec)
    given = [k for k in ("path", "command", "image") if k in spec]
    if len(given) != 1:
        return _broken(ident, where, "needs exactly one of path, command or image"
                       + (f" (has {', '.join(given)})" if given else ""), spec)
    gil = str(spec.get("gil", "unknown"))
    if gil not in GIL_VALUES:
        return _broken(ident, where, f"gil must be one of {', '.join(GIL_VALUES)}", spec)
    env_spec = spec.get("env", {})
    if not isinstance(env_spec, Mapping):
        return _broken(ident, where, "env must be a table of strings", spec)
    env = tuple((str(k), str(v)) for k, v in sorted(env_spec.items()))
    implementation = str(spec.get("implementation", ""))
    version = str(spec.get("version", ""))
    family = str(spec.get("family", ""))
    default = bool(spec.get("default", True))
    container: ContainerRef | None = None
    if "image" in spec:
        inside = spec.get("interpreter", "python")
        inside_argv = tuple(shlex.split(inside) if isinstance(inside, str) else map(str, inside))
        engine, engine_env = _engine_for(spec.get("engine"))
        if engine is None:
            return _broken(ident, where, "no container engine (podman or docker) found", spec)
        container = ContainerRef(engine=engine, image=str(spec["image"]),
                                 interpreter=inside_argv, engine_env=engine_env)
        argv: tuple[str, ...] = (engine, "run", "--rm", str(spec["image"]), *inside_argv)
    else:
        if "path" in spec:
            exe = Path(str(spec["path"])).expanduser()
            if not (exe.is_file() and os.access(exe, os.X_OK)):
                return _broken(ident, where, f"path {exe} does not exist or is not executable",
                               spec)
            argv = (str(exe),)
        else:
            raw = spec["command"]
            argv = tuple(shlex.split(raw) if isinstance(raw, str) else map(str, raw))
            if not argv or shutil.which(argv[0]) is None:
                first = argv[0] if argv else ""
                return _broken(ident, where, f"command {first!r} not found", spec)
        # Fill what the user left out from the binary itself (cached, cheap).
        if not (implementation and version) and len(argv) == 1:
            info = binary_infos([Path(argv[0])], sources.cache).get(Path(argv[0]))
            if info is not None:
                implementation = implementation or info.implementation
                version = version or info.version
                if gil == "unknown" and info.implementation in ("cpython", "pypy"):
                    gil = "off" if info.free_threaded else "on"
                if gil == "unknown" and info.implementation == "jython":
                    gil = "none"
    return Interpreter(
        id=ident, implementation=implementation or "unknown", version=version, gil=gil,
        source=SOURCE_USER, family=family or implementation or "user", argv=argv, env=env,
        container=container, default=default, notes=(f"from {where}",),
    )


def _engine_for(name: Any) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The engine binary (and its environment) for a user image entry."""
    if name is None:
        try:
            from harness import container

            engine = container.find_engine()
            return engine.path, tuple(engine.env)
        except (ImportError, AttributeError, HarnessError):
            pass
    for candidate in ([str(name)] if name else ["podman", "docker"]):
        path = shutil.which(candidate)
        if path:
            return path, ()
    return None, ()


# ---------------------------------------------------------------- discovery


_FAMILY_ORDER = {"cpython": 0, "free-threaded": 1, "pypy": 2, "jython": 3}


def _sort_key(interp: Interpreter) -> tuple[int, int, tuple[int, ...], str]:
    return (
        1 if interp.source == SOURCE_USER else 0,
        _FAMILY_ORDER.get(interp.family, 4),
        _version_key(interp.id),
        interp.id,
    )


def discover(sources: Sources | None = None) -> list[Interpreter]:
    """Every interpreter the harness knows, ready or missing, one entry per id.

    ``sources`` is the seam for tests; by default the real machine's.
    Raises :class:`ConfigError` when a user config file is not valid TOML.
    """
    sources = sources or Sources.from_environment()
    candidates = _candidates(sources)
    infos = binary_infos([c.path for c in candidates], sources.cache)
    failures = _last_failures(sources.cache)
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
    for minor in FREE_THREADED_MINORS:
        if f"{minor}t" not in entries:
            for entry in _free_threaded_missing(minor, failures):
                entries[entry.id] = entry
    if not any(e.family == "pypy" for e in entries.values()):
        notes = (f"last provision: {failures['pypy']}",) if failures.get("pypy") else ()
        entries["pypy3"] = _missing(
            "pypy3", "pypy", "on", "pypy",
            "python -m harness provision pypy3 "
            "(runs: apt-get install -y pypy3 pypy3-venv pypy3-dev)",
            notes, source=SOURCE_APT,
        )
    for entry in _merge_jython(jython_local, _container_jython(sources), failures):
        entries[entry.id] = entry
    for entry in user_entries(sources):
        entries[entry.id] = entry  # the user's word wins over discovery
    return sorted(entries.values(), key=_sort_key)


def _alias(ident: str, known: Mapping[str, Interpreter]) -> str:
    """``pypy3`` means whichever PyPy is present (the ready one first)."""
    if ident == "pypy3" and ident not in known:
        pypys = [i for i in known.values() if i.family == "pypy"]
        pypys.sort(key=lambda i: (not i.ready, [-n for n in _version_key(i.id)]))
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
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=interp.environ(base),
            stdin=subprocess.DEVNULL, check=False,
        )
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
