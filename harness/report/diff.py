"""``python -m harness diff``: the terminal table, diff.md and diff.html of a comparison.

The numbers come from ``harness.report.changes`` (which reads the folders and judges);
this module only words and lays them out, with the report's document model and
its HTML/Markdown renderers, so the pages look like the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from harness import paths, stats
from harness.fileutil import atomic_write_text
from harness.report import between as between_mod
from harness.report import changes
from harness.report.changes import Diff, InterpreterDiff
from harness.report.context import fmt_ratio, interval_pct, pct_change
from harness.report.document import Block, Bullets, Document, Para, Section, Table
from harness.report.gate import GATE_FDR, Gate, judge
from harness.report.html_page import render_html
from harness.report.markdown import render_markdown
from harness.stats import Estimate

NOT_GATED = ("reported, never fails the gate by itself: another build compares nothing "
             "like for like; on another machine (CPU model or count) nothing is judged")
OTHER_MACHINE = "not judged: another machine"


def _counts(items: Sequence[str], words: Sequence[str]) -> str:
    return "/".join(str(sum(1 for v in items if v == w)) for w in words)


def _note(i: InterpreterDiff) -> str:
    parts = i.differences + i.machine
    return "not comparable: " + "; ".join(parts) if parts else ""


def _lock_cell(i: InterpreterDiff) -> str:
    if any(c.regression for c in i.lost):
        return "LOST UPDATES"
    return "ok" if any(c.locked for c in i.lost) else "-"


def summary_rows(d: Diff) -> list[list[str]]:
    """One row per interpreter: points, time and scaling verdict counts, lock, note."""
    rows = []
    for i in d.interpreters:
        if i.other_machine:
            rows.append([i.id, str(len(i.times)), OTHER_MACHINE, OTHER_MACHINE, "-", _note(i)])
            continue
        rows.append([
            i.id, str(len(i.times)),
            _counts([t.verdict for t in i.times],
                    ("faster", "slower", "no significant change", "not enough processes")),
            _counts([s.verdict for s in i.scaling],
                    ("higher", "lower", "no significant change", "not enough processes")),
            _lock_cell(i), _note(i),
        ])
    return rows


SUMMARY_HEADERS = ["interpreter", "points", "time: faster/slower/same/none",
                   "ratio vs 1: higher/lower/same/none", "lock", "note"]


def change_lines(d: Diff) -> list[str]:
    """Every significant change, one line each (times, ratios, lost updates)."""
    out = []
    for i in d.interpreters:
        if i.other_machine:  # not comparable: nothing of it is judged
            continue
        for t in i.times:
            if t.verdict in ("faster", "slower"):
                out.append(f"{i.id} {t.point}: time {fmt_time(t.old)} -> {fmt_time(t.new)} "
                           f"(raw means), {changes.time_text(t)}: {t.verdict}")
        for s in i.scaling:
            if s.verdict in ("higher", "lower"):
                out.append(f"{i.id} {s.point}: ratio vs 1 {fmt_ratio(s.old)} -> "
                           f"{fmt_ratio(s.new)}, {pct_change(s.change.value)} "
                           f"{interval_pct(s.change)}: {s.verdict}")
        for c in i.lost:
            if c.regression:
                out.append(f"{i.id} {c.point}: lost updates under a lock where there were "
                           f"none: {_lost(c.old)} -> {_lost(c.new)}: regression")
            elif c.changed and not c.locked:
                out.append(f"{i.id} {c.point}: lost updates without a lock {_lost(c.old)} -> "
                           f"{_lost(c.new)} (reported, not judged)")
    return out


def side_lines(d: Diff) -> list[str]:
    """Interpreters and points measured on one side only; points whose work differs."""
    out = []
    if d.only_old:
        out.append(f"only in OLD (not measured in NEW): {', '.join(d.only_old)}")
    if d.only_new:
        out.append(f"only in NEW (not measured in OLD): {', '.join(d.only_new)}")
    for i in d.interpreters:
        other = [f"{t.point} ({t.work})" for t in i.times if t.work]
        if other:
            out.append(f"{i.id}: other work per call, times not compared: {'; '.join(other)}")
        loops = [f"{t.point} ({t.loops})" for t in i.times if t.loops and not t.work]
        if loops:
            out.append(f"{i.id}: other loops per value (calibration chose otherwise; compared, "
                       f"but a time per call can move with its loops): {'; '.join(loops)}")
        if i.only_old:
            out.append(f"{i.id}: points only in OLD: {', '.join(i.only_old)}")
        if i.only_new:
            out.append(f"{i.id}: points only in NEW: {', '.join(i.only_new)}")
    return out


def fmt_time(e: Estimate) -> str:
    """A time in a readable unit: "171 ms"."""
    v = e.value
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v / 1e-9:.3g} ns"


def _lost(counts: tuple[int, int]) -> str:
    lost, expected = counts
    share = f" ({100.0 * lost / expected:.2g}%)" if expected and lost else ""
    return f"{lost:,} of {expected:,}{share}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sentence_of(line: str) -> str:
    """"not comparable: ..." -> "Not comparable: ...."."""
    return line[:1].upper() + line[1:] + "."


def headline(d: Diff, threshold: float) -> str:
    """One sentence: nothing changed, or how many significant changes and regressions."""
    gate = judge(d, threshold)
    found = change_lines(d)
    same = [i for i in d.interpreters if not i.other_machine]
    if not same:
        return sentence_of(d.not_comparable())
    judged = ("faster", "slower", "higher", "lower", "no significant change")
    n_times = sum(1 for i in same for t in i.times if t.verdict in judged)
    n_ratios = sum(1 for i in same for s in i.scaling if s.verdict in judged)
    verdicts = [c.verdict for i in same for c in i.times]
    verdicts += [c.verdict for i in same for c in i.scaling]
    blind = verdicts.count("not enough processes")
    what = (f"{_count(len(same), 'interpreter')}, {_count(n_times, 'point')} and "
            f"{_count(n_ratios, 'ratio')} against one thread compared like for like")
    if blind:
        what += f" ({blind} more without an interval: fewer than 2 processes on a side)"
    if not found and not n_times and not n_ratios:
        return f"Nothing judged: {what}."
    if not found:
        return f"Nothing changed: no significant change in {what} (95% intervals)."
    verdict = (f"{_count(len(gate.failing), 'regression')} beyond {threshold:g}%"
               if gate.failing else f"no regression beyond {threshold:g}%")
    return f"{_count(len(found), 'significant change')} in {what}; {verdict}{_aside(gate)}."


def _aside(gate: Gate) -> str:
    """" (2 changes beyond it alone, not discoveries among 503 judged at a 5% false
    discovery rate)", or "" when none."""
    if not gate.alone:
        return ""
    return (f" ({_count(len(gate.alone), 'change')} beyond it alone, not "
            f"{'a discovery' if len(gate.alone) == 1 else 'discoveries'} among "
            f"{gate.judged} judged at a {GATE_FDR:.0%} false discovery rate)")


