"""SVG charts for the report, drawn with matplotlib (agg backend, deterministic output).

Every function takes plain numbers (already extracted from the pyperf suites by
the report's sections) and returns the SVG document as a string. The same inputs
give the same bytes: the SVG ids are salted with the chart's name (so several
charts inlined in one HTML page never share an id), text stays text
(``svg.fonttype = 'none'``) and no date is written.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from harness.stats import Estimate  # noqa: E402

# One hue family and one line style per interpreter family, one shade and one
# marker per interpreter: a dozen interpreters stay apart, families stay recognisable.
FAMILY_SHADES: dict[str, tuple[str, ...]] = {
    "cpython": ("#08306b", "#2171b5", "#4eb3d3", "#084081", "#6baed6", "#0570b0"),
    "free-threaded": ("#00441b", "#238b45", "#74c476", "#006d2c", "#41ab5d"),
    "pypy": ("#a63603", "#e6550d", "#fd8d3c", "#7f2704", "#f16913"),
    "jython": ("#54278f", "#807dba", "#3f007d", "#9e9ac8"),
}
OTHER_SHADES = ("#ae017e", "#636363", "#dd3497", "#252525")
FAMILY_LINES = {"cpython": "-", "free-threaded": "--", "pypy": "-.", "jython": ":"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p", "d", "H", "8")


@dataclass(frozen=True)
class Style:
    """How one interpreter is drawn in every chart."""

    color: str
    marker: str
    line: str


def styles_for(families: Sequence[str]) -> list[Style]:
    """A style per interpreter (in report order): its family's hue and line, its own marker."""
    used: dict[str, int] = {}
    out = []
    for index, family in enumerate(families):
        shades = FAMILY_SHADES.get(family, OTHER_SHADES)
        n = used.get(family, 0)
        used[family] = n + 1
        out.append(Style(shades[n % len(shades)], MARKERS[index % len(MARKERS)],
                         FAMILY_LINES.get(family, "-")))
    return out


_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "path.simplify": False,
}


@dataclass(frozen=True)
class Series:
    """One interpreter's line or bars: y values (with optional error) at x positions."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    low: tuple[float, ...] = ()  # distance from y down to the interval's low end, or empty
    high: tuple[float, ...] = ()  # distance from y up to its high end (empty: as ``low``)
    style: Style = Style("#333333", "o", "-")

    @classmethod
    def from_estimates(cls, label: str, points: Sequence[tuple[float, Estimate]],
                       style: Style, scale: float = 1.0) -> Series:
        """Values at x positions with their 95% intervals as error bars (``scale``: a unit
        change, e.g. 1e3 for ms); no bar where an estimate has no interval, none at all
        when no estimate has one. The one way from estimates to a chart's error bars."""
        xs = tuple(float(x) for x, _ in points)
        ys = tuple(e.value * scale for _, e in points)
        if not any(e.enough for _, e in points):
            return cls(label, xs, ys, style=style)
        ends = [(e.value, e.bounds) for _, e in points]
        lows = tuple((v - b[0]) * scale if b else 0.0 for v, b in ends)
        highs = tuple((b[1] - v) * scale if b else 0.0 for v, b in ends)
        return cls(label, xs, ys, lows, highs, style)

    def yerr(self) -> list[list[float]] | None:
        """matplotlib's asymmetric ``yerr`` (None without intervals)."""
        if not self.low:
            return None
        return [list(self.low), list(self.high or self.low)]


def _style(**extra: Any) -> AbstractContextManager[None]:
    """The house style (plus ``extra``, e.g. the SVG id salt) as a matplotlib rc context."""
    # matplotlib's stubs type rc keys as literals; these are plain, checked-at-runtime names.
    return cast(AbstractContextManager[None], matplotlib.rc_context(cast(Any, {**_RC, **extra})))


def _tops(series: Sequence[Series]) -> list[float]:
    """Every bar or point's top: y plus its error."""
    return [y + ((s.high or s.low)[i] if s.low else 0.0)
            for s in series for i, y in enumerate(s.y)]


def _finish(fig: Figure, name: str) -> str:
    """Serialize ``fig`` to SVG text, deterministically, and close it."""
    buf = io.StringIO()
    with _style(**{"svg.hashsalt": f"gil-harness:{name}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, plt.Axes]:
    with _style():
        fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def _legend(ax: plt.Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)


def scaling_chart(
    name: str,
    title: str,
    series: Sequence[Series],
    thread_counts: Sequence[int],
    cores: int,
    ideal_label: str = "",
    xlabel: str = "threads (same total work, split between them)",
    ylabel: str = "",
) -> str:
    """Speedup (time at 1 thread / time at T) against T, one line per interpreter.

    A dashed line shows the ideal ``min(T, cores)``; a dotted one, no speedup.
    """
    with _style():
        fig, ax = _figure()
        xs = sorted(set(thread_counts))
        ideal = [min(t, cores) for t in xs]
        ax.plot(xs, ideal, linestyle="--", color="#888888", linewidth=1.2,
                label=ideal_label or f"ideal: min(T, {cores} cores)")
        ax.axhline(1.0, linestyle=":", color="#888888", linewidth=1.0)
        for s in series:
            ax.errorbar(
                s.x, s.y, yerr=s.yerr(), color=s.style.color, marker=s.style.marker,
                linestyle=s.style.line, linewidth=1.8, markersize=6, capsize=4, label=s.label,
            )
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(xs))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        top = max([max(ideal), *_tops(series)])
        ax.set_ylim(0, top * 1.12)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel or "speedup (time at 1 / time at T)")
        ax.set_title(title, loc="left", fontsize=11)
        _legend(ax)
        return _finish(fig, name)


