"""What a binary is: implementation, version, free-threaded or not, asked once and cached.

Each candidate binary runs ``harness/probe.py --identity`` (the probe is the one
place that knows how an interpreter describes itself), in parallel; the
answers are cached by (real path, mtime, size) in the cache folder, so a warm
discovery costs a few ``stat`` calls.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import paths
from harness.fileutil import atomic_write_text
from harness.spec import base_environ

# How long one binary may take to say what it is (Jython starts a JVM).
INFO_TIMEOUT = 30.0
INFO_CACHE = "interpreters-info.json"
INFO_CACHE_VERSION = 1


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
        text = json.dumps({"version": INFO_CACHE_VERSION, "binaries": binaries}, sort_keys=True)
        atomic_write_text(cache / INFO_CACHE, text)


def _ask_binary(path: Path) -> dict[str, Any]:
    """``probe.py --identity`` under ``path``: {"info": [impl, version, ft]} or {"error": ...}."""
    try:
        done = subprocess.run(
            [str(path), str(paths.PROBE_SCRIPT), "--identity"],
            capture_output=True, text=True, timeout=INFO_TIMEOUT, env=base_environ(),
            check=False, stdin=subprocess.DEVNULL,
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
