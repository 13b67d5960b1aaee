"""The warm-up study: a short one on real interpreters, read back by pyperf's CLI, rendered."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pyperf
import pytest
from conftest import ready_by_id

from harness import changepoint, warmup
from harness.errors import UsageError
from harness.report import build, markdown, write_report
from harness.report.document import Document
from harness.report.model import load_results
from harness.report.sections.warmup import warmup as warmup_section
from harness.spec import Interpreter
from harness.workloads import resolve_workloads

HOST = Interpreter(
    id="host", implementation="cpython", version="", gil="on", source="PATH",
    family="cpython", argv=(sys.executable,),
)
SHORT = warmup.Study(iterations=changepoint.MIN_SERIES, processes=2, min_time=0.002,
                     fast=True, timeout=120.0)


def _pyperf(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pyperf", *args], capture_output=True,
                          text=True, check=True)
    return done.stdout


def test_study_refuses_series_too_short_to_classify() -> None:
    with pytest.raises(UsageError, match="at least 20 iterations"):
        warmup.Study(iterations=5)


@pytest.mark.slow
def test_short_study_reads_back_with_pyperf_and_renders(tmp_path: Path) -> None:
    interps = [HOST]
    pypy = ready_by_id("pypy3.9")
    if pypy is not None:  # a JIT too, when this machine has one ready
        interps.append(pypy)
    out = tmp_path / "warmup"
    failures = warmup.run_study(interps, resolve_workloads(["countdown"]), SHORT, out)
    assert failures == {}
    for interp in interps:
        path = out / f"{interp.id}.json"
        suite = pyperf.BenchmarkSuite.load(str(path))
        assert suite.get_benchmark_names() == ["countdown/threads=1", "countdown/threads=2"]
        for bench in suite.get_benchmarks():
            runs = bench.get_runs()
            assert len(runs) == SHORT.processes
            # Every iteration is a value: nothing hidden as a warm-up.
            assert all(len(r.values) == SHORT.iterations and not r.warmups for r in runs)
            assert {r.get_metadata()["process"] for r in runs} == {1, 2}
        shown = _pyperf("show", str(path))
        assert "countdown/threads=1" in shown
        dumped = _pyperf("dump", str(path))
        assert f"{SHORT.iterations} values" in dumped
        stats = _pyperf("stats", str(path))
        assert f"Number of run with values: {SHORT.processes}" in stats
        assert "Number of warmup per run: 0" in stats
        assert f"Number of value per run: {SHORT.iterations}" in stats
        _pyperf("check", str(path))
    lines = warmup.summary_lines(out)
    assert len(lines) == 2 * len(interps)
    assert all("consistent" in line or "inconsistent" in line for line in lines)
    # The section, as `harness report RESULTS` renders it with the study in RESULTS/warmup.
    (tmp_path / "host.json").write_bytes((out / "host.json").read_bytes())
    ctx = build.build_context(load_results(tmp_path))
    sec = warmup_section(ctx)
    assert sec.title == "Does the JIT warm up?"
    table = next(b for b in sec.blocks if hasattr(b, "rows"))
    assert {row[0] for row in table.rows} == {i.id for i in interps}
    assert all(row[3].split(" ")[0] in ("consistent", "inconsistent") for row in table.rows)
    text = markdown.render_markdown(Document("t", "s", [], [sec]))
    assert "## Does the JIT warm up?" in text and "chart-warmup.svg" in text
    assert any(b.filename == "chart-warmup.svg" and b.svg.startswith("<?xml")
               for b in sec.blocks if hasattr(b, "svg"))


def test_section_without_a_study_says_how_to_run_one(tmp_path: Path) -> None:
    from report_data import write_results  # the report tests' fixture results

    write_results(tmp_path)
    sec = warmup_section(build.build_context(load_results(tmp_path)))
    assert "python -m harness warmup" in sec.blocks[0].text  # type: ignore[union-attr]


def _study_run(values: list[float], name: str, process: int) -> pyperf.Run:
    meta = {"name": name, "loops": 1, "process": process, warmup.STUDY_KEY: len(values)}
    return pyperf.Run(values, metadata=meta, collect_metadata=False)


def _write_study(path: Path, shapes: dict[str, list[list[float]]]) -> None:
    """A study suite as `harness warmup` writes it: one run per process, every iteration a value."""
    benches = [pyperf.Benchmark([_study_run(series, name, i + 1)
                                 for i, series in enumerate(runs)])
               for name, runs in shapes.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    pyperf.BenchmarkSuite(benches).dump(str(path), replace=True)


def _jumping(rng: random.Random) -> list[float]:
    out, level = [], 0.01
    for i in range(200):
        if i % 15 == 0:
            level = rng.choice([0.006, 0.01, 0.016, 0.022])
        out.append(level * (1 + rng.gauss(0, 0.01)))
    return out


def _studied_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A run (3.13, pypy3.9, jython2.7) and a study: PyPy flat at 1 thread and without a
    steady state at 2 threads; Jython steady only after 50 slow iterations (5 s in process,
    far past the run's own warm-up of about 0.8 s)."""
    from report_data import write_results

    results = write_results(tmp_path / "results", ids=("3.13", "pypy3.9", "jython2.7"),
                            workloads=("countdown", "counter_lock"))
    rng = random.Random(3)

    def flat() -> list[float]:
        return [0.01 * (1 + rng.gauss(0, 0.01)) for _ in range(200)]

    def warm() -> list[float]:
        return ([0.05 * (1 + rng.gauss(0, 0.01)) for _ in range(50)]
                + [0.01 * (1 + rng.gauss(0, 0.01)) for _ in range(150)])

    study = tmp_path / "study"
    _write_study(study / "pypy3.9.json", {
        "countdown/threads=1": [flat() for _ in range(5)],
        "countdown/threads=2": [_jumping(rng) for _ in range(5)]})
    _write_study(study / "jython2.7.json", {
        "countdown/threads=1": [warm() for _ in range(5)],
        "countdown/threads=2": [warm() for _ in range(5)]})
    return results, study


