"""``python -m harness report RESULTS``: the comparison page, built only from result files.

Inputs are the runner's ``RESULTS/<id>.json`` (pyperf suites) and
``RESULTS/<id>.facts.json``; nothing is re-measured and no number is typed in.
Outputs, in ``--output`` (default ``RESULTS/report``):

- ``index.html``: one self-contained page (inline SVG, no script, no network);
- ``README.md`` and the ``chart-*.svg`` files beside it: the same tables and charts;
- copies of the suite and facts files, and ``compare.md``: pyperf's own
  ``compare_to --table`` against the baseline, so anyone can check the numbers.

The page is built once as a small document model (sections of paragraphs,
lists, tables and charts) and rendered twice, to HTML and to Markdown, so the
two never disagree. The same files give the same bytes: nothing depends on the
time of rendering, the order of a directory listing or a random id.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf

from harness import charts
from harness.errors import HarnessError, UsageError

SUITE_SUFFIX = ".json"
FACTS_SUFFIX = ".facts.json"
FACTS_FORMAT_VERSION = 1

# Workloads whose value is the workload's own measurement of lateness, not a duration.
LATENCY_WORKLOADS = ("switch_latency",)
# The unsynchronized counter (lost updates expected) and its locked twin (none allowed).
RACE_WORKLOAD = "counter_race"
LOCK_WORKLOAD = "counter_lock"
# The workload the headline quotes: pure-Python, CPU-bound, a fixed total split over T.
HEADLINE_WORKLOAD = "countdown"
# Parameters along which a workload scales; the first one a benchmark has is used.
SCALING_PARAMS = ("threads", "processes")

# What each known workload shows, in one line (text only: the numbers come from the files).
# "weak": the work per thread is fixed, so the ideal is T times the throughput.
WORKLOADS: dict[str, tuple[str, str]] = {
    "countdown": ("strong", "a pure-Python loop counting down a fixed total, split over T threads"),
    "countdown_processes": (
        "strong",
        "the same countdown over T processes (multiprocessing), the usual way around the GIL",
    ),
    "counter_race": ("strong", "`n += 1` on a shared global from T threads, without a lock"),
    "counter_lock": ("strong", "the same counter, each `n += 1` under a `threading.Lock`"),
    "io_wait": ("weak", "T threads each waiting in `time.sleep`: blocking calls release the GIL"),
    "c_release": ("strong", "hashing big buffers over T threads: C code that releases the GIL"),
    "switch_latency": ("latency", "how late a sleeping thread wakes up while another spins"),
}

# Headline rules: speedup at T threads (T <= cores) against 1 thread.
PARALLEL_FRACTION = 0.6  # at least 60% of the ideal gain: "in parallel"
FLAT_BAND = 0.1  # within +-10% of 1x: "take turns"
# pyperf's own check ("the benchmark result may be unstable"): stdev above 10% of the mean.
UNSTABLE = 0.1

# Run profiles that only check that everything runs (facts.json "run"."profile").
SMOKE_PROFILES = ("fast",)

_FAMILY_ORDER = {"cpython": 0, "free-threaded": 1, "pypy": 2, "jython": 3}


class ReportError(HarnessError):
    """The results folder cannot give a report (missing, empty, unreadable)."""


# --------------------------------------------------------------------------- data


@dataclass
class InterpreterResults:
    """One interpreter's files: its suite (None when absent or unreadable) and facts."""

    id: str
    suite: pyperf.BenchmarkSuite | None
    facts: dict[str, Any]
    suite_file: Path | None = None
    facts_file: Path | None = None
    problems: list[str] = field(default_factory=list)
    style: int = 0

    @property
    def spec(self) -> dict[str, Any]:
        """The interpreter spec recorded by the runner (``facts["interpreter"]``)."""
        value = self.facts.get("interpreter")
        return value if isinstance(value, dict) else {}

    @property
    def probe(self) -> dict[str, Any]:
        """What the interpreter said about itself (``facts["probe"]``)."""
        value = self.facts.get("probe")
        return value if isinstance(value, dict) else {}

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        """The runner's per-benchmark outcomes (ok, unsupported, failed, timeout)."""
        value = self.facts.get("outcomes")
        return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []

    @property
    def run_info(self) -> dict[str, Any]:
        """How the run was made (``facts["run"]``: profile, dates, command)."""
        value = self.facts.get("run")
        return value if isinstance(value, dict) else {}

    def common_metadata(self) -> dict[str, Any]:
        """Metadata shared by the suite's benchmarks (first benchmark's, for the basics)."""
        if self.suite is None:
            return {}
        for bench in self.suite.get_benchmarks():
            return bench.get_metadata()
        return {}

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
        """The GIL at run time: "on" | "off" | "none" | "unknown"."""
        enabled = self.probe.get("gil_enabled")
        if enabled is True:
            return "on"
        if enabled is False:
            return "off"
        # "none" (no GIL at all: Jython) is a property of the implementation, which
        # the spec knows; a worker that reads "no sys._is_gil_enabled" may say "off".
        if self.spec.get("gil") == "none":
            return "none"
        meta = self.common_metadata().get("gil")
        if meta in ("on", "off", "none"):
            return str(meta)
        spec = self.spec.get("gil")
        if spec in ("on", "off", "none"):
            return str(spec)
        return "none" if self.implementation == "jython" else "unknown"

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
        impl = {"cpython": "CPython", "pypy": "PyPy", "jython": "Jython"}.get(
            self.implementation, self.implementation
        )
        parts = [f"{impl} {self.version}".strip()]
        if self.family == "free-threaded":
            parts.append("free-threaded build")
        parts.append(self.gil_text)
        return ", ".join(parts)

    def sort_key(self) -> tuple[int, tuple[int, ...], str]:
        """Report order: CPython with GIL, free-threaded, PyPy, Jython, then by version."""
        return (_FAMILY_ORDER.get(self.family, 9), _version_tuple(self.version), self.id)


def _version_tuple(text: str) -> tuple[int, ...]:
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
            f"results folder {folder} does not exist",
            f"run `python -m harness run -o {folder}` first",
        )
    ids: set[str] = set()
    for path in folder.iterdir():
        if path.name.endswith(FACTS_SUFFIX):
            ids.add(path.name[: -len(FACTS_SUFFIX)])
        elif path.suffix == SUITE_SUFFIX and path.is_file():
            ids.add(path.name[: -len(SUITE_SUFFIX)])
    if not ids:
        raise ReportError(
            f"no results in {folder}: no <id>.json or <id>.facts.json file",
            f"run `python -m harness run -o {folder}` first",
        )
    results = []
    for ident in sorted(ids):
        results.append(_load_one(folder, ident))
    results.sort(key=InterpreterResults.sort_key)
    for index, res in enumerate(results):
        res.style = index
    return results


