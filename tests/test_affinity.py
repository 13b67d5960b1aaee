"""harness.affinity and ``run --cpus``: worker processes pinned to N cores, for real.

The pure parts (parsing ``--cpus``, the CPU list notation, the flags and the
prefix) are checked directly; the axis itself by fast runs of ``countdown`` and
``io_convoy`` under a local interpreter and a container entry, read back from
the files: every run's metadata records the CPUs its worker saw, and a pinned
worker saw one. No timing is asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyperf
import pytest
from conftest import ready_by_id, skip_unless_provisioned

from harness import affinity, paths, results, runner, spawn
from harness.__main__ import main
from harness.errors import UsageError
from harness.machine import Machine
from harness.spec import Interpreter, base_environ, container_run_flags
from harness.workloads import resolve_workloads

REPO = Path(__file__).resolve().parents[1]
HOST = Interpreter("host", "cpython", "", "on", "PATH", "cpython", argv=(sys.executable,))
USABLE = affinity.usable()


def test_parse_cpus_gives_one_choice_per_item() -> None:
    assert affinity.parse_cpus("1,all", [0, 1]) == [(), (0,)]  # all first, then by count
    assert affinity.parse_cpus("all,1,1", [2, 3]) == [(), (2,)]  # the first N usable ones
    assert affinity.parse_cpus("2,1", [0, 1, 2]) == [(0,), (0, 1)]
    assert affinity.parse_cpus(None) == [()] and affinity.parse_cpus("") == [()]


@pytest.mark.parametrize("text", ["3", "0", "one", ",", "-1"])
def test_bad_cpus_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        affinity.parse_cpus(text, [0, 1])
    assert "--cpus" in info.value.message and info.value.hint


def test_cpu_list_notation() -> None:
    assert affinity.format_list([5, 0, 1, 2]) == "0-2,5"
    assert affinity.format_list([3]) == "3"
    assert affinity.label((0,)) == "cpus=1" and affinity.label(()) == "all"
    assert affinity.key_suffix((0, 1)) == ",cpus=2" and affinity.key_suffix(()) == ""


def test_container_flag_and_local_prefix() -> None:
    assert "--cpuset-cpus=0-1" in container_run_flags("podman", (0, 1))
    assert not any(f.startswith("--cpuset") for f in container_run_flags("podman"))
    argv = HOST.command(paths.WORKER_SCRIPT, ["--workload", "x"], cpus=(0,))
    if shutil.which("taskset"):
        assert argv[1:3] == ["-c", "0"] and argv[3] == sys.executable
    assert HOST.command(paths.WORKER_SCRIPT, [])[0] == sys.executable


def test_run_refuses_more_cores_than_usable(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["run", "-i", "no-such", "--cpus", str(len(USABLE) + 1), "-o", "/nonexistent"])
    assert status == 2
    assert "--cpus" in capsys.readouterr().err


def test_compare_checks_cpus_before_any_step(capsys: pytest.CaptureFixture[str]) -> None:
    """``compare --cpus`` goes to the run, parsed before provisioning starts."""
    status = main(["compare", "--no-provision", "--name", "x", "--cpus", "1,lots"])
    assert status == 2
    err = capsys.readouterr().err
    assert "'lots'" in err and "== compare" not in err


def test_worker_refuses_cpus_it_cannot_have() -> None:
    """A CPU id the kernel refuses: the workload is unsupported there, with the reason."""
    argv = [sys.executable, str(paths.WORKER_SCRIPT), "--workload", "countdown",
            "--workloads", str(REPO / "workloads"), "--threads", "1",
            "--params", '{"total": 1000}', "--calibrate", "--cpus", "4095"]
    done = subprocess.run(argv, capture_output=True, text=True, env=base_environ(), check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["unsupported"] and "4095" in doc["unsupported"]
    assert doc["points"] == []


@pytest.mark.slow
@pytest.mark.skipif(len(USABLE) < 2, reason="pinning to 1 of 1 CPU shows nothing")
@pytest.mark.parametrize("ident", ["2.7", "jython", "pypy3.9"])
def test_interpreters_without_sched_setaffinity_are_pinned_by_taskset(ident: str) -> None:
    """2.7 and Jython cannot pin themselves: taskset does, and the worker reads it back."""
    jython = shutil.which("jython")
    interp = ready_by_id(ident) if ident != "jython" else jython and Interpreter(
        "jython", "jython", "", "none", "PATH", "jython", argv=(jython,))
    if not interp or interp.container is not None:
        skip_unless_provisioned(f"{ident} is not ready here as a local interpreter")
        return
    if shutil.which("taskset") is None:
        pytest.skip("taskset (util-linux) is not installed")
    cpu = USABLE[-1]
    doc = spawn.run_worker(interp, "countdown", ["--threads", "1,2", "--params",
                                                 '{"total": 2000}', "--calibrate"],
                           timeout=120, workloads_dir=REPO / "workloads", cpus=(cpu,))
    assert doc["unsupported"] is None
    assert doc["facts"]["affinity"] == [cpu]
    assert [p["key"] for p in doc["points"]] == ["threads=1,cpus=1", "threads=2,cpus=1"]
    assert all(p["params"]["cpus"] == 1 for p in doc["points"])


def _check_pinned_run(folder: Path, ident: str) -> None:
    """Every run records its CPUs; pinned runs saw exactly one, unpinned ones all of them."""
    suite = pyperf.BenchmarkSuite.load(str(results.suite_path(folder, ident)))
    names = suite.get_benchmark_names()
    assert "countdown/threads=2,cpus=1" in names and "countdown/threads=2" in names
    assert "io_convoy/cpu_threads=1,interval=default,cpus=1" in names
    for bench in suite.get_benchmarks():
        for run in bench.get_runs():
            if not run.values:
                continue
            meta = run.get_metadata()
            if bench.get_name().endswith(",cpus=1"):
                assert meta["cpu_affinity"] == str(USABLE[0]), bench.get_name()
                assert meta["cpus"] == 1
            else:
                assert meta["cpu_affinity"] == affinity.format_list(USABLE), bench.get_name()
    facts = results.Facts.load(results.facts_path(folder, ident))
    assert facts.run["cpus"] == ["all", "cpus=1"]
    assert "--cpus all,1" in facts.run["command"]
    assert {"countdown", "countdown,cpus=1", "io_convoy", "io_convoy,cpus=1"} <= set(facts.work)
    done = subprocess.run([sys.executable, "-m", "pyperf", "check",
                           str(results.suite_path(folder, ident))],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _fast_run(interp: Interpreter, folder: Path) -> None:
    workloads = resolve_workloads(["countdown", "io_convoy"])
    # No parallel-capacity reference: on a busy machine it would flag the one process of
    # the fast profile and the report would rightly print no ratio; pinning is tested
    # here, the capacity check in test_schedule.py.
    summary = runner.run([interp], workloads, folder, threads=[1, 2], profile="fast",
                         cpus=affinity.parse_cpus("1,all"), machine=Machine())
    assert summary.ok, summary.lines()


@pytest.mark.slow
@pytest.mark.skipif(len(USABLE) < 2, reason="pinning to 1 of 1 CPU shows nothing")
def test_fast_run_pinned_on_a_local_interpreter(tmp_path: Path) -> None:
    _fast_run(HOST, tmp_path)
    _check_pinned_run(tmp_path, HOST.id)
    # The report reads the axis: one core against all, with a figure per core count.
    out = tmp_path / "report"
    assert main(["report", str(tmp_path), "--output", str(out)]) == 0
    readme = (out / "README.md").read_text(encoding="utf-8")
    first = USABLE[0]
    assert f"host (1 core: {first}, all {len(USABLE)} cores: " \
        f"{affinity.format_list(USABLE)})" in readme
    csv_text = (out / "estimates.csv").read_text(encoding="utf-8")
    assert "host,countdown,ratio threads=2/1 cpus=1," in csv_text
    assert "host,countdown,ratio threads=2/1 cpus=all," in csv_text


@pytest.mark.slow
@pytest.mark.container
@pytest.mark.skipif(len(USABLE) < 2, reason="pinning to 1 of 1 CPU shows nothing")
@pytest.mark.parametrize("ident", ["3.14", "jython2.7"])
def test_fast_run_pinned_in_a_container(tmp_path: Path, ident: str) -> None:
    """The sid image's CPython and the Jython image (a JVM under --cpuset-cpus)."""
    interp = ready_by_id(ident)
    if interp is None or interp.container is None:
        skip_unless_provisioned(f"{ident} is not ready as a container entry "
                                f"(python -m harness provision {ident})")
        return
    if os.geteuid() == 0:
        tmp_path.chmod(0o755)  # the container runs as nobody: check_mounts
    _fast_run(interp, tmp_path)
    _check_pinned_run(tmp_path, interp.id)