def grouped_bars(
    name: str,
    title: str,
    groups: Sequence[str],
    series: Sequence[Series],
    ylabel: str,
    xlabel: str,
    log: bool = False,
    value_format: str = "{:.3g}",
    reference: float | None = None,
) -> str:
    """Bars grouped by ``groups`` (x positions are indexes into it), one colour per series.

    Every bar carries its value as a label, so a zero is visible as "0", not as a
    missing bar. ``log`` draws a log y axis (bars start at the smallest value / 3);
    ``reference`` a dotted horizontal line at that value (e.g. 1: no change).
    """
    with _style():
        width_in = max(6.0, 1.2 + 0.28 * len(groups) * max(1, len(series)))
        fig, ax = _figure(min(width_in, 11.0), 4.0)
        n = max(1, len(series))
        width = 0.8 / n
        positives = [y for s in series for y in s.y if y > 0]
        if reference is not None and reference > 0:
            positives.append(reference)
            ax.axhline(reference, linestyle=":", color="#888888", linewidth=1.0)
        floor = (min(positives) / 3.0) if (log and positives) else 0.0
        for i, s in enumerate(series):
            xs = [x - 0.4 + width * (i + 0.5) for x in s.x]
            heights = [max(y, floor) - floor if log else y for y in s.y]
            yerr = s.yerr()
            if yerr is not None:
                # On a log axis a bar cannot reach below its floor: clip the lower error.
                yerr[0] = [min(e, max(y - floor, 0.0)) if log else min(e, y)
                           for y, e in zip(s.y, yerr[0], strict=True)]
            bars = ax.bar(xs, heights, width * 0.92, bottom=floor if log else 0.0,
                          color=s.style.color, label=s.label, yerr=yerr,
                          error_kw={"capsize": 3, "elinewidth": 1, "ecolor": "#333333"})
            ax.bar_label(bars, labels=[value_format.format(y) for y in s.y],
                         fontsize=7, padding=2)
        if log:
            ax.set_yscale("log")
            if positives:
                hi = max(_tops(series))
                ax.set_ylim(floor, hi * 3.0)
        else:
            hi = max([0.0, *_tops(series)])
            ax.set_ylim(0, hi * 1.18 if hi > 0 else 1.0)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups)
        ax.grid(axis="x", visible=False)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left", fontsize=11)
        _legend(ax)
        return _finish(fig, name)


def convoy_chart(name: str, title: str, groups: Sequence[str], series: Sequence[Series]) -> str:
    """Convoy factors (time beside busy threads / time alone): bars on a log axis, a line at 1."""
    return grouped_bars(name, title, groups, series, ylabel="I/O time beside / alone (log)",
                        xlabel="CPU-bound threads, switch interval", log=True,
                        value_format="{:.3g}", reference=1.0)


def cores_chart(
    name: str,
    title: str,
    panels: Sequence[tuple[int, str, Sequence[Series]]],
    thread_counts: Sequence[int],
) -> str:
    """Speedup against threads, one panel per core count, each with its own ideal.

    ``panels``: (cores the points had, panel title, one series per interpreter). The
    dashed line of a panel is ``min(T, cores)`` for that panel's cores: a point pinned
    to one core cannot do better than 1 whatever its threads.
    """
    with _style():
        n = max(1, len(panels))
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 1.8, 4.0), sharey=True, squeeze=False)
        xs = sorted(set(thread_counts))
        tops: list[float] = [float(max(min(t, cores) for t in xs)) for cores, _, _ in panels]
        tops += _tops([s for _, _, group in panels for s in group])
        for ax, (cores, panel_title, group) in zip(axes[0], panels, strict=False):
            ax.plot(xs, [min(t, cores) for t in xs], linestyle="--", color="#888888",
                    linewidth=1.2, label="ideal: min(T, cores)")
            ax.axhline(1.0, linestyle=":", color="#888888", linewidth=1.0)
            for s in group:
                ax.errorbar(s.x, s.y, yerr=s.yerr(), color=s.style.color, marker=s.style.marker,
                            linestyle=s.style.line, linewidth=1.8, markersize=6, capsize=4,
                            label=s.label)
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_locator(FixedLocator(xs))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            ax.set_ylim(0, max(tops) * 1.12)
            ax.set_xlabel("threads (same total work)")
            ax.set_title(panel_title, loc="left", fontsize=10)
        axes[0][0].set_ylabel("speedup (time at 1 / time at T)")
        fig.suptitle(title, x=0.02, ha="left", fontsize=11)
        handles, labels = axes[0][-1].get_legend_handles_labels()
        axes[0][-1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                           fontsize=9)
        return _finish(fig, name)