def _load_one(folder: Path, ident: str) -> InterpreterResults:
    problems: list[str] = []
    facts: dict[str, Any] = {}
    facts_file = folder / f"{ident}{FACTS_SUFFIX}"
    if facts_file.is_file():
        try:
            data = json.loads(facts_file.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if data.get("version") != FACTS_FORMAT_VERSION:
                raise ValueError(f"unknown facts format version {data.get('version')!r}")
            facts = data
        except (OSError, ValueError) as exc:
            problems.append(f"facts file {facts_file.name} unreadable: {exc}")
    else:
        facts_file = None  # type: ignore[assignment]
        problems.append("no facts file")
    suite: pyperf.BenchmarkSuite | None = None
    suite_file: Path | None = folder / f"{ident}{SUITE_SUFFIX}"
    assert suite_file is not None
    if suite_file.is_file():
        try:
            suite = pyperf.BenchmarkSuite.load(str(suite_file))
        except Exception as exc:  # pyperf raises ValueError, KeyError, TypeError...
            problems.append(f"suite file {suite_file.name} unreadable: {exc}")
            suite_file = None
    else:
        suite_file = None
        failed = [o for o in _outcomes(facts) if o.get("status") != "ok"]
        reason = f" ({_outcome_summary(failed)})" if failed else ""
        problems.append(f"no suite file: nothing was measured{reason}")
    return InterpreterResults(
        ident, suite, facts, suite_file, facts_file if facts else None, problems
    )


def is_unavailable(r: InterpreterResults) -> bool:
    """A default interpreter the run recorded as not ready here: nothing measured, by design."""
    return r.suite is None and bool(r.outcomes) and all(
        o.get("status") == "missing" for o in r.outcomes
    )


def _outcomes(facts: dict[str, Any]) -> list[dict[str, Any]]:
    value = facts.get("outcomes")
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []


def _outcome_summary(outcomes: Sequence[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        status = str(o.get("status", "?"))
        counts[status] = counts.get(status, 0) + 1
    first = next((str(o.get("reason")) for o in outcomes if o.get("reason")), "")
    text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return f"{text}; first reason: {_short(first)}" if first else text


def _short(text: str, limit: int = 160) -> str:
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
        _version_tuple(r.version)[:2] for r in measured if r.family == "free-threaded"
    }
    same = [r for r in gil_cpython if _version_tuple(r.version)[:2] in ft_versions]
    if same:
        best = max(same, key=lambda r: (_version_tuple(r.version), r.id))
        return best, "the CPython with the GIL of the same version as the free-threaded build"
    if gil_cpython:
        best = max(gil_cpython, key=lambda r: (_version_tuple(r.version), r.id))
        return best, "the newest CPython with the GIL in these results"
    return measured[0], "no CPython with the GIL in these results: the first one measured"


# --------------------------------------------------------------------------- statistics


def _values(bench: pyperf.Benchmark) -> list[float]:
    return list(bench.get_values())


def _mean_stdev(bench: pyperf.Benchmark) -> tuple[float, float]:
    values = _values(bench)
    mean = statistics.mean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def significant(bench1: pyperf.Benchmark, bench2: pyperf.Benchmark) -> bool:
    """pyperf compare_to's rule: Student's two-sample t-test at 95%.

    Mirrors ``pyperf._compare.is_significant_benchs`` (one value each: counted as
    significant; a failing test: counted as significant), so the report and
    ``compare.md`` agree on what is "not significant".
    """
    from pyperf._utils import is_significant

    v1, v2 = _values(bench1), _values(bench2)
    if len(v1) == 1 and len(v2) == 1:
        return True
    try:
        return bool(is_significant(v1, v2)[0])
    except Exception:
        return True


def relative_spread(bench: pyperf.Benchmark) -> float:
    """stdev / mean: pyperf calls a benchmark unstable above ``UNSTABLE`` (10%)."""
    mean, stdev = _mean_stdev(bench)
    return stdev / mean if mean else 0.0


def fmt_bench(bench: pyperf.Benchmark) -> str:
    """``mean ± stdev`` in pyperf's own unit formatting."""
    mean, stdev = _mean_stdev(bench)
    if len(_values(bench)) < 2:
        return bench.format_value(mean)
    return f"{bench.format_value(mean)} ± {bench.format_value(stdev)}"


def fmt_ratio(ratio: float) -> str:
    """pyperf's wording: "1.25x slower" / "1.25x faster"."""
    if ratio == 1.0:
        return "no change"
    if ratio < 1.0:
        return f"{1.0 / ratio:.2f}x faster"
    return f"{ratio:.2f}x slower"


@dataclass(frozen=True)
class Speedup:
    """time(1) / time(T) (or T x that for weak scaling), with its propagated stdev."""

    value: float
    err: float
    significant: bool


def speedup(one: pyperf.Benchmark, many: pyperf.Benchmark, factor: float = 1.0) -> Speedup:
    """Speedup from two benchmarks; the error propagates both relative stdevs.

    s = m1 / mT; ds = s * sqrt((sd1/m1)^2 + (sdT/mT)^2), with sd the stdev of
    the values (the spread of one measurement, as pyperf shows it).
    """
    m1, s1 = _mean_stdev(one)
    mt, st = _mean_stdev(many)
    value = factor * m1 / mt
    err = value * math.sqrt((s1 / m1) ** 2 + (st / mt) ** 2)
    return Speedup(value, err, significant(one, many))


# --------------------------------------------------------------------------- benchmarks


@dataclass(frozen=True)
class Point:
    """One benchmark of one interpreter, with what its name and metadata say."""

    name: str
    workload: str
    key: str
    params: tuple[tuple[str, str], ...]
    scale_param: str  # "threads" | "processes" | ""
    scale: int  # the thread/process count, 0 when none


def parse_point(bench: pyperf.Benchmark) -> Point:
    """Split ``workload/key`` and read the key's ``k=v`` pairs (metadata wins for counts)."""
    name = bench.get_name()
    meta = bench.get_metadata()
    workload, _, key = name.partition("/")
    workload = str(meta.get("workload") or workload)
    params = tuple(
        (k, v) for k, v in re.findall(r"([A-Za-z_][\w.]*)=([^,;]+)", key)
    )
    scale_param, scale = "", 0
    for p in SCALING_PARAMS:
        raw = meta.get(p, dict(params).get(p))
        if raw is not None:
            try:
                scale_param, scale = p, int(raw)
                break
            except (TypeError, ValueError):
                continue
    return Point(name, workload, key, params, scale_param, scale)


def all_points(results: Sequence[InterpreterResults]) -> dict[str, Point]:
    """Every benchmark name of every suite, parsed."""
    points: dict[str, Point] = {}
    for r in results:
        if r.suite is None:
            continue
        for bench in r.suite.get_benchmarks():
            if bench.get_name() not in points:
                points[bench.get_name()] = parse_point(bench)
    return points


@dataclass
class ScalingSeries:
    """One workload's scaling points: scale count -> benchmark name, per interpreter."""

    workload: str
    scale_param: str
    kind: str  # "strong" | "weak"
    names: dict[int, str]  # scale -> benchmark name (shared by interpreters)


def scaling_series(points: dict[str, Point]) -> list[ScalingSeries]:
    """Group benchmarks into per-workload scaling series.

    The counts of the series are those of the plain ``threads=T`` points (the
    run's ``--threads``), so a workload's extra point (the notebook's 100
    threads x 1 increment) stays out of the curve; it is shown in its own table.
    """
    plain = {
        p.scale for p in points.values()
        if p.scale and len(p.params) <= 1 and p.workload not in LATENCY_WORKLOADS
    }
    by_workload: dict[str, list[Point]] = {}
    for p in points.values():
        if p.scale and p.workload not in LATENCY_WORKLOADS:
            by_workload.setdefault(p.workload, []).append(p)
    out = []
    for workload in sorted(by_workload, key=_workload_order):
        names: dict[int, str] = {}
        for p in sorted(by_workload[workload], key=lambda q: (q.scale, q.name)):
            if plain and p.scale not in plain:
                continue
            names.setdefault(p.scale, p.name)
        if len(names) >= 1:
            kind = WORKLOADS.get(workload, ("strong", ""))[0]
            first = next(iter(by_workload[workload]))
            out.append(ScalingSeries(workload, first.scale_param, kind, names))
    return out


def _workload_order(name: str) -> tuple[int, str]:
    known = list(WORKLOADS)
    return (known.index(name) if name in known else len(known), name)


def _cores(results: Sequence[InterpreterResults]) -> int:
    """The machine's CPU count as the runs recorded it (the most common value)."""
    counts: list[int] = []
    for r in results:
        value = r.common_metadata().get("cpu_count") or r.probe.get("cpu_count")
        if isinstance(value, int) and value > 0:
            counts.append(value)
    if not counts:
        return 1
    return max(sorted(set(counts)), key=counts.count)


# --------------------------------------------------------------------------- document model


@dataclass
class Para:
    """A paragraph; `code` and **bold** are the only inline markup."""

    text: str
    css: str = ""


@dataclass
class Bullets:
    """A bullet list of inline-markup items."""

    items: list[str]
    css: str = ""


@dataclass
class Table:
    """A table of plain-text cells (newlines become line breaks)."""

    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric_from: int = 1  # columns from this index are right-aligned
    css: str = ""


@dataclass
class Chart:
    """An SVG chart, inlined in HTML and linked from Markdown."""

    filename: str
    svg: str
    alt: str
    caption: str = ""


Block = Para | Bullets | Table | Chart


@dataclass
class Section:
    """A titled part of the page: an intro, then blocks."""

    anchor: str
    title: str
    intro: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """The whole report, before rendering."""

    title: str
    subtitle: str
    intro: list[str]
    sections: list[Section]

    def charts(self) -> list[Chart]:
        """Every chart, in page order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]


# --------------------------------------------------------------------------- sections


@dataclass
class Context:
    """Everything the sections share."""

    results: list[InterpreterResults]
    measured: list[InterpreterResults]
    baseline: InterpreterResults | None
    baseline_reason: str
    points: dict[str, Point]
    series: list[ScalingSeries]
    cores: int
    # Default interpreters this machine could not provide (outcome "missing"):
    # named once, in the intro and the method section, not in every table.
    unavailable: list[InterpreterResults] = field(default_factory=list)


def _missing_lines(ctx: Context, workload: str) -> list[str]:
    """Why interpreters have no data for ``workload``: their recorded outcomes."""
    lines = []
    for r in ctx.results:
        outs = [
            o for o in r.outcomes
            if str(o.get("benchmark", "")).split("/")[0] == workload and o.get("status") != "ok"
        ]
        has_any = r.suite is not None and any(
            ctx.points[n].workload == workload for n in r.suite.get_benchmark_names()
            if n in ctx.points
        )
        if outs:
            for o in sorted(outs, key=lambda o: str(o.get("benchmark"))):
                lines.append(
                    f"**{r.id}**: `{o.get('benchmark')}` {o.get('status')}"
                    + (f": {_short(str(o.get('reason')))}" if o.get("reason") else "")
                )
        elif not has_any:
            why = "no suite file" if r.suite is None else "no benchmark of this workload"
            lines.append(f"**{r.id}**: not measured ({why})")
    return lines


def _headline(ctx: Context) -> Section:
    sec = Section(
        "headline", "Headline",
        "One verdict per interpreter, derived by fixed rules from the tables below, for "
        "as many threads as cores: in parallel when they reach at least "
        f"{PARALLEL_FRACTION:.0%} of the ideal gain; taking turns within {FLAT_BAND:.0%} "
        "of 1x (or when pyperf's t-test cannot tell them from one thread); no verdict "
        f"when the test cannot tell them apart and the error is above ±{FLAT_BAND:g}.",
    )
    series = next((s for s in ctx.series if s.workload == HEADLINE_WORKLOAD), None)
    if series is None:
        series = next((s for s in ctx.series if s.kind == "strong"), None)
    smoke = sorted({str(r.run_info.get("profile")) for r in ctx.results
                    if r.run_info.get("profile") in SMOKE_PROFILES})
    if smoke:
        sec.blocks.append(Para(
            f"**Smoke test**: these results were made with the `{', '.join(smoke)}` profile "
            "(one process, few values, small workloads): spreads are wide and a verdict can "
            "be wrong. Run the default or `--rigorous` profile for numbers to quote.",
            css="warning"))
    items, rows = [], []
    for r in ctx.results:
        item, row = _verdict(ctx, r, series)
        items.append(item)
        rows.append(row)
    sec.blocks.append(Bullets(items, css="headline"))
    scale = _target_scale(series, ctx.cores) if series is not None else None
    scale_head = (f"{_count(scale, series.scale_param)} of `{series.workload}` vs 1"
                  if series is not None and scale else "threads vs 1")
    base = ctx.baseline.id if ctx.baseline is not None else "baseline"
    sec.blocks.append(Table(
        ["interpreter", "GIL", scale_head, "lost updates, no lock (worst)", "with a lock",
         f"one thread vs {base}"],
        rows, caption="speed relative to one thread (ideal: the number of cores), mean ± "
        "stdev; n.s.: not significant by pyperf's t-test", numeric_from=2, css="headline"))
    return sec


def _target_scale(series: ScalingSeries, cores: int) -> int | None:
    above = [t for t in series.names if 1 < t <= max(cores, 2)]
    if above:
        return max(above)
    others = [t for t in series.names if t > 1]
    return min(others) if others else None


def _verdict(
    ctx: Context, r: InterpreterResults, series: ScalingSeries | None
) -> tuple[str, list[str]]:
    """One headline item ("**id** (what it is): verdict." then the figures) and its table row."""
    head = f"**{r.id}** ({r.description})"
    row = [r.id, r.gil_text, "-", "-", "-", "-"]
    if r.suite is None:
        return f"{head}: no measurements.\n{'; '.join(r.problems)}.", row
    verdicts: list[str] = []
    figures: list[str] = []
    if series is not None:
        t = _target_scale(series, ctx.cores)
        one = r.benchmark(series.names.get(1, ""))
        many = r.benchmark(series.names.get(t, "")) if t else None
        if t and one is not None and many is not None:
            sp = speedup(one, many)
            ideal = min(t, ctx.cores)
            gain_needed = 1.0 + PARALLEL_FRACTION * (ideal - 1.0)
            if not sp.significant and sp.err > FLAT_BAND:
                verdicts.append("no clear verdict on threads: the measurements spread too widely")
            elif abs(sp.value - 1.0) <= FLAT_BAND or not sp.significant:
                verdicts.append("threads take turns: no speedup for CPU-bound Python")
            elif sp.value >= gain_needed:
                verdicts.append("runs Python threads in parallel")
            elif sp.value > 1.0:
                verdicts.append("runs Python threads partly in parallel")
            else:
                verdicts.append("threads get in each other's way: slower than one thread")
            text = (f"{_count(t, series.scale_param)} of `{series.workload}`: "
                    f"{sp.value:.2f}x ± {sp.err:.2f} the speed of one (ideal {ideal}x)")
            row[2] = f"{sp.value:.2f}x ± {sp.err:.2f}" + ("" if sp.significant else " (n.s.)")
            if not sp.significant:
                text += ", not significant"
            spread = max(relative_spread(one), relative_spread(many))
            if spread > UNSTABLE:
                text += f", unstable (stdev up to {spread:.0%} of the mean)"
            figures.append(text)
        else:
            figures.append(f"no `{series.workload}` scaling data")
    race = _counter_totals(r, RACE_WORKLOAD, ctx)
    if race:
        lost = sum(v[0] for v in race.values())
        expected = sum(v[1] for v in race.values())
        worst_t, (worst_lost, worst_exp) = max(
            race.items(), key=lambda kv: (kv[1][0] / kv[1][1] if kv[1][1] else 0.0, kv[0])
        )
        row[3] = f"{_pct(worst_lost, worst_exp)} at {_count(worst_t, 'threads')}" if lost else "0"
        if lost:
            verdicts.append("loses updates without a lock")
            figures.append(
                f"unlocked `n += 1`: {_pct(worst_lost, worst_exp)} of updates lost at "
                f"{_count(worst_t, 'threads')} ({worst_lost:,} of {worst_exp:,})"
            )
        else:
            figures.append(f"unlocked `n += 1`: none of {expected:,} updates lost in this run")
    lock = _counter_totals(r, LOCK_WORKLOAD, ctx)
    if lock:
        lost = sum(v[0] for v in lock.values())
        if lost:
            verdicts.append("LOSES UPDATES EVEN UNDER A LOCK")
        figures.append("with a lock: 0 lost" if lost == 0 else f"with a lock: {lost:,} lost")
        row[4] = f"{lost:,}"
    if ctx.baseline is not None and r is not ctx.baseline and series is not None:
        name = series.names.get(1)
        mine = r.benchmark(name) if name else None
        base = ctx.baseline.benchmark(name) if name else None
        if mine is not None and base is not None:
            ratio = mine.mean() / base.mean()
            row[5] = fmt_ratio(ratio)
            if significant(base, mine):
                figures.append(f"one thread: {fmt_ratio(ratio)} than {ctx.baseline.id}")
            else:
                row[5] += " (n.s.)"
                figures.append(f"one thread: no significant difference from {ctx.baseline.id}")
    if r is ctx.baseline:
        figures.append("the baseline of the comparisons")
        row[5] = "baseline"
    verdict = "; ".join(verdicts) if verdicts else "no verdict: no thread data"
    return f"{head}: {verdict}.\n" + _sentence("; ".join(figures)), row


def _sentence(text: str) -> str:
    """Capitalize the first letter (not the rest: ids and code stay as they are); add a stop."""
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _pct(part: float, whole: float) -> str:
    if not whole:
        return "n/a"
    value = 100.0 * part / whole
    if value == 0:
        return "0%"
    return f"{value:.2g}%" if value < 10 else f"{value:.0f}%"


def _facts(ctx: Context) -> Section:
    sec = Section(
        "facts", "Interpreter facts",
        "What each interpreter reported about itself at run time (the probe), and where it ran.",
    )
    rows: list[list[str]] = []

    def row(label: str, getter: Any) -> None:
        rows.append([label] + [getter(r) for r in ctx.results])

    def probe(key: str) -> Any:
        return lambda r: _fmt_fact(r.probe.get(key))

    row("implementation", lambda r: r.description)
    row("executable", probe("executable"))
    row("free-threaded build", probe("gil_disabled_build"))
    if any(r.probe.get("build_optimizations") for r in ctx.results):
        # Single-thread comparisons between CPythons compare their builds too.
        row("build optimizations (PGO, LTO)", probe("build_optimizations"))
    row("GIL at run time", lambda r: r.gil_text)
    row("switch interval", lambda r: _fmt_seconds(r.probe.get("switch_interval")))
    row("check interval", probe("check_interval"))
    row("sys.getrefcount (the notebook's example)", probe("getrefcount"))
    row("bytecode of n += 1", lambda r: _fmt_dis(r.probe.get("dis_increment")))
    row("multiprocessing", probe("multiprocessing"))
    row("threads", probe("threads"))
    row("CPUs seen", probe("cpu_count"))
    row("platform", probe("platform"))
    if any(r.probe.get("java_version") for r in ctx.results):
        row("Java", probe("java_version"))
    row("where it ran", _where)
    sec.blocks.append(Table(["fact"] + [r.id for r in ctx.results], rows, numeric_from=99,
                            css="wide"))
    return sec


def _fmt_fact(value: Any) -> str:
    if value is None:
        return "n/a"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return str(value)


def _fmt_seconds(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value * 1e3:g} ms"
    return "not available" if value is None else str(value)


def _fmt_dis(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) or "(empty)"
    return _fmt_fact(value)


def _where(r: InterpreterResults) -> str:
    container = r.spec.get("container")
    if isinstance(container, dict):
        return f"container: {container.get('engine', '?')}, image {container.get('image', '?')}"
    source = r.spec.get("source")
    return f"host ({source})" if source else "host"


def _scaling(ctx: Context) -> tuple[Section, list[Chart]]:
    sec = Section(
        "scaling", "Thread scaling",
        "Speedup = time with 1 thread / time with T threads for the same total work. "
        f"The dashed line is the ideal, min(T, {ctx.cores} cores): more threads than cores "
        "cannot go faster. Error bars: one standard deviation, propagated from both means. "
        "\"n.s.\": pyperf's t-test does not tell T threads from 1 thread apart.",
    )
    if not ctx.series:
        sec.blocks.append(Para("No workload with a thread count was measured.", css="missing"))
        return sec, []
    for s in ctx.series:
        desc = WORKLOADS.get(s.workload, ("strong", "(no description)"))[1]
        weak = s.kind == "weak"
        lines: list[charts.Series] = []
        rows: list[list[str]] = []
        counts = sorted(s.names)
        for r in ctx.measured:
            one = r.benchmark(s.names.get(1, ""))
            xs, ys, es = [], [], []
            row = [r.id]
            for t in counts:
                bench = r.benchmark(s.names[t])
                if bench is None:
                    row.append("not measured")
                    continue
                cell = fmt_bench(bench)
                if one is not None:
                    sp = speedup(one, bench, float(t) if weak else 1.0)
                    xs.append(float(t))
                    ys.append(sp.value)
                    # At T=1 the speedup is 1 by definition: its spread is in the others'.
                    es.append(sp.err if t != 1 else 0.0)
                    if t != 1:
                        mark = "" if sp.significant else " (n.s.)"
                        cell += f"\n{sp.value:.2f}x ± {sp.err:.2f}{mark}"
                row.append(cell)
            if all(c == "not measured" for c in row[1:]):
                continue
            rows.append(row)
            if len(xs) >= 2:
                lines.append(charts.Series(r.label, tuple(xs), tuple(ys), tuple(es), r.style))
        block_title = f"`{s.workload}`: {desc}"
        sec.blocks.append(Para(block_title, css="subhead"))
        if lines:
            slug = _slug(s.workload)
            title = f"{s.workload}: speedup against {s.scale_param}"
            if weak:
                title = f"{s.workload}: throughput against {s.scale_param} (fixed work each)"
            svg = charts.scaling_chart(
                f"scaling-{slug}", title, lines, counts,
                cores=max(counts) if weak else ctx.cores,
                ideal_label="ideal: T (waiting needs no core)" if weak else "",
                xlabel=f"{s.scale_param} (fixed work each)" if weak else
                f"{s.scale_param} (same total work, split between them)",
                ylabel="throughput against 1 (T x time at 1 / time at T)" if weak else "",
            )
            alt = f"Speedup of {s.workload} against the number of {s.scale_param}"
            caption = (
                "Weak scaling: each thread has the same work, so the ideal is T times the "
                "throughput of one (waiting needs no core)."
                if weak else ""
            )
            sec.blocks.append(Chart(f"chart-scaling-{slug}.svg", svg, alt, caption))
        else:
            sec.blocks.append(Para(
                f"No chart: no interpreter has `{s.workload}` at 1 and at more "
                f"{s.scale_param}.", css="missing"))
        headers = ["interpreter"] + [_count(t, s.scale_param) for t in counts]
        sec.blocks.append(Table(headers, rows, caption="time per run (mean ± stdev), "
                                "then speedup against 1"))
        missing = _missing_lines(ctx, s.workload)
        if missing:
            sec.blocks.append(Bullets(missing, css="missing"))
    return sec, []


def _counter_totals(
    r: InterpreterResults, workload: str, ctx: Context
) -> dict[int, tuple[int, int]]:
    """threads -> (lost, expected), summed over every run of every value."""
    out: dict[int, tuple[int, int]] = {}
    if r.suite is None:
        return out
    for bench in r.suite.get_benchmarks():
        p = ctx.points.get(bench.get_name())
        if p is None or p.workload != workload or not p.scale:
            continue
        lost = expected = 0
        seen = False
        for run in bench.get_runs():
            if not run.values:
                continue
            meta = run.get_metadata()
            if "lost_updates" in meta and "expected_updates" in meta:
                lost += int(_number(meta["lost_updates"]))
                expected += int(_number(meta["expected_updates"]))
                seen = True
        if seen:
            prev = out.get(p.scale, (0, 0))
            out[p.scale] = (prev[0] + lost, prev[1] + expected)
    return out


def _number(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    # A list stored as JSON text (older suites): sum it.
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return 0.0
    if isinstance(parsed, list):
        return float(sum(v for v in parsed if isinstance(v, (int, float))))
    return float(parsed) if isinstance(parsed, (int, float)) else 0.0


def _correctness(ctx: Context) -> Section:
    sec = Section(
        "correctness", "Correctness: lost updates",
        "T threads each add 1 to a shared global (`n += 1`), a fixed total split over them. "
        "Lost updates = expected - final value, summed over every run. `n += 1` is "
        "several bytecodes, so a thread switch in the middle loses an update unless a "
        "lock protects it. A zero without the lock is what this run saw, not a promise.",
    )
    any_data = False
    for workload, title in ((RACE_WORKLOAD, "without a lock"), (LOCK_WORKLOAD, "with a lock")):
        totals = {r.id: _counter_totals(r, workload, ctx) for r in ctx.measured}
        counts = sorted({t for v in totals.values() for t in v})
        sec.blocks.append(Para(f"`{workload}`: {title}", css="subhead"))
        if not counts:
            sec.blocks.append(Para(f"No `{workload}` results with lost-update counts.",
                                   css="missing"))
            missing = _missing_lines(ctx, workload)
            if missing:
                sec.blocks.append(Bullets(missing, css="missing"))
            continue
        any_data = True
        rows = []
        bars = []
        for r in ctx.measured:
            data = totals[r.id]
            if not data:
                continue
            row = [r.id]
            xs, ys = [], []
            for i, t in enumerate(counts):
                if t in data:
                    lost, exp = data[t]
                    row.append(f"{lost:,} of {exp:,}\n({_pct(lost, exp)})")
                    xs.append(float(i))
                    ys.append(100.0 * lost / exp if exp else 0.0)
                else:
                    row.append("not measured")
            rows.append(row)
            bars.append(charts.Series(r.label, tuple(xs), tuple(ys), (), r.style))
        if workload == RACE_WORKLOAD:
            svg = charts.grouped_bars(
                "lost-updates", "Lost updates without a lock (% of all increments)",
                [str(t) for t in counts], bars, ylabel="lost updates (% of increments)",
                xlabel="threads", value_format="{:.2g}",
            )
            sec.blocks.append(Chart(
                "chart-lost-updates.svg", svg,
                "Percentage of lost updates of the unsynchronized counter, by threads",
            ))
        elif all(v[0] == 0 for d in totals.values() for v in d.values()):
            sec.blocks.append(Para("Under the lock every interpreter kept every update."))
        else:
            sec.blocks.append(Para("**Updates were lost under a lock**: see the table.",
                                   css="missing"))
        notebook = sorted({
            p.scale for p in ctx.points.values()
            if p.workload == workload and dict(p.params).get("increments") == "1"
        })
        caption = "lost of expected increments, all runs together"
        if notebook:
            caption += (f"; {_count(notebook[0], 'threads')}: the notebook's case, one "
                        "increment per thread")
        sec.blocks.append(Table(["interpreter"] + [_count(t, "threads") for t in counts], rows,
                                caption=caption))
        missing = _missing_lines(ctx, workload)
        if missing:
            sec.blocks.append(Bullets(missing, css="missing"))
    if not any_data:
        sec.intro += " (No counter results in this folder.)"
    return sec


def _single_thread(ctx: Context) -> Section:
    base = ctx.baseline
    sec = Section(
        "single-thread", "Single-thread cost",
        "Each interpreter against the baseline"
        + (f" ({base.id}: {ctx.baseline_reason})" if base else "")
        + " with one thread: the price of free threading (atomic reference counts, "
        "per-object locks) and of a JIT that needs warming. Ratios are mean / baseline mean; "
        "\"not significant\" is pyperf's t-test, as in `compare.md`.",
    )
    if base is None:
        sec.blocks.append(Para("No baseline: no interpreter has measurements.", css="missing"))
        return sec
    names = []
    for s in ctx.series:
        if 1 in s.names:
            names.append(s.names[1])
    others = [r for r in ctx.measured if r is not base]
    if not others:
        sec.blocks.append(Para(f"Only {base.id} was measured: nothing to compare with.",
                               css="missing"))
        return sec
    rows = []
    groups: list[str] = []
    series_data: dict[str, list[tuple[float, float]]] = {r.id: [] for r in others}
    not_sig: list[tuple[int, int]] = []
    for name in names:
        ref = base.benchmark(name)
        if ref is None:
            continue
        gi = len(groups)
        groups.append(ctx.points[name].workload)
        row = [name, fmt_bench(ref)]
        for i, r in enumerate(others):
            bench = r.benchmark(name)
            if bench is None:
                row.append("not measured")
                continue
            ratio = bench.mean() / ref.mean()
            sig = significant(ref, bench)
            row.append(f"{fmt_bench(bench)}\n" + (fmt_ratio(ratio) if sig else
                                                   f"not significant ({ratio:.2f}x)"))
            series_data[r.id].append((float(gi), ratio))
            if not sig:
                not_sig.append((i, len(series_data[r.id]) - 1))
        rows.append(row)
    if not rows:
        sec.blocks.append(Para(f"{base.id} has no single-thread benchmark.", css="missing"))
        return sec
    bars = [
        charts.Series(r.label, tuple(x for x, _ in series_data[r.id]),
                      tuple(y for _, y in series_data[r.id]), (), r.style)
        for r in others if series_data[r.id]
    ]
    kept = [r for r in others if series_data[r.id]]
    remap = {others.index(r): k for k, r in enumerate(kept)}
    svg = charts.relative_chart(
        "single-thread", f"One thread: time relative to {base.id}", groups, bars,
        baseline=base.id, not_significant=[(remap[i], j) for i, j in not_sig if i in remap],
    )
    sec.blocks.append(Chart("chart-single-thread.svg", svg,
                            f"Single-thread time of each interpreter relative to {base.id}"))
    sec.blocks.append(Table(["benchmark", f"{base.id} (baseline)"] + [r.id for r in others],
                            rows, caption="mean ± stdev per run; ratio against the baseline",
                            css="wide"))
    return sec


def _latency(ctx: Context) -> Section:
    sec = Section(
        "latency", "Latency",
        "One thread spins in pure Python while another sleeps briefly and measures how late "
        "each wake-up is. With a GIL the sleeper waits until the spinner is made to let go, "
        "after the switch interval (`sys.getswitchinterval()`, 5 ms by default); "
        "`interval=0.001` sets it to 1 ms. Values: the mean lateness of one run, "
        "mean ± stdev over runs.",
    )
    names = sorted(
        (p for p in ctx.points.values() if p.workload in LATENCY_WORKLOADS),
        key=lambda p: (p.workload, p.key != "interval=default", p.key),
    )
    if not names:
        sec.blocks.append(Para("No latency results in this folder.", css="missing"))
        for w in LATENCY_WORKLOADS:
            missing = _missing_lines(ctx, w)
            if missing:
                sec.blocks.append(Bullets(missing, css="missing"))
        return sec
    groups = [p.key for p in names]
    rows = []
    bars = []
    for r in ctx.measured:
        row = [r.id]
        xs, ys, es = [], [], []
        for i, p in enumerate(names):
            bench = r.benchmark(p.name)
            if bench is None:
                row.append("not measured")
                continue
            mean, stdev = _mean_stdev(bench)
            row.append(f"{fmt_bench(bench)}\nmax {bench.format_value(max(_values(bench)))}")
            xs.append(float(i))
            ys.append(mean * 1e3)
            es.append(stdev * 1e3)
        if xs:
            rows.append(row)
            bars.append(charts.Series(r.label, tuple(xs), tuple(ys), tuple(es), r.style))
    svg = charts.grouped_bars(
        "latency", "Wake-up lateness while another thread spins (log scale)", groups, bars,
        ylabel="lateness (ms, log scale)", xlabel="switch interval", log=True,
        value_format="{:.2g}",
    )
    sec.blocks.append(Chart("chart-latency.svg", svg,
                            "Wake-up lateness per interpreter and switch interval"))
    sec.blocks.append(Table(["interpreter"] + groups, rows,
                            caption="lateness per wake-up: mean ± stdev over runs, worst run"))
    missing = []
    for w in LATENCY_WORKLOADS:
        missing += _missing_lines(ctx, w)
    if missing:
        sec.blocks.append(Bullets(missing, css="missing"))
    return sec


def _method(ctx: Context) -> Section:
    sec = Section(
        "method", "Method and environment",
        "How the numbers were made, and how to make them again.",
    )
    runs = [r.run_info for r in ctx.results if r.run_info]
    meta = [r.common_metadata() for r in ctx.measured]

    def distinct(values: Iterable[Any]) -> str:
        seen = sorted({str(v) for v in values if v not in (None, "")})
        return "; ".join(seen) if seen else "not recorded"

    first_runs = [b.get_runs()[0].get_metadata() for x in ctx.measured if x.suite is not None
                  for b in x.suite.get_benchmarks()[:1]]
    cpu_model = distinct(
        [m.get("cpu_model_name") for m in meta + first_runs]
        + [x.get("cpu_model") for x in runs]
    )
    bullets = [
        f"pyperf: suites in pyperf's JSON format; this report was made with pyperf "
        f"{pyperf.__version__}" + (
            f" (runs recorded pyperf {distinct(x.get('pyperf_version') for x in runs)})"
            if any(x.get("pyperf_version") for x in runs) else ""),
        f"CPU: {cpu_model}; {ctx.cores} CPUs as seen by the interpreters",
        f"OS: {distinct(_os_names(ctx))}",
        f"host: {distinct([m.get('hostname') for m in meta] + [x.get('hostname') for x in runs])}",
        f"date: {distinct(_run_dates(ctx, runs))}",
        f"profile: {distinct(x.get('profile') for x in runs)}",
        "harness: " + distinct(
            f"{x.get('harness_version') or '?'}, commit "
            f"{x.get('git_commit') or x.get('commit') or 'not recorded'}" for x in runs
        ),
    ]
    loads = [
        f"{r.id} {'/'.join(str(v) for v in r.run_info['loadavg_start'])}"
        + (f" -> {'/'.join(str(v) for v in r.run_info['loadavg_end'])}"
           if r.run_info.get("loadavg_end") else "")
        for r in ctx.results if r.run_info and r.run_info.get("loadavg_start")
    ]
    if loads:
        # A busy machine is the usual reason for a wide spread: say how busy it was.
        bullets.append("load average (1/5/15 min) at the start -> end of each interpreter's "
                       "run: " + "; ".join(loads))
    sec.blocks.append(Bullets(bullets))
    commands = merge_commands([str(x["command"]) for x in runs if x.get("command")])
    if commands:
        sec.blocks.append(Para("The command that makes these results again:"))
        sec.blocks.append(Bullets([f"`{c}`" for c in commands]))
    sec.blocks.append(Para(
        "Each point is measured in several fresh processes (pyperf runs); each process "
        "runs warmups, then values. A value is seconds per loop (latency: the workload's "
        "own mean lateness). Tables show mean ± standard deviation of all values, as "
        "`python -m pyperf stats` does. Speedup s = m1 / mT; its error "
        "s x sqrt((sd1/m1)^2 + (sdT/mT)^2) propagates both relative standard deviations: "
        "the spread of single measurements, not the (smaller) error of the means, so "
        "the bars are conservative. Significance is pyperf's own test (Student's "
        "two-sample t-test, 95%), the one `compare_to` uses."
    ))
    rows = []
    for r in ctx.measured:
        assert r.suite is not None
        nruns, nvalues, nwarm, loops = set(), set(), set(), set()
        unstable = sum(relative_spread(b) > UNSTABLE for b in r.suite.get_benchmarks())
        for bench in r.suite.get_benchmarks():
            measured_runs = [run for run in bench.get_runs() if run.values]
            nruns.add(len(measured_runs))
            for run in measured_runs:
                nvalues.add(len(run.values))
                nwarm.add(len(run.warmups) if run.warmups else 0)
                loops.add(run.get_loops())
        rows.append([r.id, _span(nruns), _span(nvalues), _span(nwarm), _span(loops),
                     str(len(r.suite)), str(unstable)])
    if rows:
        sec.blocks.append(Table(
            ["interpreter", "processes", "values / process", "warmups / process",
             "loops / value", "benchmarks", "unstable"], rows,
            caption="per benchmark (ranges over benchmarks); unstable: stdev above "
            f"{UNSTABLE:.0%} of the mean, which pyperf warns about: rerun on a quiet "
            "machine, with more processes (`--rigorous`)"))
    problems = [
        [r.id, "(all)", "not available", _short(str(o.get("reason") or ""), 300)]
        for r in ctx.unavailable for o in r.outcomes
    ]
    for r in ctx.results:
        for o in sorted(r.outcomes, key=lambda o: str(o.get("benchmark"))):
            if o.get("status") != "ok":
                problems.append([r.id, str(o.get("benchmark", "")), str(o.get("status", "")),
                                 _short(str(o.get("reason") or ""), 300)])
        for p in r.problems:
            problems.append([r.id, "(files)", "missing", p])
    sec.blocks.append(Para("What was skipped or failed, and why:", css="subhead"))
    if problems:
        sec.blocks.append(Table(["interpreter", "benchmark", "status", "reason"], problems,
                                numeric_from=99))
    else:
        sec.blocks.append(Para("Nothing: every benchmark of every interpreter ran."))
    return sec


def _run_dates(ctx: Context, runs: list[dict[str, Any]]) -> list[str]:
    """The run's span, first start to last finish (from the facts files), else pyperf dates."""
    starts = sorted(str(x["started"]) for x in runs if x.get("started"))
    ends = sorted(str(x["finished"]) for x in runs if x.get("finished"))
    dates = []
    if starts:
        dates.append(f"{starts[0]} to {ends[-1]}" if ends else starts[0])
    if not dates:
        for r in ctx.measured:
            date = r.common_metadata().get("date")
            if date:
                dates.append(str(date))
    return dates


def _os_names(ctx: Context) -> list[str]:
    """Platforms the interpreters reported; the JVM's only when it is all there is."""
    native = [str(r.probe["platform"]) for r in ctx.results
              if r.probe.get("platform") and r.implementation != "jython"]
    return native or [str(r.probe["platform"]) for r in ctx.results if r.probe.get("platform")]


def merge_commands(commands: Sequence[str]) -> list[str]:
    """One command per interpreter -> one command, when only ``--interpreter ID`` differs.

    The runner records the command of each interpreter's run; to reproduce the
    whole comparison, the same command with every ``--interpreter`` does it.
    """
    distinct = sorted(set(commands))
    if len(distinct) < 2:
        return distinct
    pattern = re.compile(r"\s(?:--interpreter|-i)[ =](\S+)")
    rests = {pattern.sub("", c) for c in distinct}
    if len(rests) != 1:
        return distinct
    ids: list[str] = []
    for c in distinct:
        ids += [i for i in pattern.findall(c) if i not in ids]
    first = distinct[0]
    match = pattern.search(first)
    if match is None:
        return distinct
    flags = "".join(f" --interpreter {i}" for i in ids)
    rest = pattern.sub("", first)
    return [rest[: match.start()] + flags + rest[match.start():]]


def _span(values: set[int]) -> str:
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _count(n: int, plural: str) -> str:
    """"1 thread", "2 threads", "1 process"..."""
    if n == 1:
        return f"1 {plural[:-2] if plural.endswith('sses') else plural.rstrip('s')}"
    return f"{n} {plural}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def build_document(
    results: list[InterpreterResults], baseline: str | None = None
) -> tuple[Document, InterpreterResults | None]:
    """The report's content, from loaded results; also returns the chosen baseline."""
    unavailable = [r for r in results if is_unavailable(r)]
    results = [r for r in results if not is_unavailable(r)]
    measured = [r for r in results if r.suite is not None]
    base, reason = choose_baseline(results, baseline)
    points = all_points(results)
    ctx = Context(results, measured, base, reason, points, scaling_series(points),
                  _cores(results), unavailable)
    scaling, _ = _scaling(ctx)
    sections = [
        _headline(ctx), _facts(ctx), scaling, _correctness(ctx), _single_thread(ctx),
        _latency(ctx), _method(ctx),
    ]
    dates = sorted({d.split(" ")[0].split("T")[0] for d in _run_dates(ctx, [
        r.run_info for r in results if r.run_info])})
    subtitle = (
        f"{len(results)} interpreter{'s' if len(results) != 1 else ''}"
        f" ({len(measured)} measured) on {ctx.cores} CPUs"
        + (f", run {', '.join(dates)}" if dates else "")
    )
    intro = [
        "Python threads share one interpreter. CPython's global interpreter lock (GIL) lets "
        "one thread run Python code at a time; the free-threaded build (3.13t) removes it; "
        "PyPy keeps a GIL; Jython runs Python threads as Java threads, without one. This "
        "page shows, with measurements made by pyperf, what that means in practice: "
        "whether CPU-bound threads run in parallel, whether unsynchronized code loses "
        "updates, what one thread costs, and how long a thread waits for its turn.",
        "Every number comes from the pyperf files beside this page; `compare.md` is "
        "pyperf's own comparison of them, so you can check it with "
        "`python -m pyperf compare_to`.",
    ]
    missing = [f"**{r.id}**: {'; '.join(r.problems)}" for r in results if r.suite is None]
    if missing:
        intro.append("Missing from the measurements: " + " ".join(missing))
    if unavailable:
        intro.append(
            "Not available on this machine, so not in this report: "
            + ", ".join(f"**{r.id}**" for r in unavailable)
            + " (why, and how to provide them: see Method and environment)."
        )
    doc = Document("Python threads across interpreters", subtitle, intro, sections)
    return doc, base


# --------------------------------------------------------------------------- rendering


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


def _inline_html(text: str) -> str:
    out = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(f"<code>{html.escape(m.group(1))}</code>")
        else:
            out.append(f"<strong>{html.escape(m.group(2))}</strong>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _item_html(text: str) -> str:
    """A list item; lines after the first are its details (smaller, below)."""
    first, _, rest = text.partition("\n")
    detail = f'<span class="detail">{_inline_html(rest)}</span>' if rest else ""
    return f"<li>{_inline_html(first)}{detail}</li>"


def _cell_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def _svg_inline(svg: str, label: str, prefix: str) -> str:
    """The SVG element alone (no XML prolog), labelled for screen readers.

    matplotlib numbers its element ids per figure ("patch_1"...): several charts
    in one page would repeat them, so every id and reference gets ``prefix``.
    """
    start = svg.find("<svg")
    body = svg[start:].strip()
    # The RDF metadata (creator, format) is for standalone files; a page does not need it.
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", body, count=1, flags=re.S)
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", body)
    body = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', body)
    return body.replace("<svg", f'<svg role="img" aria-label="{html.escape(label)}"', 1)


_CSS = """
:root { --fg:#1d2330; --muted:#5b6474; --line:#e3e6ec; --accent:#0b5cad; --bg:#ffffff;
        --soft:#f6f7f9; --warn:#8a4b00; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
       font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
header h1 { font-size: 2rem; margin: 0 0 .25rem; letter-spacing: -.01em; }
header .subtitle { color: var(--muted); margin: 0 0 1.25rem; }
h2 { font-size: 1.4rem; margin: 2.6rem 0 .4rem; padding-top: .6rem;
     border-top: 1px solid var(--line); }
p.intro { color: var(--muted); margin-top: 0; max-width: 62rem; }
p.subhead { font-weight: 600; margin: 1.8rem 0 .4rem; }
nav.toc { background: var(--soft); border-radius: 8px; padding: .6rem 1rem; margin: 1rem 0; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 1.1rem;
            display: inline-block; }
code { font-family: ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size: .9em;
       background: var(--soft); padding: .05em .3em; border-radius: 4px; }
ul.headline { list-style: none; padding: 0; }
ul.headline li { background: var(--soft); border-left: 4px solid var(--accent);
                 padding: .6rem .9rem; margin: .5rem 0; border-radius: 0 6px 6px 0; }
ul.headline li .detail { display: block; color: var(--muted); font-size: .92rem;
                         margin-top: .2rem; }
ul.missing, p.missing { color: var(--warn); font-size: .93rem; }
p.warning { background: #fff6e5; border: 1px solid #f0c36d; border-radius: 6px;
            padding: .6rem .9rem; }
figure.chart { margin: 1rem 0 1.2rem; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem; }
table { border-collapse: collapse; font-size: .9rem; min-width: 40%; }
table.wide { font-size: .82rem; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: .85rem;
          padding-top: .35rem; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .7rem; vertical-align: top;
         text-align: left; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfbfc; }
footer { color: var(--muted); font-size: .85rem; margin-top: 3rem; }
"""


def render_html(doc: Document) -> str:
    """The self-contained page: inline CSS and SVG, no script, no external resource."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{html.escape(doc.title)}</h1>",
        f'<p class="subtitle">{html.escape(doc.subtitle)}</p>',
        "</header>",
    ]
    out += [f"<p>{_inline_html(p)}</p>" for p in doc.intro]
    out.append('<nav class="toc">' + "".join(
        f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in doc.sections) + "</nav>")
    for s in doc.sections:
        out.append(f'<section id="{s.anchor}">')
        out.append(f"<h2>{html.escape(s.title)}</h2>")
        out.append(f'<p class="intro">{_inline_html(s.intro)}</p>')
        for b in s.blocks:
            out.append(_block_html(b))
        out.append("</section>")
    out.append('<footer>Made by <code>python -m harness report</code> from the pyperf '
               'files beside this page. See <a href="compare.md">compare.md</a> and '
               '<a href="README.md">README.md</a>.</footer>')
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _block_html(b: Block) -> str:
    if isinstance(b, Para):
        css = f' class="{b.css}"' if b.css else ""
        return f"<p{css}>{_inline_html(b.text)}</p>"
    if isinstance(b, Bullets):
        css = f' class="{b.css}"' if b.css else ""
        return f"<ul{css}>" + "".join(_item_html(i) for i in b.items) + "</ul>"
    if isinstance(b, Table):
        head = "".join(f"<th>{_cell_html(h)}</th>" for h in b.headers)
        body = []
        for row in b.rows:
            cells = "".join(
                f'<td class="num">{_cell_html(c)}</td>' if i >= b.numeric_from
                else f"<td>{_cell_html(c)}</td>"
                for i, c in enumerate(row)
            )
            body.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{html.escape(b.caption)}</caption>" if b.caption else ""
        css = f' class="{b.css}"' if b.css else ""
        return (f'<div class="table-wrap"><table{css}>{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table></div>")
    caption = f"<figcaption>{_inline_html(b.caption)}</figcaption>" if b.caption else ""
    prefix = b.filename.removesuffix(".svg")
    return (f'<figure class="chart" id="{prefix}">{_svg_inline(b.svg, b.alt, prefix)}'
            f"{caption}</figure>")


def _cell_md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render_markdown(doc: Document) -> str:
    """README.md: the same sections, tables and charts (linked SVG files beside it)."""
    out = [f"# {doc.title}", "", f"_{doc.subtitle}_", ""]
    for p in doc.intro:
        out += [p, ""]
    out += [" · ".join(f"[{s.title}](#{_md_anchor(s.title)})" for s in doc.sections), ""]
    for s in doc.sections:
        out += [f"## {s.title}", "", s.intro, ""]
        for b in s.blocks:
            if isinstance(b, Para):
                out += [f"**{b.text}**" if b.css == "subhead" else b.text, ""]
            elif isinstance(b, Bullets):
                out += ["- " + i.replace("\n", "<br>\n  ") for i in b.items] + [""]
            elif isinstance(b, Table):
                out += _table_md(b)
                out.append("")
                if b.caption:
                    out += [f"_{b.caption}_", ""]
            else:
                out += [f"![{b.alt}]({b.filename})", ""]
                if b.caption:
                    out += [f"_{b.caption}_", ""]
    out += ["---", "",
            "Made by `python -m harness report` from the pyperf files in this folder; "
            "[compare.md](compare.md) is pyperf's own comparison.", ""]
    return "\n".join(out)


def _table_md(b: Table) -> list[str]:
    lines = ["| " + " | ".join(_cell_md(h) for h in b.headers) + " |"]
    lines.append("|" + "|".join(
        "---:" if i >= b.numeric_from else "---" for i in range(len(b.headers))
    ) + "|")
    lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in b.rows]
    return lines


README_START = "<!-- latest-report:start -->"
README_END = "<!-- latest-report:end -->"


def readme_block(doc: Document, report_dir: str) -> str:
    """The project README's summary of a published report: headline table and scaling chart.

    ``report_dir`` is the report folder relative to the README. Everything comes
    from ``doc`` (built from the result files), as the report itself does.
    """
    out = ["## Latest published report", "",
           f"[{report_dir}]({report_dir}/README.md) ({doc.subtitle}; "
           f"[HTML page]({report_dir}/index.html), [pyperf's comparison]"
           f"({report_dir}/compare.md)). The headline, from its suite files:", ""]
    headline = next((s for s in doc.sections if s.anchor == "headline"), None)
    table = next((b for b in headline.blocks if isinstance(b, Table)), None) if headline else None
    if table is not None:
        out += _table_md(table) + ["", f"_{table.caption}_", ""]
    chart = next((c for c in doc.charts() if c.filename.startswith("chart-scaling-")), None)
    if chart is not None:
        out += [f"![{chart.alt}]({report_dir}/{chart.filename})", ""]
    return "\n".join(out)


def update_readme(readme: Path, doc: Document, report_dir: Path) -> None:
    """Replace the block between the README's latest-report markers with ``readme_block``."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ReportError(
            f"{readme} has no {README_START} ... {README_END} block",
            "add both markers where the summary should go",
        )
    rel = os.path.relpath(report_dir.resolve(), readme.resolve().parent)
    block = readme_block(doc, Path(rel).as_posix())
    new = text[: start + len(README_START)] + "\n" + block + "\n" + text[end:]
    tmp = readme.with_name(readme.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, readme)


def _md_anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


# --------------------------------------------------------------------------- compare.md


def compare_command(baseline: str, others: Sequence[str]) -> list[str]:
    """The pyperf command (relative file names: run it inside the report folder)."""
    return ["python", "-m", "pyperf", "compare_to", "--table",
            f"{baseline}{SUITE_SUFFIX}", *(f"{o}{SUITE_SUFFIX}" for o in others)]


def _run_compare(cmd: list[str], cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, *cmd[1:]], cwd=cwd, capture_output=True, text=True, timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def render_compare(
    out_dir: Path, baseline: InterpreterResults | None, others: Sequence[InterpreterResults]
) -> str:
    """compare.md: pyperf compare_to's table, with the exact command above it.

    When pyperf refuses the whole set (no benchmark in common), each interpreter
    is compared with the baseline on its own, one command each.
    """
    head = ["# pyperf compare_to", ""]
    if baseline is None or not others:
        why = ("no interpreter has measurements" if baseline is None else
               f"only {baseline.id} was measured: pyperf compare_to needs two suites")
        return "\n".join(head + [f"Nothing to compare: {why}.", ""])
    head += [
        f"pyperf {pyperf.__version__}'s own comparison of the suite files in this folder, "
        f"against {baseline.id}. Run the command below in this folder to check it "
        "(`python` is any interpreter with pyperf installed). pyperf hides rows it "
        "does not find significant, and lists benchmarks not common to every file "
        "as ignored.",
        "",
    ]
    attempts = [[o.id for o in others]]
    body: list[str] = []
    code, stdout, stderr = _run_compare(compare_command(baseline.id, attempts[0]), out_dir)
    if code == 0:
        body += _compare_block(compare_command(baseline.id, attempts[0]), stdout, stderr)
    else:
        body += [
            "The comparison of all files at once failed:", "",
            *_compare_block(compare_command(baseline.id, attempts[0]), stdout, stderr, code),
            "Each interpreter against the baseline instead:", "",
        ]
        for o in others:
            cmd = compare_command(baseline.id, [o.id])
            code, stdout, stderr = _run_compare(cmd, out_dir)
            body += [f"## {o.id}", ""]
            body += _compare_block(cmd, stdout, stderr, code)
    return "\n".join(head + body)


def _compare_block(cmd: list[str], stdout: str, stderr: str, code: int = 0) -> list[str]:
    lines = ["```", " ".join(cmd), "```", ""]
    if stdout.strip():
        # pyperf's table is reStructuredText-like: a fence keeps it aligned on a code host.
        lines += ["```text", stdout.rstrip("\n"), "```", ""]
    if code != 0:
        lines += [f"(exit status {code})", ""]
    if stderr.strip():
        lines += ["```", stderr.rstrip("\n"), "```", ""]
    return lines


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class ReportFiles:
    """What ``write_report`` wrote."""

    output: Path
    html: Path
    markdown: Path
    compare: Path
    charts: tuple[Path, ...]
    baseline: str | None


def write_report(
    results_dir: Path,
    output_dir: Path | None = None,
    baseline: str | None = None,
    readme: Path | None = None,
) -> ReportFiles:
    """Render the report of ``results_dir`` into ``output_dir`` (default ``RESULTS/report``)."""
    results_dir = Path(results_dir)
    results = load_results(results_dir)
    out = Path(output_dir) if output_dir else results_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    if all(is_unavailable(r) for r in results):
        raise ReportError(
            f"nothing was measured in {results_dir}: only interpreters that are not "
            f"available here ({', '.join(r.id for r in results)})",
            "provision them (python -m harness provision) or run others",
        )
    doc, base = build_document(results, baseline)
    # Copy the raw files first: compare_to reads the copies, by relative name.
    for r in results:
        for src in (r.suite_file, r.facts_file):
            if src is None:
                continue
            dst = out / src.name
            if dst.exists() and dst.resolve() == src.resolve():
                continue
            shutil.copyfile(src, dst)
    # Charts of an earlier render that this one no longer draws would mislead: drop them.
    drawn = {c.filename for c in doc.charts()}
    for old in out.glob("chart-*.svg"):
        if old.name not in drawn:
            old.unlink()
    chart_paths = []
    for c in doc.charts():
        path = out / c.filename
        path.write_text(c.svg, encoding="utf-8")
        chart_paths.append(path)
    html_path = out / "index.html"
    html_path.write_text(render_html(doc), encoding="utf-8")
    md_path = out / "README.md"
    md_path.write_text(render_markdown(doc), encoding="utf-8")
    others = [r for r in results if r.suite is not None and r is not base]
    compare_path = out / "compare.md"
    compare_path.write_text(render_compare(out, base, others), encoding="utf-8")
    if readme is not None:
        update_readme(Path(readme), doc, out)
    return ReportFiles(out, html_path, md_path, compare_path, tuple(chart_paths),
                       base.id if base else None)


def cmd_report(args: argparse.Namespace) -> int:
    """``python -m harness report RESULTS_DIR [--output DIR] [--baseline ID]``."""
    start = time.monotonic()
    readme = getattr(args, "readme", None)
    files = write_report(Path(args.results), Path(args.output) if args.output else None,
                         args.baseline, Path(readme) if readme else None)
    elapsed = time.monotonic() - start
    print(f"report: {files.html} ({len(files.charts)} charts, baseline "
          f"{files.baseline or 'none'}, {elapsed:.1f} s)")
    return 0
