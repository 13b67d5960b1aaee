"""``python -m harness publish [REPORTS_DIR]``: the index of every published report.

Writes ``reports/index.html`` and ``reports/README.md`` (the same document,
rendered by the report's HTML and Markdown renderers) and the chart beside them:
every report folder under ``reports/``, newest first by the start time in its
facts (``run.started``), with its machine, date and headline (same-day reports
are labelled with their start time, so no two columns read alike), and each
interpreter's 2-thread ratio of the headline workload (``countdown``: the role
``headline``, ``harness.roles``) across reports with its 95% interval.
Everything comes from the suite and facts files in the folders; nothing is measured.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyperf

from harness import kinds, points, roles, stats
from harness.fileutil import atomic_write_text
from harness.report import charts
from harness.report.changes import suite_ids
from harness.report.context import fmt_ratio, none_kept
from harness.report.diff import render_pages
from harness.report.document import (
    Bullets,
    Cell,
    Chart,
    Document,
    Link,
    Para,
    Section,
    Table,
)
from harness.report.model import InputError, load_readable
from harness.stats import Estimate

# The figure every report is summed up by: 2 threads of its headline workload (the role
# ``headline`` in ``harness.roles``: CPU-bound Python, a fixed total) against one.
HEADLINE_COUNT = 2
CHART_FILE = "chart-countdown-2-threads.svg"  # (the published name, kept)


class PublishError(InputError):
    """A reports folder the index cannot be made from: one line, exit status 2."""


@dataclass(frozen=True)
class Published:
    """One report folder, summarized from its files."""

    name: str  # the folder name, e.g. 2026-11-25-debian12-2cpu-x86_64
    date: str  # YYYY-MM-DD: the earliest run start in its facts (else the name's prefix)
    machine: str
    interpreters: tuple[str, ...]  # ids with a suite, in kinds order
    families: dict[str, str]
    speedup2: dict[str, Estimate]  # id -> 2 threads of the headline workload against one
    workload: str = ""  # the headline workload's name in these files ("" when none)
    started: str = ""  # the earliest run start (ISO 8601, UTC) in its facts; "" when none
    label: str = ""  # what its column says: the date, with the start time when it is shared


def _utc(text: str) -> str:
    """An ISO 8601 time as UTC "YYYY-MM-DDTHH:MM:SS" (sortable); "" when it is not one."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _machine(name: str, date: str, cpu_models: set[str], cpus: set[int]) -> str:
    label = name[len(date) + 1:] if name.startswith(date + "-") else name
    parts = sorted(cpu_models) + [f"{n} CPUs" for n in sorted(cpus)]
    return f"{label} ({', '.join(parts)})" if parts else label


def summarize(folder: Path) -> Published:
    """Read one report folder (``PublishError`` on a file it cannot use)."""
    loaded = load_readable(folder, PublishError)
    side_suites = {r.id: r.suite for r in loaded if r.suite is not None}
    side_facts = {r.id: r.facts for r in loaded if r.facts_file is not None}
    starts = sorted(t for t in (_utc(str(f.run.get("started") or ""))
                                for f in side_facts.values()) if t)
    if not starts:  # no facts: the suites' own run dates (pyperf's "date" metadata)
        starts = sorted(t for t in (_utc(str(run.get_metadata().get("date") or ""))
                                    for suite in side_suites.values()
                                    for bench in suite.get_benchmarks()
                                    for run in bench.get_runs()) if t)
    date = starts[0][:10] if starts else folder.name[:10]
    models = {str(f.run["cpu_model"]) for f in side_facts.values() if f.run.get("cpu_model")}
    cpus = {int(f.probe["cpu_count"]) for f in side_facts.values()
            if f.probe and isinstance(f.probe.get("cpu_count"), int)}
    families = {}
    for ident in side_suites:
        facts = side_facts.get(ident)
        families[ident] = str((facts.interpreter.get("family") if facts else None)
                              or kinds.kind_of(ident).family)
    order = sorted(side_suites, key=lambda i: (kinds.family_rank(families[i]), i))
    ratios, workload = {}, ""
    for ident in order:
        pair = _headline_pair(side_suites[ident])
        if pair is not None:
            workload = workload or points.workload_of(pair[0].get_name())
            ratios[ident] = stats.speedup(*pair)
    return Published(folder.name, date, _machine(folder.name, date, models, cpus),
                     tuple(order), families, ratios, workload, starts[0] if starts else "")


