"""How sure each figure is: points below the floor or short of their precision, the
pairing the comparisons used, and processes that ran short of free cores.

Not a section: the headline's cells and items (``cell_note``), the Method section
(``method_blocks``) and the headline's warnings (``warning``) read it.

- The floor: every point should have at least ``FLOOR`` worker processes (the
  README's promise). A point below it is named with why: the run's time cap
  (facts ``sampling.points[name].cap_reached``), an interrupted run, a failed
  or timed-out process, a profile that asks for fewer, or, in older files
  that record none of this, the interpreter's time budget.
- The precision: a point the sampler judged (``sampling.points[name].met``) and
  left short of its target says so, with its half-width.
- Capacity: processes with run metadata ``harness_capacity_low`` ran while the
  machine had fewer free cores than their largest worker count; ``stats.speedup``
  leaves them out of every ratio and verdict; here they are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyperf

from harness import stats
from harness.points import workload_of
from harness.report import changes
from harness.report.context import SMOKE_PROFILES, Context
from harness.report.document import Block, Bullets, Para
from harness.report.model import InterpreterResults

# The README's promise: at least this many worker processes behind every point.
FLOOR = 5


@dataclass(frozen=True)
class Shortfall:
    """One point of one interpreter that is below the floor or short of its precision."""

    interpreter: str
    point: str
    processes: int
    below_floor: bool
    missed: bool  # the sampler's target not met
    why: str

    def text(self) -> str:
        """"3 processes, below the floor of 5: the run's time cap was reached"."""
        what = []
        if self.below_floor:
            what.append(f"{self.processes} process{'es' if self.processes != 1 else ''}, "
                        f"below the floor of {FLOOR}")
        if self.missed:
            what.append("precision not reached" + ("" if self.below_floor
                                                     else f" ({self.processes} processes)"))
        return f"{', '.join(what)}: {self.why}"


def _points(r: InterpreterResults) -> dict[str, dict[str, Any]]:
    raw = (r.facts.sampling or {}).get("points")
    return {str(k): v for k, v in raw.items() if isinstance(v, dict)} \
        if isinstance(raw, dict) else {}


def _why(r: InterpreterResults, name: str, rec: dict[str, Any], processes: int) -> str:
    sampling = r.facts.sampling or {}
    failed = [o for o in r.outcomes if o.get("benchmark") in (name, workload_of(name))
              and o.get("status") not in ("ok", None)]
    if rec.get("cap_reached"):
        return "the run's time cap was reached before it"
    if r.interrupted is not None:
        return f"the run was {r.interrupted_text()}"
    if failed:
        return f"a process {failed[0].get('status')}"
    minimum = sampling.get("min_processes")
    if isinstance(minimum, int) and minimum < FLOOR and processes <= minimum:
        return f"the profile asks for {minimum}"
    maximum = sampling.get("max_processes")
    if isinstance(maximum, int) and processes >= maximum:
        return f"the profile's maximum of {maximum} processes"
    spent, budget = sampling.get("spent_s"), sampling.get("budget_s")
    if isinstance(spent, (int, float)) and isinstance(budget, (int, float)) and budget \
            and spent >= 0.9 * budget:
        return f"the interpreter's time budget ({budget:g} s) ran out"
    return "the run's records do not say why"


def shortfalls(r: InterpreterResults) -> dict[str, Shortfall]:
    """Point name -> its shortfall, for every point of ``r`` below the floor or its target."""
    if r.suite is None:
        return {}
    recs = _points(r)
    out = {}
    for bench in r.suite.get_benchmarks():
        name = str(bench.get_name())
        n = len(stats.process_means(bench))
        rec = recs.get(name, {})
        missed = rec.get("met") is False and rec.get("measure", "ratio") != "none"
        if n >= FLOOR and not missed:
            continue
        out[name] = Shortfall(r.id, name, n, n < FLOOR, missed, _why(r, name, rec, n))
    return out


def smoke(r: InterpreterResults) -> bool:
    """A smoke-test run (``--fast``): few processes by design, not noted point by point."""
    return r.run_info.get("profile") in SMOKE_PROFILES


def cell_note(r: InterpreterResults, *names: str) -> str:
    """What a table cell built from ``names`` must add ("" when every point is sound)."""
    if smoke(r):
        return ""
    short = shortfalls(r)
    notes = [short[n] for n in names if n in short]
    if not notes:
        return ""
    worst = min(notes, key=lambda s: (not s.below_floor, s.processes))
    return worst.text()


def capacity_low(r: InterpreterResults, workload: str = "") -> int:
    """Processes of ``r`` (of ``workload``, when given) that ran short of free cores,
    counted once per process."""
    if r.suite is None:
        return 0
    flagged: set[tuple[str, int]] = set()
    for bench in r.suite.get_benchmarks():
        name = workload_of(bench.get_name())
        if not workload or name == workload:
            flagged |= {(name, p.id) for p in stats.processes(bench).values()
                        if p.capacity_low}
    return len(flagged)


def warning(ctx: Context) -> Para | None:
    """The headline's one line when some points are below the floor or short of precision."""
    items = [s for r in ctx.measured if not smoke(r) for s in shortfalls(r).values()]
    low = [(r.id, n) for r in ctx.measured for n in [capacity_low(r)] if n]
    if not items and not low:
        return None
    parts = []
    floor = [s for s in items if s.below_floor]
    if floor:
        parts.append(f"{len(floor)} point{'s have' if len(floor) != 1 else ' has'} fewer "
                     f"than {FLOOR} processes")
    missed = [s for s in items if s.missed and not s.below_floor]
    if missed:
        more = " more" if floor else ""
        parts.append(f"{len(missed)}{more} point{'s' if len(missed) != 1 else ''} did not "
                     f"reach {'their' if len(missed) != 1 else 'its'} precision")
    if low:
        parts.append("processes that ran short of free cores were left out of the ratios ("
                     + ", ".join(f"{i}: {n}" for i, n in low) + ")")
    return Para("**Less sure**: " + "; ".join(parts) + " (named in Method and environment; "
                "their cells say so).", css="warning")


