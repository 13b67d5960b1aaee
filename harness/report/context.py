"""What every section shares: the loaded results, the points, and the wording helpers.

Numbers are worded here once (``fmt_*``), so a speedup, a ratio or a mean reads
the same in every table, verdict and caption.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf

from harness import points, roles, stats
from harness.report.charts import Style
from harness.report.estimates import Figures
from harness.report.model import (
    NOT_REACHED,
    InterpreterResults,
    Point,
    ScalingSeries,
    WorkloadInfo,
    short,
)

# The practical threshold: "slower", "faster", "a little slower than one thread", "partly
# in parallel" need the whole 95% interval beyond 2% of no change, not only excluding 1,
# so that a 1% difference does not flip between a word and "no significant change".
PRACTICAL = 0.02
# pyperf's own check ("the benchmark result may be unstable"): stdev above 10% of the mean.
UNSTABLE = 0.1
# Run profiles that only check that everything runs (facts.json "run"."profile").
SMOKE_PROFILES = ("fast",)
NOT_ENOUGH = "not enough processes for an interval"


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
    catalogue: dict[str, WorkloadInfo]
    # Default interpreters this machine could not provide (outcome "missing"):
    # named once, in the intro and the method section, not in every table.
    unavailable: list[InterpreterResults] = field(default_factory=list)
    # Every figure the sections print, for estimates.csv (harness/report/estimates.py).
    estimates: Figures = field(default_factory=Figures)
    # ``report --warmup DIR``: the warm-up study's suites (default: RESULTS/warmup/).
    warmup_dir: Path | None = None
    # Points of processes pinned to N cores (``run --cpus``, key ``...,cpus=N``): only the
    # sections that compare core counts read them; ``points`` holds the unpinned ones.
    pinned: dict[str, Point] = field(default_factory=dict)
    # Each interpreter's colour, marker and line in every chart (``charts.styles_for``).
    styles: dict[str, Style] = field(default_factory=dict)

    def style(self, r: InterpreterResults) -> Style:
        """The chart style of ``r`` (one colour and marker per interpreter)."""
        return self.styles.get(r.id, Style("#333333", "o", "-"))

    def workload(self, role: str) -> str | None:
        """The workload that has ``role`` (``harness.roles``) in these results, or None.

        Found in the suites' points first, then in the outcomes of interpreters that
        could not measure it (an unsupported workload has no point), then in
        ``roles.LEGACY``; None for a role no workload has.
        """
        found = sorted((info.order, name) for name, info in self.catalogue.items()
                       if info.role == role)
        if found:
            return found[0][1]
        for r in [*self.results, *self.unavailable]:
            for o in r.outcomes:
                name = points.workload_of(o.benchmark)
                if roles.role_of(name) == role:
                    return name
        # Nothing of it in these files: the built-in workload that had the role when
        # suites did not record roles, so an absent one is named as before.
        return next((name for name, legacy in roles.LEGACY.items() if legacy == role), None)

    def hosts(self) -> dict[tuple[str, str, str], list[str]]:
        """Distinct (hostname, CPU model, CPU count) -> the interpreters measured there."""
        out: dict[tuple[str, str, str], list[str]] = {}
        for r in self.measured:
            out.setdefault(r.host(), []).append(r.id)
        return out

    @property
    def several_hosts(self) -> bool:
        """True when the suites come from more than one machine."""
        return len(self.hosts()) > 1

    def comparable(self, a: InterpreterResults, b: InterpreterResults) -> bool:
        """Single-thread times of ``a`` and ``b`` may be compared: same machine."""
        return a.host() == b.host()

    def cores_of(self, r: InterpreterResults) -> int:
        """The CPU count of the machine ``r`` ran on (the common count when not recorded)."""
        value = r.common_metadata().get("cpu_count") or r.probe.get("cpu_count")
        return value if isinstance(value, int) and value > 0 else self.cores

    def description(self, workload: str) -> str:
        """The workload's one-line description."""
        info = self.catalogue.get(workload)
        return info.description if info else "(no description)"


