"""The results folder's format: one owner for its file names, versions and facts record.

A results folder holds, per interpreter id, ``<id>.json`` (a pyperf suite,
readable by ``python -m pyperf`` as is) and ``<id>.facts.json`` (what the runner
knows that pyperf does not: the interpreter spec, the probe, per-benchmark
outcomes, how the run was made). The runner writes them, the report and the
tests' fixture builder read and write them through this module only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import pyperf

from harness.fileutil import atomic_write

SUITE_SUFFIX = ".json"
FACTS_SUFFIX = ".facts.json"
# The facts file format; a file of another version is refused with a clear error.
FACTS_FORMAT_VERSION = 1


def suite_path(directory: Path, ident: str) -> Path:
    """``RESULTS/<id>.json``: the interpreter's pyperf suite."""
    return Path(directory) / f"{ident}{SUITE_SUFFIX}"


def facts_path(directory: Path, ident: str) -> Path:
    """``RESULTS/<id>.facts.json``: the interpreter's facts."""
    return Path(directory) / f"{ident}{FACTS_SUFFIX}"


def list_ids(directory: Path) -> list[str]:
    """Every interpreter id with a suite or a facts file in ``directory``, sorted."""
    ids: set[str] = set()
    for path in Path(directory).iterdir():
        if not path.is_file():
            continue
        if path.name.endswith(FACTS_SUFFIX):
            ids.add(path.name[: -len(FACTS_SUFFIX)])
        elif path.name.endswith(SUITE_SUFFIX) and not path.name.startswith("."):
            ids.add(path.name[: -len(SUITE_SUFFIX)])
    return sorted(ids)


def load_suite(path: Path) -> pyperf.BenchmarkSuite:
    """Read a suite file (written by the runner or by pyperf itself)."""
    return pyperf.BenchmarkSuite.load(str(path))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class Facts:
    """One interpreter's facts file, typed; unknown keys are kept in ``extra``.

    Fields the runner has always written: ``interpreter`` (the spec), ``probe``
    (None when the probe failed: see ``probe_error``), ``container`` (the engine
    and image, for container entries), ``outcomes`` (one per benchmark: ok,
    unsupported, failed, timeout, missing) and ``run`` (profile, dates, command,
    commit, CPU model...). Optional, filled by newer runners: ``sampling`` (per
    point processes and target met), ``noise`` (the machine's noise level),
    ``environment`` (affinity, governor, load, order) and ``work`` (work sized
    per interpreter).
    """

    interpreter: dict[str, Any] = field(default_factory=dict)
    probe: dict[str, Any] | None = None
    probe_error: str | None = None
    container: dict[str, Any] | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] | None = None
    noise: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    work: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = FACTS_FORMAT_VERSION

    @classmethod
    def from_json(cls, data: Any, where: str = "facts") -> Facts:
        """Build from a decoded document; ``ValueError`` naming ``where`` when it is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: not a JSON object")
        version = data.get("version")
        if version != FACTS_FORMAT_VERSION:
            raise ValueError(
                f"{where}: unknown facts format version {version!r} "
                f"(this harness reads version {FACTS_FORMAT_VERSION})"
            )
        known = {f.name for f in fields(cls)} - {"extra", "version"}
        outcomes = data.get("outcomes")
        probe = data.get("probe")
        return cls(
            interpreter=_dict(data.get("interpreter")),
            probe=probe if isinstance(probe, dict) else None,
            probe_error=_str_or_none(data.get("probe_error")),
            container=data.get("container") if isinstance(data.get("container"), dict)
            else None,
            outcomes=[o for o in outcomes if isinstance(o, dict)]
            if isinstance(outcomes, list) else [],
            run=_dict(data.get("run")),
            sampling=_dict_or_none(data.get("sampling")),
            noise=_dict_or_none(data.get("noise")),
            environment=_dict_or_none(data.get("environment")),
            work=_dict_or_none(data.get("work")),
            extra={k: v for k, v in data.items() if k not in known and k != "version"},
        )

    def to_json(self) -> dict[str, Any]:
        """The document as written: known fields (optional ones only when set), then extras."""
        out: dict[str, Any] = dict(self.extra)
        out.update({
            "version": self.version,
            "interpreter": self.interpreter,
            "probe": self.probe,
            "outcomes": self.outcomes,
            "run": self.run,
        })
        for name in ("probe_error", "container", "sampling", "noise", "environment", "work"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def load(cls, path: Path) -> Facts:
        """Read a facts file; ``ValueError`` on bad JSON or an unknown format version."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}: not JSON: {exc}") from exc
        return cls.from_json(data, path.name)

    def save(self, path: Path) -> None:
        """Write atomically (sorted keys, indented, trailing newline)."""
        write_json(Path(path), self.to_json())


def _dict_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def write_json(path: Path, data: Any) -> None:
    """Write a JSON document atomically (sorted keys, indented, trailing newline)."""

    def write(fp: IO[str]) -> None:
        json.dump(data, fp, sort_keys=True, indent=2)
        fp.write("\n")

    atomic_write(Path(path), write)
