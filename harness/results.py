"""The results folder's format: one owner for its file names, versions and facts record.

A results folder holds, per interpreter id, ``<id>.json`` (a pyperf suite,
readable by ``python -m pyperf`` as is) and ``<id>.facts.json`` (what the runner
knows that pyperf does not: the interpreter spec, the probe, per-benchmark
outcomes, how the run was made). The runner writes them, the report and the
tests' fixture builder read and write them through this module only.

Every file the runner writes goes through :func:`inside`, which refuses a path
outside the results folder. An interpreter's run writes staging files beside the
pair (``.<id>.partial.json``, ``.<id>.partial.facts.json``: dot-files, never an
id) and replaces the pair only once complete (:class:`PairWriter`). An
interrupted run keeps an earlier complete pair: its partial pair goes to
``interrupted/<id>.json`` and ``interrupted/<id>.facts.json`` instead (with no
earlier complete pair, it becomes the pair), its facts saying so in
``run["interrupted"]``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import IO, Any, TypedDict

import pyperf

from harness.errors import HarnessError, UsageError
from harness.fileutil import atomic_write
from harness.spec import check_id

SUITE_SUFFIX = ".json"
FACTS_SUFFIX = ".facts.json"
# The facts file format; a file of another version is refused with a clear error.
FACTS_FORMAT_VERSION = 1
# Where an interrupted run's partial pair goes when an earlier complete pair is kept.
INTERRUPTED_DIR = "interrupted"
# A run's staging files: ``.<id>.partial.json`` and ``.<id>.partial.facts.json``.
STAGING_MARK = ".partial"
# The processes a run set aside (a burst, low parallel capacity): ``discarded/<id>.json``,
# a pyperf suite whose runs say why (``harness_discarded``); never used for a figure.
DISCARDED_DIR = "discarded"


def suite_path(directory: Path, ident: str) -> Path:
    """``RESULTS/<id>.json``: the interpreter's pyperf suite."""
    return Path(directory) / f"{ident}{SUITE_SUFFIX}"


def facts_path(directory: Path, ident: str) -> Path:
    """``RESULTS/<id>.facts.json``: the interpreter's facts."""
    return Path(directory) / f"{ident}{FACTS_SUFFIX}"


def interrupted_suite_path(directory: Path, ident: str) -> Path:
    """``RESULTS/interrupted/<id>.json``: the partial suite of a run cut short."""
    return Path(directory) / INTERRUPTED_DIR / f"{ident}{SUITE_SUFFIX}"


def interrupted_facts_path(directory: Path, ident: str) -> Path:
    """``RESULTS/interrupted/<id>.facts.json``: the facts of a run cut short."""
    return Path(directory) / INTERRUPTED_DIR / f"{ident}{FACTS_SUFFIX}"


def inside(directory: Path, relative: str) -> Path:
    """The path of ``relative`` within the results folder ``directory``, for writing.

    The one gate of every write in a results folder: an absolute name, a ``..``,
    or a folder on the way that resolves (through symlinks) outside ``directory``
    is refused with :class:`UsageError`. The last component is not resolved: the
    runner replaces it (``os.replace``), which never writes through a symlink.
    """
    root = Path(directory).resolve()
    rel = PurePath(relative)
    parent = (root / rel).parent.resolve()
    if (
        rel.is_absolute()
        or not rel.parts
        or any(part in ("..", ".") for part in rel.parts)
        or (parent != root and root not in parent.parents)
    ):
        raise UsageError(
            f"refusing to write {relative!r}: it is outside the results folder {root}",
            "interpreter ids and file names must be plain names",
        )
    return parent / rel.name


def list_ids(directory: Path) -> list[str]:
    """Every interpreter id with a suite or a facts file in ``directory``, sorted.

    Dot-files (a run's staging files, temporary files) are not results.
    """
    ids: set[str] = set()
    for path in Path(directory).iterdir():
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.name.endswith(FACTS_SUFFIX):
            ids.add(path.name[: -len(FACTS_SUFFIX)])
        elif path.name.endswith(SUITE_SUFFIX):
            ids.add(path.name[: -len(SUITE_SUFFIX)])
    return sorted(ids)