def missing_lines(ctx: Context, workload: str) -> list[str]:
    """Why interpreters have no data for ``workload``: their recorded outcomes."""
    lines = []
    for r in ctx.results:
        outs = [
            o for o in r.outcomes
            if points.workload_of(o.get("benchmark", "")) == workload and o.get("status") != "ok"
        ]
        has_any = r.suite is not None and any(
            ctx.points[n].workload == workload for n in r.suite.get_benchmark_names()
            if n in ctx.points
        )
        if outs:
            for o in sorted(outs, key=lambda o: str(o.get("benchmark"))):
                lines.append(
                    f"**{r.id}**: `{o.get('benchmark')}` {o.get('status')}"
                    + (f": {short(str(o.get('reason')))}" if o.get("reason") else "")
                )
        elif not has_any and r.absent(workload) == NOT_REACHED:
            lines.append(f"**{r.id}**: not reached (run {r.interrupted_text()})")
        elif not has_any:
            why = "no suite file" if r.suite is None else "no benchmark of this workload"
            lines.append(f"**{r.id}**: not measured ({why})")
    return lines


def beyond(est: stats.Estimate, threshold: float = PRACTICAL) -> int:
    """+1 when the whole interval lies above 1 + ``threshold``, -1 when it lies below
    1 / (1 + ``threshold``) (the same distance on a log scale), else 0 (also without one)."""
    bounds = est.bounds
    if bounds is None:
        return 0
    if bounds[0] > 1.0 + threshold:
        return 1
    if bounds[1] < 1.0 / (1.0 + threshold):
        return -1
    return 0


def clear_digits(low: float, high: float, digits: int = 2) -> int:
    """Digits that keep an interval excluding 1 from reading as including it.

    0.9612-0.9991 at two digits prints "0.96-1.00": one digit more shows "0.961-0.999".
    """
    one = f"{1.0:.{digits}f}"
    return digits + 1 if one in (f"{low:.{digits}f}", f"{high:.{digits}f}") else digits


def fmt_interval(est: stats.Estimate, digits: int = 2, unit: str = "x") -> str:
    """"1.93x (95% CI 1.85-2.01)" or "1.93x (1 process: no interval)"; "no figure (no
    usable process)" when none is left (e.g. every one ran short of free cores)."""
    if est.processes == 0 or est.value != est.value:  # NaN: nothing to estimate from
        return "no figure (no usable process)"
    if unit == "x" and est.bounds is not None and est.excludes(1.0):
        digits = clear_digits(*est.bounds, digits)
    head = f"{est.value:.{digits}f}{unit}"
    if not est.enough:
        n = est.processes
        return f"{head} ({n} process{'es' if n != 1 else ''}: no interval)"
    return f"{head} " + _bounds(est, lambda x: f"{x:.{digits}f}", "({}-{})")


def _bounds(est: stats.Estimate, word: Callable[[float], str], form: str = "[{}, {}]") -> str:
    """The interval's two ends, each worded by ``word``, in ``form``; "" without one."""
    bounds = est.bounds
    return "" if bounds is None else form.format(word(bounds[0]), word(bounds[1]))


def none_kept(est: stats.Estimate) -> bool:
    """True when no process is left behind ``est`` (all ran short of free cores): no ratio."""
    return not est.processes or math.isnan(est.value)


def fmt_ratio(est: stats.Estimate) -> str:
    """A ratio with its interval in brackets (the diff's and the index's): "0.98x [0.96, 1.00]";
    "no process kept" when none is left (``none_kept``)."""
    if none_kept(est):
        return "no process kept"
    return f"{est.value:.2f}x " + (_bounds(est, lambda x: f"{x:.2f}") or "(no interval)")


