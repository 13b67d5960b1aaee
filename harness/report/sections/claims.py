"""The notebook's claims, each checked against the measurements: one row per claim.

Each claim is judged per interpreter from the suite files and facts only, with
the same rules as the rest of the report: a time or speed claim is confirmed or
contradicted only where the whole 95% interval lies beyond the practical
threshold (2%, ``context.beyond``), and a "no difference" claim is confirmed
only where the whole interval lies within it (an equivalence test); anything
else is neither, and its figure says why. Counts (lost updates) and facts (the
switch interval, ``sys.getrefcount``) are read as they were recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness import stats
from harness.report.context import PRACTICAL, Context, beyond, fmt_interval, target_scale
from harness.report.document import Para, Section, Table
from harness.report.model import InterpreterResults
from harness.report.sections.convoy import DEFAULT, OTHERS
from harness.report.sections.counters import counter_points, worst_text
from harness.report.sections.facts import fmt_seconds

CONFIRMS, CONTRADICTS, NEITHER = "confirms", "contradicts", ""
# Where CPython 3.10+ may hand the GIL to another thread (its "eval breaker" checks):
# the start of a function's frame, a backward jump, a call.
SWITCH_POINTS = ("RESUME", "JUMP_BACKWARD", "CALL")


@dataclass(frozen=True)
class Judged:
    """One interpreter's verdict on one claim, and the figure it rests on."""

    interpreter: str
    verdict: str  # CONFIRMS | CONTRADICTS | NEITHER
    figure: str


Judge = Callable[[Context, InterpreterResults], Judged | None]


@dataclass(frozen=True)
class Claim:
    """A claim of the notebook, how it is judged, and what measured it: the workload of a
    role (``harness.roles``: named as the files name it) or a fact of the probe."""

    text: str
    source: str  # a role, or "probe: <what>"
    judge: Judge

    def measured_by(self, ctx: Context) -> str:
        """The workload of its role in these files (or the fact); "-" when none."""
        if self.source.startswith("probe:"):
            return self.source
        return ctx.workload(self.source) or "-"


def _equivalent(est: stats.Estimate) -> bool:
    """The whole interval within the practical threshold of no change."""
    bounds = est.bounds
    return bounds is not None and bounds[0] >= 1.0 / (1.0 + PRACTICAL) and \
        bounds[1] <= 1.0 + PRACTICAL


def _scaled(ctx: Context, r: InterpreterResults, role: str,
            threads: int | None = None) -> tuple[int, stats.Estimate] | None:
    """(T, speedup at T against 1 worker) of the scaling workload of ``role``: T =
    ``threads`` where measured, else the largest count at most the cores."""
    workload = ctx.workload(role)
    series = next((s for s in ctx.series if s.workload == workload), None)
    t = target_scale(series, ctx.cores_of(r)) if series is not None else None
    if series is not None and threads in series.names:
        t = threads
    if series is None or t is None or 1 not in series.names:
        return None
    one, many = r.benchmark(series.names[1]), r.benchmark(series.names[t])
    if one is None or many is None:
        return None
    est = stats.speedup(one, many)
    return (t, est) if est.processes else None


def _slower_with_two(ctx: Context, r: InterpreterResults) -> Judged | None:
    found = _scaled(ctx, r, "headline", threads=2)
    if found is None:
        return None
    t, est = found
    ratio = stats.Estimate(1.0 / est.value, 1.0 / est.high if est.high else None,
                           1.0 / est.low if est.low else None, est.processes)
    side = beyond(ratio)
    verdict = CONFIRMS if side > 0 else CONTRADICTS if side < 0 else NEITHER
    return Judged(r.id, verdict, f"{t} threads take {fmt_interval(ratio)} the time of 1")


def _in_parallel(role: str, only_without_gil: bool = False) -> Judge:
    """Confirmed where T workers beat one beyond the threshold; contradicted where the
    interval shows no gain (all of it below 1.02)."""
    def judge(ctx: Context, r: InterpreterResults) -> Judged | None:
        if only_without_gil and r.gil not in ("off", "none"):
            return None
        found = _scaled(ctx, r, role)
        if found is None:
            return None
        t, est = found
        if beyond(est) > 0:
            verdict = CONFIRMS
        elif est.enough and est.high is not None and est.high <= 1.0 + PRACTICAL:
            verdict = CONTRADICTS
        else:
            verdict = NEITHER
        return Judged(r.id, verdict, f"speedup {fmt_interval(est)} with {t}")
    return judge