def alone_lines(gate: Gate) -> list[str]:
    """The changes beyond the threshold that are not discoveries: named, never failing."""
    return [f"{r.line()} (beyond the threshold alone; not a discovery among {gate.judged})"
            for r in gate.alone]


# --------------------------------------------------------------------------- terminal


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[k]) for r in [list(headers), *rows]) for k in range(len(headers))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers).rstrip(), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r).rstrip() for r in rows]
    return lines


def terminal_text(d: Diff, threshold: float) -> str:
    """The compact table and the list of what changed, for the terminal."""
    lines = [f"diff: {d.title or f'OLD {d.old} -> NEW {d.new}'}", headline(d, threshold)]
    lines += ([d.between_runs()] if not d.title else []) + [""]
    lines += _text_table(SUMMARY_HEADERS, summary_rows(d))
    found = change_lines(d)
    if found:
        lines += ["", "significant changes:"] + [f"  {c}" for c in found]
    alone = alone_lines(judge(d, threshold))
    if alone:
        lines += ["", "beyond the threshold, not failing the gate:"] + [f"  {a}" for a in alone]
    sides = side_lines(d)
    if sides:
        lines += [""] + sides
    if any(not i.comparable for i in d.interpreters):
        lines += ["", f"not comparable ({NOT_GATED}):"]
        lines += [f"  {i.id}: {_note(i).removeprefix('not comparable: ')}"
                  for i in d.interpreters if not i.comparable]
    return "\n".join(lines)


# --------------------------------------------------------------------------- pages