def _headline_pair(suite: pyperf.BenchmarkSuite,
                   ) -> tuple[pyperf.Benchmark, pyperf.Benchmark] | None:
    """The plain 1- and 2-worker points of the suite's headline workload, if both exist."""
    found: dict[int, pyperf.Benchmark] = {}
    for bench in suite.get_benchmarks():
        meta = bench.get_metadata()
        point = points.Point.parse(bench.get_name(), meta)
        if roles.role_of(point.workload, meta) == roles.HEADLINE and point.plain \
                and not point.pinned and point.count in (1, HEADLINE_COUNT):
            found.setdefault(point.count, bench)
    if 1 in found and HEADLINE_COUNT in found:
        return found[1], found[HEADLINE_COUNT]
    return None


def labelled(reports: Sequence[Published]) -> list[Published]:
    """Newest first by start time (then name), each with a label no other report shares:
    the date alone, "2026-11-26 14:05" when other reports started that day, and the
    folder name after it when even the minute is shared (or a start is not recorded)."""
    ordered = sorted(reports, key=lambda r: (r.started or r.date, r.name), reverse=True)
    out = []
    for r in ordered:
        label = r.date
        if sum(1 for o in ordered if o.date == r.date) > 1:
            label = f"{r.date} {r.started[11:16]}" if r.started else f"{r.date} {r.name}"
            if r.started and sum(1 for o in ordered if o.started[:16] == r.started[:16]) > 1:
                label = f"{label} {r.name}"
        out.append(dataclasses.replace(r, label=label))
    return out


def scan(reports_dir: Path) -> list[Published]:
    """Every report folder (one with a suite) under ``reports_dir``, newest first (labelled)."""
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        what = "is a file, not a folder" if reports_dir.exists() else "does not exist"
        raise PublishError(f"reports folder {reports_dir} {what}",
                        "publish a report first: nox -s compare -- --publish")
    found = []
    for folder in sorted(p for p in reports_dir.iterdir() if p.is_dir()):
        if suite_ids(folder):  # a folder of facts only (nothing measured) is no report
            found.append(summarize(folder))
    if not found:
        raise PublishError(f"no report folder under {reports_dir}",
                        "publish a report first: nox -s compare -- --publish")
    return labelled(found)


def headline(r: Published) -> str:
    """2 threads of the headline workload against one, per interpreter, fastest first."""
    if not r.speedup2:
        return "no headline workload at 1 and 2 threads"
    kept = {i: e for i, e in r.speedup2.items() if not none_kept(e)}
    best = sorted(kept.items(), key=lambda kv: -kv[1].value)
    none = sorted(set(r.speedup2) - set(kept))
    return (f"2 threads of {r.workload} vs 1: "
            + ", ".join([f"{i} {e.value:.2f}x" for i, e in best]
                        + [f"{i} no process kept" for i in none]))


def _workload(reports: Sequence[Published]) -> str:
    """The headline workload's name as the reports' files give it."""
    return next((r.workload for r in reports if r.workload), "the headline workload")


