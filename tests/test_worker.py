"""The worker and the workloads, run for real under every interpreter found here.

Each test runs ``harness/worker.py`` as a child process of a real interpreter
(CPython 2.7 and 3.x, free-threaded CPython with and without ``PYTHON_GIL=1``,
PyPy, Jython, Jython in a container) with small parameters, and checks what
holds on any machine: the document's shape and point keys, no lost update
under a lock, lost updates within bounds without one, unsupported cases
recorded with a reason.
No timing is asserted: this VM is too noisy for that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import ready_interpreters

from harness import paths
from harness.spec import Interpreter, base_environ
from harness.workloads import list_workloads

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "workloads"
FAKES = Path(__file__).resolve().parent / "fake_workloads"
THREADS = [1, 2]

# Small parameters: every workload finishes a value in milliseconds.
QUICK_PARAMS: dict[str, dict[str, Any]] = {
    "countdown": {"total": 20000},
    "countdown_processes": {"total": 20000},
    "subinterpreters": {"total": 20000},
    "counter_race": {"total": 2000, "notebook_threads": 5},
    "counter_lock": {"total": 2000, "notebook_threads": 5},
    "counter_race_method": {"total": 2000},
    "io_wait": {"waits": 1, "wait": 0.001},
    "io_convoy": {"round_trips": 2, "max_cpu_threads": 2},
    "c_release": {"total": 256 * 1024, "chunk": 64 * 1024},
    "switch_latency": {"sleeps": 3},
    "thread_start": {},
}
# The point keys each workload must produce for THREADS and QUICK_PARAMS.
EXPECTED_KEYS: dict[str, list[str]] = {
    "countdown": ["threads=1", "threads=2"],
    "countdown_processes": ["processes=1", "processes=2"],
    "subinterpreters": ["interpreters=1", "interpreters=2", "start=2"],
    "counter_race": [
        "threads=1,increments=2000", "threads=2,increments=1000", "threads=5,increments=1"
    ],
    "counter_lock": [
        "threads=1,increments=2000", "threads=2,increments=1000", "threads=5,increments=1"
    ],
    "counter_race_method": ["threads=1,increments=2000", "threads=2,increments=1000"],
    "io_wait": ["threads=1", "threads=2"],
    "io_convoy": [f"cpu_threads={c},interval={i}" for i in ("default", "0.001") for c in (0, 1, 2)],
    "c_release": ["threads=1", "threads=2"],
    "switch_latency": ["interval=default", "interval=0.001"],
    "thread_start": ["start_join"],
}


def _ids() -> list[Any]:
    """Every interpreter discovery finds ready here (a broken discovery fails collection)."""
    found = ready_interpreters()
    assert found, "discovery found no ready interpreter, not even the one running the tests"
    # Container entries (Jython in podman) run the same worker through the engine.
    return [
        pytest.param(i, id=i.id, marks=[pytest.mark.container] if i.container else [])
        for i in found
    ]


def worker(
    interp: Interpreter | None,
    workload: str,
    args: Sequence[str],
    *,
    workloads: Path = WORKLOADS,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run the real worker under ``interp`` (None: this Python) and capture its output."""
    if interp is None:
        interp = Interpreter("host", "cpython", "", "on", "test", "cpython", argv=(sys.executable,))
    argv = interp.command(paths.WORKER_SCRIPT, ["--workload", workload, *args], workloads)
    env = interp.environ(base_environ())
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON document of a successful worker run (the test fails with its stderr otherwise)."""
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return doc


def measure_args(workload: str, loops: int = 1, values: int = 2, warmups: int = 1) -> list[str]:
    """Measure-mode arguments with the same loops for every expected point."""
    spec = json.dumps(dict.fromkeys(EXPECTED_KEYS[workload], loops))
    return [
        "--threads", ",".join(map(str, THREADS)),
        "--params", json.dumps(QUICK_PARAMS[workload]),
        "--loops", spec, "--values", str(values), "--warmups", str(warmups),
    ]


def test_quick_params_cover_every_workload() -> None:
    """Every workload of the MANIFEST is exercised below."""
    names = {w.name for w in list_workloads(WORKLOADS)}
    assert names == set(QUICK_PARAMS) == set(EXPECTED_KEYS)


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
@pytest.mark.parametrize("workload", sorted(QUICK_PARAMS))
def test_workload_document(interp: Interpreter, workload: str) -> None:
    """Each workload gives a version-1 document with the expected points on each interpreter."""
    doc = document(worker(interp, workload, measure_args(workload)))
    assert doc["version"] == 1
    assert doc["workload"] == workload
    assert doc["mode"] == "measure"
    assert doc["facts"]["implementation"] == interp.implementation
    if doc["unsupported"] is not None:
        # Two cases are expected: no multiprocessing on Jython; no sub-interpreters
        # before CPython 3.12 (tests/test_subinterpreters.py checks which).
        if workload == "subinterpreters":
            assert "no sub-interpreters" in doc["unsupported"]
        else:
            assert (workload, interp.implementation) == ("countdown_processes", "jython")
            assert "multiprocessing" in doc["unsupported"]
        assert doc["points"] == []
        return
    assert [p["key"] for p in doc["points"]] == EXPECTED_KEYS[workload]
    for point in doc["points"]:
        if point["unsupported"] is not None:
            assert point["values"] == [] and point["loops"] is None
            continue
        assert point["loops"] == 1
        assert len(point["values"]) == 2 and len(point["warmups"]) == 1
        assert all(isinstance(v, float) for v in point["values"])
        for series in point["extra"].values():
            assert len(series) == 2


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_counter_lock_loses_nothing(interp: Interpreter) -> None:
    """Under threading.Lock no increment is lost, on any interpreter."""
    doc = document(worker(interp, "counter_lock", measure_args("counter_lock", values=3)))
    for point in doc["points"]:
        assert point["extra"]["lost_updates"] == [0, 0, 0], point["key"]
        expected = point["params"]["threads"] * point["params"]["increments"]
        assert point["extra"]["expected_updates"] == [expected] * 3


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_counter_race_within_bounds(interp: Interpreter) -> None:
    """Without the lock, lost updates are between 0 and the expected count (loops add up)."""
    doc = document(worker(interp, "counter_race", measure_args("counter_race", loops=2)))
    for point in doc["points"]:
        expected = 2 * point["params"]["threads"] * point["params"]["increments"]
        assert point["extra"]["expected_updates"] == [expected, expected]
        for lost in point["extra"]["lost_updates"]:
            assert 0 <= lost <= expected


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_counter_race_method_within_bounds(interp: Interpreter) -> None:
    """The counter whose ``+`` is Python code: lost updates between 0 and the expected count."""
    doc = document(worker(interp, "counter_race_method", measure_args("counter_race_method")))
    for point in doc["points"]:
        expected = point["params"]["threads"] * point["params"]["increments"]
        assert point["extra"]["expected_updates"] == [expected, expected]
        for lost in point["extra"]["lost_updates"]:
            assert 0 <= lost <= expected
        if point["params"]["threads"] == 1:
            assert point["extra"]["lost_updates"] == [0, 0]  # one thread cannot race


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_io_convoy_times_the_io_thread(interp: Interpreter) -> None:
    """The I/O thread's own time for every point; a settable interval where there is one."""
    doc = document(worker(interp, "io_convoy", measure_args("io_convoy")))
    assert doc["measures"] == "own"
    settable = doc["facts"]["switch_interval"] is not None
    for point in doc["points"]:
        if point["params"]["interval"] is not None and not settable:
            assert "switch interval" in point["unsupported"] or "Jython" in point["unsupported"]
            continue
        assert point["unsupported"] is None
        assert all(v > 0 for v in point["values"]), point


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_unsupported_cases_have_reasons(interp: Interpreter) -> None:
    """Jython: no processes; 2.7 and Jython: no settable switch interval; reasons given."""
    procs = document(worker(interp, "countdown_processes", measure_args("countdown_processes")))
    latency = document(worker(interp, "switch_latency", measure_args("switch_latency")))
    by_key = {p["key"]: p for p in latency["points"]}
    assert by_key["interval=default"]["unsupported"] is None
    assert len(by_key["interval=default"]["values"]) == 2
    settable = by_key["interval=0.001"]["unsupported"] is None
    if interp.implementation == "jython":
        assert "multiprocessing" in procs["unsupported"]
        assert "Jython" in by_key["interval=0.001"]["unsupported"]
    else:
        assert procs["unsupported"] is None
        assert settable == (latency["facts"]["switch_interval"] is not None)
    if latency["facts"]["python_version"].startswith("2."):
        assert not settable


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_gil_state_is_observed(interp: Interpreter) -> None:
    """The facts say whether the GIL was on at run time, as the entry expects."""
    doc = document(worker(interp, "io_wait", measure_args("io_wait", values=1, warmups=0)))
    expected = {"on": True, "off": False, "none": None}.get(interp.gil, "unknown")
    if expected == "unknown":
        pytest.skip(f"{interp.id}: GIL state {interp.gil!r} not known in advance")
    assert doc["facts"]["gil_enabled"] is expected


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_processes_with_spawning_start_methods(interp: Interpreter, method: str) -> None:
    """Children started by spawn/forkserver import the workload by name and count down."""
    params = dict(QUICK_PARAMS["countdown_processes"], start_method=method)
    args = measure_args("countdown_processes", values=1, warmups=0)
    args[args.index("--params") + 1] = json.dumps(params)
    doc = document(worker(interp, "countdown_processes", args))
    if interp.implementation == "jython":
        assert doc["unsupported"]
        return
    for point in doc["points"]:
        if doc["facts"]["python_version"].startswith("2."):
            assert "get_context" in point["unsupported"]
        else:
            assert point["unsupported"] is None and len(point["values"]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_crash_exits_nonzero_with_traceback(interp: Interpreter) -> None:
    """An exception in run(): non-zero exit, the traceback on stderr, nothing on stdout."""
    result = worker(interp, "crash", ["--calibrate", "--min-time", "0.01"], workloads=FAKES)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" in result.stderr
    assert "deliberate crash in the fake workload" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("interp", _ids())
def test_unsupported_workload_is_a_document(interp: Interpreter) -> None:
    """A whole-workload reason: exit 0 and a document with ``unsupported`` set."""
    doc = document(
        worker(interp, "unsupported", ["--calibrate", "--min-time", "0.01"], workloads=FAKES)
    )
    assert doc["unsupported"] == "the fake workload is never supported"
    assert doc["points"] == []
    assert doc["facts"]["implementation"] == interp.implementation


def test_hang_does_not_finish() -> None:
    """The hanging fake starts (its line on stderr) and never ends by itself."""
    argv = [
        sys.executable, str(paths.WORKER_SCRIPT), "--workload", "hang", "--workloads", str(FAKES),
        "--calibrate", "--min-time", "0.01",
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
    finally:
        proc.kill()
        _, stderr = proc.communicate()
    assert "hang: started" in stderr


def test_garbage_is_not_json() -> None:
    """The garbage fake exits 0 with text on stdout that no JSON reader accepts."""
    result = worker(None, "garbage", ["--calibrate", "--min-time", "0.01"], workloads=FAKES)
    assert result.returncode == 0
    assert result.stdout.strip()
    with pytest.raises(ValueError):
        json.loads(result.stdout)


def test_calibrate_picks_powers_of_two() -> None:
    """Calibration reports loops (a power of 2) and a first timing per point."""
    result = worker(
        None, "tiny", ["--threads", "1,2,3", "--calibrate", "--min-time", "0.005"],
        workloads=FAKES,
    )
    doc = document(result)
    assert doc["mode"] == "calibrate"
    assert [p["key"] for p in doc["points"]] == ["threads=1", "threads=2", "threads=3"]
    for point in doc["points"]:
        loops = point["loops"]
        assert loops >= 1 and loops & (loops - 1) == 0
        assert len(point["values"]) == 1


def test_measure_keeps_extras_per_value() -> None:
    """Extras are summed over a value's loops and kept per value."""
    args = ["--threads", "1", "--loops", '{"threads=1": 4}', "--values", "3", "--warmups", "2"]
    doc = document(worker(None, "tiny", args, workloads=FAKES))
    (point,) = doc["points"]
    assert point["loops"] == 4
    assert len(point["warmups"]) == 2 and len(point["values"]) == 3
    assert point["extra"] == {"calls": [4, 4, 4]}


def test_point_restricts_the_run() -> None:
    """--point runs only the points named (so a runner can retry one)."""
    args = ["--threads", "1,2", "--point", "threads=2", "--loops", '{"threads=2": 1}',
            "--values", "1"]
    doc = document(worker(None, "tiny", args, workloads=FAKES))
    assert [p["key"] for p in doc["points"]] == ["threads=2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threads", "1,2", "--loops", '{"threads=1": 1}', "--values", "1"], "no count for"),
        (["--threads", "1", "--point", "threads=9", "--calibrate"], "no point threads=9"),
        (["--threads", "1", "--loops", "threads=1=1", "--values", "1"], "--loops is not JSON"),
        (["--threads", "1", "--loops", "[1]", "--values", "1"], "must be a JSON object"),
        (["--threads", "1", "--loops", '{"threads=1": 0}', "--values", "1"], "not a count"),
        (["--threads", "1", "--loops", '{"threads=1": "2"}', "--values", "1"], "not a count"),
        (["--threads", "1", "--params", '{"nope": 1}', "--calibrate"], "unknown key"),
        (["--threads", "0", "--calibrate"], "not a positive count"),
        (["--threads", "1"], "give --calibrate"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    """Bad arguments: exit status 2, a message on stderr, nothing on stdout."""
    result = worker(None, "tiny", args, workloads=FAKES)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_loops_are_json_by_point_key(tmp_path: Path) -> None:
    """``--loops`` is a JSON object: keys holding '=' and ',' reach the worker unparsed."""
    (tmp_path / "keyed.py").write_text(
        '"""Two parameters in each key."""\n'
        "PARAMS = {}\n"
        "def points(thread_counts, params):\n"
        "    return [('threads=%d,increments=%d' % (t, 10 * t), {'threads': t})\n"
        "            for t in thread_counts]\n"
        "def run(point, params):\n"
        "    return None\n"
    )
    loops = {"threads=1,increments=10": 3, "threads=2,increments=20": 5}
    args = ["--threads", "1,2", "--loops", json.dumps(loops), "--values", "1", "--warmups", "0"]
    doc = document(worker(None, "keyed", args, workloads=tmp_path))
    assert {p["key"]: p["loops"] for p in doc["points"]} == loops


def test_stray_prints_do_not_reach_stdout(tmp_path: Path) -> None:
    """A workload's print() goes to stderr: stdout holds the document only."""
    (tmp_path / "chatty.py").write_text(
        '"""Prints while it runs."""\n'
        "PARAMS = {}\n"
        "def points(thread_counts, params):\n"
        "    return [('threads=1', {'threads': 1})]\n"
        "def run(point, params):\n"
        "    print('chatter')\n"
    )
    args = ["--threads", "1", "--loops", '{"threads=1": 1}', "--values", "1", "--warmups", "0"]
    result = worker(None, "chatty", args, workloads=tmp_path)
    doc = document(result)
    assert doc["points"][0]["values"]
    assert "chatter" in result.stderr
