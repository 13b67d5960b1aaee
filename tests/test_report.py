"""The report: built only from result files, byte-identical, honest about what is missing.

Results folders are made with pyperf's own API (tests/report_data.py); compare.md
is checked against pyperf's own ``compare_to`` output, run here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyperf
import pytest
from report_data import INTERPRETERS, write_interpreter, write_results
from report_extra import document, has, section, tables, texts

from harness import report, stats
from harness.__main__ import main
from harness.errors import UsageError
from harness.report import build, markdown, model
from harness.report.context import fmt_compare, fmt_interval
from harness.report.document import Bullets, Cell, Document
from harness.report.sections.method import merge_commands
from harness.stats import Estimate


def _verdicts(doc: Document) -> dict[str, str]:
    """The headline's items by interpreter id: "**id** (what): verdict.\nfigures"."""
    items = next(b for b in section(doc, "headline").blocks if isinstance(b, Bullets)).items
    return {item.split("**")[1]: item for item in items}


def _rows(doc: Document, anchor: str, first: str = "interpreter") -> dict[str, list[Cell]]:
    """The rows of the first table of a section whose first header is ``first``, by id."""
    table = next(t for t in tables(section(doc, anchor)) if t.headers[0] == first)
    return {str(row[0]): list(row) for row in table.rows}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with six interpreters, rendered once into RESULTS/report."""
    results = write_results(tmp_path_factory.mktemp("full") / "results")
    assert main(["report", str(results)]) == 0
    return results


def test_default_output_holds_page_markdown_charts_and_raw_files(full: Path) -> None:
    out = full / "report"
    names = set(_files(out))
    assert {"index.html", "README.md", "compare.md"} <= names
    for ident in ("2.7", "3.13", "3.13t", "3.13t+gil", "pypy3.9", "jython2.7"):
        assert f"{ident}.json" in names and f"{ident}.facts.json" in names
        assert (out / f"{ident}.json").read_bytes() == (full / f"{ident}.json").read_bytes()
    charts = sorted(n for n in names if n.endswith(".svg"))
    assert "chart-scaling-countdown.svg" in charts
    assert {"chart-lost-updates.svg", "chart-single-thread.svg", "chart-latency.svg"} <= set(
        charts
    )
    readme = (out / "README.md").read_text()
    for chart in charts:
        assert f"]({chart})" in readme  # linked relatively, beside README.md


def test_html_is_self_contained(full: Path) -> None:
    page = (full / "report" / "index.html").read_text()
    assert "<script" not in page
    # Nothing is fetched: no link, no external source or reference, no @import.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", page)
    assert "<link" not in page and "@import" not in page and "<img" not in page
    assert page.count("<svg") == len(list((full / "report").glob("chart-*.svg")))
    for title in ("Headline", "Interpreter facts", "Thread scaling", "Correctness",
                  "Single-thread cost", "Latency", "Method and environment"):
        assert f">{title}" in page


def test_rebuild_is_byte_identical(full: Path, tmp_path: Path) -> None:
    first = _files(full / "report")
    assert main(["report", str(full)]) == 0
    assert _files(full / "report") == first
    # Another output folder: nothing in the page depends on where it is written.
    assert main(["report", str(full), "--output", str(tmp_path / "elsewhere")]) == 0
    assert _files(tmp_path / "elsewhere") == first


def _scale_values(path: Path, name: str, factor: float) -> None:
    suite = pyperf.BenchmarkSuite.load(str(path))
    benchmarks = []
    for bench in suite.get_benchmarks():
        if bench.get_name() == name:
            runs = [
                pyperf.Run([v * factor for v in run.values], warmups=run.warmups,
                           metadata=run.get_metadata(), collect_metadata=False)
                for run in bench.get_runs()
            ]
            bench = pyperf.Benchmark(runs)
        benchmarks.append(bench)
    pyperf.BenchmarkSuite(benchmarks).dump(str(path), replace=True)


def test_changing_a_value_changes_table_and_chart(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    files = report.write_report(results, tmp_path / "before")
    before = _files(files.output)
    before_doc = document(results)
    _scale_values(results / "3.13t.json", "countdown/threads=2", 2.0)
    report.write_report(results, tmp_path / "after")
    after = _files(tmp_path / "after")
    assert after["chart-scaling-countdown.svg"] != before["chart-scaling-countdown.svg"]
    assert after["index.html"] != before["index.html"]
    # The scaling table's 2-thread cell shows the new mean, as pyperf formats it.
    bench = pyperf.BenchmarkSuite.load(str(results / "3.13t.json")).get_benchmark(
        "countdown/threads=2"
    )
    mean = bench.format_value(bench.mean()) + " ± "
    assert str(_rows(document(results), "scaling")["3.13t"][2]).startswith(mean)
    assert not str(_rows(before_doc, "scaling")["3.13t"][2]).startswith(mean)
    # A chart that the data does not touch stays the same.
    assert after["chart-latency.svg"] == before["chart-latency.svg"]


def test_compare_md_is_pyperf_compare_to(full: Path) -> None:
    out = full / "report"
    text = (out / "compare.md").read_text()
    cmd = ["python", "-m", "pyperf", "compare_to", "--table", "3.13.json", "2.7.json",
           "3.13t.json", "3.13t+gil.json", "pypy3.9.json", "jython2.7.json"]
    assert " ".join(cmd) in text
    proc = subprocess.run([sys.executable, *cmd[1:]], cwd=out, capture_output=True,
                          text=True, check=True)
    assert proc.stdout.strip()
    assert proc.stdout.rstrip("\n") in text


def test_compare_md_falls_back_to_pairs_when_pyperf_refuses(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_interpreter(results, "3.13", workloads=("countdown",))
    write_interpreter(results, "3.13t", workloads=("switch_latency",))
    write_interpreter(results, "pypy3.9", workloads=("countdown",))
    files = report.write_report(results)
    text = files.compare.read_text()
    assert "failed" in text
    assert "Benchmark suites have no benchmark in common" in text
    pair = subprocess.run(
        [sys.executable, "-m", "pyperf", "compare_to", "--table", "3.13.json", "pypy3.9.json"],
        cwd=files.output, capture_output=True, text=True, check=True,
    )
    assert pair.stdout.rstrip("\n") in text


def test_headline_verdicts_follow_the_rules(full: Path) -> None:
    # One item per interpreter: the verdict, then (on its next line) the figures behind it.
    lines = _verdicts(document(full))
    assert len(lines) == 6
    assert "runs Python threads in parallel" in lines["3.13t"]
    assert "runs Python threads in parallel" in lines["jython2.7"]
    assert "take turns" in lines["3.13"]
    assert "take turns" in lines["3.13t+gil"]
    assert "get in each other's way" in lines["2.7"]
    assert "baseline of the comparisons" in lines["3.13"]
    assert "slower than 3.13" in lines["3.13t"]
    assert "faster than 3.13" in lines["pypy3.9"]
    assert "with a lock: 0 lost" in lines["3.13t"]
    assert "loses updates without a lock" in lines["3.13t"]
    assert "loses updates" not in lines["3.13"]


def test_the_headline_states_the_lines_its_words_use(full: Path) -> None:
    """The headline's opening sentence names the lines of ``stats.thread_side``: a speedup
    just past each line it states gets the word it states, just short of it the next."""
    text = section(document(full), "headline").intro
    found = [re.search(r"\(([0-9.]+)x with 2 threads\)", text),
             re.search(r"all of it lies below ([0-9.]+)x", text)]
    assert found[0] is not None and found[1] is not None, text
    parallel, in_the_way = (float(m.group(1)) for m in found if m is not None)

    def side(low: float, high: float) -> str | None:
        return stats.thread_side(stats.Estimate((low + high) / 2, low, high, 5), 2.0)

    assert side(parallel + 0.01, parallel + 0.3) == "parallel"
    assert side(parallel - 0.01, parallel + 0.3) is None  # across the line: no verdict
    assert side(0.8, parallel - 0.01) == "turns"
    assert side(in_the_way - 0.2, in_the_way - 0.01) == "in the way"
    assert side(in_the_way - 0.2, in_the_way + 0.01) == "turns"
    assert f"{stats.CLEAR_FRACTION:.0%} of the way to the ideal gain" in text


def test_wide_spread_gives_no_verdict(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    write_interpreter(results, "3.13", processes=2)
    write_interpreter(results, "3.13t", processes=2, noise=0.9)
    item = _verdicts(document(results))["3.13t"]
    assert "no clear verdict" in item and "unstable" in item
    assert "runs Python threads" not in item  # an interval including 1 is never a speedup


def test_one_command_reproduces_the_run() -> None:
    cmds = [f"python -m harness run --interpreter {i} --workload countdown --output r"
            for i in ("3.13t", "3.13")]
    assert merge_commands(cmds) == [
        "python -m harness run --interpreter 3.13 --interpreter 3.13t --workload countdown "
        "--output r"
    ]
    other = ["python -m harness run -i 3.13 --fast", "python -m harness run -i 3.13t"]
    assert merge_commands(other) == sorted(other)
    assert merge_commands(["x", "x"]) == ["x"]


def test_lost_updates_are_summed_over_runs(full: Path) -> None:
    suite = pyperf.BenchmarkSuite.load(str(full / "3.13t.json"))
    bench = suite.get_benchmark("counter_race/threads=2,increments=100000")
    lost = sum(r.get_metadata()["lost_updates"] for r in bench.get_runs())
    expected = sum(r.get_metadata()["expected_updates"] for r in bench.get_runs())
    assert lost > 0
    doc = document(full)
    row = _rows(doc, "correctness")["3.13t"]
    assert f"{lost:,} of {expected:,}" in [str(cell).split("\n")[0] for cell in row]
    table = tables(section(doc, "correctness"))[0]
    assert "100 threads: the notebook's case" in table.caption


def test_facts_and_environment_come_from_the_facts_files(full: Path) -> None:
    doc = document(full)
    assert "container: podman, image localhost/harness-jython:2.7" in texts(doc, "facts")
    assert has(doc, "LOAD_GLOBAL 0 (n)", "facts")
    assert "`python -m harness run -o results`" in texts(doc, "method")
    assert has(doc, "57c77ce", "method")
    assert has(doc, "2026-11-25T15:30:00+00:00", "method")
    assert has(doc, f"pyperf {pyperf.__version__}", "method")
    # Unsupported points are listed with their reason, where they would have been.
    assert has(doc, "Jython has no GIL and no sys.setswitchinterval", "latency")


def test_speedup_comes_from_paired_process_ratios() -> None:
    def bench(per_process: list[list[float]]) -> pyperf.Benchmark:
        return pyperf.Benchmark([pyperf.Run(v, metadata={"name": "b"}, collect_metadata=False)
                                 for v in per_process])

    # Process drift cancels in the paired ratios: every process is exactly 2x faster.
    one = bench([[1.0, 1.0], [1.5, 1.5], [0.8, 0.8]])
    two = bench([[0.5, 0.5], [0.75, 0.75], [0.4, 0.4]])
    sp = stats.speedup(one, two)
    assert sp.value == pytest.approx(2.0) and sp.excludes(1.0)
    assert sp.half_width() == pytest.approx(0.0, abs=1e-9)
    same = stats.speedup(one, bench([[1.1, 1.1], [1.3, 1.3], [0.85, 0.85]]))
    assert not same.excludes(1.0)


def test_baseline_prefers_gil_build_of_the_free_threaded_version(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("2.7", "3.13", "3.13t", "pypy3.9"))
    loaded = model.load_results(results)
    base, _why = model.choose_baseline(loaded, None)
    assert base is not None and base.id == "3.13"
    base, why = model.choose_baseline(loaded, "pypy3.9")
    assert base is not None and base.id == "pypy3.9" and "--baseline" in why
    with pytest.raises(UsageError, match="3.13t"):
        model.choose_baseline(loaded, "3.99")
    # No CPython with the GIL at all: the first interpreter measured, and it says so.
    only = model.load_results(write_results(tmp_path / "o", ids=("3.13t", "pypy3.9")))
    base, why = model.choose_baseline(only, None)
    assert base is not None and base.id == "3.13t" and "no CPython with the GIL" in why


def test_baseline_option_reaches_compare_md(full: Path, tmp_path: Path) -> None:
    assert main(["report", str(full), "-o", str(tmp_path), "--baseline", "pypy3.9"]) == 0
    # Newest first within a family: 3.13 before 2.7.
    assert "compare_to --table pypy3.9.json 3.13.json 2.7.json" in (
        tmp_path / "compare.md").read_text()


def test_unknown_baseline_is_one_line_and_exit_2(full: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(full), "-o", str(tmp_path), "--baseline", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err and "3.13t" in err


@pytest.mark.parametrize("make", ["empty", "absent"])
def test_empty_or_absent_folder_is_one_clear_error(tmp_path: Path, make: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "results"
    if make == "empty":
        folder.mkdir()
    assert main(["report", str(folder)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(folder) in err and "python -m harness run" in err
    assert not (folder / "report").exists()


def test_failed_interpreter_is_reported_not_fatal(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"))
    write_interpreter(results, "pypy3.9", suite=False)
    files = report.write_report(results)
    item = _verdicts(document(results))["pypy3.9"]
    assert "no measurements" in item
    assert "worker exited with status 1: ImportError" in item
    assert "pypy3.9.json" not in files.compare.read_text()


def test_unreadable_suite_is_reported(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"))
    (results / "2.7.json").write_text("{not json", encoding="utf-8")
    assert report.write_report(results).markdown.exists()  # written, not a crash
    assert "unreadable" in _verdicts(document(results))["2.7"]


def test_one_interpreter_only(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13t",))
    files = report.write_report(results)
    assert "Nothing to compare" in files.compare.read_text()
    doc = document(results)
    assert has(doc, "Only 3.13t was measured", "single-thread")
    assert "chart-scaling-countdown.svg" in {p.name for p in files.charts}
    assert "runs Python threads in parallel" in _verdicts(doc)["3.13t"]


def test_jython_without_optional_workloads(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    write_interpreter(results, "3.13", workloads=("countdown", "switch_latency"))
    write_interpreter(results, "jython2.7", workloads=("countdown",))
    files = report.write_report(results)
    doc = document(results)
    # No counter results at all: said in words, and no empty chart.
    assert has(doc, "No `counter_race` results", "correctness")
    assert "chart-lost-updates.svg" not in {p.name for p in files.charts}
    # Jython has no latency benchmark: listed as not measured.
    assert "**jython2.7**: not measured (no benchmark of this workload)" in texts(
        doc, "latency")


def test_facts_only_folder_still_renders(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    write_interpreter(results, "3.13", suite=False)
    files = report.write_report(results)
    assert "no measurements" in _verdicts(document(results))["3.13"]
    assert files.charts == ()
    assert "Nothing to compare" in files.compare.read_text()


def test_stale_charts_are_removed(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"))
    out = tmp_path / "out"
    report.write_report(results, out)
    assert (out / "chart-latency.svg").exists()
    for name in ("3.13", "3.13t"):
        suite = pyperf.BenchmarkSuite.load(str(results / f"{name}.json"))
        kept = [b for b in suite.get_benchmarks() if not b.get_name().startswith("switch")]
        pyperf.BenchmarkSuite(kept).dump(str(results / f"{name}.json"), replace=True)
    report.write_report(results, out)
    assert not (out / "chart-latency.svg").exists()


def test_unknown_facts_version_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"))
    facts = json.loads((results / "3.13t.facts.json").read_text())
    facts["version"] = 99
    (results / "3.13t.facts.json").write_text(json.dumps(facts))
    assert report.write_report(results).markdown.exists()  # written, not a crash
    assert has(document(results), "unknown facts format version 99")


@pytest.mark.slow
def test_report_of_a_real_fast_run(tmp_path: Path) -> None:
    """The runner's real output (fast profile) renders with data in every section."""
    from conftest import ready_interpreters

    ready = {i.id: i for i in ready_interpreters() if i.container is None}
    wanted = [i for i in ("3.13", "3.13t") if i in ready]
    if len(wanted) < 2:
        wanted = [i for i in ready if i[0].isdigit()][-2:]
    if not wanted:
        pytest.skip("no ready local CPython interpreter on this machine")
    results = tmp_path / "results"
    argv = ["run", "--fast", "--threads", "1,2", "-o", str(results)]
    for ident in wanted:
        argv += ["-i", ident]
    for workload in ("countdown", "counter_race", "counter_lock", "switch_latency"):
        argv += ["-w", workload]
    assert main(argv) == 0
    assert main(["report", str(results)]) == 0
    out = results / "report"
    assert (out / "README.md").exists() and (out / "index.html").exists()
    doc = document(results)
    assert set(wanted) <= set(_verdicts(doc))
    assert has(doc, "**Smoke test**", "headline")
    assert {"chart-scaling-countdown.svg", "chart-lost-updates.svg",
            "chart-latency.svg"} <= {p.name for p in out.glob("*.svg")}
    if len(wanted) == 2:
        cmd = [sys.executable, "-m", "pyperf", "compare_to", "--table",
               *(f"{i}.json" for i in wanted)]
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, check=True)
        assert proc.stdout.rstrip("\n") in (out / "compare.md").read_text()


