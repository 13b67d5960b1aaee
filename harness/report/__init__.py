"""``python -m harness report RESULTS``: the comparison page, built only from result files.

Inputs are the runner's ``RESULTS/<id>.json`` (pyperf suites) and
``RESULTS/<id>.facts.json`` (read through ``harness.results``); nothing is
re-measured and no number is typed in. Outputs, in ``--output`` (default
``RESULTS/report``):

- ``index.html``: one self-contained page (inline SVG, no script, no network);
- ``README.md`` and the ``chart-*.svg`` files beside it: the same tables and charts;
- ``estimates.csv`` beside them: every figure the page prints, one row each
  (``harness.report.estimates``), for pandas or a spreadsheet;
- copies of the suite and facts files, and ``compare.md``: pyperf's own
  ``compare_to --table`` against the baseline, so anyone can check the numbers;
  the warm-up study's suites (``--warmup DIR``, else ``RESULTS/warmup/``) in
  ``warmup/``, so the report folder renders the same page again.

The package, in data-flow order: ``model`` (loading), ``stats`` (the one
statistics module), ``context`` and ``verdicts`` (shared wording), ``sections``
(one module per section, listed in ``sections/__init__.py``), ``document`` (the
model rendered twice), ``html_page`` and ``markdown`` (the renderers), ``charts``
(matplotlib SVG), ``compare`` (compare.md). The same files give the same
bytes: nothing depends on the time of rendering, the order of a directory
listing or a random id.
"""

from __future__ import annotations

import argparse
import errno
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.errors import UsageError
from harness.fileutil import staged_into
from harness.report.build import build_document
from harness.report.compare import render_compare
from harness.report.document import Document
from harness.report.estimates import FILE as ESTIMATES_FILE
from harness.report.html_page import render_html
from harness.report.markdown import render_markdown, summary_block, update_readme
from harness.report.model import (
    InterpreterResults,
    ReportError,
    is_unavailable,
    load_results,
    skipped_files,
    stray_files,
)
from harness.report.sections.discarded import FOLDER as DISCARDED
from harness.report.sections.discarded import discarded_path
from harness.report.sections.warmup import STUDY_FOLDER, study_paths

