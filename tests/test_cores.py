"""The "One core against all" section from synthetic results (the document model).

Pinned points (``countdown/threads=T,cpus=1``) beside the unpinned ones: per
interpreter the time ratio of 2 threads to 1 on each core count and the change
between them, in words only where the interval supports them; pinned points stay
out of the other sections; a worker that could not be pinned is named with its reason.
"""

from __future__ import annotations

from pathlib import Path

from report_data import write_results
from report_extra import add_points, bullets, document, section, tables

from harness import results


def _pin(folder: Path, ident: str, ratio: float, processes: int = 4) -> None:
    """countdown on one core: 2 threads take ``ratio`` times the time of 1."""
    one = [0.05 * (1 + 0.01 * i) for i in range(processes)]
    add_points(folder, ident, "countdown", "strong",
               {"threads=1,cpus=1": one, "threads=2,cpus=1": [x * ratio for x in one]},
               params={"threads=1,cpus=1": {"threads": 1, "cpus": 1},
                       "threads=2,cpus=1": {"threads": 2, "cpus": 1}})


def _folder(tmp_path: Path) -> Path:
    # report_data: 2.7 runs 2 threads at 0.6x the speed of 1 on all (2) cores; 3.13t at 1.9x.
    folder = write_results(tmp_path / "r", ids=("2.7", "3.13t"), processes=4, noise=0.01,
                           workloads=("countdown",))
    _pin(folder, "2.7", 1.0)
    _pin(folder, "3.13t", 1.0)
    return folder


def test_one_core_against_all_per_interpreter(tmp_path: Path) -> None:
    doc = document(_folder(tmp_path))
    sec = section(doc, "cores")
    (table,) = tables(sec)
    assert table.headers == ["interpreter", "2 vs 1 thread, 1 core",
                             "2 vs 1 thread, all 2 cores", "all cores against 1 core"]
    row = {str(r[0]): [str(c) for c in r] for r in table.rows}
    assert row["2.7"][1].startswith("no significant change")  # one core: 1.0x
    assert "slower" in row["2.7"][2] and "slower than on 1 core" in row["2.7"][3]
    assert "faster" in row["3.13t"][2] and "faster than on 1 core" in row["3.13t"][3]
    line = next(item for item in bullets(sec) if item.startswith("**2.7**"))
    assert "from 1 core to all: 1.6" in line and "x slower" in line
    chart = next(c for c in doc.charts() if c.filename == "chart-cores.svg")
    assert chart.svg.count("ideal: min(T, cores)") >= 1 and "1 core" in chart.svg
    assert "2.7,countdown,ratio threads=2/1 cpus=1," in doc.estimates


def test_pinned_points_stay_out_of_the_other_sections(tmp_path: Path) -> None:
    doc = document(_folder(tmp_path))
    scaling = section(doc, "scaling")
    text = str([getattr(b, "rows", "") for b in scaling.blocks])
    assert "cpus=1" not in text
    pinned = [line for line in doc.estimates.splitlines() if "cpus=1" in line]
    assert pinned and all(",ratio threads=2/1 cpus=" in line or ",change threads=2/1 " in line
                          for line in pinned)


def test_not_measured_and_unpinnable(tmp_path: Path) -> None:
    folder = write_results(tmp_path / "r", ids=("2.7",), processes=2, workloads=("countdown",))
    path = results.facts_path(folder, "2.7")
    facts = results.Facts.load(path)
    facts.outcomes.append(results.Outcome(
        "countdown,cpus=1", "unsupported",
        "asked to run on CPUs 0, but the process may run on 0,1"))
    facts.save(path)
    sec = section(document(folder), "cores")
    assert not tables(sec)
    assert "--cpus 1,all" in sec.blocks[0].text  # type: ignore[union-attr]
    (line,) = bullets(sec)
    assert line.startswith("**2.7** `countdown,cpus=1`: unsupported: asked to run on CPUs 0")


def test_a_pinned_benchmark_first_does_not_set_the_machine(tmp_path: Path) -> None:
    """A Jython pinned to one core counts 1 CPU: the report's cores come from unpinned runs."""
    import pyperf

    from harness.report.model import load_results, machine_cores

    folder = write_results(tmp_path / "r", ids=("jython2.7",), processes=3,
                           workloads=("countdown",))
    add_points(folder, "jython2.7", "countdown", "strong",
               {"threads=1,cpus=1": [0.05] * 3, "threads=2,cpus=1": [0.1] * 3},
               params={k: {"threads": t, "cpus": 1, "cpu_count": 1}
                       for k, t in (("threads=1,cpus=1", 1), ("threads=2,cpus=1", 2))})
    path = results.suite_path(folder, "jython2.7")
    suite = pyperf.BenchmarkSuite.load(str(path))
    benches = suite.get_benchmarks()
    pyperf.BenchmarkSuite(benches[-2:] + benches[:-2]).dump(str(path), replace=True)
    loaded = load_results(folder)
    assert loaded[0].suite is not None
    assert loaded[0].suite.get_benchmark_names()[0] == "countdown/threads=1,cpus=1"
    assert machine_cores(loaded) == 2
    (table,) = tables(section(document(folder), "cores"))
    assert "2 vs 1 thread, all 2 cores" in table.headers
