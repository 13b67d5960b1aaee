"""The facts probe, run by every interpreter that is ready on this machine.

What each interpreter reports is checked against what is known about it: a
free-threaded build runs without the GIL unless PYTHON_GIL=1, PyPy and the
CPython GIL builds have one, Jython has none and no sys.getrefcount.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ready_by_id, skip_unless_provisioned

from harness import interpreters, paths
from harness.errors import InterpreterNotFound, WorkerError
from harness.spec import Interpreter, base_environ

COMMON_KEYS = {
    "version", "implementation", "python_version", "executable", "gil_disabled_build",
    "gil_enabled", "switch_interval", "check_interval", "cpu_count", "getrefcount",
    "dis_increment", "multiprocessing", "threads", "platform",
}


@pytest.mark.slow
def test_probe_facts_match_what_is_known(ready_interpreter: Interpreter) -> None:
    interp = ready_interpreter
    facts = interpreters.probe(interp)
    assert set(facts) >= COMMON_KEYS
    assert facts["version"] == 1
    if interp.version:
        assert facts["python_version"] == interp.version
    assert isinstance(facts["cpu_count"], int) and facts["cpu_count"] >= 1

    if interp.family == "free-threaded":
        assert facts["implementation"] == "cpython"
        assert facts["gil_disabled_build"] is True
        assert facts["gil_enabled"] is (interp.gil == "on")  # on only for the +gil twin
    elif interp.family == "cpython":
        assert facts["implementation"] == "cpython"
        assert facts["gil_disabled_build"] is False
        assert facts["gil_enabled"] is True
    elif interp.family == "pypy":
        assert facts["implementation"] == "pypy"
        assert facts["gil_enabled"] is True
    elif interp.family == "jython":
        assert facts["implementation"] == "jython"
        assert facts["gil_enabled"] is None
        assert facts["getrefcount"] == "not available"
        assert facts["dis_increment"] == "not available"
        assert facts["threads"] == "java threads"
        assert isinstance(facts["multiprocessing"], str), "Jython has no multiprocessing"
        assert facts["java_version"]

    if facts["implementation"] == "cpython":
        # a = []; b = a: the list, its two names, and getrefcount's own argument.
        assert isinstance(facts["getrefcount"], int) and facts["getrefcount"] >= 2
        assert "STORE_GLOBAL n" in facts["dis_increment"]
        assert facts["threads"] == "pthread"
        assert facts["multiprocessing"] is True
        flags = facts["build_optimizations"].split(", ")
        assert flags[0] in ("none", "PGO", "LTO", "PGO+LTO")
        assert set(flags[1:]) <= {"shared", "JIT", "JIT off"}
        if interp.source == "built":
            # The harness builds 3.13t without PGO (2 minutes, not 20): the probe must say so.
            assert facts["build_optimizations"] == "none"
    else:
        assert facts["build_optimizations"] is None
        if facts["python_version"].startswith("2."):
            assert isinstance(facts["check_interval"], int)
            assert facts["switch_interval"] is None
        else:
            assert facts["switch_interval"] == pytest.approx(0.005)
            assert facts["check_interval"] is None


@pytest.mark.slow
def test_callers_python_gil_does_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    ft = ready_by_id("3.13t")
    if ft is None:
        skip_unless_provisioned("3.13t is not built here (python -m harness provision 3.13t)")
    monkeypatch.setenv("PYTHON_GIL", "1")
    assert interpreters.probe(ft)["gil_enabled"] is False


def _local(argv: tuple[str, ...]) -> Interpreter:
    return Interpreter(id="odd-one", implementation="cpython", version="", gil="on",
                       source="user", family="cpython", argv=argv)


def test_garbage_output_is_a_worker_error_naming_the_interpreter() -> None:
    echo = shutil.which("echo")
    assert echo is not None
    with pytest.raises(WorkerError) as err:
        interpreters.probe(_local((echo,)))
    assert "odd-one" in str(err.value) and "no readable facts" in str(err.value)


def test_failing_interpreter_is_a_worker_error() -> None:
    with pytest.raises(WorkerError) as err:
        interpreters.probe(_local((sys.executable, "-c", "import sys; sys.exit(3)")))
    assert "odd-one" in str(err.value) and "exited with 3" in str(err.value)


def test_missing_interpreter_is_not_probed() -> None:
    missing = dataclasses.replace(_local(()), status="missing", hint="provision it")
    with pytest.raises(InterpreterNotFound):
        interpreters.probe(missing)


def test_probe_runs_under_this_python_and_prints_sorted_json() -> None:
    out = subprocess.run([sys.executable, str(paths.PROBE_SCRIPT)], capture_output=True,
                         text=True, check=True).stdout
    assert out.count("\n") == 1
    import json

    facts = json.loads(out)
    assert list(facts) == sorted(facts)
    assert facts["executable"] == sys.executable


@pytest.mark.slow
def test_gil_import_answers_everywhere(ready_interpreter: Interpreter) -> None:
    """``probe.py --gil-import`` (2.7 syntax, stdlib only) prints its JSON under every interpreter.

    A stdlib module never turns the GIL on: before and after agree, no warning.
    """
    interp = ready_interpreter
    env = interp.environ(base_environ())
    done = subprocess.run(interp.command(paths.PROBE_SCRIPT, ["--gil-import", "json"]),
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert data["module"] == "json" and data["error"] is None and data["warnings"] == []
    assert data["gil_before"] == data["gil_after"]
    if interp.family == "free-threaded":
        assert data["gil_after"] is (interp.gil == "on")
