"""The sub-interpreters workload, run by the real worker under every interpreter found here.

CPython 3.12+ (host pyenv builds; 3.14 and 3.15 in the Debian-unstable image)
runs every point in sub-interpreters with their own GIL; CPython 2.7 and 3.11,
PyPy and Jython record "unsupported" with the reason. No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import ready_by_id, ready_interpreters, skip_unless_provisioned

from harness import paths
from harness.spec import Interpreter, base_environ

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "workloads"
ARGS = [
    "--threads", "1,2", "--params", json.dumps({"total": 20000}),
    "--loops", json.dumps(dict.fromkeys(["interpreters=1", "interpreters=2", "start=2"], 1)),
    "--values", "2", "--warmups", "1",
]
KEYS = ["interpreters=1", "interpreters=2", "start=2"]


def _module() -> ModuleType:
    """workloads/subinterpreters.py imported on the host (it is plain Python 2/3 code)."""
    path = WORKLOADS / "subinterpreters.py"
    spec = importlib.util.spec_from_file_location("subinterpreters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def has_subinterpreters(interp: Interpreter) -> bool:
    """CPython 3.12 or newer: PEP 684's own-GIL sub-interpreters."""
    if interp.implementation != "cpython" or not interp.version:
        return False
    major, minor = (int(part) for part in interp.version.split(".")[:2])
    return (major, minor) >= (3, 12)


def run_worker(interp: Interpreter, args: Sequence[str]) -> dict[str, Any]:
    """The worker's document for the workload under ``interp`` (fails with its stderr)."""
    argv = interp.command(paths.WORKER_SCRIPT, ["--workload", "subinterpreters", *args], WORKLOADS)
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=300, env=interp.environ(base_environ()),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return doc


def _ids() -> list[Any]:
    found = ready_interpreters()
    if not found:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no interpreter found"))]
    return [
        pytest.param(i, id=i.id, marks=[pytest.mark.container] if i.container else [])
        for i in found
    ]


def test_points_and_constants() -> None:
    """A point per count, then the start cost at the largest count; countdown's sizes."""
    module = _module()
    keys = [key for key, _ in module.points([1, 2, 4], module.PARAMS)]
    assert keys == ["interpreters=1", "interpreters=2", "interpreters=4", "start=4"]
    assert module.KIND == "strong"
    assert module.PARAMS == {"total": 8000000}
    assert module.FAST_PARAMS == {"total": 200000}


def test_the_host_python_says_why_not() -> None:
    """This Python is 3.11 (or older): the reason names the version and PEP 684."""
    reason = _module().supported()
    assert reason is not None and "3.12+" in reason and "PEP 684" in reason


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_every_interpreter(interp: Interpreter) -> None:
    """3.12+: every point measured; elsewhere a document with the reason."""
    doc = run_worker(interp, ARGS)
    if not has_subinterpreters(interp):
        assert doc["unsupported"], interp.id
        assert "no sub-interpreters" in doc["unsupported"]
        assert doc["points"] == []
        return
    assert doc["unsupported"] is None, doc["unsupported"]
    assert [p["key"] for p in doc["points"]] == KEYS
    for point in doc["points"]:
        assert point["unsupported"] is None
        assert len(point["values"]) == 2 and all(v > 0 for v in point["values"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ident", "words"),
    [
        ("2.7", "CPython 2.7 has no sub-interpreters"),
        ("pypy3.9", "PyPy has no sub-interpreters"),
        ("jython2.7", "Jython has no sub-interpreters"),
    ],
)
def test_unsupported_with_reason(ident: str, words: str) -> None:
    """2.7, PyPy and Jython: "unsupported", and the reason says which and why."""
    interp = ready_by_id(ident)
    if interp is None:
        skip_unless_provisioned(f"{ident} is not ready here")
    assert interp is not None
    doc = run_worker(interp, ARGS)
    assert doc["unsupported"] is not None and words in doc["unsupported"]
    assert "PEP 684" in doc["unsupported"]


@pytest.mark.slow
@pytest.mark.parametrize("ident", ["3.12", "3.13", "3.14", "3.15"])
def test_a_failing_sub_interpreter_raises(ident: str) -> None:
    """An exception inside a sub-interpreter reaches the caller (3.13's exec only returns it)."""
    interp = ready_by_id(ident)
    if interp is None:
        skip_unless_provisioned(f"{ident} is not ready here (3.14, 3.15: provision sid)")
    assert interp is not None
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import subinterpreters as s\n"
        "try:\n    s.run_in_interpreters(2, '1/0')\n"
        "except RuntimeError as exc:\n    print('raised', exc)\n"
    )
    result = subprocess.run(
        _python_c(interp, code), capture_output=True, text=True, timeout=120,
        env=interp.environ(base_environ()), check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "raised" in result.stdout and "ZeroDivisionError" in result.stdout


def _python_c(interp: Interpreter, code: str) -> list[str]:
    """``python -c code WORKLOADS`` under ``interp`` (a container mounts workloads read-only)."""
    if interp.container is None:
        return [*interp.argv, "-c", code, str(WORKLOADS)]
    ref = interp.container
    return [
        ref.engine, "run", "--rm", "--network=none", "-v", f"{WORKLOADS}:/workloads:ro",
        ref.image, *ref.interpreter, "-c", code, "/workloads",
    ]