def load_suite(path: Path) -> pyperf.BenchmarkSuite:
    """Read a suite file (written by the runner or by pyperf itself)."""
    return pyperf.BenchmarkSuite.load(str(path))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Outcome:
    """What happened to one benchmark (``workload/key``) or a whole workload (``workload``)."""

    benchmark: str
    status: str  # "ok" | "unsupported" | "failed" | "timeout" | "missing" | "interrupted"
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        """The facts file's form."""
        return {"benchmark": self.benchmark, "status": self.status, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        """Read back from the facts file's form (a missing field reads as "")."""
        return cls(str(data.get("benchmark") or ""), str(data.get("status") or ""),
                   str(data.get("reason") or ""))

    def get(self, key: str, default: Any = None) -> Any:
        """A field by its JSON name, as the report reads an outcome (``o.get("status")``)."""
        return getattr(self, key, default) if key in ("benchmark", "status", "reason") else default


class WorkFacts(TypedDict, total=False):
    """The facts' ``work[workload]``: how one workload was run here (``measure.WorkloadJob``)."""

    scale: float  # the work scale (1.0: as the workload declares it)
    params: dict[str, Any]  # the parameters passed to the worker
    folder: str  # a user's workload: its folder
    requires: list[str]  # its ``REQUIRES``
    environment: dict[str, Any]  # its environment here (``venvs.Environment.to_json``)
    gil_reenabled: dict[str, list[dict[str, str]]]  # {"by": [{import, module}]}
    # harness.calibrations: {"plan": "recalled" | "fresh" | "changed", "recorded": when
    # the plan used was chosen, "replaced": when the one it replaced was}
    calibration: dict[str, str]


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
    outcomes: list[Outcome] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] | None = None
    noise: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    work: dict[str, WorkFacts] | None = None
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
            outcomes=[Outcome.from_json(o) for o in outcomes if isinstance(o, dict)]
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
            "outcomes": [o.to_json() for o in self.outcomes],
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


# ---------------------------------------------------------------- writing a run's pair


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP while a pair is swapped (delivered right after)."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _replace_or_remove(staged: Path, final: Path) -> None:
    if staged.exists():
        os.replace(staged, final)
    else:
        final.unlink(missing_ok=True)


def holds_measured_pair(directory: Path, ident: str) -> bool:
    """True when the folder holds a pair for ``ident`` that a run must not overwrite.

    That is the pair of a run that got as far as starting the interpreter (a
    suite, or facts with a probe or a probe error), unless that run was
    interrupted. A "missing" or "not ready" record is not; facts that cannot be
    read are kept (not ours to judge).
    """
    directory = Path(directory)
    has_suite = suite_path(directory, ident).exists()
    try:
        facts = Facts.load(facts_path(directory, ident))
    except FileNotFoundError:
        return has_suite
    except (OSError, ValueError):
        return True
    if facts.run.get("interrupted"):
        return False
    return has_suite or facts.probe is not None or facts.probe_error is not None


