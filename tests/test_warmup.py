"""The warm-up study: a short one on real interpreters, read back by pyperf's CLI, rendered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyperf
import pytest
from conftest import ready_by_id

from harness import changepoint, warmup
from harness.errors import UsageError
from harness.report import build, markdown
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