def _times_table(d: Diff) -> Table:
    rows = [[i.id, t.point, fmt_time(t.old), fmt_time(t.new),
             f"{pct_change(t.raw.value)}\n{interval_pct(t.raw)}"
             if t.raw is not None else "-",
             f"{pct_change(t.change.value)}\n{interval_pct(t.change)}\n"
             f"by {t.adjusted_by}" if t.adjusted else "not adjusted",
             OTHER_MACHINE if i.other_machine else t.verdict]
            for i in d.interpreters for t in i.times]
    return Table(["interpreter", "point", "old", "new", "raw change (95% interval)",
                  "adjusted change (95% interval)", "verdict"],
                 rows, caption="mean over per-process means; change = new / old - 1; the "
                 "verdict is on the adjusted change where there is one, else on the raw one",
                 numeric_from=2, css="wide")


def _scaling_table(d: Diff) -> Table:
    rows = [[i.id, s.point, fmt_ratio(s.old), fmt_ratio(s.new),
             f"{pct_change(s.change.value)}\n{interval_pct(s.change)}",
             OTHER_MACHINE if i.other_machine else s.verdict]
            for i in d.interpreters for s in i.scaling]
    return Table(["interpreter", "point", "old ratio vs 1", "new ratio vs 1",
                  "change (95% interval)", "verdict"], rows,
                 caption="speed of T threads (or processes) against one, from paired "
                         "per-process ratios", numeric_from=2, css="wide")


def _lost_table(d: Diff) -> Table:
    rows = []
    for i in d.interpreters:
        for c in i.lost:
            if c.locked:
                judged = "REGRESSION" if c.regression else "ok"
            else:
                judged = "changed (not judged)" if c.changed else "same"
            rows.append([i.id, c.point, "yes" if c.locked else "no", _lost(c.old),
                         _lost(c.new), judged])
    return Table(["interpreter", "point", "lock", "old: lost of expected",
                  "new: lost of expected", "judgement"], rows,
                 caption="lost updates summed over every run", numeric_from=3)


def _method(d: Diff, threshold: float, between: bool = False) -> Section:
    line = between_mod.method_line(d)
    pairing = [f"Two builds of one run (`--between`): {line[:1].lower()}{line[1:]} The "
               "bullets on two runs below (references, other builds) do not apply to it."
               ] if between else []
    return Section("method", "Method", "How each figure is computed.", [Bullets(pairing + [
        "Processes are the independent samples: each worker process gives one mean per "
        "point (runs pair by their `process` metadata, or by run index in older files).",
        "Every interval has two levels (`harness/stats.py`, Kalibera and Jones 2013): a "
        "side's processes, in the order they ran, are cut into at most "
        f"{stats.MAX_BLOCKS} blocks of consecutive processes, and the interval is taken "
        "over the block means, so the variation between stretches of machine time that a "
        "second run adds is in it. It is drawn with the t quantile of a 98% interval: the "
        "runner stops sampling a point when its interval is narrow enough, which without "
        "the correction would leave it covering less than 95%.",
        "none (in the summary): no interval, because a side has fewer than 2 processes; "
        "never judged. A point whose work per call differs (`total`, `increments`, "
        "`work_scale`...) is listed under Not compared and never judged.",
        "Time: the ratio of the geometric means of NEW's and OLD's per-process means, with "
        "Welch's 95% t-interval on the logarithms of their block means (unequal counts and "
        "variances allowed). "
        "For CPU-bound points (strong-scaling workloads) it is divided by the change of the "
        "machine's reference loop, timed between worker processes in both runs (facts "
        "`noise`, bursts left out), and the interval includes that loop's uncertainty: a "
        "machine 4% slower during NEW does not read as a 4% regression. Points whose time is "
        "mostly starting threads (`thread_start`, the counters' 100 threads of one increment) "
        "are divided instead by the machine's thread-start reference, and sub-interpreter "
        "start (`start=N`) by its fresh-memory reference (both timed beside the loop, facts "
        "`noise.drift`, `harness/drift.py`), when both runs recorded them. Every adjusted "
        "change is printed as adjusted, beside the raw one. Sleeps (io_wait, latency) are "
        "not adjusted. Faster or slower only when the whole interval lies beyond 2% of no "
        "change (the report's practical threshold).",
        "Ratio against one thread: the geometric mean of the per-process paired ratios "
        "time(1) / time(T) (times T for weak scaling), with its 95% t-interval; processes "
        "that ran while the machine had fewer free cores than the point needed (run "
        "metadata `harness_capacity_low`) are left out. Its change is Welch's interval on "
        "the logarithms of the two sets of paired ratios.",
        "Variation between runs (`--history DIR...`: earlier runs of OLD's code on the "
        "same machine): a whole run can shift (3.13's countdown took 201, 165, 150 and "
        "150 ms in four runs of one code on one machine), which no interval from one run "
        "holds. With a history, each point's centre in every earlier run and OLD (its "
        "logarithm, less its reference's) gives the variance a run adds (the variance of "
        "the centres less their own, at least 0; Kalibera and Jones, 2013), and every "
        "change's interval adds it twice (OLD's run and NEW's), with runs - 1 degrees of "
        "freedom: with two or three runs the gate sees only large changes; more runs "
        "narrow it. Without a history the intervals hold the variation within runs only, "
        "which the output says.",
        f"Gate (`--fail-on-regression`): a change fails it when its whole 95% interval lies "
        f"beyond the threshold ({threshold:g}%) in the bad direction (slower, or a lower "
        "ratio): significantly larger than the threshold, not only significant. Two "
        "identical runs on a noisy machine differ by more than their process-level "
        "intervals say (the run itself varies); the threshold is that allowance. And it "
        "must be a discovery among all the changes the comparison judges "
        f"({judge(d, threshold).judged} here): Benjamini-Hochberg at a {GATE_FDR:.0%} false "
        "discovery rate on each change's one-sided p-value of no change. With hundreds "
        "judged, a few intervals from 5 processes a side lie beyond the threshold by chance "
        "(on a 2-core machine with 20% noise, in 10 of 20 comparisons of identical runs; "
        "none was a discovery): they are named as beyond the threshold alone and do not "
        "fail it. The price: between two runs on such a machine, only large changes are "
        "discoveries; `--between` (two builds in one run, paired by round) leaves the "
        "variation between runs out. Lost "
        "updates under a lock where there were none always fail it. A change in lost "
        "updates without a lock is reported, not judged.",
        "An interpreter whose build facts differ (implementation, version, build "
        "optimizations, free-threaded build, GIL state) is compared and shown, but its "
        "times and ratios never fail the gate. On another machine (CPU model or count) "
        "nothing is judged: the runs are not comparable, which is said and is not a failure "
        "(exit status 0); measure a baseline on the same machine to gate.",
    ])])