class DiskFull(HarnessError):
    """The results folder's file system is full (``ENOSPC``, ``EDQUOT``): path, free space."""

    @classmethod
    def of(cls, folder: Path, target: Path, exc: OSError, staged: list[Path]) -> DiskFull:
        """The one line: which file, how much is free there, about how much is needed."""
        try:
            stat = os.statvfs(folder)
            free = f"{stat.f_bavail * stat.f_frsize // 1024} kB free"
        except OSError:
            free = "free space unknown"
        taken = sum(p.stat().st_size for p in staged if p.exists())
        need = max(64, 2 * taken // 1024 + 16)  # the old file and its replacement, side by side
        return cls(
            f"{exc.strerror or 'no space left'} writing {target} ({free})",
            f"free at least {need} kB there, or write to another folder with -o DIR",
        )


_FULL = (errno.ENOSPC, errno.EDQUOT)


class PairWriter:
    """One interpreter's files in a results folder: staged while it runs, swapped when done."""

    def __init__(self, directory: Path, ident: str) -> None:
        self.directory = Path(directory)
        self.ident = check_id(ident)
        self.staged_suite = inside(directory, f".{ident}{STAGING_MARK}{SUITE_SUFFIX}")
        self.staged_facts = inside(directory, f".{ident}{STAGING_MARK}{FACTS_SUFFIX}")
        self.suite = inside(directory, f"{ident}{SUITE_SUFFIX}")
        self.facts = inside(directory, f"{ident}{FACTS_SUFFIX}")
        self.discarded = inside(directory, f"{DISCARDED_DIR}/{ident}{SUITE_SUFFIX}")
        self.staged_discarded = inside(
            directory, f"{DISCARDED_DIR}/.{ident}{STAGING_MARK}{SUITE_SUFFIX}")
        self.done = False  # the staging pair has been moved to its place

    def save(self, suite: pyperf.BenchmarkSuite | None, facts: Facts,
             discarded: pyperf.BenchmarkSuite | None = None) -> None:
        """Rewrite the staging pair (no suite file while nothing was measured), and the
        staged ``discarded/`` suite when processes were set aside.

        A full disk is :class:`DiskFull`; the staging pair then still holds the
        last save (each file is replaced only once written whole).
        """
        target = self.staged_suite
        try:
            if suite is not None:
                atomic_write(self.staged_suite, lambda fp: suite.dump(fp))
            else:
                self.staged_suite.unlink(missing_ok=True)
            if discarded is not None:
                target = self.staged_discarded
                self.staged_discarded.parent.mkdir(exist_ok=True)
                atomic_write(self.staged_discarded, lambda fp: discarded.dump(fp))
            target = self.staged_facts
            facts.save(self.staged_facts)
        except OSError as exc:
            if exc.errno not in _FULL:
                raise
            raise DiskFull.of(self.directory, target, exc,
                              [self.staged_suite, self.staged_facts]) from None

    def _place_discarded(self, final: Path) -> None:
        """The staged discarded suite to ``final`` (an older one there removed); no empty folder."""
        if self.staged_discarded.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staged_discarded, final)
        else:
            final.unlink(missing_ok=True)
        for folder in {self.staged_discarded.parent, final.parent}:
            with contextlib.suppress(OSError):  # only when empty
                folder.rmdir()

    def commit(self) -> tuple[Path | None, Path]:
        """The run is complete: its pair replaces the folder's (suite, facts); stale partials go."""
        with _signals_held():
            _replace_or_remove(self.staged_suite, self.suite)
            os.replace(self.staged_facts, self.facts)
            self._place_discarded(self.discarded)
            self.done = True
            with contextlib.suppress(UsageError):  # (an interrupted/ leading elsewhere: not ours)
                for suffix in (SUITE_SUFFIX, FACTS_SUFFIX):
                    inside(self.directory, f"{INTERRUPTED_DIR}/{self.ident}{suffix}").unlink(
                        missing_ok=True)
            with contextlib.suppress(OSError):  # only when empty
                inside(self.directory, INTERRUPTED_DIR).rmdir()
        return (self.suite if self.suite.exists() else None), self.facts

    def keep_interrupted(self) -> tuple[Path | None, Path]:
        """The run was cut short: keep its partial pair without replacing a measured one.

        With a measured pair in the folder, the partial pair goes to
        ``interrupted/``; otherwise it becomes the pair. Returns (suite, facts).
        """
        if self.done:  # cut right after the commit: the complete pair is in place
            return (self.suite if self.suite.exists() else None), self.facts
        if holds_measured_pair(self.directory, self.ident):
            suite = inside(self.directory, f"{INTERRUPTED_DIR}/{self.ident}{SUITE_SUFFIX}")
            facts = inside(self.directory, f"{INTERRUPTED_DIR}/{self.ident}{FACTS_SUFFIX}")
            suite.parent.mkdir(exist_ok=True)
        else:
            suite, facts = self.suite, self.facts
        with _signals_held():
            _replace_or_remove(self.staged_suite, suite)
            os.replace(self.staged_facts, facts)
            self._place_discarded(facts.parent / DISCARDED_DIR / f"{self.ident}{SUITE_SUFFIX}")
            self.done = True
        return (suite if suite.exists() else None), facts

    def discard(self) -> None:
        """Remove the staging pair (the run failed in a way that left nothing worth keeping)."""
        self.staged_suite.unlink(missing_ok=True)
        self.staged_facts.unlink(missing_ok=True)
        self.staged_discarded.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.staged_discarded.parent.rmdir()


# What a killed run's recovered facts say in ``run["interrupted"]["signal"]``.
KILLED = "the harness's death (kill -9, a crash)"


def stale_partials(directory: Path) -> list[str]:
    """Ids whose staging pair a run left behind (killed: it had no time to keep it)."""
    ending = f"{STAGING_MARK}{FACTS_SUFFIX}"
    return sorted(p.name[1:-len(ending)] for p in Path(directory).glob(f".*{ending}"))


def recover_partial(directory: Path, ident: str) -> Path:
    """Keep a killed run's staging pair as an interrupted run's (see ``keep_interrupted``).

    Called by the next run once it holds the folder's lock (no one else writes
    it then). Its facts say ``interrupted`` by :data:`KILLED`, at the time the
    pair was last saved. Returns the facts file kept; ``OSError``/``ValueError``
    when the pair cannot be read or moved.
    """
    writer = PairWriter(directory, ident)
    facts = Facts.load(writer.staged_facts)
    at = datetime.fromtimestamp(writer.staged_facts.stat().st_mtime, timezone.utc)
    facts.run["interrupted"] = {"signal": KILLED, "at": at.isoformat(timespec="seconds")}
    facts.save(writer.staged_facts)
    return writer.keep_interrupted()[1]


def _only_a_record(directory: Path, ident: str) -> bool:
    """True when the folder holds nothing for ``ident``, or only a record of an earlier one."""
    if suite_path(directory, ident).exists():
        return False
    try:
        facts = Facts.load(facts_path(directory, ident))
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    started = facts.probe is not None or facts.probe_error is not None
    return not started and not facts.run.get("interrupted")


def write_record(directory: Path, ident: str, facts: Facts) -> Path | None:
    """Write a record (facts only: "missing", "not ready") unless results are there.

    A default interpreter absent from this run but measured into the same folder
    earlier keeps its pair (even a partial one): a record would say less, and
    contradict the suite beside it. Returns the facts file written, or None.
    """
    check_id(ident)
    if not _only_a_record(directory, ident):
        return None
    path = inside(directory, f"{ident}{FACTS_SUFFIX}")
    facts.save(path)
    return path
