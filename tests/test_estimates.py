"""estimates.csv beside the report's README.md: every printed figure, read back with csv."""

from __future__ import annotations

import csv
from pathlib import Path

from report_data import write_results

from harness.__main__ import main
from harness.report.context import fmt_compare, fmt_interval, pct
from harness.report.estimates import HEADER
from harness.stats import Estimate

IDS = ("3.13", "3.13t", "jython2.7")


def _report(tmp_path: Path) -> tuple[list[dict[str, str]], str]:
    results = write_results(tmp_path / "r", ids=IDS, processes=4,
                            workloads=("countdown", "counter_race", "io_wait",
                                       "switch_latency"), new_facts=True)
    out = tmp_path / "out"
    assert main(["report", str(results), "--output", str(out)]) == 0
    with (out / "estimates.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert tuple(header) == HEADER
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    return rows, (out / "README.md").read_text(encoding="utf-8")


def _est(row: dict[str, str]) -> Estimate:
    def num(x: str) -> float | None:
        return float(x) if x else None
    return Estimate(float(row["estimate"]), num(row["low"]), num(row["high"]),
                    int(row["processes"]))


def test_every_row_is_a_figure_the_markdown_prints(tmp_path: Path) -> None:
    rows, md = _report(tmp_path)
    figures = {(r["interpreter"], r["workload"], r["figure"]) for r in rows}
    assert len(figures) == len(rows)  # one row per figure
    for ident in IDS:
        for t in (2, 4):
            assert (ident, "countdown", f"speedup threads={t}") in figures
            assert (ident, "io_wait", f"throughput threads={t}") in figures
        assert (ident, "countdown", "time threads=1") in figures
        assert (ident, "counter_race", "lost threads=2") in figures
        assert (ident, "switch_latency", "time interval=default") in figures
        assert (ident, "thread_start", "time start_join") in figures
    assert ("3.13t", "countdown", "vs 3.13") in figures  # the baseline: 3.13
    assert not any(f[2] == "vs 3.13" for f in figures if f[0] == "3.13")
    for row in rows:
        est, figure = _est(row), row["figure"]
        assert int(row["processes"]) == 4, row
        if figure.startswith(("speedup", "throughput")):
            assert fmt_interval(est) in md, row
        elif figure.startswith("vs "):
            assert fmt_compare(est) in md, row
        elif figure.startswith("time "):
            assert est.low is not None and est.high is not None
            assert est.low < est.value < est.high  # seconds, ± the 95% half-width
        elif figure.startswith("lost "):
            assert est.low is not None and est.high is not None
            if est.value:
                assert f"{pct(est.value)} (median of 4 processes, {pct(est.low)}-" \
                    f"{pct(est.high)})" in md, row
        else:
            raise AssertionError(f"unknown figure {figure!r}")


def test_the_time_rows_are_seconds_per_call(tmp_path: Path) -> None:
    rows, md = _report(tmp_path)
    one = next(r for r in rows if r["interpreter"] == "3.13" and r["workload"] == "countdown"
               and r["figure"] == "time threads=1")
    # report_data's 3.13 countdown: 50 ms per call with one thread.
    assert abs(float(one["estimate"]) - 0.05) < 0.005
    assert f"{float(one['estimate']) * 1e3:.1f} ms" in md