def build_document(d: Diff, threshold: float, between: bool = False) -> Document:
    """The comparison as a document (the report's model): rendered to HTML and Markdown."""
    blocks: list[Block] = [] if between else [Para(sentence_of(d.between_runs()))]
    blocks.append(Table(SUMMARY_HEADERS, summary_rows(d), numeric_from=len(SUMMARY_HEADERS)))
    summary = Section("summary", "Summary", headline(d, threshold), blocks)
    gate = judge(d, threshold)
    if gate.failing:
        summary.blocks.append(Para(f"Regressions beyond {threshold:g}%, worst first",
                                   css="subhead"))
        summary.blocks.append(Bullets([r.line() for r in gate.failing], css="missing"))
    if gate.alone:
        summary.blocks.append(Para("Beyond the threshold, not failing the gate",
                                   css="subhead"))
        summary.blocks.append(Bullets(alone_lines(gate)))
    found = change_lines(d)
    summary.blocks.append(Para("Significant changes", css="subhead"))
    summary.blocks.append(Bullets(found) if found else Para("No significant change."))
    comparable = [f"**{i.id}**: {_note(i).removeprefix('not comparable: ')}"
                  for i in d.interpreters if not i.comparable]
    facts = Section("facts", "Comparability",
                    "Facts that make two runs of one interpreter different things.",
                    [Para(f"Not comparable ({NOT_GATED}):"), Bullets(comparable)]
                    if comparable else [Para("Same build and machine for every interpreter.")])
    sides = side_lines(d)
    sections = [
        summary, facts,
        Section("times", "Time per point", "NEW against OLD, every point in both.",
                [_times_table(d)]),
        Section("scaling", "Ratios against one thread", "Old and new, and the change.",
                [_scaling_table(d)]),
        Section("correctness", "Correctness: lost updates",
                "Under a lock none may be lost; without one, changes are reported only.",
                [_lost_table(d)]),
        Section("one-side", "Not compared", "Interpreters and points not in both, and "
                "points whose work per call differs.",
                [Bullets(sides) if sides else Para("None: both sides measured the same.")]),
        _method(d, threshold, between),
    ]
    return Document("What changed between two builds" if between else
                    "What changed between two runs", d.title or f"OLD {d.old} -> NEW {d.new}",
                    [headline(d, threshold)], sections)


