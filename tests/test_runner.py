"""harness.runner: real workloads through the real worker on real interpreters (``--fast``).

The interpreter list is the one seam replaced here: the tests build
``Interpreter`` entries for binaries that exist on this machine (the running
Python always; PyPy, CPython 2.7 and Jython when present) instead of asking
discovery.  Files are read back with pyperf's own CLI.  No timing assertions.
"""

from __future__ import annotations

import builtins
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pyperf
import pytest

from harness import environment, profiles, results, runner
from harness.machine import Machine
from harness.spec import Interpreter, base_environ
from harness.workloads import read_workload, resolve_workloads

REPO = Path(__file__).resolve().parents[1]  # the checkout: commands run from it

FAKE_WORKLOADS = Path(__file__).resolve().parent / "fake_workloads"


def _local(ident: str, exe: str, implementation: str, family: str, gil: str) -> Interpreter:
    return Interpreter(
        id=ident,
        implementation=implementation,
        version="",
        gil=gil,
        source="PATH",
        family=family,
        argv=(exe,),
    )


HOST = _local("host", sys.executable, "cpython", "cpython", "on")


def _python27() -> str | None:
    found = shutil.which("python2.7")
    if found and "shims" not in Path(found).parts:  # a pyenv shim runs only the active version
        return found
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for candidate in sorted(pyenv.glob("2.7*/bin/python2.7")):
        return str(candidate)
    return None


def _real_interpreters() -> list[Interpreter]:
    """The running Python, plus PyPy and CPython 2.7 where this machine has them."""
    found = [HOST]
    pypy = shutil.which("pypy3")
    if pypy:
        found.append(_local("pypy3", pypy, "pypy", "pypy", "on"))
    py27 = _python27()
    if py27:
        found.append(_local("2.7", py27, "cpython", "cpython", "on"))
    return found


def _pyperf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyperf", *args], capture_output=True, text=True, check=False
    )


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line mentions ``text`` (a unique tmp path): leftovers of a kill."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids


# ---------------------------------------------------------------- pure helpers


def test_profiles_move_the_trade_off() -> None:
    fast, default, rigorous = (profiles.PROFILES[n] for n in ("fast", "default", "rigorous"))
    assert fast.processes <= default.processes <= rigorous.processes
    assert fast.min_time <= default.min_time <= rigorous.min_time
    assert default.jit_warmups > default.warmups
    with pytest.raises(ValueError):
        profiles.Profile(processes=0, values=1, warmups=0, jit_warmups=0, min_time=1, timeout=1)


def test_default_threads_go_to_twice_the_cpus() -> None:
    assert profiles.default_threads(2) == [1, 2, 4]
    assert profiles.default_threads(1) == [1, 2]
    assert profiles.default_threads(3) == [1, 2, 4]
    assert profiles.parse_threads("1, 2,2,8") == [1, 2, 8]


@pytest.mark.parametrize("text", ["0", "a,1", ","])
def test_bad_thread_counts_are_usage_errors(text: str) -> None:
    from harness.errors import UsageError

    with pytest.raises(UsageError):
        profiles.parse_threads(text)


def test_environment_is_an_allow_list() -> None:
    caller = {
        "PATH": "/bin",
        "HOME": "/root",
        "LC_ALL": "C",
        "PYTHONPATH": "/evil",
        "PYTHON_GIL": "1",
        "PYTHONHASHSEED": "7",
        "SECRET_TOKEN": "x",
    }
    env = base_environ(caller)
    assert env["PATH"] == "/bin" and env["LC_ALL"] == "C"
    assert not {"PYTHONPATH", "PYTHON_GIL", "PYTHONHASHSEED", "SECRET_TOKEN"} & set(env)
    gil = _local("3.13t+gil", sys.executable, "cpython", "free-threaded", "on")
    gil = Interpreter(**{**gil.__dict__, "env": (("PYTHON_GIL", "1"),)})
    assert gil.environ(env)["PYTHON_GIL"] == "1"