def pct_change(ratio: float) -> str:
    """A ratio as a change: 1.2 -> "+20.0%" (``pct`` is a share: 0.2 -> "20%")."""
    return f"{(ratio - 1.0) * 100:+.1f}%"


def interval_pct(est: stats.Estimate) -> str:
    """The 95% interval of a ratio as changes, "[+15.1%, +25.3%]" (or why there is none)."""
    return _bounds(est, pct_change) or "(no interval: fewer than 2 processes)"


def fmt_mean(bench: pyperf.Benchmark) -> str:
    """The mean over per-process means ± the 95% half-width, in pyperf's units."""
    est = stats.bench_mean(bench)
    half = est.half_width()
    if half is None:
        return f"{bench.format_value(est.value)} (1 process)"
    return f"{bench.format_value(est.value)} ± {bench.format_value(half)}"


def fmt_times(ratio: float) -> str:
    """pyperf's wording of a time ratio: "1.25x slower" / "1.25x faster"."""
    if ratio == 1.0:
        return "no change"
    if ratio < 1.0:
        return f"{1.0 / ratio:.2f}x faster"
    return f"{ratio:.2f}x slower"


def fmt_compare(est: stats.Estimate, than: str = "") -> str:
    """A time ratio with its verdict: faster/slower only when the whole interval lies
    beyond the practical threshold (``beyond``).

    "1.31x slower than 3.13 (1.27-1.35x)", "52.9x faster (50.1-55.6x)": the
    interval in the same direction as the words.
    """
    bounds = est.bounds
    if bounds is None:
        return f"{est.value:.2f}x the time, no verdict ({NOT_ENOUGH})"
    low, high = bounds
    if not beyond(est):
        return (f"no significant change ({est.value:.2f}x the time, "
                f"{low:.2f}-{high:.2f}x)")
    than_text = f" than {than}" if than else ""
    if est.value < 1.0:
        lo, hi, value, word = 1.0 / high, 1.0 / low, 1.0 / est.value, "faster"
    else:
        lo, hi, value, word = low, high, est.value, "slower"
    d = clear_digits(lo, hi)
    return f"{value:.{d}f}x {word}{than_text} ({lo:.{d}f}-{hi:.{d}f}x)"


def relative_spread(bench: pyperf.Benchmark) -> float:
    """stdev / mean of all values: pyperf calls a benchmark unstable above ``UNSTABLE``."""
    values = list(bench.get_values())
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return (var**0.5) / mean if mean else 0.0


def count(n: int, plural: str) -> str:
    """"1 thread", "2 threads", "1 process"..."""
    if n == 1:
        return f"1 {plural[:-2] if plural.endswith('sses') else plural.rstrip('s')}"
    return f"{n} {plural}"


def pct(part: float, whole: float = 1.0) -> str:
    """A share as a percentage with two significant digits below 10%."""
    if not whole:
        return "n/a"
    value = 100.0 * part / whole
    if value == 0:
        return "0%"
    return f"{value:.2g}%" if value < 10 else f"{value:.0f}%"


def sentence(text: str) -> str:
    """Capitalize the first letter (not the rest: ids and code stay as they are); add a stop."""
    return (text[:1].upper() + text[1:] + ".") if text else ""


def slug(text: str) -> str:
    """A file-name-safe lower-case form of ``text``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


def span(values: set[int]) -> str:
    """"3" or "3-5"."""
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}-{hi}"


def target_scale(series: ScalingSeries, cores: int) -> int | None:
    """The count the headline quotes: the largest at most the cores (else the smallest above 1)."""
    above = [t for t in series.names if 1 < t <= max(cores, 2)]
    if above:
        return max(above)
    others = [t for t in series.names if t > 1]
    return min(others) if others else None


def distinct(values: Sequence[Any]) -> str:
    """The distinct non-empty values, sorted, joined by "; " ("not recorded" when none)."""
    seen = sorted({str(v) for v in values if v not in (None, "")})
    return "; ".join(seen) if seen else "not recorded"
