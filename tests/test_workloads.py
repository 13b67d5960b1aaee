"""Reading ``workloads/MANIFEST``: names, groups, summaries, and resolving what a user asks for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import roles
from harness.errors import HarnessError, UsageError
from harness.points import SCALE_AXES
from harness.workloads import Workload, list_workloads, resolve_workloads

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "workloads"
FAKES = Path(__file__).resolve().parent / "fake_workloads"

EXPECTED = [
    ("countdown", "cpu"),
    ("countdown_processes", "cpu"),
    ("subinterpreters", "cpu"),
    ("counter_race", "correctness"),
    ("counter_lock", "correctness"),
    ("counter_race_method", "correctness"),
    ("io_wait", "io"),
    ("io_convoy", "io"),
    ("c_release", "c"),
    ("switch_latency", "latency"),
    ("thread_start", "overhead"),
]


def _write(folder: Path, manifest: str, *names: str) -> Path:
    """A workloads folder with ``manifest`` and a one-line module per name."""
    (folder / "MANIFEST").write_text(manifest)
    for name in names:
        (folder / f"{name}.py").write_text(
            f'"""The {name} workload.\n\nMore text."""\nKIND = "strong"\n')
    return folder


def test_the_checkout_lists_every_workload_in_order() -> None:
    """The real MANIFEST: the seven workloads of the notebook, with their groups."""
    found = list_workloads(WORKLOADS)
    assert [(w.name, w.group) for w in found] == EXPECTED
    for workload in found:
        assert workload.path == WORKLOADS / f"{workload.name}.py"
        assert workload.summary and "\n" not in workload.summary


def test_params_are_literals() -> None:
    """Each workload's PARAMS is a dict literal: the runner reads it without importing."""
    for workload in list_workloads(WORKLOADS):
        tree = ast.parse(workload.path.read_text(encoding="utf-8"))
        assigned = [
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "PARAMS" for t in node.targets)
        ]
        assert len(assigned) == 1, workload.name
        assert isinstance(ast.literal_eval(assigned[0]), dict), workload.name


def test_default_folder_is_the_checkouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an argument, the folder is ``paths.workloads_dir()`` (``$HARNESS_WORKLOADS``)."""
    monkeypatch.setenv("HARNESS_WORKLOADS", str(FAKES))
    assert [w.name for w in list_workloads()][:2] == ["tiny", "hang"]
    monkeypatch.delenv("HARNESS_WORKLOADS")
    assert [w.name for w in list_workloads()] == [name for name, _ in EXPECTED]


def test_summary_is_the_first_docstring_line(tmp_path: Path) -> None:
    """Comments and blank lines are skipped; the summary is the docstring's first line."""
    folder = _write(tmp_path, "# comment\n\nalpha  cpu   # trailing comment\n", "alpha")
    assert list_workloads(folder) == [
        Workload("alpha", "cpu", "The alpha workload.", folder / "alpha.py", "strong",
                 "The alpha workload.", {}, scales="threads")
    ]


def test_module_without_docstring_has_empty_summary(tmp_path: Path) -> None:
    """No docstring is not an error here (the worker does not need one)."""
    (tmp_path / "MANIFEST").write_text("bare cpu\n")
    (tmp_path / "bare.py").write_text('PARAMS = {}\nKIND = "weak"\n')
    assert list_workloads(tmp_path)[0].summary == ""


def test_metadata_lives_beside_the_workload() -> None:
    """KIND, DESCRIPTION and FAST_PARAMS are read from each module with ast."""
    found = {w.name: w for w in list_workloads(WORKLOADS)}
    assert found["countdown"].kind == "strong"
    assert found["io_wait"].kind == "weak"
    assert found["switch_latency"].kind == "latency"
    assert found["io_convoy"].kind == "interference"
    assert found["countdown"].fast_params == {"total": 200000}
    assert "countdown" in found["countdown_processes"].description
    for workload in found.values():
        tree = ast.parse(workload.path.read_text(encoding="utf-8"))
        params = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                      and any(isinstance(x, ast.Name) and x.id == "PARAMS" for x in n.targets))
        assert set(workload.fast_params) <= set(params), workload.name


@pytest.mark.parametrize("source", ['"""No kind."""\n', '"""Odd."""\nKIND = "fast"\n'])
def test_workload_without_a_known_kind_is_an_error(tmp_path: Path, source: str) -> None:
    """No KIND (or an unknown one) is an error naming the file, not silent strong scaling."""
    (tmp_path / "MANIFEST").write_text("alpha cpu\n")
    (tmp_path / "alpha.py").write_text(source)
    with pytest.raises(HarnessError, match="alpha.py") as info:
        list_workloads(tmp_path)
    assert "KIND" in info.value.hint


