"""Method and environment: how the numbers were made, how intervals are computed, what failed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pyperf

from harness import stats
from harness.calibrations import LOOPS_FEWER, LOOPS_MORE, SCALE_FACTOR
from harness.report.context import (
    PRACTICAL,
    UNSTABLE,
    Context,
    distinct,
    relative_spread,
    span,
)
from harness.report.document import Block, Bullets, Para, Section, Table
from harness.report.model import short
from harness.report.sections import precision
from harness.report.sections.discarded import discarded_blocks

INTERVALS = (
    "Each point is measured in several fresh worker processes (pyperf runs); each process "
    "runs warmups, then values, and the points of one workload interleaved. Processes are "
    "the independent samples: values of one process share its warm-up and the machine's "
    "moment, so every interval is computed from one number per process. A second run on "
    "the same machine adds what a stretch of machine time shares (the other tenant of the "
    "second core, the host's clock), and processes close in time share it too, so every "
    "interval has two levels (Kalibera and Jones, 2013): a point's processes, in the order "
    "they ran (rounds, else start times, else process ids), are cut into at most "
    f"{stats.MAX_BLOCKS} blocks of consecutive processes, and the Student t-interval is "
    "taken over the block means (blocks - 1 degrees of freedom); with "
    f"{stats.MAX_BLOCKS} processes or fewer each is its own block. The t quantile is that "
    f"of a {stats.QUANTILE_LEVEL:.0%} interval: the runner stops measuring a point as soon "
    "as its interval is narrow enough, and so stops more often on a sample that happens to "
    "be tight; drawn with the 95% quantile such intervals cover the truth only 84-93% of "
    "the time (simulated), with this one 94-98%: they are 95% intervals after the "
    "stopping. A point's time is the mean of its per-process means, ± that half-width. A "
    "speedup is the geometric mean of the paired per-process ratios time(1) / time(T) "
    "(weak scaling: T x that ratio); its interval is the two-level one on the logarithms "
    "of those ratios, transformed back; processes that ran short of free cores are left "
    "out. A single-thread comparison between two interpreters: see the next paragraph; "
    "without rounds its interval is Welch's t-interval on the logarithms of the block "
    "means (Welch-Satterthwaite degrees of freedom), so different process counts and "
    "spreads are fine. Quantiles come from scipy.stats. A difference is significant, and "
    "worded (faster, slower), "
    f"only when its whole interval lies beyond the practical threshold of {PRACTICAL:.0%} "
    f"(above {1 + PRACTICAL:g}, or below 1 / {1 + PRACTICAL:g} = {1 / (1 + PRACTICAL):.3f}), "
    "not only when it excludes 1: a 1% difference that one run calls significant and the "
    "next does not would flip the words; in between it reads \"no significant change\" "
    "(n.s.). With one process there is no interval and no verdict. A speedup above the "
    "physical limit (the cores, or T when fewer) carries a note: noise when its interval "
    "includes the limit, a measurement fault when it does not. The headline's words on "
    f"threads have lines {stats.CLEAR_FRACTION:.0%} of the ideal gain away from 1 "
    f"({stats.parallel_line(2):g}x with 2 threads on 2 cores): \"in parallel\" needs the "
    "whole interval at or above it, \"take turns\" all below it, \"in each other's way\" "
    f"all below {stats.SLOWER_THAN_ONE:g}x, and an "
    "interval across a line gives no verdict; interpreters lie far from these lines, so "
    "two runs say the same words, and how much faster or slower is the figure's to say."
)


def method(ctx: Context) -> Section:
    """The environment, the method, the sampling table and the list of problems."""
    sec = Section(
        "method", "Method and environment",
        "How the numbers were made, and how to make them again.",
    )
    runs = [r.run_info for r in ctx.results if r.run_info]
    sec.blocks.append(Bullets(_environment(ctx, runs)))
    commands = merge_commands([str(x["command"]) for x in runs if x.get("command")])
    if commands:
        sec.blocks.append(Para("The command that makes these results again:"))
        sec.blocks.append(Bullets([f"`{c}`" for c in commands]))
    sec.blocks.append(Para(INTERVALS))
    sec.blocks += precision.method_blocks(ctx)
    sec.blocks.append(Para(_machines_text(ctx)))
    sec.blocks += _sampling(ctx)
    sec.blocks += _calibration(ctx)
    sec.blocks += discarded_blocks(ctx)
    sec.blocks += _problems(ctx)
    return sec


def _machines_text(ctx: Context) -> str:
    hosts = ctx.hosts()
    if len(hosts) <= 1:
        return ("Every suite comes from the same machine (host name, CPU model and CPU count "
                "agree), so single-thread times are compared across interpreters.")
    where = "; ".join(f"{', '.join(ids)} on {h[0] or '?'} ({h[1] or 'CPU not recorded'}, "
                      f"{h[2] or '?'} CPUs)" for h, ids in sorted(hosts.items()))
    return ("These suites come from more than one machine (" + where + "). Each "
            "interpreter's scaling figures are its own, against its own machine's cores; "
            "single-thread comparisons between interpreters measured on different machines "
            "are marked \"not comparable (different machines)\" and are not normalised.")


def _environment(ctx: Context, runs: list[dict[str, Any]]) -> list[str]:
    meta = [r.common_metadata() for r in ctx.measured]
    first_runs = [b.get_runs()[0].get_metadata() for x in ctx.measured if x.suite is not None
                  for b in x.suite.get_benchmarks()[:1]]
    cpu_model = distinct(
        [m.get("cpu_model_name") for m in meta + first_runs] + [x.get("cpu_model") for x in runs]
    )
    bullets = [
        f"pyperf: suites in pyperf's JSON format; this report was made with pyperf "
        f"{pyperf.__version__}" + (
            f" (runs recorded pyperf {distinct([x.get('pyperf_version') for x in runs])})"
            if any(x.get("pyperf_version") for x in runs) else ""),
        f"CPU: {cpu_model}; {ctx.cores} CPUs as seen by the interpreters",
        f"OS: {distinct(_os_names(ctx))}",
        f"host: {distinct([m.get('hostname') for m in meta] + [x.get('hostname') for x in runs])}",
        f"date: {distinct(run_dates(ctx, runs))}",
        f"profile: {distinct([x.get('profile') for x in runs])}",
        "harness: " + distinct([
            f"{x.get('harness_version') or '?'}, commit "
            f"{x.get('git_commit') or x.get('commit') or 'not recorded'}" for x in runs
        ]),
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
    bullets += _new_facts(ctx)
    return bullets


def _new_facts(ctx: Context) -> list[str]:
    """Noise level and environment, from facts files of newer runners (absent: nothing)."""
    out = []
    for r in ctx.results:
        noise = r.facts.noise
        if noise:
            rsd = noise.get("rsd")
            out.append(
                f"machine noise during {r.id}'s run: the reference loop "
                f"({noise.get('reference', '?')}) varied by "
                + (f"{rsd:.1%}" if isinstance(rsd, (int, float)) else "?")
                + f" (relative standard deviation), {noise.get('bursts', 0)} burst(s) "
                "against the whole run's quiet level, "
                f"{noise.get('flagged_processes', 0)} process(es) re-run because the "
                "reference right after them was a burst by the level known then")
        env = r.facts.environment
        if env:
            parts = [f"CPU affinity {_list(env.get('affinity'))}",
                     f"governor {env.get('governor') or 'not readable'}",
                     f"load {_list(env.get('loadavg_before'), '/')} before -> "
                     f"{_list(env.get('loadavg_after'), '/')} after",
                     f"point order {env.get('point_order', '?')}"
                     + (f" (seed {env['seed']})" if env.get("seed") is not None else "")]
            if env.get("busy_at_start"):
                parts.append("**the machine was busy at the start**")
            out.append(f"{r.id}: " + ", ".join(parts))
    return out


def _list(value: Any, sep: str = ",") -> str:
    if isinstance(value, list):
        return sep.join(str(v) for v in value) or "-"
    return "not recorded" if value is None else str(value)


def _sampling(ctx: Context) -> list[Block]:
    rows = []
    sampled = any(r.facts.sampling for r in ctx.measured)
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
        row = [r.id, span(nruns), span(nvalues), span(nwarm), span(loops),
               str(len(r.suite)), str(unstable)]
        if sampled:
            row.append(_target(r.facts.sampling))
        rows.append(row)
    if not rows:
        return []
    headers = ["interpreter", "processes", "values / process", "warmups / process",
               "loops / value", "benchmarks", "unstable"]
    if sampled:
        headers.append("sampling target met")
    return [Table(
        headers, rows,
        caption="per benchmark (ranges over benchmarks); unstable: stdev above "
        f"{UNSTABLE:.0%} of the mean, which pyperf warns about: rerun on a quiet "
        "machine, with more processes (`--rigorous`)")]


def _calibration(ctx: Context) -> list[Block]:
    """How many jobs kept the loops and work scale an earlier run chose (facts ``work``)."""
    found = [entry.get("calibration") for r in ctx.measured for entry in (r.facts.work or {})
             .values() if isinstance(entry, dict)]
    plans: list[dict[str, str]] = [p for p in found if isinstance(p, dict) and p.get("plan")]
    if not plans:
        return []
    count = {how: sum(p["plan"] == how for p in plans) for how in ("recalled", "fresh", "changed")}
    oldest = min((str(p.get("recorded")) for p in plans if p["plan"] == "recalled"
                  and p.get("recorded")), default="")
    since = f" (chosen from {oldest.replace('T', ' ')[:16]} UTC on)" if oldest else ""
    folders = sorted({str(p["from"]) for p in plans if p["plan"] == "recalled" and p.get("from")})
    if folders:
        since += f" ({sum(bool(p.get('from')) for p in plans if p['plan'] == 'recalled')} " \
            f"of them from {', '.join(f'`{f}`' for f in folders)}: `--plans-from`)"
    return [Para(
        f"Loops and work scales: of {len(plans)} jobs, {count['recalled']} kept the plan an "
        f"earlier run chose{since}, {count['fresh']} chose afresh and "
        f"{count['changed']} replaced a remembered plan their own choice lay far from "
        f"({LOOPS_MORE}x more or {LOOPS_FEWER}x fewer loops, or a work scale {SCALE_FACTOR}x "
        "off). A choice that flips "
        "between two runs moves what a whole run measures (Jython's thread start took twice as "
        "long a call with 64 loops as with 256), so runs on one machine keep one plan; "
        "`run --recalibrate` chooses afresh.")]


def _target(sampling: dict[str, Any] | None) -> str:
    """"7 of 9 points (missed: countdown/threads=4, ...)" from the runner's sampling record."""
    if not sampling:
        return "not recorded"
    # A hand-edited or damaged record: what is not an object reads as not recorded.
    raw = sampling.get("points")
    points = {str(n): p if isinstance(p, dict) else {}
              for n, p in (raw.items() if isinstance(raw, dict) else ())}
    met = sorted(n for n, p in points.items() if p.get("met"))
    missed = sorted(n for n in points if n not in met)
    target = sampling.get("target")
    target = target if isinstance(target, dict) else {}
    text = f"{len(met)} of {len(points)} points"
    if target:
        text += (f" (ratio ± {target.get('ratio_half_width', '?')}, mean ± "
                 f"{target.get('mean_rel_half_width', '?')})")
    if missed:
        text += "\nmissed: " + ", ".join(
            f"{n} ({points[n].get('processes', '?')} processes)" for n in missed)
    return text


def _problems(ctx: Context) -> list[Block]:
    problems = [
        [r.id, "(all)", "not available", short(str(o.get("reason") or ""), 300)]
        for r in ctx.unavailable for o in r.outcomes
    ]
    for r in ctx.results:
        for o in sorted(r.outcomes, key=lambda o: str(o.get("benchmark"))):
            if o.get("status") != "ok":
                problems.append([r.id, str(o.get("benchmark", "")), str(o.get("status", "")),
                                 short(str(o.get("reason") or ""), 300)])
        for p in r.problems:
            problems.append([r.id, "(files)", "unreadable" if "unreadable" in p else "missing", p])
    blocks: list[Block] = [Para("What was skipped or failed, and why:", css="subhead")]
    if problems:
        blocks.append(Table(["interpreter", "benchmark", "status", "reason"], problems,
                            numeric_from=99))
    else:
        blocks.append(Para("Nothing: every benchmark of every interpreter ran."))
    return blocks


def run_dates(ctx: Context, runs: list[dict[str, Any]]) -> list[str]:
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

