"""The report's data: each interpreter's files, loaded through ``harness.results``.

One ``InterpreterResults`` per interpreter id (its suite, its facts, what went
wrong reading them), the benchmark points their names describe, and the
scaling series the sections draw. An unreadable file is a problem of that
interpreter, never an exception that hides the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pyperf

from harness import kinds, lock, points, roles
from harness import results as results_mod
from harness.errors import HarnessError, UsageError
from harness.results import Facts, Outcome
from harness.spec import gil_state

# The order sections show the workloads of each role in (a workload without one: after
# them, by name), and the KIND the built-in workload of each role declared, for suites
# written before the run metadata carried ``workload_kind`` (the published ones of
# 2026-11-26): a report is built from its result files, never from this checkout's.
ROLE_ORDER = ("headline", "processes", "interpreters", "race", "lock", "race_method",
              "waiting", "convoy", "c_code", "latency", "start_cost")
ROLE_KINDS = {"waiting": "weak", "convoy": "interference", "latency": "latency",
              "start_cost": "overhead", **{role: "strong" for role in (
                  "headline", "processes", "interpreters", "c_code", "race",
                  "race_method", "lock")}}
NO_DESCRIPTION = "(no description)"


# What a cell says when there is no data (``InterpreterResults.absent``).
NOT_MEASURED = "not measured"
INTERRUPTED = "interrupted"
NOT_REACHED = "not reached (interrupted)"


class ReportError(HarnessError):
    """The results folder cannot give a report (missing, empty, unreadable)."""


class InputError(UsageError):
    """A folder a comparison (diff, publish) cannot use: one line, exit status 2, nothing
    written."""




@dataclass
class InterpreterResults:
    """One interpreter's files: its suite (None when absent or unreadable) and facts."""

    id: str
    suite: pyperf.BenchmarkSuite | None
    facts: Facts
    suite_file: Path | None = None
    facts_file: Path | None = None
    problems: list[str] = field(default_factory=list)
    # Files of this interpreter that could not be read: (file name, why), in load order.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # A later run of this id that was cut short, kept apart (``interrupted/<id>.*``):
    # its ``run["interrupted"]``; the pair above is the earlier, complete run.
    later_interrupted: dict[str, Any] | None = None

    @property
    def spec(self) -> dict[str, Any]:
        """The interpreter spec recorded by the runner (``facts["interpreter"]``)."""
        return self.facts.interpreter

    @property
    def probe(self) -> dict[str, Any]:
        """What the interpreter said about itself (``facts["probe"]``)."""
        return self.facts.probe or {}

    @property
    def outcomes(self) -> list[Outcome]:
        """The runner's per-benchmark outcomes (ok, unsupported, failed, timeout)."""
        return self.facts.outcomes

    @property
    def run_info(self) -> dict[str, Any]:
        """How the run was made (``facts["run"]``: profile, dates, command)."""
        return self.facts.run

    @property
    def interrupted(self) -> dict[str, Any] | None:
        """``run["interrupted"]`` (``signal``, ``at``) when Ctrl-C or a signal cut this run."""
        value = self.run_info.get("interrupted")
        if value is None or value is False:
            return None
        return value if isinstance(value, dict) else {}

    def interrupted_text(self) -> str:
        """"interrupted by SIGTERM at 2026-11-26T21:00:00+00:00" ("" when the run was whole)."""
        return cut_text(self.interrupted)

    def absent(self, workload: str) -> str:
        """What a cell says where this interpreter has no data for ``workload``.

        "interrupted": the workload in progress when the run was cut (its outcome);
        "not reached (interrupted)": a workload after it (one the run meant to measure,
        where ``run["workloads"]`` says); else "not measured".
        """
        mine = [o for o in self.outcomes
                if points.workload_of(o.get("benchmark", "")) == workload]
        if any(o.get("status") == "interrupted" for o in mine):
            return INTERRUPTED
        planned = self.run_info.get("workloads")  # the run's workloads, when recorded
        if self.interrupted is not None and not mine and (
                not isinstance(planned, list) or workload in planned):
            return NOT_REACHED
        return NOT_MEASURED

    def common_metadata(self) -> dict[str, Any]:
        """Metadata shared by the suite's benchmarks (the first unpinned benchmark's, for the
        basics: a worker pinned to one core may count one CPU, ``run --cpus``)."""
        if self.suite is None:
            return {}
        benches = self.suite.get_benchmarks()
        for bench in benches:
            if not points.Point.parse(bench.get_name()).pinned:
                return bench.get_metadata()
        return benches[0].get_metadata() if benches else {}

    def benchmark(self, name: str) -> pyperf.Benchmark | None:
        """The named benchmark of this interpreter's suite, or None."""
        if self.suite is None or name not in self.suite.get_benchmark_names():
            return None
        return self.suite.get_benchmark(name)

    @property
    def implementation(self) -> str:
        """"cpython", "pypy", "jython"... (probe first, then the spec, then pyperf metadata)."""
        return str(
            self.probe.get("implementation")
            or self.spec.get("implementation")
            or self.common_metadata().get("python_implementation")
            or "unknown"
        ).lower()

    @property
    def version(self) -> str:
        """The Python version it reports, e.g. "3.13.0"."""
        return str(
            self.probe.get("python_version")
            or self.spec.get("version")
            or self.common_metadata().get("python_version")
            or ""
        )

    @property
    def family(self) -> str:
        """"cpython" | "free-threaded" | "pypy" | "jython" (nox tag)."""
        fam = self.spec.get("family")
        if fam:
            return str(fam)
        if self.probe.get("gil_disabled_build") is True:
            return "free-threaded"
        return self.implementation

    @property
    def gil(self) -> str:
        """The GIL at run time: "on" | "off" | "none" | "unknown".

        The probe's answer through the one derivation (``spec.gil_state``); old
        files without a probe fall back on the runs' metadata, then the entry.
        """
        expected = str(self.spec.get("gil") or self.common_metadata().get("gil") or "")
        facts = dict(self.probe)
        facts.setdefault("implementation", self.implementation)
        return gil_state(facts, expected)

    @property
    def gil_text(self) -> str:
        """The GIL state in words."""
        return {"on": "GIL on", "off": "GIL off", "none": "no GIL"}.get(self.gil, "GIL unknown")

    @property
    def label(self) -> str:
        """Short legend label: id and GIL state."""
        return f"{self.id} ({self.gil_text})"

    @property
    def description(self) -> str:
        """Implementation, version, build and GIL in words."""
        impl = kinds.display_name(self.implementation)
        parts = [f"{impl} {self.version}".strip()]
        if self.family == "free-threaded":
            parts.append("free-threaded build")
        parts.append(self.gil_text)
        return ", ".join(parts)

    def sort_key(self) -> tuple[int, tuple[int, ...], str]:
        """Report order: CPython with GIL, free-threaded, PyPy, Jython; newest first in each."""
        newest_first = tuple(-n for n in version_tuple(self.version))
        return (kinds.family_rank(self.family), newest_first, self.id)



    def host(self) -> tuple[str, str, str]:
        """(hostname, CPU model, CPU count) this interpreter ran on, "" where not recorded."""
        meta = self.common_metadata()
        name = str(meta.get("hostname") or self.run_info.get("hostname") or "")
        model = str(self.run_info.get("cpu_model") or meta.get("cpu_model_name") or "")
        cpus = meta.get("cpu_count") or self.probe.get("cpu_count") or ""
        return name, model, str(cpus)


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


