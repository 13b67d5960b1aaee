"""The report's "three ways around the GIL" section, on results written with pyperf's API.

Two interpreters: "3.14" has threads that take turns, processes and
sub-interpreters that scale; "2.7" has no sub-interpreters (recorded as
unsupported). Four processes per point, so every figure has its 95% interval.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyperf
import pytest

from harness import results, stats
from harness.report.build import build_context
from harness.report.document import Bullets, Chart, Table
from harness.report.model import load_results
from harness.report.sections import SECTIONS
from harness.report.sections.scaling import scaling
from harness.report.sections.ways import ways

PROCESSES = 4
# id -> {benchmark name: mean seconds}
MEANS: dict[str, dict[str, float]] = {
    "3.14": {
        "countdown/threads=1": 0.120, "countdown/threads=2": 0.125,
        "countdown_processes/processes=1": 0.128, "countdown_processes/processes=2": 0.068,
        "subinterpreters/interpreters=1": 0.126, "subinterpreters/interpreters=2": 0.065,
        "subinterpreters/start=2": 0.016, "thread_start/start_join": 0.00004,
    },
    "2.7": {
        "countdown/threads=1": 0.300, "countdown/threads=2": 0.500,
        "countdown_processes/processes=1": 0.302, "countdown_processes/processes=2": 0.160,
        "thread_start/start_join": 0.00006,
    },
}
UNSUPPORTED = "CPython 2.7 has no sub-interpreters with their own GIL (3.12+, PEP 684)"


def _write(folder: Path, ident: str) -> None:
    rng = random.Random(ident)
    benchmarks = []
    outcomes: list[results.Outcome] = []
    for name, mean in MEANS[ident].items():
        workload, _, key = name.partition("/")
        runs = []
        for process in range(PROCESSES):
            meta = {"name": name, "workload": workload, "process": process, "loops": 1,
                    "interpreter": ident, "cpu_count": 2, "hostname": "vm", "platform": "linux"}
            if "=" in key:
                param, value = key.split("=")
                meta[param] = int(value)
            values = [mean * rng.uniform(0.97, 1.03) for _ in range(3)]
            runs.append(pyperf.Run(values, metadata=meta, collect_metadata=False))
        benchmarks.append(pyperf.Benchmark(runs))
        outcomes.append(results.Outcome(name, "ok"))
    if ident == "2.7":
        outcomes.append(results.Outcome("subinterpreters", "unsupported", UNSUPPORTED))
    pyperf.BenchmarkSuite(benchmarks).dump(str(folder / f"{ident}.json"), replace=True)
    version = "3.14.10" if ident == "3.14" else "2.7.18"
    results.Facts(
        interpreter={"id": ident, "implementation": "cpython", "version": version,
                     "gil": "on", "family": "cpython", "source": "pyenv"},
        probe={"version": 1, "implementation": "cpython", "python_version": version,
               "gil_enabled": True, "cpu_count": 2},
        outcomes=outcomes,
        run={"profile": "default", "hostname": "vm", "cpu_model": "x"},
    ).save(results.facts_path(folder, ident))


@pytest.fixture
def section(tmp_path: Path) -> Any:
    for ident in MEANS:
        _write(tmp_path, ident)
    return ways(build_context(load_results(tmp_path)))


def test_registered_after_scaling() -> None:
    """The section is listed with the others, after thread scaling."""
    names = [s.__name__ for s in SECTIONS]
    assert names.index("ways") == names.index("scaling") + 1


def test_three_speedups_and_start_costs(section: Any) -> None:
    """Per interpreter: threads, processes, sub-interpreters at 2, then three start costs."""
    table = next(b for b in section.blocks if isinstance(b, Table))
    assert table.headers == [
        "interpreter", "threads x2", "processes x2", "sub-interpreters x2",
        "start: thread", "start: process", "start: sub-interpreter",
    ]
    rows = {row[0]: row for row in table.rows}
    new = rows["3.14"]
    assert new[1].startswith("0.9") and new[2].startswith("1.8") and new[3].startswith("1.9")
    assert all("(" in cell and "-" in cell for cell in new[1:4])  # intervals, not "1 process"
    assert new[4].startswith("40") and "us" in new[4]
    assert 6.0 < float(new[5].split()[0]) < 10.0 and new[5].split()[1] == "ms"  # 128 - 120
    assert 7.0 < float(new[6].split()[0]) < 9.0 and new[6].split()[1] == "ms"  # 16 ms for 2
    old = rows["2.7"]
    assert old[3] == "unsupported" and old[6] == "unsupported"
    assert old[1].startswith("0.6")


def test_chart_and_reasons(tmp_path: Path) -> None:
    """A grouped-bar chart, and the reason 2.7 has no sub-interpreters, said once: in the
    sub-interpreters' scaling section, not again under the three ways."""
    for ident in MEANS:
        _write(tmp_path, ident)
    ctx = build_context(load_results(tmp_path))
    section = ways(ctx)
    chart = next(b for b in section.blocks if isinstance(b, Chart))
    assert chart.filename == "chart-ways.svg" and "<svg" in chart.svg
    assert not any(isinstance(b, Bullets) for b in section.blocks)
    reasons = [line for b in scaling(ctx).blocks if isinstance(b, Bullets) for line in b.items]
    assert len([line for line in reasons if "2.7" in line and "PEP 684" in line]) == 1


def test_difference_interval() -> None:
    """Welch's interval on a difference of means; fewer than two on a side gives none."""
    est = stats.difference_of_means([1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.0])
    assert est.value == pytest.approx(1.0)
    assert est.low is not None and est.high is not None and est.low < 1.0 < est.high
    assert stats.difference_of_means([1.0], [2.0, 2.1]).low is None
