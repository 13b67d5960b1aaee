"""``python -m harness diff RESULTS --between A B``: two builds of one interleaved run.

The results folders are synthetic, written with pyperf's API in the format the
interleaved runner writes (run metadata ``process``, ``harness_round``,
``harness_started``): two builds ``main`` and ``branch`` measured round by
round while the machine drifts, the same drift for both in a round.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pyperf
import pytest

from harness import stats
from harness.__main__ import main
from harness.report import between

POINTS = ("countdown/threads=1", "countdown/threads=2", "io_wait/threads=1",
          "io_wait/threads=2")
BASE = {"countdown/threads=1": 0.20, "countdown/threads=2": 0.105,
        "io_wait/threads=1": 0.05, "io_wait/threads=2": 0.05}


def write_run(folder: Path, slower: dict[str, float], rounds: int = 8, seed: int = 1,
              with_rounds: bool = True) -> Path:
    """``main`` and ``branch`` over ``rounds`` rounds; ``slower``: branch's factor per
    workload. The machine slows 1.5% per round (both builds alike)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    runs: dict[str, dict[str, list[pyperf.Run]]] = {"main": {}, "branch": {}}
    for r in range(rounds):
        drift = 1.015 ** r
        for k, ident in enumerate(("main", "branch")):
            process = r + 1
            for name in POINTS:
                factor = slower.get(name.split("/")[0], 1.0) if ident == "branch" else 1.0
                mean = BASE[name] * factor * drift * math.exp(rng.gauss(0.0, 0.01))
                meta: dict[str, object] = {
                    "name": name, "process": process, "workload": name.split("/")[0],
                    "threads": int(name.rsplit("=", 1)[1]), "total": 8000000,
                    "workload_kind": "weak" if name.startswith("io_wait") else "strong",
                    "harness_started": 1.8e9 + 100.0 * r + 40.0 * k}
                if with_rounds:
                    meta["harness_round"] = r
                values = [mean * math.exp(rng.gauss(0.0, 0.003)) for _ in range(2)]
                runs[ident].setdefault(name, []).append(
                    pyperf.Run(values, metadata=meta, collect_metadata=False))
    for ident, points in runs.items():
        suite = pyperf.BenchmarkSuite([pyperf.Benchmark(rs) for rs in points.values()])
        suite.dump(str(folder / f"{ident}.json"), replace=True)
    return folder


def test_a_planted_ten_percent_slowdown_fails_the_gate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_run(tmp_path / "run", {"countdown": 1.10})
    code = main(["diff", str(folder), "--between", "main", "branch",
                 "--fail-on-regression", "-o", str(tmp_path / "pages")])
    out = capsys.readouterr().out
    assert code == 1
    assert "regression beyond 5%: branch vs main countdown/threads=" in out
    assert "branch vs main countdown/threads=1: time" in out  # listed among the changes
    # io_wait was not touched: no change there.
    assert "io_wait/threads=1: time" not in out
    md = (tmp_path / "pages" / "diff.md").read_text(encoding="utf-8")
    assert "paired by round" in md or "round by round" in md
    assert "--between main branch" in md


def test_identical_builds_pass_the_gate(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for seed in range(1, 6):
        folder = write_run(tmp_path / f"run{seed}", {}, seed=seed)
        code = main(["diff", str(folder), "--between", "main", "branch",
                     "--fail-on-regression"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "no regression beyond 5%" in out


def test_pairing_by_round_sees_through_the_drift(tmp_path: Path) -> None:
    """Branch ran 16 rounds; main stopped after 8 (adaptive sampling): paired by round,
    a 3% slowdown reads as 3%; unpaired, main's missing slow rounds make it look larger."""
    folder = write_run(tmp_path / "run", {"countdown": 1.03}, rounds=16)
    suite = pyperf.BenchmarkSuite.load(str(folder / "main.json"))
    cut = [pyperf.Benchmark([r for r in b.get_runs()
                             if r.get_metadata()["harness_round"] < 8])
           for b in suite.get_benchmarks()]
    pyperf.BenchmarkSuite(cut).dump(str(folder / "main.json"), replace=True)
    d = between.compare_between(folder, "main", "branch")
    times = {t.point: t.change for t in d.interpreters[0].times}
    assert times["countdown/threads=1"].method == stats.PAIRED_ROUND
    assert times["countdown/threads=1"].includes(1.03)
    assert times["countdown/threads=1"].processes == 8
    old = write_run(tmp_path / "old", {"countdown": 1.03}, rounds=16, with_rounds=False)
    suite = pyperf.BenchmarkSuite.load(str(old / "main.json"))
    cut = [pyperf.Benchmark(list(b.get_runs())[:8]) for b in suite.get_benchmarks()]
    pyperf.BenchmarkSuite(cut).dump(str(old / "main.json"), replace=True)
    unpaired = {t.point: t.change
                for t in between.compare_between(old, "main", "branch").interpreters[0].times}
    assert unpaired["countdown/threads=1"].method == stats.UNPAIRED
    assert unpaired["countdown/threads=1"].value > 1.06  # 3% and 8 rounds of drift
    # ... and its interval, which holds the drift between processes, is much wider.
    paired_hw = times["countdown/threads=1"].rel_half_width() or 1.0
    assert (unpaired["countdown/threads=1"].rel_half_width() or 0.0) > 3 * paired_hw
    assert "no rounds" in between.method_line(between.compare_between(old, "main", "branch"))


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_run(tmp_path / "run", {})
    assert main(["diff", str(folder), "--between", "main", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no suite of 'nope'" in err and "main" in err
    assert main(["diff", str(folder), str(folder), "--between", "main", "branch"]) == 2
    assert "one results folder" in capsys.readouterr().err
    assert main(["diff", str(folder)]) == 2
    assert "OLD and NEW" in capsys.readouterr().err
    assert main(["diff", str(folder), "--between", "main", "main"]) == 2