def test_headline_table_comes_from_the_suites(full: Path) -> None:
    doc = document(full)
    table = tables(section(doc, "headline"))[0]
    assert table.headers[:3] == ["interpreter", "GIL", "2 threads of `countdown` vs 1"]
    rows = _rows(doc, "headline")
    results = {r.id: r for r in model.load_results(full)}
    one = results["3.13t"].benchmark("countdown/threads=1")
    two = results["3.13t"].benchmark("countdown/threads=2")
    assert one is not None and two is not None
    expected = stats.speedup(one, two)
    assert expected.low is not None and expected.high is not None
    assert str(rows["3.13t"][2]).split("\n")[0].removesuffix(" n.s.") == fmt_interval(expected)
    assert rows["3.13"][5] == "baseline"


def test_readme_block_is_replaced_between_markers(full: Path, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Project\n\nintro\n\n{markdown.README_START}\nold text\n{markdown.README_END}\n\nrest\n"
    )
    out = tmp_path / "reports" / "2026-01-01-test"
    assert main(["report", str(full), "--output", str(out), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old text" not in text
    assert text.startswith("# Project\n\nintro\n\n") and text.endswith("\n\nrest\n")
    assert "[reports/2026-01-01-test](reports/2026-01-01-test/README.md)" in text
    assert "| 3.13t | GIL off |" in text
    assert "![Speedup of countdown" in text and "(reports/2026-01-01-test/chart-scaling-" in text
    # Rendering again from the same files gives the same README.
    assert main(["report", str(full), "--output", str(out), "--readme", str(readme)]) == 0
    assert readme.read_text() == text


def test_readme_without_markers_is_one_clear_error(
    full: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    assert main(["report", str(full), "-o", str(tmp_path / "r"), "--readme", str(readme)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "latest-report:start" in err[0]
    assert readme.read_text() == "# no markers\n"


def _unavailable(folder: Path, ident: str) -> None:
    facts = {
        "version": 1,
        "interpreter": {"id": ident, "implementation": "cpython", "gil": "off",
                        "family": "free-threaded", "status": "missing"},
        "probe": None,
        "outcomes": [{"benchmark": "*", "status": "missing",
                      "reason": f"to provide it: python -m harness provision {ident}"}],
        "run": {"profile": "default"},
    }
    (folder / f"{ident}.facts.json").write_text(json.dumps(facts))


def test_unavailable_interpreters_are_named_once_not_in_every_table(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    _unavailable(results, "3.14t")
    assert main(["report", str(results)]) == 0
    doc = document(results)
    said = next(t for t in doc.intro if "3.14t" in t)
    assert said.startswith("Not available on this machine, so not in this report: **3.14t**")
    row = ["3.14t", "(all)", "not available", "to provide it: python -m harness provision 3.14t"]
    assert row in [list(r) for t in tables(section(doc, "method")) for r in t.rows]
    # Nowhere else: no empty column in the facts, no row in the headline table.
    assert [t for t in texts(doc) if "3.14t" in t] == [said, row[0], row[3]]
    assert "2 interpreters (2 measured)" in doc.subtitle


def test_only_unavailable_interpreters_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _unavailable(tmp_path, "3.14t")
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing was measured" in err[0] and "3.14t" in err[0]


def test_one_process_gives_no_verdict_and_no_crash(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    write_interpreter(results, "3.13", processes=1)
    write_interpreter(results, "3.13t", processes=1)
    lines = _verdicts(document(results))
    assert "no verdict on threads: not enough processes" in lines["3.13t"]
    assert "runs Python threads" not in lines["3.13t"]
    assert "1 process: no interval" in lines["3.13t"]
    assert "no verdict (not enough processes" in lines["3.13t"]  # the single-thread ratio


def test_speedup_above_the_cores_always_carries_its_note(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    # 2.6x on 2 cores, measured tightly: the interval excludes the limit.
    write_interpreter(results, "3.13", noise=0.005, processes=6)
    write_interpreter(results, "3.13t", speed=2.6, noise=0.005, processes=6)
    doc = document(results)
    cell = str(_rows(doc, "headline")["3.13t"][2])
    assert "above the physical limit of 2x and its interval excludes it" in cell
    assert "measurement fault" in cell
    scaling = [str(c) for t in tables(section(doc, "scaling")) for row in t.rows for c in row]
    assert any("measurement fault" in c for c in scaling)
    # Just above, within noise: the interval includes the limit.
    noisy = tmp_path / "n"
    noisy.mkdir()
    write_interpreter(noisy, "3.13", noise=0.3, processes=3)
    write_interpreter(noisy, "3.13t", speed=2.05, noise=0.3, processes=3)
    lines = _verdicts(document(noisy))
    if "above the physical limit" in lines["3.13t"]:  # only when the estimate is above 2
        assert "its interval includes 2: noise" in lines["3.13t"]


def test_interval_including_one_is_never_a_speedup() -> None:
    from harness.report.verdicts import limit_note, strong_verdict, weak_words

    wide = stats.Estimate(1.3, 0.8, 2.1, 3)
    assert "no clear verdict" in strong_verdict(wide, 2)
    assert "in parallel" not in strong_verdict(wide, 2)
    assert strong_verdict(stats.Estimate(1.9, 1.8, 2.0, 5), 2) == "runs Python threads in parallel"
    assert "take turns" in strong_verdict(stats.Estimate(1.0, 0.97, 1.04, 5), 2)
    assert "not enough processes" in strong_verdict(stats.Estimate(1.9, None, None, 1), 2)
    assert limit_note(stats.Estimate(1.9, 1.8, 2.0, 5), 2) is None
    note = limit_note(stats.Estimate(2.03, 1.9, 2.2, 3), 2)
    assert note is not None and "noise" in note
    # Weak scaling: throughput T x is the ideal, "time unchanged", not a failure.
    assert weak_words(stats.Estimate(2.0, 1.95, 2.04, 3), 2) == "time unchanged (the ideal)"


def test_weak_scaling_reads_as_time_unchanged(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    for ident in ("3.13", "3.13t"):
        write_interpreter(results, ident, workloads=("countdown", "io_wait"))
    doc = document(results)
    assert has(doc, "time unchanged (the ideal)", "scaling", after="`io_wait`")
    assert not has(doc, "n.s.", "scaling", after="`io_wait`")


def test_suites_from_two_hosts_are_not_compared_across_machines(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    write_interpreter(results, "3.13", hostname="runner-a", cpu_model="AMD EPYC 7763")
    write_interpreter(results, "3.13t", hostname="runner-b", cpu_model="Intel Xeon 8370C")
    write_interpreter(results, "3.13t+gil", hostname="runner-a", cpu_model="AMD EPYC 7763")
    doc = document(results)
    lines = _verdicts(doc)
    # Each keeps its own scaling; only cross-machine single-thread figures are withheld.
    assert "runs Python threads in parallel" in lines["3.13t"]
    assert "not comparable with 3.13 (different machines)" in lines["3.13t"]
    assert "not comparable" not in lines["3.13t+gil"]
    assert _rows(doc, "headline")["3.13t"][5] == "not comparable (different machines)"
    assert has(doc, "**Several machines**", "headline")
    assert has(doc, "not comparable (different machines)", "single-thread")
    assert has(doc, "more than one machine", "method") and has(doc, "runner-b", "method")
    assert has(doc, "AMD EPYC 7763", "method") and has(doc, "Intel Xeon 8370C", "method")


def test_new_runner_facts_are_rendered(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"), new_facts=True)
    doc = document(results)
    assert has(doc, "thread start + join", "facts") and has(doc, "work scaled", "facts")
    assert "countdown x16" in texts(doc, "facts")
    assert has(doc, "machine noise during 3.13t's run", "method") and has(doc, "3.1%")
    assert has(doc, "CPU affinity 0,1", "method")
    assert has(doc, "point order random (seed 12345)", "method")
    assert has(doc, "sampling target met", "method")
    assert has(doc, "missed: countdown/threads=4 (5 processes)", "method")
    # ... and the Method section names it with why (not reached, the budget record)
    assert has(doc, "`countdown/threads=4`: precision not reached (5 processes)", "method")
    busy = tmp_path / "b"
    write_results(busy, ids=("3.13",), new_facts=True)
    facts = json.loads((busy / "3.13.facts.json").read_text())
    facts["environment"]["busy_at_start"] = True
    (busy / "3.13.facts.json").write_text(json.dumps(facts))
    assert has(document(busy), "**Busy machine**", "headline")


def test_kind_comes_from_metadata_before_the_workloads_folder(tmp_path: Path) -> None:
    results = tmp_path / "r"
    results.mkdir()
    write_interpreter(results, "3.13", workloads=("countdown",))
    suite = pyperf.BenchmarkSuite.load(str(results / "3.13.json"))
    benches = []
    for bench in suite.get_benchmarks():
        runs = []
        for run in bench.get_runs():
            meta = dict(run.get_metadata(), workload_kind="weak",
                        workload_description="a countdown relabelled weak")
            runs.append(pyperf.Run(run.values, warmups=run.warmups, metadata=meta,
                                   collect_metadata=False))
        benches.append(pyperf.Benchmark(runs))
    pyperf.BenchmarkSuite(benches).dump(str(results / "3.13.json"), replace=True)
    doc = document(results)
    assert "`countdown`: a countdown relabelled weak" in texts(doc, "scaling")
    # Scaled as weak: throughput against 1, whose ideal is the time unchanged.
    assert has(doc, "time unchanged", "scaling")


def test_headers_have_no_literal_backticks_in_html(full: Path) -> None:
    page = (full / "report" / "index.html").read_text()
    for header in re.findall(r"<th>(.*?)</th>", page):
        assert "`" not in header, header
    assert "<th>2 threads of <code>countdown</code> vs 1</th>" in page


def test_a_dozen_interpreters_get_distinct_styles(tmp_path: Path) -> None:
    """One colour and marker per interpreter; one line style per family."""
    results = write_results(tmp_path / "results", ids=tuple(INTERPRETERS))
    loaded = model.load_results(results)
    ctx = build.build_context(loaded)
    styles = [ctx.style(r) for r in loaded]
    assert len({s.color for s in styles}) == len(styles)
    assert len({s.marker for s in styles}) == len(styles)
    by_family: dict[str, set[str]] = {}
    for r in loaded:
        by_family.setdefault(r.family, set()).add(ctx.style(r).line)
    assert all(len(lines) == 1 for lines in by_family.values())
    assert len({next(iter(v)) for v in by_family.values()}) == len(by_family)
    # Newest first within each family.
    cpython = [r.id for r in loaded if r.family == "cpython"]
    assert cpython == ["3.15", "3.14", "3.13", "3.12", "3.11", "2.7"]


def test_a_lock_convoy_is_named_with_its_figures() -> None:
    """The published run's PyPy and 2.7 threads under one lock run far slower than one
    thread: the correctness section names them with interval and spread; the GIL builds
    of CPython 3, whose lock costs nothing more with threads, are not named."""
    published = Path(__file__).resolve().parents[1] / "reports" / "2026-11-26-debian12-2cpu-x86_64"
    doc = document(published)  # rendered in tests/test_report_published.py
    assert has(doc, "**pypy3.9** (GIL on), 4 threads: 0.06x (", "correctness", "a lock convoy")
    assert has(doc, "**2.7** (GIL on), 2 threads", "correctness", "a lock convoy")
    assert not has(doc, "**3.13**", "correctness", "a lock convoy")
    assert not has(doc, "**3.13t**", "correctness", "a lock convoy")


def test_no_convoy_paragraph_without_one(tmp_path: Path) -> None:
    """Fixture data whose locked counter scales like the others: nothing to name."""
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"))
    assert not has(document(results), "lock convoy")


def test_the_header_states_the_machine_noise(tmp_path: Path) -> None:
    """The report's subtitle (and so the README block) carries the machine's noise."""
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"), new_facts=True)
    head = document(results).subtitle
    # One noise record for the whole (interleaved) run: one figure, not a range of equals.
    assert "machine noise 3.1% (the reference loop's relative standard deviation during " \
        "the run)" in head, head
    plain = write_results(tmp_path / "p", ids=("3.13",))
    assert not has(document(plain), "machine noise")


def test_an_interval_that_excludes_one_never_prints_as_including_it() -> None:
    """0.9612-0.9991 excludes 1: printed with one more digit, not as "0.96-1.00"."""
    assert fmt_interval(Estimate(0.978, 0.9612, 0.9991, 5)) == "0.978x (0.961-0.999)"
    assert fmt_interval(Estimate(0.98, 0.96, 1.01, 5)) == "0.98x (0.96-1.01)"
    # Excluding 1 is not enough for "slower": the whole interval must lie beyond 2%.
    assert fmt_compare(Estimate(1.022, 1.003, 1.041, 5)).startswith("no significant change")
    assert fmt_compare(Estimate(1.032, 1.021, 1.043, 5)) == "1.03x slower (1.02-1.04x)"
    assert fmt_compare(Estimate(1.31, 1.29, 1.34, 5)) == "1.31x slower (1.29-1.34x)"


def test_the_method_says_how_many_jobs_kept_a_remembered_plan(tmp_path: Path) -> None:
    """Facts ``work[...].calibration`` (harness.calibrations) become one sentence with counts;
    files without it (older runs) say nothing of it."""
    folder = write_results(tmp_path / "r", ids=("3.13", "3.13t"), new_facts=True)
    assert not any("Loops and work scales" in t for t in texts(document(folder), "method"))
    plans = {"3.13": {"plan": "recalled", "recorded": "2026-12-07T09:40:12+00:00"},
             "3.13t": {"plan": "changed", "recorded": "2026-12-07T10:01:00+00:00",
                       "replaced": "2026-12-07T09:41:00+00:00"}}
    for ident, plan in plans.items():
        path = folder / f"{ident}.facts.json"
        data = json.loads(path.read_text())
        data["work"]["countdown"]["calibration"] = plan
        path.write_text(json.dumps(data))
    [text] = [t for t in texts(document(folder), "method")
              if t.startswith("Loops and work scales")]
    assert "of 2 jobs, 1 kept the plan an earlier run chose (chosen from " \
        "2026-12-07 09:40 UTC on), 0 chose afresh and 1 replaced a remembered plan" in text
    assert "`run --recalibrate`" in text
    path = folder / "3.13t.facts.json"
    data = json.loads(path.read_text())
    data["work"]["countdown"]["calibration"] = {"plan": "recalled", "recorded": "",
                                                "from": "reports/x"}
    path.write_text(json.dumps(data))
    [text] = [t for t in texts(document(folder), "method")
              if t.startswith("Loops and work scales")]
    assert "of 2 jobs, 2 kept the plan an earlier run chose (chosen from 2026-12-07 09:40 UTC " \
        "on) (1 of them from `reports/x`: `--plans-from`), 0 chose afresh" in text
