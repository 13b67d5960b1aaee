"""The report on discarded processes (``<results>/discarded/<id>.json``, runs marked
``harness_discarded``): how many per interpreter, and what including them would change."""

from __future__ import annotations

from pathlib import Path

import pyperf
from report_data import write_results

from harness.__main__ import main

REASON = "burst: reference 31.2 ms against a 14.0 ms baseline"


def _discard(results: Path, ident: str, slower: float) -> None:
    """One extra process of ``ident``'s countdown, its 2-thread run ``slower`` times slower,
    kept as the runner keeps a discarded one."""
    suite = pyperf.BenchmarkSuite.load(str(results / f"{ident}.json"))
    benches = []
    for name in ("countdown/threads=1", "countdown/threads=2"):
        run = next(r for r in suite.get_benchmark(name).get_runs() if r.values)
        meta = dict(run.get_metadata(), process=0, harness_discarded=REASON)
        factor = slower if name.endswith("=2") else 1.0
        benches.append(pyperf.Benchmark([pyperf.Run(
            [v * factor for v in run.values], warmups=list(run.warmups) or None,
            metadata=meta, collect_metadata=False)]))
    (results / "discarded").mkdir(exist_ok=True)
    pyperf.BenchmarkSuite(benches).dump(str(results / "discarded" / f"{ident}.json"))


def test_the_method_counts_discarded_processes_and_what_they_would_change(
    tmp_path: Path,
) -> None:
    results = write_results(tmp_path / "r", ids=("3.13", "3.13t"), processes=4,
                            noise=0.01, workloads=("countdown",))
    _discard(results, "3.13t", slower=1.9)  # a process that ran in a burst: 2 threads ~1x
    out = tmp_path / "out"
    assert main(["report", str(results), "--output", str(out)]) == 0
    md = (out / "README.md").read_text(encoding="utf-8")
    line = next(x for x in md.splitlines() if x.startswith("- **3.13t**: 1 process discarded"))
    assert f"`countdown` 1; {REASON} (1)" in line
    figure = line.split("including them: 2 threads of `countdown` ")[1]
    kept, included = figure.split(", with them ")[:2]
    assert kept.startswith("1.9") and not included.startswith("1.9"), line
    assert "one thread against 3.13" in line
    assert "**3.13**:" not in md.split("Discarded processes")[1].split("\n\n")[1]
    # Published with the report, so the copy in the report folder says the same.
    assert (out / "discarded" / "3.13t.json").is_file()


def test_no_discarded_folder_says_nothing(tmp_path: Path) -> None:
    results = write_results(tmp_path / "r", ids=("3.13",), workloads=("countdown",))
    assert main(["report", str(results), "--output", str(tmp_path / "out")]) == 0
    assert "Discarded processes" not in (tmp_path / "out" / "README.md").read_text("utf-8")