def load_results(results_dir: Path) -> list[InterpreterResults]:
    """Read every ``<id>.json`` / ``<id>.facts.json`` pair of ``results_dir``.

    An unreadable file is recorded as a problem of that interpreter, not raised:
    one broken file must not hide the others. Raises ``ReportError`` when the
    folder does not exist or holds no result at all.
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ReportError(
            f"results folder {folder} "
            f"{'is a file, not a folder' if folder.exists() else 'does not exist'}",
            f"run `python -m harness run -o {folder}` first",
        )
    ids = results_mod.list_ids(folder)
    stale = lock.stale_run(folder)
    if not ids and stale:
        raise ReportError(
            f"no complete results in {folder}: {stale}",
            f"the next `python -m harness run -o {folder} ...` keeps them as interrupted "
            "results, then report them",
        )
    if not ids:
        raise ReportError(
            f"no results in {folder}: no <id>.json or <id>.facts.json file",
            f"run `python -m harness run -o {folder}` first",
        )
    results = [_load_one(folder, ident) for ident in ids]
    results.sort(key=InterpreterResults.sort_key)
    return results


def load_readable(folder: Path, error: type[HarnessError] = ReportError,
                  ) -> list[InterpreterResults]:
    """``load_results`` for a comparison (diff, publish): every interpreter of ``folder``
    in file order, and an unreadable suite or facts file an ``error`` naming it (a
    comparison with a file left out would judge the rest as if it were whole)."""
    loaded = {r.id: r for r in load_results(folder)}
    ordered = [loaded[i] for i in results_mod.list_ids(Path(folder)) if i in loaded]
    for suites in (True, False):  # the suites first: they hold the figures
        for r in ordered:
            for name, why in r.skipped:
                if name.endswith(results_mod.FACTS_SUFFIX) == suites:
                    continue
                if suites:
                    raise error(f"cannot read the suite {Path(folder) / name}: {why}",
                                "re-run that interpreter, or remove the file to compare "
                                "the others")
                raise error(f"cannot use the facts file {Path(folder) / name}: {why}",
                            "compare with the harness version that wrote it, or re-run that "
                            "interpreter")
    return ordered


def _load_one(folder: Path, ident: str) -> InterpreterResults:
    problems: list[str] = []
    skipped: list[tuple[str, str]] = []
    facts = Facts(version=0)
    facts_file: Path | None = results_mod.facts_path(folder, ident)
    assert facts_file is not None
    if facts_file.is_file():
        try:
            facts = Facts.load(facts_file)
        # (UnicodeDecodeError is a ValueError; RecursionError: arrays nested too deep)
        except (OSError, ValueError, RecursionError) as exc:
            why = why_unreadable(exc, facts_file.name)
            problems.append(f"facts file {facts_file.name} unreadable: {why}")
            skipped.append((facts_file.name, why))
            facts_file = None
    else:
        facts_file = None
        problems.append("no facts file")
    suite: pyperf.BenchmarkSuite | None = None
    suite_file: Path | None = results_mod.suite_path(folder, ident)
    assert suite_file is not None
    if suite_file.is_file():
        try:  # pyperf's own loader: what it refuses, pyperf's CLI would refuse too
            suite = load_checked_suite(suite_file)
        except Exception as exc:  # pyperf raises ValueError, KeyError, TypeError...
            why = why_unreadable(exc, suite_file.name)
            problems.append(f"suite file {suite_file.name} unreadable: {why}")
            skipped.append((suite_file.name, why))
            suite_file = None
    else:
        suite_file = None
        failed = [o for o in facts.outcomes if o.get("status") != "ok"]
        reason = f" ({outcome_summary(failed)})" if failed else ""
        problems.append(f"no suite file: nothing was measured{reason}")
    return InterpreterResults(ident, suite, facts, suite_file, facts_file, problems,
                              skipped=skipped, later_interrupted=_later_cut(folder, ident))


def cut_text(info: dict[str, Any] | None) -> str:
    """``run["interrupted"]`` in words: "interrupted by SIGTERM at <ISO time>" ("" for None)."""
    if info is None:
        return ""
    at = f" at {info['at']}" if info.get("at") else ""
    return f"interrupted by {info.get('signal') or 'a signal'}{at}"


def _later_cut(folder: Path, ident: str) -> dict[str, Any] | None:
    """``run["interrupted"]`` of ``interrupted/<id>.facts.json`` (the runner's), if any."""
    path = results_mod.interrupted_facts_path(folder, ident)
    if not path.is_file():
        return None
    try:
        cut = Facts.load(path).run.get("interrupted")
    except (OSError, ValueError, RecursionError):
        return {}
    return cut if isinstance(cut, dict) else {}


def stray_files(folder: Path, results: Sequence[InterpreterResults]) -> list[tuple[str, str]]:
    """Visible ``*.json`` files of ``folder`` that belong to no interpreter read: (name, why).

    ``results.list_ids`` passes over names that are not interpreter ids; the
    report names them rather than leave them out in silence.
    """
    known = {p.name for r in results
             for p in (results_mod.suite_path(folder, r.id), results_mod.facts_path(folder, r.id))}
    return [(p.name, "not named <id>.json or <id>.facts.json with a valid interpreter id")
            for p in sorted(Path(folder).glob("*.json"))
            if p.is_file() and not p.name.startswith(".") and p.name not in known]


def load_checked_suite(path: Path) -> pyperf.BenchmarkSuite:
    """pyperf's loader, then what pyperf lets through but no runner writes: a name not text."""
    suite = results_mod.load_suite(path)
    for name in suite.get_benchmark_names():
        if not isinstance(name, str):
            raise ValueError(f"a benchmark's name is {name!r}, not text")
    return suite


def why_unreadable(exc: Exception, name: str) -> str:
    """Why a file could not be read, in a few words (pyperf's and json's messages kept)."""
    cause = exc.__cause__ if isinstance(exc.__cause__, json.JSONDecodeError) else exc
    if isinstance(cause, json.JSONDecodeError):
        return f"truncated or damaged JSON (line {cause.lineno}, column {cause.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return "not text (not UTF-8)"
    if isinstance(exc, OSError):
        return exc.strerror or short(str(exc))
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read: not a results file"
    text = short(str(exc), 200)
    if text.startswith(f"{name}: "):  # Facts.load names the file itself
        text = text[len(name) + 2:]
    if name.endswith(results_mod.FACTS_SUFFIX):
        return text
    if "format version" in text:
        return f"pyperf {pyperf.__version__} cannot read it: {text}"
    return f"not a pyperf suite: {type(exc).__name__}: {text}"


def skipped_files(results: Sequence[InterpreterResults]) -> list[tuple[str, str]]:
    """Every file the report could not read: (file name, why), in report order."""
    return [item for r in results for item in r.skipped]


def is_unavailable(r: InterpreterResults) -> bool:
    """A default interpreter the run recorded as not ready here: nothing measured, by design."""
    return r.suite is None and bool(r.outcomes) and all(
        o.get("status") == "missing" for o in r.outcomes
    )


def outcome_summary(outcomes: Sequence[Outcome]) -> str:
    """"2 failed, 1 timeout; first reason: ..." for a list of outcomes."""
    counts: dict[str, int] = {}
    for o in outcomes:
        status = str(o.get("status", "?"))
        counts[status] = counts.get(status, 0) + 1
    first = next((str(o.get("reason")) for o in outcomes if o.get("reason")), "")
    text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return f"{text}; first reason: {short(first)}" if first else text


def short(text: str, limit: int = 160) -> str:
    """One line, at most ``limit`` characters (an ellipsis marks the cut)."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def choose_baseline(
    results: Sequence[InterpreterResults], requested: str | None
) -> tuple[InterpreterResults | None, str]:
    """The interpreter the others are compared with, and why it was chosen.

    ``requested`` (``--baseline``) must name an interpreter with a suite. Otherwise:
    the CPython with the GIL of the same version as a free-threaded build in
    the results, else the newest CPython with the GIL, else the first with a suite.
    """
    measured = [r for r in results if r.suite is not None]
    if requested:
        for r in measured:
            if r.id == requested:
                return r, "chosen with --baseline"
        valid = ", ".join(r.id for r in measured) or "none"
        raise UsageError(
            f"--baseline {requested!r} has no suite in these results",
            f"choose one of: {valid}",
        )
    if not measured:
        return None, "no interpreter has measurements"
    gil_cpython = [
        r for r in measured
        if r.implementation == "cpython" and r.gil == "on" and r.family == "cpython"
    ]
    ft_versions = {
        version_tuple(r.version)[:2] for r in measured if r.family == "free-threaded"
    }
    same = [r for r in gil_cpython if version_tuple(r.version)[:2] in ft_versions]
    if same:
        best = max(same, key=lambda r: (version_tuple(r.version), r.id))
        return best, "the CPython with the GIL of the same version as the free-threaded build"
    if gil_cpython:
        best = max(gil_cpython, key=lambda r: (version_tuple(r.version), r.id))
        return best, "the newest CPython with the GIL in these results"
    return measured[0], "no CPython with the GIL in these results: the first one measured"



@dataclass(frozen=True)
class Point(points.Point):
    """One benchmark of one interpreter (``points.Point``, the one parser of its name), with
    what its run metadata says about the workload."""

    kind: str = ""  # run metadata "workload_kind" (else the kind of its role; "" unknown)
    description: str = ""  # run metadata "workload_description"
    role: str = ""  # ``roles.role_of``: run metadata "workload_role", else the legacy role

    @classmethod
    def of(cls, bench: pyperf.Benchmark) -> Point:
        """The benchmark's point: its name parsed, the metadata read."""
        meta = bench.get_metadata()
        point = points.Point.parse(bench.get_name(), meta)
        role = roles.role_of(point.workload, meta)
        parsed: dict[str, Any] = {f.name: getattr(point, f.name) for f in fields(points.Point)}
        return cls(**parsed, kind=str(meta.get("workload_kind") or ROLE_KINDS.get(role, "")),
                   description=str(meta.get("workload_description") or ""), role=role)


def all_points(results: Sequence[InterpreterResults], pinned: bool = False) -> dict[str, Point]:
    """Every benchmark name of every suite, parsed: the unpinned points (every section
    reads those), or with ``pinned`` those of processes pinned to N cores (``cpus=N``)."""
    found: dict[str, Point] = {}
    for r in results:
        if r.suite is None:
            continue
        for bench in r.suite.get_benchmarks():
            if bench.get_name() not in found:
                point = Point.of(bench)
                if point.pinned == pinned:
                    found[bench.get_name()] = point
    return found


@dataclass(frozen=True)
class WorkloadInfo:
    """What a workload is: its kind (``harness.workloads.KINDS``), description, role, rank."""

    name: str
    kind: str
    description: str
    order: int
    role: str = ""


def workload_catalogue(found: dict[str, Point]) -> dict[str, WorkloadInfo]:
    """Each measured workload's kind, description and role, from the suites' metadata alone.

    The runner copies ``workload_kind``, ``workload_description`` and
    ``workload_role`` into every run; suites made before that (the published ones)
    take the kind of the workload's legacy role (``roles.LEGACY``), else "strong",
    and no description.
    """
    out: dict[str, WorkloadInfo] = {}
    for p in found.values():
        if p.workload in out:
            continue
        rank = ROLE_ORDER.index(p.role) if p.role in ROLE_ORDER else len(ROLE_ORDER)
        out[p.workload] = WorkloadInfo(p.workload, p.kind or "strong",
                                       p.description or NO_DESCRIPTION, rank, p.role)
    return out


@dataclass
class ScalingSeries:
    """One workload's scaling points: scale count -> benchmark name, per interpreter."""

    workload: str
    scale_param: str
    kind: str  # "strong" | "weak"
    names: dict[int, str]  # scale -> benchmark name (shared by interpreters)


def scaling_series(
    found: dict[str, Point], catalogue: dict[str, WorkloadInfo]
) -> list[ScalingSeries]:
    """Group benchmarks into per-workload scaling series (strong and weak workloads).

    The counts of the series are those of the plain ``threads=T`` points (the
    run's ``--threads``), so a workload's extra point (the notebook's 100
    threads x 1 increment) stays out of the curve; it is shown in its own table.
    """
    scaled = [p for p in found.values()
              if p.count and catalogue[p.workload].kind in ("strong", "weak")]
    plain = {p.count for p in scaled if len(p.params) <= 1}
    by_workload: dict[str, list[Point]] = {}
    for p in scaled:
        by_workload.setdefault(p.workload, []).append(p)
    out = []
    for workload in sorted(by_workload, key=lambda w: (catalogue[w].order, w)):
        names: dict[int, str] = {}
        for p in sorted(by_workload[workload], key=lambda q: (q.count, q.name)):
            if plain and p.count not in plain:
                continue
            names.setdefault(p.count, p.name)
        if names:
            first = by_workload[workload][0]
            out.append(ScalingSeries(workload, first.axis, catalogue[workload].kind,
                                     names))
    return out


def number(value: Any) -> float:
    """A metadata number; a list stored as JSON text (older suites) is summed."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return 0.0
    if isinstance(parsed, list):
        return float(sum(v for v in parsed if isinstance(v, (int, float))))
    return float(parsed) if isinstance(parsed, (int, float)) else 0.0


def lost_updates(bench: pyperf.Benchmark) -> list[tuple[int, int]]:
    """(lost, expected) updates of each process (run) of a counter point, from its run
    metadata; runs without values or counts, and damaged (negative) counts, left out."""
    out = []
    for run in bench.get_runs():
        meta = run.get_metadata()
        if not run.values or "lost_updates" not in meta or "expected_updates" not in meta:
            continue
        lost, expected = int(number(meta["lost_updates"])), int(number(meta["expected_updates"]))
        if lost >= 0 and expected >= 0:
            out.append((lost, expected))
    return out


def machine_cores(results: Sequence[InterpreterResults]) -> int:
    """The machine's CPU count as the runs recorded it (the most common value)."""
    counts: list[int] = []
    for r in results:
        value = r.common_metadata().get("cpu_count") or r.probe.get("cpu_count")
        if isinstance(value, int) and value > 0:
            counts.append(value)
    if not counts:
        return 1
    return max(sorted(set(counts)), key=counts.count)