def _loses(role: str, expect_loss: bool) -> Judge:
    """Lost updates with T > 1 threads: any (a race seen) or none at all."""
    def judge(ctx: Context, r: InterpreterResults) -> Judged | None:
        workload = ctx.workload(role)
        if workload is None:
            return None
        points = {t: v for t, v in counter_points(r, workload, ctx).items() if t > 1}
        if not points:
            return None
        lost = sum(v.lost for v in points.values())
        expected = sum(v.expected for v in points.values())
        verdict = CONFIRMS if bool(lost) == expect_loss else CONTRADICTS
        worst = f"; worst {worst_text(points)}" if lost else ""
        return Judged(r.id, verdict, f"lost {lost:,} of {expected:,} updates{worst}")
    return judge


def _overlap(ctx: Context, r: InterpreterResults) -> Judged | None:
    """Waiting threads: confirmed where T waits take less than T times one (they overlap)."""
    series = next((s for s in ctx.series if s.workload == ctx.workload("waiting")), None)
    if series is None or 1 not in series.names:
        return None
    t = max(series.names)
    one, many = r.benchmark(series.names[1]), r.benchmark(series.names[t])
    if t < 2 or one is None or many is None:
        return None
    est = stats.speedup(many, one)  # time(T) / time(1); serialized waits: T
    if est.high is not None and est.enough and est.high < t / (1.0 + PRACTICAL):
        verdict = CONFIRMS
    elif est.low is not None and est.enough and est.low >= t / (1.0 + PRACTICAL):
        verdict = CONTRADICTS
    else:
        verdict = NEITHER
    return Judged(r.id, verdict, f"{t} waiting threads take {fmt_interval(est)} the time of 1")


def _io_unaffected(ctx: Context, r: InterpreterResults) -> Judged | None:
    """The I/O thread beside one CPU-bound thread: contradicted where slower beyond 2%."""
    names = {p.key: p.name for p in ctx.points.values() if p.role == "convoy"}
    alone = r.benchmark(names.get(f"{OTHERS}=0,interval={DEFAULT}", ""))
    busy = r.benchmark(names.get(f"{OTHERS}=1,interval={DEFAULT}", ""))
    if alone is None or busy is None:
        return None
    est = stats.speedup(busy, alone)
    if not est.processes:
        return None
    verdict = CONTRADICTS if beyond(est) > 0 else CONFIRMS if _equivalent(est) else NEITHER
    return Judged(r.id, verdict, f"the I/O thread takes {fmt_interval(est)} its time alone")


def _interval_15ms(ctx: Context, r: InterpreterResults) -> Judged | None:
    """The switch interval as recorded; 2.7's check interval counts bytecodes, not time."""
    value = r.probe.get("switch_interval")
    ticks = r.probe.get("check_interval")
    if (value is None and r.gil == "on" and isinstance(ticks, int)
            and not isinstance(ticks, bool)):
        return Judged(r.id, CONTRADICTS, f"no switch interval: a check every {ticks} "
                      "bytecodes (sys.getcheckinterval())")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    verdict = CONFIRMS if abs(value - 0.015) < 1e-9 else CONTRADICTS
    return Judged(r.id, verdict, f"sys.getswitchinterval() = {fmt_seconds(value)}")


def _refcount_3(ctx: Context, r: InterpreterResults) -> Judged | None:
    value = r.probe.get("getrefcount")
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return Judged(r.id, CONFIRMS if value == 3 else CONTRADICTS, f"{value}")


CLAIMS: tuple[Claim, ...] = (
    Claim("Two threads of CPU-bound Python are slower than one", "headline", _slower_with_two),
    Claim("`n += 1` is not atomic: threads without a lock lose updates", "race",
          _loses("race", True)),
    Claim("`n += 1` loses updates under the GIL too, where `+` runs Python code "
          "(`__add__` in Python)", "race_method", _loses("race_method", True)),
    Claim("A lock makes the counter correct: no update lost", "lock", _loses("lock", False)),
    Claim("The interpreter forces a thread switch every 15 ms", "probe: sys.getswitchinterval",
          _interval_15ms),
    Claim("`sys.getrefcount(a)` after `a = []; b = a` is 3", "probe: sys.getrefcount",
          _refcount_3),
    Claim("Threads that wait (I/O, sleep) overlap, GIL or not", "waiting", _overlap),
    Claim("A thread doing blocking I/O is not slowed by a CPU-bound thread (the GIL is "
          "released during I/O)", "convoy", _io_unaffected),
    Claim("Without a GIL (free-threaded CPython, Jython) CPU-bound threads run in parallel",
          "headline", _in_parallel("headline", only_without_gil=True)),
    Claim("multiprocessing runs CPU-bound Python in parallel, GIL or not",
          "processes", _in_parallel("processes")),
    Claim("Sub-interpreters with their own GIL (3.12+) run CPU-bound Python in parallel",
          "interpreters", _in_parallel("interpreters")),
    Claim("C code that releases the GIL (hashlib on large buffers) runs in parallel",
          "c_code", _in_parallel("c_code")),
)