def test_fast_params_only_for_declared_keys(tmp_path: Path) -> None:
    fast = profiles.PROFILES["fast"]
    [countdown] = resolve_workloads(["countdown"])
    assert profiles.workload_params(countdown, fast) == {"total": 200_000}
    assert profiles.workload_params(countdown, profiles.PROFILES["default"]) == {}
    odd = tmp_path / "countdown.py"
    odd.write_text("PARAMS = {'n': 1}\n")
    moved = dataclasses.replace(countdown, params=read_workload(odd).params)
    assert profiles.workload_params(moved, fast) == {}
    odd.write_text("PARAMS = {'total': 16 * 1024 * 1024, 'chunk': 2, 'f': max(1, 2)}\n")
    declared = read_workload(odd).params
    assert declared == {"total": 16 * 1024 * 1024, "chunk": 2, "f": None}
    moved = dataclasses.replace(countdown, params=declared)
    assert profiles.workload_params(moved, fast) == {"total": 200_000}


# ---------------------------------------------------------------- real runs


@pytest.mark.slow
def test_fast_run_on_real_interpreters(tmp_path: Path) -> None:
    interps = _real_interpreters()
    if len(interps) == 1:
        # compare_to needs two suites: a second id for the same binary still
        # exercises the file format.
        interps.append(_local("host-again", sys.executable, "cpython", "cpython", "on"))
    workloads = resolve_workloads(["countdown", "counter_lock"])
    summary = runner.run(interps, workloads, tmp_path, threads=[1, 2], profile="fast")
    assert summary.ok, summary.lines()

    names_per_interp = {}
    keys_per_bench: dict[str, set[frozenset[str]]] = {}
    for interp in interps:
        spath = results.suite_path(tmp_path, interp.id)
        done = _pyperf("check", str(spath))
        assert done.returncode == 0, done.stderr
        done = _pyperf("stats", str(spath))
        assert done.returncode == 0, done.stderr
        loaded = pyperf.BenchmarkSuite.load(str(spath))
        names_per_interp[interp.id] = loaded.get_benchmark_names()
        for bench in loaded:
            for run in bench.get_runs():
                meta = run.get_metadata()
                if not run.values:  # a JIT's loop recalibration run (pyperf's kind)
                    assert meta["recalibrate_loops"] >= meta["loops"]
                    continue
                assert meta["interpreter"] == interp.id
                assert meta["process"] == 1 and meta["work_scale"] == 1.0
                assert meta["gil"] in ("on", "off", "none")
                # The round (1: the fast profile's one) and when the process started.
                assert meta["harness_round"] == 1 and meta["harness_started"] > 1.7e9
                # Flags only where a process ran in a burst or with low parallel capacity.
                flags = ("check_interval", "harness_burst", "harness_capacity_low")
                keys_per_bench.setdefault(bench.get_name(), set()).add(
                    frozenset(k for k in meta if k not in flags)
                )
                if bench.get_name().startswith("counter_lock/"):
                    assert meta["lost_updates"] == 0  # the lock makes it correct everywhere
                    assert meta["expected_updates"] > 0
        facts = results.Facts.load(results.facts_path(tmp_path, interp.id)).to_json()
        assert facts["interpreter"]["id"] == interp.id
        assert {o["status"] for o in facts["outcomes"]} == {"ok"}
        assert facts["run"]["finished"] and "--fast" in facts["run"]["command"]
        assert isinstance(facts["probe"], dict) or facts.get("probe_error")
        # Sampling: processes run, the target, whether it was met, per point.
        sampling = facts["sampling"]
        assert sampling["target"]["ratio_half_width"] == 0.05
        point = sampling["points"]["countdown/threads=2"]
        assert point["processes"] == 1 and point["met"] is False  # --fast: no interval
        assert facts["work"]["countdown"]["scale"] == 1.0
        assert facts["environment"]["seed"] and facts["noise"]["samples_ms"]
        # Every reference-loop sample took the drift references beside it (harness/drift.py).
        assert len(facts["noise"]["drift"]["thread_start_us"]) == \
            len(facts["noise"]["samples_ms"])

    first = names_per_interp[interps[0].id]
    assert "countdown/threads=2" in first
    assert all(names == first for names in names_per_interp.values())
    assert all(len(keys) == 1 for keys in keys_per_bench.values()), keys_per_bench

    files = [str(results.suite_path(tmp_path, i.id)) for i in interps]
    done = _pyperf("compare_to", *files, "--table")
    assert done.returncode == 0, done.stderr
    assert "countdown/threads=2" in done.stdout or "not significant" in done.stdout
    done = _pyperf("hist", files[0])
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jython") is None, reason="jython is not installed")
def test_fast_run_on_jython(tmp_path: Path) -> None:
    jython = _local("jython2.7", shutil.which("jython") or "", "jython", "jython", "none")
    workloads = resolve_workloads(["counter_lock", "countdown_processes"])
    summary = runner.run([jython], workloads, tmp_path, threads=[1, 2], profile="fast")
    assert summary.ok, summary.lines()
    statuses = {o.benchmark: o.status for o in summary.results[0].outcomes}
    assert statuses["countdown_processes"] == "unsupported"  # no multiprocessing on Jython
    loaded = pyperf.BenchmarkSuite.load(str(results.suite_path(tmp_path, "jython2.7")))
    for bench in loaded:
        for run in bench.get_runs():
            assert run.get_metadata()["lost_updates"] == 0
            assert run.get_metadata()["gil"] == "none"  # Jython has no GIL at all


