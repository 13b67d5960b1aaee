"""Loaded results -> the document: the context, the sections in order, the page's intro."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.report.charts import styles_for
from harness.report.context import Context
from harness.report.document import Document
from harness.report.model import (
    InterpreterResults,
    all_points,
    choose_baseline,
    cut_text,
    is_unavailable,
    machine_cores,
    scaling_series,
    skipped_files,
    workload_catalogue,
)
from harness.report.sections import SECTIONS
from harness.report.sections.method import run_dates

INTRO = (
    "Python threads share one interpreter. CPython's global interpreter lock (GIL) lets "
    "one thread run Python code at a time; the free-threaded build (3.13t) removes it; "
    "PyPy keeps a GIL; Jython runs Python threads as Java threads, without one. This "
    "page shows, with measurements made by pyperf, what that means in practice: "
    "whether CPU-bound threads run in parallel, whether unsynchronized code loses "
    "updates, what one thread costs, and how long a thread waits for its turn."
)


def build_context(
    results: list[InterpreterResults], baseline: str | None = None,
    warmup_dir: Path | None = None,
) -> Context:
    """The shared context of the sections (unavailable interpreters set apart)."""
    styles = {r.id: s for r, s in zip(results, styles_for([r.family for r in results]),
                                      strict=True)}
    unavailable = [r for r in results if is_unavailable(r)]
    results = [r for r in results if not is_unavailable(r)]
    measured = [r for r in results if r.suite is not None]
    base, reason = choose_baseline(results, baseline)
    points = all_points(results)
    catalogue = workload_catalogue(points)
    pinned = all_points(results, pinned=True)
    catalogue.update({w: i for w, i in workload_catalogue(pinned).items() if w not in catalogue})
    return Context(results, measured, base, reason, points,
                   scaling_series(points, catalogue), machine_cores(results), catalogue,
                   unavailable, warmup_dir=warmup_dir, pinned=pinned, styles=styles)


def build_document(
    results: list[InterpreterResults], baseline: str | None = None,
    strays: Sequence[tuple[str, str]] = (),
    warmup_dir: Path | None = None,
) -> tuple[Document, InterpreterResults | None]:
    """The report's content, from loaded results; also returns the chosen baseline.

    ``strays``: files of the folder that belong to no interpreter (``stray_files``).
    """
    ctx = build_context(results, baseline, warmup_dir)
    sections = [make(ctx) for make in SECTIONS]
    dates = sorted({d.split(" ")[0].split("T")[0] for d in run_dates(ctx, [
        r.run_info for r in ctx.results if r.run_info])})
    n = len(ctx.results)
    subtitle = (
        f"{n} interpreter{'s' if n != 1 else ''} ({len(ctx.measured)} measured) on "
        f"{ctx.cores} CPUs" + (f", run {', '.join(dates)}" if dates else "")
        + _noise(ctx)
    )
    intro = [
        INTRO,
        "Every number comes from the pyperf files beside this page; `compare.md` is "
        "pyperf's own comparison of them, so you can check it with "
        "`python -m pyperf compare_to`.",
    ]
    missing = [f"**{r.id}**: {'; '.join(r.problems)}" for r in ctx.results if r.suite is None]
    if missing:
        intro.append("Missing from the measurements: " + " ".join(missing))
    intro += _skipped_and_cut(ctx, strays)
    if ctx.unavailable:
        intro.append(
            "Not available on this machine, so not in this report: "
            + ", ".join(f"**{r.id}**" for r in ctx.unavailable)
            + " (why, and how to provide them: see Method and environment)."
        )
    doc = Document("Python threads across interpreters", subtitle, intro, sections,
                   ctx.estimates.csv_text())
    return doc, ctx.baseline


def _skipped_and_cut(ctx: Context, strays: Sequence[tuple[str, str]]) -> list[str]:
    """The files the report could not read, and later runs that were cut short."""
    out = []
    skipped = [*skipped_files([*ctx.results, *ctx.unavailable]), *strays]
    if skipped:
        out.append("**Files skipped, unreadable**: " + "; ".join(
            f"`{name}` ({why})" for name, why in skipped)
            + ". Their interpreters are shown from what could be read.")
    later = [f"**{r.id}** ({cut_text(r.later_interrupted) or 'interrupted'})"
             for r in [*ctx.results, *ctx.unavailable] if r.later_interrupted is not None]
    if later:
        out.append("**A later run was interrupted**: " + ", ".join(later) + ". The results "
                   "shown are the earlier complete runs; the partial ones are in `interrupted/` "
                   "(a results folder of its own).")
    return out


def _noise(ctx: Context) -> str:
    """", machine noise 1.9-4.2% (...)": the spread of the reference loop during the runs."""
    rsds = sorted(float(r.facts.noise["rsd"]) for r in ctx.measured
                  if r.facts.noise and isinstance(r.facts.noise.get("rsd"), (int, float)))
    if not rsds:
        return ""
    median = rsds[len(rsds) // 2]
    if f"{rsds[0]:.1%}" == f"{rsds[-1]:.1%}":  # interleaved rounds: one record for the run
        return (f", machine noise {median:.1%} (the reference loop's relative standard "
                "deviation during the run)")
    return (f", machine noise {rsds[0]:.1%}-{rsds[-1]:.1%} (median {median:.1%}; the "
            "reference loop's relative standard deviation during each interpreter's run)")