def chart(reports: Sequence[Published]) -> Chart:
    """Each interpreter's 2-thread ratio per report (oldest left), 95% intervals."""
    ordered = list(reversed(reports))
    families: dict[str, str] = {}
    for r in ordered:
        families.update(r.families)
    ids = sorted({i for r in ordered for i in r.speedup2},
                 key=lambda i: (kinds.family_rank(families.get(i, "")), i))
    styles = charts.styles_for([families.get(i, "") for i in ids])
    series = []
    for ident, style in zip(ids, styles, strict=True):
        found = [(float(x), e) for x, r in enumerate(ordered)
                 if (e := r.speedup2.get(ident)) is not None and math.isfinite(e.value)]
        series.append(charts.Series.from_estimates(ident, found, style))
    svg = charts.grouped_bars(
        "index-headline-2", f"2 threads of {_workload(reports)} against one, per published "
        "report",
        [f"{r.label or r.date}\n{r.name[len(r.date) + 1:] or r.name}" for r in ordered],
        series,
        ylabel="speed of 2 threads vs 1 (x)", xlabel="published report (oldest left)",
        value_format="{:.2f}",
    )
    return Chart(CHART_FILE, svg,
                 f"2-thread {_workload(reports)} ratio of each interpreter per report",
                 "Bars: the geometric mean of the per-process ratios time(1) / time(2); "
                 "whiskers: its 95% interval. 2x is the ideal on 2 or more cores; 1x: "
                 "threads take turns.")


def build_document(reports: Sequence[Published]) -> Document:
    """The index page: a table of reports (newest first), their headlines, the chart."""
    rows: list[list[Cell]] = [[Link(r.name, f"{r.name}/"), r.label or r.date, r.machine,
                               str(len(r.interpreters)), headline(r)] for r in reports]
    table = Table(["report", "date", "machine", "interpreters", "headline"], rows,
                  numeric_from=5, css="wide")
    ratios = Table(
        ["interpreter"] + [r.label or r.date for r in reports],
        [[i] + [fmt_ratio(r.speedup2[i]) if i in r.speedup2 else "-" for r in reports]
         for i in sorted({i for r in reports for i in r.speedup2})],
        caption=f"2 threads of {_workload(reports)} vs 1, with the 95% interval by process "
                "(newest report first)", numeric_from=1)
    newest = reports[0]
    sections = [
        Section("reports", "Published reports", "Newest first (by the start time of their "
                "runs, UTC); each folder holds its pages "
                "and the pyperf files they were drawn from.", [table]),
        Section("across", f"2 threads of {_workload(reports)} across reports",
                "The headline figure of every report, side by side.", [chart(reports), ratios]),
        Section("compare", "Compare two of them", "What changed, with 95% intervals:",
                [Bullets([f"`python -m harness diff reports/{reports[-1].name} "
                          f"reports/{newest.name}`",
                          "`nox -s compare -- --against reports/<name>` runs the comparison "
                          "after a new report and fails on a significant regression."]),
                 Para("`nox -s compare -- --publish` rewrites this page "
                      "(`python -m harness publish reports`).")]),
    ]
    return Document("Published reports", f"{len(reports)} report(s); newest {newest.date}",
                    [f"Newest: **{newest.name}**: {headline(newest)}."], sections)


def write_index(reports_dir: Path) -> list[Path]:
    """Write index.html, README.md and the chart into ``reports_dir``; return the paths."""
    reports_dir = Path(reports_dir)
    doc = build_document(scan(reports_dir))
    md, page = render_pages(doc, "Made by `python -m harness publish` from the suite and "
                                 "facts files of each folder.")
    paths = [reports_dir / CHART_FILE, reports_dir / "index.html", reports_dir / "README.md"]
    atomic_write_text(paths[0], doc.charts()[0].svg)
    atomic_write_text(paths[1], page)
    atomic_write_text(paths[2], md)
    return paths


def cmd_publish(args: argparse.Namespace) -> int:
    """``python -m harness publish [REPORTS_DIR]``: rewrite the index of published reports."""
    paths = write_index(Path(args.reports))
    print(f"publish: {', '.join(str(p) for p in paths)}")
    return 0