__all__ = ["ReportFiles", "cmd_report", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    """What ``write_report`` wrote."""

    output: Path
    html: Path
    markdown: Path
    compare: Path
    charts: tuple[Path, ...]
    baseline: str | None
    skipped: tuple[tuple[str, str], ...] = ()  # unreadable files: (name, why)


def write_report(
    results_dir: Path,
    output_dir: Path | None = None,
    baseline: str | None = None,
    readme: Path | None = None,
    summary: Path | None = None,
    warmup_dir: Path | None = None,
) -> ReportFiles:
    """Render the report of ``results_dir`` into ``output_dir`` (default ``RESULTS/report``).

    ``summary``: a file the headline is appended to, as Markdown (a CI job's summary).
    """
    results_dir = Path(results_dir)
    results = load_results(results_dir)
    if warmup_dir is not None and not study_paths(results, Path(warmup_dir)):
        what = "no suite file there" if Path(warmup_dir).is_dir() else "no such folder"
        raise UsageError(f"--warmup {warmup_dir}: {what}",
                         "give the folder `python -m harness warmup -o DIR` wrote")
    out = Path(output_dir) if output_dir else results_dir / "report"
    if readme is not None and not Path(readme).is_file():
        what = "is a folder, not a file" if Path(readme).is_dir() else "no such file"
        raise UsageError(f"--readme {readme}: {what}",
                         "give the Markdown file whose latest-report block to replace")
    problem = paths.folder_problem(out)
    if problem:
        raise UsageError(f"report folder {out} cannot be used: {problem}",
                         "give another folder with --output")
    if all(is_unavailable(r) for r in results):
        raise ReportError(
            f"nothing was measured in {results_dir}: only interpreters that are not "
            f"available here ({', '.join(r.id for r in results)})",
            "provision them (python -m harness provision) or run others",
        )
    strays = stray_files(results_dir, results)
    doc, base = build_document(results, baseline, strays, warmup_dir)
    _write_files(out, doc, results, base, warmup_dir)
    # Charts of an earlier render that this one no longer draws would mislead: drop them.
    drawn = {c.filename for c in doc.charts()}
    for old in out.glob("chart-*.svg"):
        if old.name not in drawn:
            old.unlink()
    chart_paths = [out / c.filename for c in doc.charts()]
    html_path, md_path, compare_path = out / "index.html", out / "README.md", out / "compare.md"
    if readme is not None:
        update_readme(Path(readme), doc, out)
    if summary is not None:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(summary_block(doc) + "\n")
    return ReportFiles(out, html_path, md_path, compare_path, tuple(chart_paths),
                       base.id if base else None, (*skipped_files(results), *strays))


def _write_files(out: Path, doc: Document, results: list[InterpreterResults],
                 base: InterpreterResults | None, warmup_dir: Path | None = None) -> None:
    """Every file of the report, staged first then renamed in (``fileutil.staged_into``).

    A full disk or an error leaves the old report whole, never a truncated chart
    or a mix; a full disk is one line naming the folder, its free space and
    about what the report needs.
    """
    texts = {c.filename: c.svg for c in doc.charts()}
    texts.update({"index.html": render_html(doc), "README.md": render_markdown(doc),
                  ESTIMATES_FILE: doc.estimates})
    try:
        with staged_into(out) as stage:
            _copy_sources(results, out, stage, warmup_dir)
            for name, text in texts.items():
                (stage / name).write_text(text, encoding="utf-8")
            others = [r for r in results if r.suite is not None and r is not base]
            compare = render_compare(stage, base, others)
            (stage / "compare.md").write_text(compare, encoding="utf-8")
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        sources = [p for r in results for p in (r.suite_file, r.facts_file) if p is not None]
        need = sum(len(t.encode()) for t in texts.values()) + sum(p.stat().st_size
                                                                  for p in sources)
        try:
            free = f"{shutil.disk_usage(out).free // 1024} kB free"
        except OSError:
            free = "free space unknown"
        raise ReportError(
            f"{exc.strerror} writing the report into {out} ({free}; the report needs about "
            f"{need // 1024 + 16} kB)",
            "free space there or write it elsewhere with --output; the report there is unchanged",
        ) from None


def _copy_sources(results: list[InterpreterResults], out: Path, stage: Path,
                  warmup_dir: Path | None = None) -> None:
    """The suite, facts, discarded and warm-up study files beside the report.

    compare_to reads the copies; the study's suites go to ``warmup/`` so that a
    published report re-renders the same page.
    """
    for r in results:
        for src in (r.suite_file, r.facts_file):
            if src is not None:
                shutil.copyfile(src, stage / src.name)
        kept = discarded_path(r.suite_file) if r.suite_file is not None else None
        if kept is not None and kept.is_file() and kept.parent != out / DISCARDED:
            (stage / DISCARDED).mkdir(exist_ok=True)  # published with the report
            shutil.copyfile(kept, stage / DISCARDED / kept.name)
    for study in study_paths(results, warmup_dir):
        (stage / STUDY_FOLDER).mkdir(exist_ok=True)
        shutil.copyfile(study, stage / STUDY_FOLDER / study.name)


def cmd_report(args: argparse.Namespace) -> int:
    """``python -m harness report RESULTS_DIR [--output DIR] [--baseline ID] [--warmup DIR]``.

    An unreadable file is named on stderr (one line each) and on the page; the
    report is still written, and the exit status is 1 unless ``--allow-partial``.
    """
    start = time.monotonic()
    readme = getattr(args, "readme", None)
    summary = getattr(args, "summary", None)
    warmup = getattr(args, "warmup", None)
    files = write_report(Path(args.results), Path(args.output) if args.output else None,
                         args.baseline, Path(readme) if readme else None,
                         Path(summary) if summary else None, Path(warmup) if warmup else None)
    elapsed = time.monotonic() - start
    print(f"report: {files.html} ({len(files.charts)} charts, baseline "
          f"{files.baseline or 'none'}, {elapsed:.1f} s)")
    for name, why in files.skipped:
        print(f"report: skipped {Path(args.results) / name}: {why} (run that interpreter "
              "again into this folder, or move the file out of it)", file=sys.stderr)
    if files.skipped and not getattr(args, "allow_partial", False):
        n = len(files.skipped)
        print(f"error: {n} unreadable file{'s' if n != 1 else ''} skipped: the report lists "
              f"{'them' if n != 1 else 'it'} (pass --allow-partial to accept a partial report)",
              file=sys.stderr)
        return 1
    return 0