def test_the_contract_is_declared_in_every_built_in_workload() -> None:
    """ROLE, SCALES and SIZED_BY are declared in each file (as data, read once); the roles
    are the ones old suites get from ``roles.LEGACY``; the sized workloads are the ones
    sized before SIZED_BY existed (groups cpu and c with an integer PARAMS["total"])."""
    found = list_workloads(WORKLOADS)
    for workload in found:
        tree = ast.parse(workload.path.read_text(encoding="utf-8"))
        declared = {t.id for n in tree.body if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)}
        assert {"KIND", "ROLE", "SCALES", "SIZED_BY", "PARAMS"} <= declared, workload.name
        assert workload.role == roles.LEGACY[workload.name]
        assert workload.scales in (*SCALE_AXES, "")
    sized_before = {w.name for w in found if w.group in ("cpu", "c")
                    and isinstance(w.params.get("total"), int)}
    assert {w.name for w in found if w.sized_by} == sized_before
    assert all(w.sized_by == "total" for w in found if w.sized_by)
    by_name = {w.name: w for w in found}
    assert by_name["countdown_processes"].scales == "processes"
    assert by_name["subinterpreters"].scales == "interpreters"
    assert by_name["switch_latency"].scales == "" and by_name["io_convoy"].measures == "own"
    assert by_name["countdown"].warm_calls == 16


def test_undeclared_contract_defaults(tmp_path: Path) -> None:
    """A file without the new declarations: threads, not sized, no role, timed."""
    _write(tmp_path, "alpha cpu\n", "alpha")
    [alpha] = list_workloads(tmp_path)
    assert (alpha.scales, alpha.sized_by, alpha.role, alpha.measures) == ("threads", "", "", "time")


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ('ROLE = "star"\n', "ROLE"),
        ('SCALES = "cores"\n', "SCALES"),
        ('MEASURES = "memory"\n', "MEASURES"),
        ('SIZED_BY = "n"\nPARAMS = {"total": 1}\n', "SIZED_BY"),
        ('SIZED_BY = "total"\nPARAMS = {"total": "big"}\n', "SIZED_BY"),
    ],
)
def test_a_bad_declaration_is_an_error_naming_the_file(
    tmp_path: Path, source: str, key: str
) -> None:
    (tmp_path / "MANIFEST").write_text("alpha cpu\n")
    (tmp_path / "alpha.py").write_text('"""Alpha."""\nKIND = "strong"\n' + source)
    with pytest.raises(HarnessError, match="alpha.py") as info:
        list_workloads(tmp_path)
    assert key in str(info.value) and key in info.value.hint


def test_pasted_comment_blocks_are_gone() -> None:
    """The contract is documented once (README); each file points there in one line."""
    for path in sorted(WORKLOADS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "What the report does with it" not in text, path.name
        assert text.count('README.md, "Your own code"') == 1, path.name


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("alpha\n", "expected 'name group'"),
        ("alpha cpu extra\n", "expected 'name group'"),
        ("alpha cpu\nalpha io\n", "listed twice"),
        ("alpha cpu\nghost io\n", "has no file"),
    ],
)
def test_bad_manifest_lines_are_errors(tmp_path: Path, manifest: str, message: str) -> None:
    """A malformed MANIFEST names the file and line."""
    folder = _write(tmp_path, manifest, "alpha")
    with pytest.raises(HarnessError, match=message) as info:
        list_workloads(folder)
    assert "MANIFEST:" in str(info.value)


def test_missing_manifest_says_what_to_set(tmp_path: Path) -> None:
    """No MANIFEST: an error whose hint names HARNESS_WORKLOADS."""
    with pytest.raises(HarnessError, match="HARNESS_WORKLOADS"):
        list_workloads(tmp_path)


def test_resolve_nothing_means_everything() -> None:
    """No names (None or empty) selects every workload."""
    everything = list_workloads(WORKLOADS)
    assert resolve_workloads(None, WORKLOADS) == everything
    assert resolve_workloads([], WORKLOADS) == everything


def test_resolve_names_and_groups_in_manifest_order() -> None:
    """Names and group names mix; the result is in MANIFEST order, without duplicates."""
    chosen = resolve_workloads(["switch_latency", "correctness", "counter_race"], WORKLOADS)
    assert [w.name for w in chosen] == ["counter_race", "counter_lock", "counter_race_method",
                                        "switch_latency"]
    assert [w.name for w in resolve_workloads(["cpu"], WORKLOADS)] == [
        "countdown",
        "countdown_processes",
        "subinterpreters",
    ]


def test_resolve_unknown_name_lists_valid_ones() -> None:
    """An unknown name is a UsageError (exit 2) naming the valid workloads and groups."""
    with pytest.raises(UsageError) as info:
        resolve_workloads(["countdown", "nope"], WORKLOADS)
    text = str(info.value)
    assert "'nope'" in text
    for name, group in EXPECTED:
        assert name in text and group in text
    assert info.value.exit_code == 2


def test_fake_workloads_manifest_reads() -> None:
    """The fakes the runner's tests reuse are a valid workloads folder too."""
    names = [w.name for w in list_workloads(FAKES)]
    assert names == ["tiny", "hang", "crash", "garbage", "unsupported"]
    assert all(w.group == "fake" for w in list_workloads(FAKES))