def pairing_text(ctx: Context) -> str:
    """How comparisons between interpreters were made here: by round, or not (older files)."""
    rounded = [r.id for r in ctx.measured if _has_rounds(r)]
    rounds = next((r.run_info.get("rounds") for r in ctx.measured
                   if isinstance(r.run_info.get("rounds"), list)), None)
    seed = next((r.run_info.get("round_seed") for r in ctx.measured
                 if r.run_info.get("round_seed") is not None), None)
    if rounded and len(rounded) == len(ctx.measured):
        extra = (f" ({len(rounds)} rounds" + (f", order seed {seed}" if seed is not None else "")
                 + ")") if rounds else ""
        return ("The interpreters were measured in interleaved rounds" + extra + ": in each "
                "round every workload of every interpreter that still needed a process got "
                "one, in a shuffled order. A comparison of two interpreters (one thread "
                "against the baseline, the price of free threading) is therefore paired by "
                "round: the ratio of their processes' times in the same round, per unit of "
                "work, so what drifts over the run's time cancels; its estimate is the "
                "geometric mean of the per-round ratios and its interval the two-level one "
                "over rounds.")
    return ("These files have no rounds (a run made before interleaving" +
            (f"; only {', '.join(rounded)} have them" if rounded else "") + "): each "
            "interpreter ran in its own stretch of machine time, one after another, and a "
            "comparison of two interpreters is unpaired: the ratio of the geometric means of "
            "per-process means. For a CPU-bound point it is divided by the ratio of the "
            "machine's reference loop timed during each interpreter's stretch (facts "
            "`noise`, bursts left out), and its Welch interval, on the logarithms of the "
            "block means, carries the references' uncertainty too; a drift of the machine "
            "between the stretches that the loop does not see still reads as a difference "
            "between the interpreters.")


def _has_rounds(r: InterpreterResults) -> bool:
    if r.suite is None:
        return False
    return all(p.round is not None for b in r.suite.get_benchmarks()[:1]
               for p in stats.processes(b).values())


def method_blocks(ctx: Context) -> list[Block]:
    """The Method section's paragraphs on pairing, capacity and the points short of the floor."""
    blocks: list[Block] = [Para(pairing_text(ctx))]
    low = [f"{r.id}: {n}" for r in ctx.measured for n in [capacity_low(r)] if n]
    if any(_capacity_readings(r) for r in ctx.measured) or low:
        blocks.append(Para(
            "Parallel capacity: " + _capacity_text(ctx) + " Processes that ran while the "
            "machine had fewer free cores than their largest worker count are kept in the "
            "files (run metadata `harness_capacity_low`) and left out of every ratio, "
            "scaling figure and verdict: "
            + ("; ".join(low) if low else "none") + "."))
    items = [s for r in ctx.measured if not smoke(r) for s in shortfalls(r).values()]
    if items:
        blocks.append(Para(f"Points below the floor of {FLOOR} processes or short of their "
                           "precision, and why:", css="subhead"))
        blocks.append(Bullets([f"**{s.interpreter}** `{s.point}`: {s.text()}" for s in items],
                              css="missing"))
    return blocks


def _capacity_readings(r: InterpreterResults) -> Sequence[dict[str, Any]]:
    raw = (r.facts.noise or {}).get("parallel_capacity")
    return [x for x in raw if isinstance(x, dict)] if isinstance(raw, list) else []


def _capacity_text(ctx: Context) -> str:
    readings = next((_capacity_readings(r) for r in ctx.measured if _capacity_readings(r)), [])
    if not readings:
        return "not measured in these runs."
    caps = [float(x["capacity"]) for x in readings if isinstance(x.get("capacity"), (int, float))]
    workers = next((r.facts.noise.get("capacity_workers") for r in ctx.measured
                    if r.facts.noise and r.facts.noise.get("capacity_workers")), "?")
    low = sum(1 for x in readings if x.get("low"))
    if not caps:
        return "readings without a figure."
    return (f"the reference loop in {workers} processes at once, between worker processes, "
            f"gave {min(caps):.2f}-{max(caps):.2f} effective cores of {workers} over "
            f"{len(caps)} readings, {low} of them too few for the run's largest worker count.")


def compare(base: InterpreterResults, ref: pyperf.Benchmark, r: InterpreterResults,
            mine: pyperf.Benchmark) -> stats.Estimate:
    """``r``'s one-thread time against ``base``'s: paired by round where the run was
    interleaved; otherwise, for a CPU-bound point, divided by the machine's reference
    loop timed during each interpreter's stretch (``stats.compare_across_stretches``)."""
    if changes.adjustment(mine) != changes.LOOP:
        return stats.compare_means(ref, mine)
    return stats.compare_across_stretches(ref, mine, changes.quiet_reference(base.facts),
                                          changes.quiet_reference(r.facts))