@pytest.mark.slow
def test_hang_and_crash_are_isolated(tmp_path: Path) -> None:
    # A private copy of the fakes: its path identifies leftover processes.
    fakes = tmp_path / "fakes"
    shutil.copytree(FAKE_WORKLOADS, fakes)
    workloads = resolve_workloads(["tiny", "hang", "crash", "unsupported"], fakes)
    out = tmp_path / "out"
    summary = runner.run(
        [HOST], workloads, out, threads=[1, 2], profile="fast", timeout=3, workloads_dir=fakes
    )
    assert not summary.ok
    outcomes = {o.benchmark: o for o in summary.results[0].outcomes}
    assert outcomes["tiny/threads=1"].status == "ok"
    assert outcomes["hang"].status == "timeout"
    assert "hang: started" in outcomes["hang"].reason  # the tail of its stderr
    assert outcomes["crash"].status == "failed"
    assert "Traceback" in outcomes["crash"].reason or "Error" in outcomes["crash"].reason
    assert outcomes["unsupported"].status == "unsupported"
    assert not _processes_mentioning(str(fakes)), "a killed worker left processes behind"

    # The other workload's results are kept, readable by pyperf.
    spath = results.suite_path(out, "host")
    loaded = pyperf.BenchmarkSuite.load(str(spath))
    assert loaded.get_benchmark_names() == ["tiny/threads=1", "tiny/threads=2"]
    assert loaded.get_benchmark("tiny/threads=2").get_runs()[0].get_metadata()["calls"] > 0
    facts = results.Facts.load(results.facts_path(out, "host")).to_json()
    assert {o["benchmark"]: o["status"] for o in facts["outcomes"]}["hang"] == "timeout"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no temporaries


ROLED = '''\
"""A fake workload that declares a role, a scale axis and no sizing."""
KIND = "weak"
ROLE = "waiting"
SCALES = "threads"
SIZED_BY = None
PARAMS = {"spin": 10}
FAST_PARAMS = {"spin": 5}


def points(thread_counts, params):
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def run(point, params):
    return {"calls": 1}
'''


