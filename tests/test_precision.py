"""The report on files of an interleaved run: pairing by round, capacity-low processes left
out, points below the floor or short of their precision named with why.

The files are the report tests' synthetic results, given the metadata the interleaved
runner writes (``harness_round``, ``harness_started``, ``harness_capacity_low``; facts
``run.rounds``, ``sampling.points[name].cap_reached``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyperf
from report_data import write_results

from harness import report


def _rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    suite = pyperf.BenchmarkSuite.load(str(path))
    benches = []
    for bench in suite.get_benchmarks():
        runs = [r for r in (edit(bench.get_name(), run) for run in bench.get_runs()) if r]
        benches.append(pyperf.Benchmark(runs))
    pyperf.BenchmarkSuite(benches).dump(str(path), replace=True)


def _with(run: pyperf.Run, values: list[float] | None = None, **meta: object) -> pyperf.Run:
    data = dict(run.get_metadata())
    data.update(meta)
    return pyperf.Run(list(run.values) if values is None else values,
                      warmups=list(run.warmups) or None, metadata=data, collect_metadata=False)


def interleaved(folder: Path) -> Path:
    """3.13 and 3.13t in rounds; 3.13t's countdown process 4 ran with one core taken (its
    2-thread time no better than one thread's) and was flagged; 3.13's counter_lock kept
    3 processes when the run's time cap came."""
    write_results(folder, ids=("3.13", "3.13t"), new_facts=True, processes=6)

    def rounds(name: str, run: pyperf.Run) -> pyperf.Run:
        process = int(run.get_metadata()["process"])
        return _with(run, harness_round=process + 1, harness_started=1.8e9 + 90.0 * process)

    def hog(name: str, run: pyperf.Run) -> pyperf.Run:
        if run.get_metadata()["process"] != 4 or not name.startswith("countdown/"):
            return run
        values = [v * 2.0 for v in run.values] if name != "countdown/threads=1" else None
        return _with(run, values, harness_capacity_low=True)

    def cap(name: str, run: pyperf.Run) -> pyperf.Run | None:
        if name.startswith("counter_lock/") and int(run.get_metadata()["process"]) >= 3:
            return None
        return run

    for ident in ("3.13", "3.13t"):
        _rewrite(folder / f"{ident}.json", rounds)
    _rewrite(folder / "3.13t.json", hog)
    _rewrite(folder / "3.13.json", cap)
    facts_path = folder / "3.13.facts.json"
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    for name, rec in facts["sampling"]["points"].items():
        if name.startswith("counter_lock/"):
            rec.update(processes=3, met=False, cap_reached=True)
    facts["run"].update(round_seed=99, rounds=[{"round": i} for i in range(7)])
    facts_path.write_text(json.dumps(facts), encoding="utf-8")
    return folder


def _estimates(folder: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with (folder / "report" / "estimates.csv").open(encoding="utf-8") as f:
        return {(r["interpreter"], r["workload"], r["figure"]): r for r in csv.DictReader(f)}


def test_capacity_low_processes_leave_the_scaling_figures(tmp_path: Path) -> None:
    folder = interleaved(tmp_path / "r")
    readme = report.write_report(folder).markdown.read_text(encoding="utf-8")
    rows = _estimates(folder)
    speedup = rows[("3.13t", "countdown", "speedup threads=2")]
    assert speedup["processes"] == "5"  # 6 processes, the flagged one left out
    assert 1.8 < float(speedup["estimate"]) < 2.2
    assert "harness_capacity_low" in readme and "3.13t: 1" in readme
    assert "**Less sure**" in readme


def test_comparisons_are_paired_by_round_and_the_method_says_so(tmp_path: Path) -> None:
    folder = interleaved(tmp_path / "r")
    readme = report.write_report(folder).markdown.read_text(encoding="utf-8")
    method = readme.split("## Method and environment")[1]
    assert "measured in interleaved rounds (7 rounds, order seed 99)" in method
    assert "paired by round" in method
    assert "no rounds" not in method
    old = tmp_path / "old"
    write_results(old, ids=("3.13", "3.13t"))
    old_method = report.write_report(old).markdown.read_text(encoding="utf-8")
    assert "These files have no rounds" in old_method.split("## Method and environment")[1]


def test_points_below_the_floor_are_named_with_why(tmp_path: Path) -> None:
    folder = interleaved(tmp_path / "r")
    readme = report.write_report(folder).markdown.read_text(encoding="utf-8")
    headline = readme.split("## Headline")[1].split("\n## ")[0]
    assert "fewer than 5 processes" in headline
    # The cells built from the short point say so: 3.13's counter_lock row of its table.
    row = next(line for line in readme.split("\n")
               if line.startswith("| 3.13 |") and "lock" not in line and "below the floor" in line)
    assert "3 processes, below the floor of 5, precision not reached: the run's time cap" in row
    method = readme.split("## Method and environment")[1]
    assert ("**3.13** `counter_lock/threads=2,increments=100000`: 3 processes, below the "
            "floor of 5, precision not reached: the run's time cap was reached before it"
            in method)
    # 3.13t's 2-thread countdown had 6 processes and met its target: not listed; its
    # 4-thread point missed its target (the facts say so) and is.
    assert "**3.13t** `countdown/threads=2`" not in method
    assert "**3.13t** `countdown/threads=4`: precision not reached (6 processes)" in method


def test_a_point_whose_every_process_ran_short_of_cores_has_no_figure(tmp_path: Path) -> None:
    """The machine was busy all run: every 3.13t countdown process is flagged; the report
    prints no scaling figure and no verdict for it, and says why."""
    folder = interleaved(tmp_path / "r")

    def all_low(name: str, run: pyperf.Run) -> pyperf.Run:
        return _with(run, harness_capacity_low=True) if name.startswith("countdown/") else run

    _rewrite(folder / "3.13t.json", all_low)
    readme = report.write_report(folder).markdown.read_text(encoding="utf-8")
    item = next(line for line in readme.split("\n") if line.startswith("- **3.13t**"))
    assert "no verdict on threads" in item
    figures = readme.split("- **3.13t**")[1].split("\n- ")[0]
    assert "2 threads of `countdown`: no figure (no usable process)" in figures
    assert "6 processes left out (ran short of free cores)" in figures
    assert "nanx" not in readme
    rows = _estimates(folder)  # no row for a figure that is not printed
    assert ("3.13t", "countdown", "speedup threads=2") not in rows
    assert ("3.13t", "countdown", "time threads=1") in rows