def render_pages(doc: Document, footer: str) -> tuple[str, str]:
    """(Markdown, HTML) of ``doc`` with ``footer`` (inline markup: `code`, **bold**) last,
    in place of the report's own (these pages are not the report); both renderers
    escape it as they escape the document (it names folders the user gave)."""
    doc = dataclasses.replace(doc, footer=(footer,))
    return render_markdown(doc), render_html(doc)


def write_pages(d: Diff, output: Path, threshold: float,
                command: str = "") -> list[Path]:
    """diff.md and diff.html in ``output`` (created)."""
    command = command or f"python -m harness diff {d.old} {d.new}"
    md_text, html_text = render_pages(build_document(d, threshold, "--between" in command),
                                      f"Made by `{command}`.")
    output.mkdir(parents=True, exist_ok=True)
    md, page = output / "diff.md", output / "diff.html"
    atomic_write_text(md, md_text)  # a full disk leaves the old page, never half of one
    atomic_write_text(page, html_text)
    return [md, page]


# --------------------------------------------------------------------------- command


def cmd_diff(args: argparse.Namespace) -> int:
    """``python -m harness diff OLD NEW [--output DIR] [--fail-on-regression] [--threshold PCT]``.

    0: compared (and, with ``--fail-on-regression``, no regression); 1: a
    regression with ``--fail-on-regression``; bad input raises ``DiffError``
    (exit status 2) before anything is written.
    """
    threshold = changes.DEFAULT_THRESHOLD if args.threshold is None else float(args.threshold)
    if not threshold >= 0:
        raise changes.DiffError(f"--threshold {args.threshold} is not a percentage",
                             "give a number such as 5")
    start = time.monotonic()
    pair = getattr(args, "between", None)
    command = ""
    history = [Path(h) for h in getattr(args, "history", None) or []]
    if pair:
        if history:
            raise changes.DiffError(
                "--history is for two runs of one code; --between compares two "
                "interpreters of one run, paired by round",
                f"python -m harness diff {args.old} --between {pair[0]} {pair[1]}")
        if args.new is not None:
            raise changes.DiffError(
                f"--between compares two interpreters of one results folder, but two "
                f"folders were given ({args.old}, {args.new})",
                f"python -m harness diff {args.old} --between {pair[0]} {pair[1]}")
        result = between_mod.compare_between(Path(args.old), pair[0], pair[1])
        command = f"python -m harness diff {args.old} --between {pair[0]} {pair[1]}"
    elif args.new is None:
        raise changes.DiffError("diff needs two results folders, OLD and NEW",
                                "python -m harness diff OLD NEW, or "
                                "python -m harness diff RESULTS --between A B")
    else:
        result = changes.diff_folders(Path(args.old), Path(args.new), history)
    if args.output:  # checked once the inputs are read (bad input creates no folder)
        problem = paths.folder_problem(Path(args.output))
        if problem:
            raise changes.DiffError(f"output folder {args.output} cannot be used: {problem}",
                                    "give another folder with --output")
    print(terminal_text(result, threshold))
    if args.output:
        files = write_pages(result, Path(args.output), threshold, command)
        print(f"wrote {', '.join(str(f) for f in files)}")
    gate = judge(result, threshold)
    regressions = gate.failing
    elapsed = time.monotonic() - start
    if all(i.other_machine for i in result.interpreters):
        # Another CPU model: nothing is judged, and that is not a failure (exit 0).
        print(f"{result.not_comparable()} ({elapsed:.1f} s)")
        return 0
    skipped = [i.id for i in result.interpreters if not i.comparable]
    aside = f"; not comparable, not judged: {', '.join(skipped)}" if skipped else ""
    if not regressions:
        print(f"no regression beyond {threshold:g}%{_aside(gate)}{aside} ({elapsed:.1f} s)")
        return 0
    worst = regressions[0]
    more = f" (and {len(regressions) - 1} more)" if len(regressions) > 1 else ""
    print(f"regression beyond {threshold:g}%: {worst.line()}{more}{aside} ({elapsed:.1f} s)")
    return 1 if args.fail_on_regression else 0
