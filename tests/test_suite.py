"""harness.suite: worker documents -> pyperf files that pyperf's own CLI reads unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyperf
import pytest

from harness import results, suite
from harness.errors import WorkerError


def _doc(**overrides: Any) -> dict[str, Any]:
    """A worker document as the protocol in docs/architecture.md describes it."""
    doc: dict[str, Any] = {
        "version": 1,
        "workload": "counter_lock",
        "params": {"total": 1000, "flag": True, "intervals": [0.001]},
        "facts": {
            "implementation": "cpython",
            "python_version": "3.13.5",
            "gil_enabled": False,
            "switch_interval": 0.005,
            "cpu_count": 2,
            "platform": "linux",
        },
        "unsupported": None,
        "points": [
            {
                "key": "threads=1",
                "params": {"threads": 1},
                "loops": 4,
                "unsupported": None,
                "warmups": [0.06],
                "values": [0.05, 0.051],
                "extra": {"lost_updates": [0, 0], "expected_updates": [4000, 4000]},
            },
            {
                "key": "threads=2",
                "params": {"threads": 2},
                "loops": 2,
                "unsupported": None,
                "warmups": [0.07],
                "values": [0.049, 0.0],  # a clock tick of 0 must not break pyperf
                "extra": {"lost_updates": [1, 2], "expected_updates": [4000, 4000]},
            },
            {
                "key": "threads=64",
                "params": {"threads": 64},
                "loops": None,
                "unsupported": "too many threads here",
                "warmups": [],
                "values": [],
                "extra": {},
            },
        ],
    }
    doc.update(overrides)
    return doc


def _ctx(ident: str = "3.13t") -> suite.RunContext:
    return suite.RunContext(ident, "cpython", "off", date="2026-01-02 03:04:05")


def _pyperf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyperf", *args], capture_output=True, text=True, check=False
    )


def test_parse_accepts_the_documented_format() -> None:
    doc = suite.parse_worker_output(json.dumps(_doc()) + "\n", "3.13t", "counter_lock")
    assert doc["workload"] == "counter_lock"


@pytest.mark.parametrize(
    "stdout",
    ["", "Traceback (most recent call last):\n  boom", "[1, 2]", '{"version": 1, "points": 3}'],
)
def test_parse_rejects_garbage_naming_interpreter_and_workload(stdout: str) -> None:
    with pytest.raises(WorkerError) as info:
        suite.parse_worker_output(stdout, "pypy3.9", "countdown")
    assert "pypy3.9" in str(info.value) and "countdown" in str(info.value)


def test_parse_rejects_an_unknown_version() -> None:
    with pytest.raises(WorkerError) as info:
        suite.parse_worker_output(json.dumps(_doc(version=99)), "2.7", "countdown")
    text = str(info.value)
    assert "99" in text and "'2.7'" in text and "'countdown'" in text


def test_runs_carry_the_metadata_the_report_needs() -> None:
    runs = suite.runs_from_document(_doc(), _ctx())
    assert list(runs) == [
        "counter_lock/threads=1",
        "counter_lock/threads=2",
    ]  # unsupported left out
    meta = runs["counter_lock/threads=2"].get_metadata()
    assert meta["name"] == "counter_lock/threads=2"
    assert meta["loops"] == 2
    assert meta["interpreter"] == "3.13t"
    assert meta["gil"] == "off"
    assert meta["threads"] == 2
    assert meta["switch_interval"] == 0.005
    assert meta["python_implementation"] == "cpython"
    assert meta["cpu_count"] == 2
    assert meta["total"] == 1000
    assert meta["flag"] == "true"
    assert meta["intervals"] == "[0.001]"
    # Extras are summed over the values of the run.
    assert meta["lost_updates"] == 3
    assert meta["expected_updates"] == 8000


def test_missing_facts_keep_the_same_keys() -> None:
    facts = {"implementation": "jython", "python_version": "2.7.3", "gil_enabled": False}
    runs = suite.runs_from_document(_doc(facts=facts), _ctx("jython2.7"))
    meta = runs["counter_lock/threads=1"].get_metadata()
    assert meta["switch_interval"] == suite.NOT_AVAILABLE
    assert meta["platform"] == suite.NOT_AVAILABLE


def test_gil_state_prefers_what_the_worker_saw() -> None:
    assert suite.gil_state({"gil_enabled": True}, "off") == "on"
    assert suite.gil_state({"gil_enabled": False}, "on") == "off"
    assert suite.gil_state({"gil_enabled": None}, "none") == "none"
    # Jython has no GIL at all: its worker says gil_enabled false, the state is "none".
    assert suite.gil_state({"gil_enabled": False}, "none") == "none"
    assert suite.gil_state({}, "") == "unknown"


def test_suite_files_work_with_pyperf_cli(tmp_path: Path) -> None:
    paths = []
    for ident, gil in (("3.13", True), ("3.13t", False)):
        facts = dict(_doc()["facts"], gil_enabled=gil)
        runs = [suite.runs_from_document(_doc(facts=facts), _ctx(ident)) for _ in range(3)]
        by_name = {name: [r[name] for r in runs] for name in runs[0]}
        built = suite.build_suite(by_name)
        assert built is not None
        path = results.suite_path(tmp_path, ident)
        suite.dump_suite(built, path)
        paths.append(path)
    loaded = results.load_suite(paths[1])
    assert loaded.get_benchmark_names() == ["counter_lock/threads=1", "counter_lock/threads=2"]
    assert loaded.get_benchmark("counter_lock/threads=1").get_nrun() == 3

    for args in (["check", str(paths[0])], ["stats", str(paths[0])], ["hist", str(paths[0])]):
        done = _pyperf(*args)
        assert done.returncode == 0, done.stderr
    done = _pyperf("compare_to", str(paths[0]), str(paths[1]))
    assert done.returncode == 0, done.stderr
    assert "counter_lock/threads=1" in done.stdout or "not significant" in done.stdout
    done = _pyperf("metadata", str(paths[1]))
    assert done.returncode == 0, done.stderr
    assert "interpreter: 3.13t" in done.stdout


def test_build_suite_of_nothing_is_none() -> None:
    assert suite.build_suite({}) is None
    assert suite.build_suite({"a/b": []}) is None


def test_pyperf_refusals_are_value_errors() -> None:
    # The runner relies on this to turn a bad value into a "failed" outcome.
    with pytest.raises(ValueError):
        pyperf.Run([1.0], metadata={"name": ""}, collect_metadata=False)