@pytest.mark.slow
def test_a_run_reads_each_workload_file_once_and_records_its_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One reader (``workloads._read_module``), once per run: no job, interpreter or
    profile step reads the file again; the role travels in the run metadata
    (``workload_role``), so a report finds the workload from the suite file alone."""
    folder = tmp_path / "mine"
    folder.mkdir()
    source = folder / "roled.py"
    source.write_text(ROLED)
    opened: list[str] = []
    real_open = io.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    workloads = resolve_workloads([], FAKE_WORKLOADS, user_dirs=[folder])
    other = _local("host2", sys.executable, "cpython", "cpython", "on")
    out = tmp_path / "out"
    summary = runner.run([HOST, other], workloads, out, threads=[1, 2], profile="fast")
    monkeypatch.undo()
    assert summary.ok
    assert opened.count(str(source.resolve())) == 1
    for ident in ("host", "host2"):
        suite = pyperf.BenchmarkSuite.load(str(results.suite_path(out, ident)))
        assert suite.get_benchmark_names() == ["roled/threads=1", "roled/threads=2"]
        for bench in suite.get_benchmarks():
            for run in bench.get_runs():
                meta = run.get_metadata()
                assert (meta["workload_role"], meta["workload_kind"]) == ("waiting", "weak")
                assert meta["spin"] == 5  # FAST_PARAMS, a key PARAMS declares


@pytest.mark.slow
def test_garbage_output_names_interpreter_and_workload(tmp_path: Path) -> None:
    workloads = resolve_workloads(["garbage", "tiny"], FAKE_WORKLOADS)
    summary = runner.run(
        [HOST], workloads, tmp_path, threads=[1], profile="fast", workloads_dir=FAKE_WORKLOADS
    )
    outcomes = {o.benchmark: o for o in summary.results[0].outcomes}
    assert outcomes["garbage"].status == "failed"
    reason = outcomes["garbage"].reason
    assert "'garbage'" in reason and "'host'" in reason and "not JSON" in reason
    assert outcomes["tiny/threads=1"].status == "ok"


@pytest.mark.slow
def test_unknown_worker_version_is_a_failed_outcome(tmp_path: Path) -> None:
    worker = tmp_path / "future_worker.py"
    worker.write_text(
        textwrap.dedent(
            """\
            import json
            print(json.dumps({"version": 2, "workload": "tiny", "points": []}))
            """
        )
    )
    workloads = resolve_workloads(["tiny"], FAKE_WORKLOADS)
    summary = runner.run(
        [HOST],
        workloads,
        tmp_path,
        threads=[1],
        profile="fast",
        workloads_dir=FAKE_WORKLOADS,
        worker=worker,
    )
    (outcome,) = summary.results[0].outcomes
    assert outcome.status == "failed"
    assert "version 2" in outcome.reason and "'tiny'" in outcome.reason
    assert "'host'" in outcome.reason
    assert not results.suite_path(tmp_path, "host").exists()


@pytest.mark.slow
def test_missing_interpreter_is_failed_and_others_run(tmp_path: Path) -> None:
    missing = Interpreter(
        id="3.14t",
        implementation="cpython",
        version="",
        gil="off",
        source="built",
        family="free-threaded",
        status="missing",
        hint="python -m harness provision 3.14t",
    )
    workloads = resolve_workloads(["tiny"], FAKE_WORKLOADS)
    summary = runner.run(
        [missing, HOST],
        workloads,
        tmp_path,
        threads=[1],
        profile="fast",
        workloads_dir=FAKE_WORKLOADS,
    )
    assert not summary.ok
    ((failed_id, failed),) = summary.failed
    assert failed_id == "3.14t" and "provision 3.14t" in failed.reason
    assert results.suite_path(tmp_path, "host").exists()
    facts = results.Facts.load(results.facts_path(tmp_path, "3.14t")).to_json()
    assert facts["outcomes"][0]["status"] == "failed"


# ---------------------------------------------------------------- the command line


def _harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
        timeout=600,
    )


def _config_env(tmp_path: Path) -> dict[str, str]:
    """A user interpreter entry for the running Python (``HARNESS_CONFIG``)."""
    config = tmp_path / "interpreters.toml"
    config.write_text(f'[interpreters.testhost]\npath = "{sys.executable}"\n')
    return {**os.environ, "HARNESS_CONFIG": str(config), "HARNESS_CACHE_DIR": str(tmp_path / "c")}


def test_unknown_workload_is_exit_2_listing_names(tmp_path: Path) -> None:
    done = _harness("run", "--workload", "nosuch", "-o", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nosuch" in lines[0] and "countdown" in lines[0]


@pytest.mark.slow
def test_unknown_interpreter_is_exit_2_listing_ids(tmp_path: Path) -> None:
    done = _harness(
        "run",
        "--interpreter",
        "cpython9.9",
        "-w",
        "countdown",
        "-o",
        str(tmp_path),
        env=_config_env(tmp_path),
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cpython9.9" in lines[0] and "testhost" in lines[0]


@pytest.mark.slow
def test_cli_fast_run_writes_files_pyperf_reads(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = _harness(
        "run",
        "--interpreter",
        "testhost",
        "-w",
        "countdown",
        "-w",
        "counter_race",
        "--threads",
        "1,2",
        "--fast",
        "-o",
        str(out),
        env=_config_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "[1/1 testhost] countdown (1/2)" in done.stderr
    spath = out / "testhost.json"
    check = _pyperf("check", str(spath))
    assert check.returncode == 0, check.stderr
    names = pyperf.BenchmarkSuite.load(str(spath)).get_benchmark_names()
    assert "countdown/threads=1" in names
    assert any(n.startswith("counter_race/") for n in names)
    facts = json.loads((out / "testhost.facts.json").read_text())
    assert "--interpreter testhost" in facts["run"]["command"]


@pytest.mark.slow
def test_ctrl_c_keeps_completed_suites(tmp_path: Path) -> None:
    """SIGINT while a worker hangs: the worker group dies, the facts say it was cut.
    (What an interruption keeps of complete rounds: tests/test_schedule.py.)"""
    fakes = tmp_path / "fakes"
    shutil.copytree(FAKE_WORKLOADS, fakes)
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""\
        import sys
        from pathlib import Path
        from harness import runner
        from harness.spec import Interpreter
        from harness.workloads import resolve_workloads
        host = Interpreter(id="host", implementation="cpython", version="", gil="on",
                           source="PATH", family="cpython", argv=({sys.executable!r},))
        fakes = Path({str(fakes)!r})
        try:
            runner.run([host], resolve_workloads(["tiny", "hang"], fakes), Path({str(out)!r}),
                       threads=[1], profile="fast", timeout=300, workloads_dir=fakes)
        except KeyboardInterrupt:
            sys.exit(130)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stderr=subprocess.PIPE, text=True
    )
    facts = results.facts_path(out, "host")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # Ours only (other runs on the machine may have a "hang" worker too).
        if set(_processes_mentioning("--workload hang")) & set(_processes_mentioning(str(fakes))):
            break
        time.sleep(0.2)
    time.sleep(0.5)  # let the hanging worker get going
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert not _processes_mentioning(str(fakes)), "Ctrl-C left a worker running"
    # Cut in round 0 (calibration, where "hang" hangs): nothing measured, the facts say so.
    assert not results.suite_path(out, "host").exists()
    record = results.Facts.load(facts).to_json()
    assert record["run"]["finished"] is None  # it did not finish
    assert record["run"]["interrupted"]["signal"] == "SIGINT"
    assert [r["round"] for r in record["run"]["rounds"]] == [0]
    assert not [p for p in out.iterdir() if p.name.startswith(".") and "lock" not in p.name]


def test_default_interpreters_not_ready_are_recorded_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A default entry that is not ready gets a facts file saying why, and fails nothing."""
    from harness import interpreters

    absent = Interpreter(
        id="3.14t", implementation="cpython", version="", gil="off", source="built",
        family="free-threaded", status="missing", hint="python -m harness provision 3.14t",
        notes=("no source for CPython 3.14.0",),
    )
    optional = Interpreter(
        id="3.8", implementation="cpython", version="3.8.18", gil="on", source="pyenv",
        family="cpython", status="missing", default=False,
    )
    # Discovery is the one seam faked here.
    monkeypatch.setattr(interpreters, "discover", lambda *a, **k: [absent, optional])
    recorded = runner.record_unavailable(tmp_path, "fast")
    assert [(i.id, written) for i, written in recorded] == [("3.14t", True)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.14t.facts.json"]
    facts = json.loads((tmp_path / "3.14t.facts.json").read_text())
    assert facts["version"] == results.FACTS_FORMAT_VERSION
    [outcome] = facts["outcomes"]
    assert outcome["status"] == "missing"
    assert outcome["reason"].startswith("to provide it: python -m harness provision 3.14t")
    assert "no source for CPython 3.14.0" in outcome["reason"]


# ---------------------------------------------------------------- adaptive sampling

# A stand-in for worker.py (the one seam replaced here): it prints documents whose
# values depend on the workload's name and on the process's seed (base 0 + index).
# "settles": the first 3 processes spread by +-5%, then every process gives the
# same ratio, so the interval narrows as processes are added. "noisy": the 2-thread
# time is random (x0.5-x1.5) in every process: the target is out of reach.
FAKE_WORKER = '''\
import json, random, sys
args = sys.argv[1:]
def opt(name, default=None):
    return args[args.index(name) + 1] if name in args else default
workload = opt("--workload")
seed = int(opt("--seed", "0"))
calibrate = "--calibrate" in args
rng = random.Random(seed)
def values(threads):
    if calibrate:
        return [0.01]
    base = 0.01 / threads
    if workload == "settles":
        spread = 0.0 if seed > 3 else 0.05
    else:
        spread = 0.5
    return [base * rng.uniform(1 - spread, 1 + spread) for _ in range(2)]
points = [{"key": "threads=%d" % t, "params": {"threads": t}, "loops": 1, "unsupported": None,
           "warmups": [], "values": values(t), "extra": {}} for t in (1, 2)]
print(json.dumps({"version": 1, "workload": workload, "params": {}, "measures": "time",
                  "unsupported": None, "points": points, "seed": seed,
                  "facts": {"implementation": "cpython", "gil_enabled": True}}))
'''


def _adaptive(tmp_path: Path, name: str, budget: float, cap: int = 12) -> results.Facts:
    worker = tmp_path / "fake_worker.py"
    worker.write_text(FAKE_WORKER)
    folder = tmp_path / "workloads"
    folder.mkdir(exist_ok=True)
    (folder / "MANIFEST").write_text(f"{name} cpu\n")
    (folder / f"{name}.py").write_text('"""A fake."""\nKIND = "strong"\nPARAMS = {}\n')
    profile = profiles.Profile(
        processes=2, values=2, warmups=0, jit_warmups=0, min_time=0.001, timeout=30,
        max_processes=cap, budget=budget, min_call=0.0,
    )
    out = tmp_path / "out"
    # No parallel-capacity reference: it would leave out the processes of a busy moment
    # (test_schedule.py tests it); this is about when sampling stops.
    summary = runner.run(
        [HOST], resolve_workloads([name], folder), out, threads=[1, 2], profile=profile,
        workloads_dir=folder, worker=worker, seed=0, machine=Machine(),
    )
    assert summary.ok, summary.lines()
    return results.Facts.load(results.facts_path(out, "host"))


@pytest.mark.slow
def test_adaptive_sampling_stops_at_the_target(tmp_path: Path) -> None:
    # The interval over time blocks needs the noisy first processes outweighed: a cap of 24.
    facts = _adaptive(tmp_path, "settles", budget=600.0, cap=24)
    assert facts.sampling is not None
    point = facts.sampling["points"]["settles/threads=2"]
    assert point["met"] and point["measure"] == "ratio" and point["cap_reached"] is False
    assert 2 < point["processes"] < 24  # more than the minimum, fewer than the cap
    assert point["half_width"] <= facts.sampling["target"]["ratio_half_width"]
    assert facts.sampling["points"]["settles/threads=1"]["met"]
    # Every run names its process; the two points pair on it.
    loaded = pyperf.BenchmarkSuite.load(str(results.suite_path(tmp_path / "out", "host")))
    ids = [
        sorted(r.get_metadata()["process"] for r in b.get_runs()) for b in loaded.get_benchmarks()
    ]
    assert ids[0] == ids[1] == list(range(1, point["processes"] + 1))
    env = facts.environment or {}
    assert env["seed"] == 0 and "seed" in env["point_order"]
    assert {r.get_metadata()["seed"] for r in loaded.get_benchmarks()[0].get_runs()} == set(ids[0])


@pytest.mark.slow
def test_adaptive_sampling_stops_at_the_budget(tmp_path: Path) -> None:
    facts = _adaptive(tmp_path, "noisy", budget=1.5, cap=1000)
    assert facts.sampling is not None
    point = facts.sampling["points"]["noisy/threads=2"]
    assert not point["met"] and point["processes"] < 1000
    assert point["processes"] >= 2  # the floor: an interval, however wide
    # The budget scaled by this machine's speed (1x to 2x), at most the 3 s cap.
    scale = facts.sampling["time_scale"]
    assert facts.sampling["budget_s"] == 1.5 and facts.sampling["max_cap_s"] == 3.0
    assert 1.0 <= scale <= 2.0 and facts.sampling["cap_s"] == round(1.5 * scale, 1)
    assert facts.run["time_scale"] == scale
    assert point["cap_reached"] is True  # the time cap, not the target, stopped it
    assert facts.sampling["points"]["noisy/threads=1"]["processes"] == point["processes"]
    noise = facts.noise or {}
    # The settled start (at least SETTLE_WINDOW samples), then one after every process.
    assert len(noise["samples_ms"]) >= environment.SETTLE_WINDOW + point["processes"]


def test_the_recorded_command_names_a_workloads_folder_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the current folder it is relative (a published report's command stays
    portable); outside it, absolute."""
    inside, outside = tmp_path / "here" / "examples", tmp_path / "elsewhere"
    inside.mkdir(parents=True)
    outside.mkdir()
    monkeypatch.chdir(tmp_path / "here")
    interp = Interpreter(id="x", implementation="cpython", version="3.11", gil="on",
                         source="user", family="cpython", argv=("python3",))
    command = runner._reproduce(interp, ["w"], [1, 2], "fast", None, Path("o"),
                                [inside.resolve(), outside.resolve()])
    assert f"--workloads examples --workloads {outside.resolve()} " in command