def relative_chart(
    name: str,
    title: str,
    groups: Sequence[str],
    series: Sequence[Series],
    baseline: str,
    not_significant: Sequence[tuple[int, int]] = (),
) -> str:
    """Horizontal bars of time relative to the baseline (log scale, 1 = baseline).

    ``series[i].y[j]`` is interpreter i's time on group j divided by the baseline's;
    ``not_significant`` lists (series, group) pairs whose 95% interval includes 1
    (or that have no interval): they are drawn hatched and labelled "n.s.".
    """
    with _style():
        n = max(1, len(series))
        fig, ax = _figure(7.5, max(2.5, 0.9 + 0.32 * n * len(groups)))
        height = 0.8 / n
        ns = set(not_significant)
        values = [y for s in series for y in s.y if y > 0]
        for i, s in enumerate(series):
            for j, (g, y) in enumerate(zip(s.x, s.y, strict=True)):
                pos = g - 0.4 + height * (i + 0.5)
                hatch = "///" if (i, j) in ns else None
                ax.barh(pos, math.log2(y), height * 0.9, left=0.0, color=s.style.color,
                        hatch=hatch, edgecolor="white" if hatch else None)
                text = f"{y:.2f}x" + (" (n.s.)" if (i, j) in ns else "")
                ax.text(math.log2(y), pos, f" {text} ",
                        va="center", ha="left" if y >= 1 else "right", fontsize=7)
        span = max([1.0] + [abs(math.log2(v)) for v in values]) * 1.35
        ax.set_xlim(-span, span)
        ax.axvline(0.0, color="#333333", linewidth=1.0)
        # Powers of two, at most about nine labels whatever the range.
        step = max(1, math.ceil(2 * span / 9))
        ticks = [float(t) for t in range(-64, 65, step) if abs(t) <= span]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{2.0 ** v:.3g}x"))
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels(groups)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"time relative to {baseline} (left of 1x: faster, right: slower)")
        ax.set_title(title, loc="left", fontsize=11)
        handles = [Patch(facecolor=s.style.color, label=s.label) for s in series]
        if ns:
            handles.append(Patch(facecolor="#999999", hatch="///", edgecolor="white",
                                 label="not significant (n.s.)"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
        return _finish(fig, name)


def headline_chart(
    name: str, title: str, series: Sequence[Series], ideal: float, xlabel: str
) -> str:
    """One horizontal bar per interpreter (``series[i].y[0]``) with its 95% interval.

    A solid line at 1 (no speedup) and a dashed one at ``ideal`` (as many times
    faster as there are cores).
    """
    with _style():
        n = max(1, len(series))
        fig, ax = _figure(7.5, max(2.2, 0.6 + 0.34 * n))
        for i, s in enumerate(series):
            err = s.yerr()
            ax.barh(i, s.y[0], 0.7, color=s.style.color, xerr=err,
                    error_kw={"capsize": 3, "elinewidth": 1, "ecolor": "#333333"})
            top = s.y[0] + (err[1][0] if err else 0.0)
            ax.text(top, i, f" {s.y[0]:.2f}x", va="center", ha="left", fontsize=8)
        ax.axvline(1.0, color="#333333", linewidth=1.0)
        ax.axvline(ideal, color="#888888", linestyle="--", linewidth=1.0)
        ax.set_yticks(range(len(series)))
        ax.set_yticklabels([s.label for s in series])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        tops = [max(ideal, 1.0), *_tops(series)]
        ax.set_xlim(0, max(tops) * 1.2)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left", fontsize=11)
        return _finish(fig, name)


def iteration_chart(name: str, title: str, series: Sequence[Series],
                    marks: Sequence[tuple[str, float]] = (), ylabel: str = "") -> str:
    """Per-iteration times of a few process executions (log y), one line each.

    ``marks``: (label of a series, x) where a dotted vertical line in its colour
    shows the start of its steady state.
    """
    with _style():
        fig, ax = _figure(7.0, 3.6)
        for s in series:
            ax.plot(s.x, s.y, color=s.style.color, linestyle=s.style.line, linewidth=1.0,
                    label=s.label)
        colours = {s.label: s.style.color for s in series}
        for label, x in marks:
            ax.axvline(x, linestyle=":", linewidth=1.0, color=colours.get(label, "#888888"))
        ax.set_yscale("log")
        ax.set_xlabel("in-process iteration")
        ax.set_ylabel(ylabel or "time per call (ms, log scale)")
        ax.set_title(title, loc="left", fontsize=11)
        _legend(ax)
        return _finish(fig, name)