def _section_text(report: Path) -> str:
    text = (report / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Does the JIT warm up?"):]


def test_report_says_which_jit_figures_are_in_the_steady_state(tmp_path: Path) -> None:
    results, study = _studied_folder(tmp_path)
    study.rename(results / "warmup")  # where `harness warmup` writes by default
    files = write_report(results, tmp_path / "report")
    section = _section_text(files.output)
    table = section[:section.index("This report's JIT figures")]
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]): line
            for line in table.splitlines() if line.startswith("| ")}
    assert "consistent flat" in rows[("pypy3.9", "countdown/threads=1")]
    assert "covers it" in rows[("pypy3.9", "countdown/threads=1")]
    assert "no steady state in some process" in rows[("pypy3.9", "countdown/threads=2")]
    jython = rows[("jython2.7", "countdown/threads=1")]
    assert "consistent warm-up" in jython and "50 (50-50)" in jython
    # The run took 1 warm-up round of 0.81 s: 5 s in process need about 7.
    assert "0.81 s (measured in this run): too short, \\~7 rounds needed" in jython
    lines = section[section.index("This report's JIT figures"):]
    pypy = next(line for line in lines.splitlines() if line.startswith("- **pypy3.9**"))
    assert "`countdown/threads=1`: inside the steady state" in pypy
    assert "`countdown/threads=2`: no steady state in some process" in pypy
    assert "not studied: `countdown/threads=4`, counter_lock." in pypy
    assert "`countdown/threads=2`: not all inside" in lines
    # The headline says it too, naming only the figures outside the steady state.
    text = (files.output / "README.md").read_text(encoding="utf-8")
    headline = text[text.index("## Headline"):text.index("## Does the JIT warm up?")]
    warning = next(line for line in headline.splitlines() if "**JIT warm-up**" in line)
    assert "pypy3.9 (`countdown/threads=2`)" in warning
    assert "jython2.7 (`countdown/threads=1`, `countdown/threads=2`)" in warning
    # The report folder carries the study: rendered again from it, the same section.
    assert sorted(p.name for p in (files.output / "warmup").iterdir()) == [
        "jython2.7.json", "pypy3.9.json"]
    again = write_report(files.output, tmp_path / "again")
    assert _section_text(again.output) == section


def test_report_warmup_option_reads_the_study_from_elsewhere(tmp_path: Path) -> None:
    results, study = _studied_folder(tmp_path)
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "harness", "report", str(results), "-o",
                           str(out), "--warmup", str(study)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "| jython2.7 | countdown/threads=1 |" in _section_text(out)
    assert (out / "warmup" / "pypy3.9.json").is_file()
    bad = subprocess.run([sys.executable, "-m", "harness", "report", str(results), "-o",
                          str(out), "--warmup", str(tmp_path / "nowhere")],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert "--warmup" in bad.stderr and "no such folder" in bad.stderr


def test_jit_interpreter_outside_the_study_is_said_unknown(tmp_path: Path) -> None:
    results, study = _studied_folder(tmp_path)
    (study / "jython2.7.json").unlink()
    (study / "broken.json").write_text("{", encoding="utf-8")
    sec = warmup_section(build.build_context(load_results(results), warmup_dir=study))
    text = markdown.render_markdown(Document("t", "s", [], [sec]))
    assert "**jython2.7**: not in the warm-up study" in text
    assert "Unreadable study files, left out: broken.json" in text