def claims(ctx: Context) -> Section:
    """One row per claim: where the data confirm it, where they contradict it, the figures."""
    sec = Section(
        "claims", "The notebook's claims, checked",
        "Each claim of the notebook, judged per interpreter from these files only. A time or "
        "speed claim is confirmed or contradicted only where the whole 95% interval lies "
        "beyond 2% of no change; a claim of no change is confirmed only where the whole "
        "interval lies within 2% of it; an interpreter in neither column is listed with its "
        "figure, which says why. Lost updates are counts: any lost with 2 or more threads "
        "confirms a race, a zero is what these runs saw.",
    )
    rows = []
    for claim in CLAIMS:
        judged = [j for r in ctx.measured for j in [claim.judge(ctx, r)] if j is not None]
        rows.append([
            claim.text,
            ", ".join(j.interpreter for j in judged if j.verdict == CONFIRMS) or "-",
            ", ".join(j.interpreter for j in judged if j.verdict == CONTRADICTS) or "-",
            "\n".join(f"{j.interpreter}: {j.figure}" for j in judged) or "not measured",
            claim.measured_by(ctx),
        ])
    sec.blocks.append(Table(["claim", "confirmed on", "contradicted on", "figures",
                             "measured by"], rows, numeric_from=99, css="wide"))
    why = _why_no_loss(ctx)
    if why:
        sec.blocks.append(Para(why))
    return sec


def _names_n(op: str, prefix: str) -> bool:
    """``LOAD_GLOBAL n`` (the probe's form) or ``LOAD_GLOBAL 0 (n)`` (dis's own)."""
    words = op.split()
    return op.startswith(prefix) and len(words) > 1 and words[-1].strip("()") == "n"


def _between(ops: list[str]) -> list[str] | None:
    """The instructions between loading ``n`` and storing it back (None: not found)."""
    load = next((i for i, op in enumerate(ops) if _names_n(op, "LOAD_")), None)
    store = next((i for i, op in enumerate(ops) if _names_n(op, "STORE_")), None)
    if load is None or store is None or store <= load:
        return None
    return ops[load + 1:store]


def _why_no_loss(ctx: Context) -> str:
    """Why CPython 3.10+ with the GIL lost no update of ``n += 1``: its recorded bytecode."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for r in ctx.measured:
        race = ctx.workload("race")
        points = counter_points(r, race, ctx) if race else {}
        ops = r.probe.get("dis_increment")
        if r.implementation != "cpython" or r.gil != "on" or not isinstance(ops, list) \
                or any(v.lost for v in points.values()) or not points:
            continue
        between = _between([str(op) for op in ops])
        if between is None or any(op.startswith(SWITCH_POINTS) for op in between):
            continue
        groups.setdefault(tuple(between), []).append(r.id)
    if not groups:
        return ""
    seen = "; ".join(f"`{' / '.join(ops)}` ({', '.join(ids)})" for ops, ids in groups.items())
    return (
        "**Why CPython with the GIL lost no update of n += 1**: since 3.10 CPython hands "
        "the GIL to another thread only at a few instructions (the start of a function's "
        "frame, a backward jump, a call: where it checks its \"eval breaker\"), not after "
        "any instruction as 2.7 did. Between loading `n` and storing it back, the bytecode "
        f"these interpreters recorded (Interpreter facts) holds only {seen}: none of those "
        "instructions, so no other thread can run between the load and the store, and the "
        "increments are not lost, although they are still several instructions. It is an "
        "accident of the bytecode, not a guarantee: "
        + (f"`{method}`" if (method := ctx.workload("race_method")) else "a counter whose "
           "`+` is Python code")
        + " puts a Python `__add__` between the load and the store, and there updates are "
        "lost (the third row)."
    )
