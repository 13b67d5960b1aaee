"""The user's own interpreter entries, from TOML tables.

``[interpreters.<id>]`` in ``$HARNESS_CONFIG``, ``[tool.gil-harness.interpreters.<id>]``
in ``pyproject.toml``, ``[interpreters.<id>]`` in ``~/.config/gil-harness/interpreters.toml``
(discovery's ``Sources.config_files`` says which, in order of precedence). Each
entry has one of ``path``, ``command`` or ``image``, and optionally
``implementation``, ``version``, ``gil``, ``family``, ``env`` (a table),
``default``, ``interpreter`` (the command inside an image) and ``engine``. A
broken entry is returned as missing with the reason; a TOML syntax error is a
:class:`ConfigError`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import container
from harness.binaries import binary_infos
from harness.errors import HarnessError, UsageError
from harness.spec import GIL_VALUES, MISSING, SOURCE_USER, ContainerRef, Interpreter, check_id

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ConfigError(HarnessError):
    """A user configuration file that cannot be read (TOML syntax, wrong types)."""


USER_KEYS = {
    "path", "command", "image", "implementation", "version", "gil", "family", "env",
    "default", "interpreter", "engine",
}


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(
            f"cannot read interpreter config {path}: {exc.strerror}",
            hint="fix the path in $HARNESS_CONFIG" if "HARNESS_CONFIG" in os.environ else None,
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}",
                          hint="save the file as UTF-8") from exc
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


def user_entries(config_files: Sequence[tuple[Path, tuple[str, ...]]],
                 cache: Path) -> list[Interpreter]:
    """The user's interpreters from the config files (broken ones as missing, with the reason).

    ``config_files`` are (file, table keys) in order of precedence; ``cache`` is
    where binary answers are cached. Raises :class:`ConfigError` for a file that
    is not valid TOML.
    """
    out: dict[str, Interpreter] = {}
    for path, keys in config_files:
        table = _table(_load_toml(path), keys)
        where = f"{path} [{'.'.join((*keys, '<id>'))}]"
        for ident, spec in table.items():
            _check_entry_id(str(ident), path)  # before anything else: an id names files
            if ident in out:
                continue  # an earlier file takes precedence
            out[ident] = _user_entry(str(ident), spec, where, cache)
    return list(out.values())


def _check_entry_id(ident: str, path: Path) -> None:
    """Refuse the whole configuration when an entry's id is not a plain name.

    Such an id is never run, listed or written: it would name files outside the
    results folder (``../victim``), and the file may come from someone else's checkout.
    """
    try:
        check_id(ident)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc.message}", f"rename the entry in {path}") from None


def _broken(ident: str, where: str, reason: str, spec: Mapping[str, Any]) -> Interpreter:
    return Interpreter(
        id=ident, implementation=str(spec.get("implementation", "unknown")), version="",
        gil="unknown", source=SOURCE_USER, family=str(spec.get("family", "user")),
        status=MISSING, hint=f"fix {where}", notes=(reason,), default=False,
    )


def _user_entry(ident: str, spec: Any, where: str, cache: Path) -> Interpreter:
    where = where.replace("<id>", ident)
    if not isinstance(spec, Mapping):
        return _broken(ident, where, "an interpreter entry must be a table", {})
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
            info = binary_infos([Path(argv[0])], cache).get(Path(argv[0]))
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
            engine = container.find_engine()
            return engine.path, tuple(engine.env)
        except HarnessError:
            pass
    for candidate in ([str(name)] if name else ["podman", "docker"]):
        path = shutil.which(candidate)
        if path:
            return path, ()
    return None, ()
