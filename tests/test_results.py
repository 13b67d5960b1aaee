"""harness.results: the results folder's names, the facts record, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pyperf
import pytest
from report_data import write_interpreter

from harness import results
from harness.results import Facts


def test_paths_and_ids(tmp_path: Path) -> None:
    assert results.suite_path(tmp_path, "3.13t") == tmp_path / "3.13t.json"
    assert results.facts_path(tmp_path, "3.13t") == tmp_path / "3.13t.facts.json"
    write_interpreter(tmp_path, "3.13t", workloads=("countdown",))
    write_interpreter(tmp_path, "pypy3.9", suite=False)
    (tmp_path / "notes.txt").write_text("not a result")
    assert results.list_ids(tmp_path) == ["3.13t", "pypy3.9"]
    suite = results.load_suite(results.suite_path(tmp_path, "3.13t"))
    assert isinstance(suite, pyperf.BenchmarkSuite)


def test_round_trip_keeps_every_field_and_unknown_keys(tmp_path: Path) -> None:
    facts = Facts(
        interpreter={"id": "3.13"}, probe={"python_version": "3.13.0"},
        probe_error=None, container={"engine": "podman"},
        outcomes=[results.Outcome("countdown/threads=1", "ok")],
        run={"git_commit": "abc", "profile": "default"},
        sampling={"target": {"ratio_half_width": 0.05}, "points": {}},
        noise={"rsd": 0.02}, environment={"affinity": [0, 1]},
        work={"countdown": {"scale": 4.0, "params": {"total": 32000000}}},
        extra={"from_the_future": [1, 2]},
    )
    path = tmp_path / "x.facts.json"
    facts.save(path)
    data = json.loads(path.read_text())
    assert data["version"] == results.FACTS_FORMAT_VERSION
    assert data["from_the_future"] == [1, 2] and "probe_error" not in data
    again = Facts.load(path)
    assert again == facts
    again.save(path)
    assert json.loads(path.read_text()) == data


def test_old_files_without_new_fields_load(tmp_path: Path) -> None:
    path = tmp_path / "old.facts.json"
    path.write_text(json.dumps({"version": 1, "interpreter": {"id": "2.7"}, "probe": None,
                                "outcomes": [], "run": {"commit": "57c77ce"}}))
    facts = Facts.load(path)
    assert facts.probe is None and facts.sampling is None and facts.work is None
    assert facts.run == {"commit": "57c77ce"}


PUBLISHED = Path(__file__).resolve().parents[1] / "reports" / "2026-11-26-debian12-2cpu-x86_64"


@pytest.mark.parametrize("ident", ["2.7", "3.13t", "3.15t"])
def test_published_facts_read_back_typed_and_write_back_the_same(
    tmp_path: Path, ident: str
) -> None:
    """A published facts file: outcomes read back as ``Outcome``, the JSON written unchanged."""
    source = PUBLISHED / f"{ident}.facts.json"
    facts = Facts.load(source)
    assert facts.outcomes and all(isinstance(o, results.Outcome) for o in facts.outcomes)
    assert all(o.status in ("ok", "unsupported", "failed", "timeout", "missing")
               for o in facts.outcomes)
    copy = tmp_path / source.name
    facts.save(copy)
    assert json.loads(copy.read_text()) == json.loads(source.read_text())


@pytest.mark.parametrize("text", ['{"version": 7}', "[1, 2]", "not json"])
def test_unknown_version_or_shape_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.facts.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="bad.facts.json"):
        Facts.load(path)
    if "7" in text:
        with pytest.raises(ValueError, match="version 7"):
            Facts.load(path)


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.facts.json"
    results.write_json(target, {"version": 1, "a": 1})
    results.write_json(target, {"version": 1, "a": 2})
    assert json.loads(target.read_text())["a"] == 2
    assert [p.name for p in target.parent.iterdir()] == ["x.facts.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    results.write_json(target, {"version": 1, "old": True})
    with pytest.raises(TypeError):  # fails half way through writing the temporary file
        results.write_json(target, {"version": 1, "new": object()})
    assert json.loads(target.read_text())["old"] is True
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_fixture_builder_writes_what_the_runner_writes(tmp_path: Path) -> None:
    """tests/report_data.py goes through Facts: git_commit, sys.platform, process ids."""
    write_interpreter(tmp_path, "3.13", workloads=("countdown",))
    facts = Facts.load(results.facts_path(tmp_path, "3.13"))
    assert "git_commit" in facts.run and "commit" not in facts.run
    suite = results.load_suite(results.suite_path(tmp_path, "3.13"))
    runs = suite.get_benchmarks()[0].get_runs()
    assert runs[0].get_metadata()["platform"] == "linux"
    assert sorted(r.get_metadata()["process"] for r in runs) == [0, 1, 2, 3, 4]  # the floor
