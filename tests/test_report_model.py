"""The report's document model, checked as data: cells, verdicts, roles and error bars.

These tests read the ``Document`` the sections build (its tables' cells) and the
objects behind them, not the rendered Markdown: a figure is compared with the
estimate it was made from, worded by the one formatter.
"""

from __future__ import annotations

from pathlib import Path

import pyperf
from report_data import write_results
from report_extra import section, tables

from harness import stats
from harness.report import build, charts, model
from harness.report.context import (
    Context,
    fmt_interval,
    fmt_ratio,
    interval_pct,
    pct,
    pct_change,
)
from harness.report.document import REPORT_FOOTER, Document, Link
from harness.report.html_page import render_html
from harness.report.markdown import render_markdown
from harness.stats import Estimate


def _document(tmp_path: Path, **kw: object) -> tuple[Document, Context]:
    loaded = model.load_results(write_results(tmp_path / "r", ids=("3.13", "3.13t"), **kw))
    ctx = build.build_context(loaded)
    doc, _ = build.build_document(loaded)
    return doc, ctx


def test_headline_cells_are_the_speedups_worded_once(tmp_path: Path) -> None:
    doc, ctx = _document(tmp_path)
    series = next(s for s in ctx.series if s.workload == ctx.workload("headline"))
    table = tables(section(doc, "headline"))[0]
    for row in table.rows:
        r = next(x for x in ctx.results if x.id == row[0])
        est = stats.speedup(r.benchmark(series.names[1]), r.benchmark(series.names[2]))
        assert str(row[2]).startswith(fmt_interval(est))


def test_workloads_are_found_by_role_not_by_name(tmp_path: Path) -> None:
    _, ctx = _document(tmp_path)
    # Suites without ``workload_role`` (the test data, the published reports): legacy roles.
    assert ctx.workload("headline") == "countdown"
    assert ctx.workload("race") == "counter_race"
    assert ctx.workload("lock") == "counter_lock"
    assert ctx.workload("convoy") == "io_convoy"  # not measured here: the legacy name
    assert ctx.workload("no such role") is None
    assert all(p.role for p in ctx.points.values())
    assert ctx.catalogue["countdown"].kind == "strong"


def test_a_recorded_role_wins_over_the_legacy_name(tmp_path: Path) -> None:
    bench = pyperf.Benchmark([pyperf.Run([1.0], metadata={
        "name": "mine/threads=1", "workload": "mine", "workload_role": "headline",
        "workload_kind": "strong"}, collect_metadata=False)])
    point = model.Point.of(bench)
    assert (point.workload, point.role, point.kind, point.axis, point.count) == (
        "mine", "headline", "strong", "threads", 1)


def test_error_bars_come_from_the_intervals() -> None:
    style = charts.Style("#000000", "o", "-")
    series = charts.Series.from_estimates(
        "x", [(0.0, Estimate(2.0, 1.5, 3.0, 4)), (1.0, Estimate(1.0, None, None, 1))], style)
    assert series.y == (2.0, 1.0) and series.low == (0.5, 0.0) and series.high == (1.0, 0.0)
    bare = charts.Series.from_estimates("x", [(0.0, Estimate(1.0, None, None, 1))], style)
    assert bare.yerr() is None
    scaled = charts.Series.from_estimates("x", [(0.0, Estimate(0.002, 0.001, 0.004, 3))],
                                          style, scale=1e3)
    assert scaled.y == (2.0,) and scaled.low == (1.0,) and scaled.high == (2.0,)


def test_the_formatters_of_an_interval() -> None:
    est = Estimate(1.2, 1.1, 1.3, 5)
    assert fmt_interval(est) == "1.20x (1.10-1.30)"
    assert fmt_ratio(est) == "1.20x [1.10, 1.30]"
    assert interval_pct(est) == "[+10.0%, +30.0%]"
    assert pct_change(1.2) == "+20.0%" and pct(0.2) == "20%"
    one = Estimate(1.2, None, None, 1)
    assert fmt_ratio(one) == "1.20x (no interval)"
    assert interval_pct(one) == "(no interval: fewer than 2 processes)"


def test_the_footer_is_part_of_the_document(tmp_path: Path) -> None:
    doc, _ = _document(tmp_path)
    assert doc.footer == REPORT_FOOTER
    assert any(isinstance(p, Link) and p.href == "compare.md" for p in doc.footer)
    md, page = render_markdown(doc), render_html(doc)
    assert "[compare.md](compare.md)" in md.splitlines()[-1]
    assert '<a href="compare.md">compare.md</a>' in page


def test_a_ratio_with_no_process_kept_says_so() -> None:
    """Every process of a point left out (low capacity): no "nanx" in a table."""
    from harness.report.context import fmt_ratio
    from harness.stats import Estimate

    assert fmt_ratio(Estimate(float("nan"), None, None, 0)) == "no process kept"
    assert fmt_ratio(Estimate(1.05, None, None, 1)) == "1.05x (no interval)"
    assert fmt_ratio(Estimate(0.98, 0.96, 1.0, 5)) == "0.98x [0.96, 1.00]"
