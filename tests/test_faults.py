"""Faults a careful user meets, tried for real: real processes, real signals, real files.

Each test shows the three things issue 23 asks of every fault: nothing
completed is lost, nothing is left running, and one line names the cause.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from conftest import ready_by_id, skip_unless_provisioned

from harness import __main__ as harness_main
from harness import paths, results, spawn
from harness.errors import WorkerError
from harness.profiles import PROFILES
from harness.spec import Interpreter

FAKE = Path(__file__).parent / "fake_workloads"
REPO = Path(__file__).resolve().parents[1]  # the checkout: the harness runs from it
WAIT = 300.0  # seconds: a bound on waiting for an exit, never an assertion


def _local_ident() -> str:
    for ident in ("3.12", "3.11", "3.13"):
        interp = ready_by_id(ident)
        if interp is not None and interp.container is None:
            return ident
    skip_unless_provisioned("no local CPython 3.11+ ready")
    raise AssertionError


@pytest.fixture
def two_tiny(tmp_path: Path) -> Path:
    """A workloads folder with two quick fake workloads, ``tiny`` and ``tiny2``."""
    folder = tmp_path / "workloads"
    folder.mkdir()
    shutil.copyfile(FAKE / "tiny.py", folder / "tiny.py")
    shutil.copyfile(FAKE / "tiny.py", folder / "tiny2.py")
    (folder / "MANIFEST").write_text("tiny fake\ntiny2 fake\n")
    return folder


def _harness(*argv: str) -> list[str]:
    return [sys.executable, "-m", "harness", *argv]


def _env(workloads: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if workloads is not None:
        env["HARNESS_WORKLOADS"] = str(workloads)
    return env


def _benchmarks(suite: Path) -> set[str]:
    data = json.loads(suite.read_text())
    return {b["metadata"]["name"] for b in data["benchmarks"]}


# --------------------------------------------------------------------------- closed progress pipe


def test_a_closed_progress_pipe_goes_silent_and_the_run_keeps_its_results(
    two_tiny: Path, tmp_path: Path
) -> None:
    """``run ... 2>&1 | head -1``: the reader goes after one line; the run completes anyway."""
    ident = _local_ident()
    out = tmp_path / "R"
    read, write = os.pipe()
    run = subprocess.Popen(
        _harness("run", "--fast", "-i", ident, "-w", "tiny", "-w", "tiny2", "-o", str(out)),
        cwd=REPO, env=_env(two_tiny), stdin=subprocess.DEVNULL, stdout=write,
        stderr=write,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read, "rb") as reader:
        first = reader.readline()
    # The reader is closed (as `head` exits): every later write meets a broken pipe.
    assert first.startswith(b"running 2 workload(s)")
    assert run.wait(timeout=WAIT) == 0
    suite = out / f"{ident}.json"
    assert {n.split("/")[0] for n in _benchmarks(suite)} == {"tiny", "tiny2"}
    assert not (out / "interrupted").exists()


# --------------------------------------------------------------------------- kill -9 of the harness


def _processes() -> list[tuple[int, str]]:
    """(pid, command line) of every live (not zombie) process in /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if stat[stat.rindex(")") + 2] != "Z":
            found.append((int(entry.name), cmdline))
    return found


def _mentioning(text: str) -> list[tuple[int, str]]:
    return [p for p in _processes() if text in p[1] and p[0] != os.getpid()]


def _wait_until(what: str, done: Callable[[], object], bound: float = WAIT) -> object:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = done()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"never saw {what}")


@pytest.fixture
def hang_folder(tmp_path: Path) -> Path:
    """A workloads folder holding only ``hang``: it creates ``started`` beside it, then sleeps.

    The marker says the worker is past every write to its pipes: killed before
    that, it would die of the broken pipe alone and prove nothing.
    """
    folder = tmp_path / "hang-workloads"
    folder.mkdir()
    source = (FAKE / "hang.py").read_text()
    marker = f"    open({str(folder / 'started')!r}, 'w').close()\n"
    source = source.replace("    while True:\n", marker + "    while True:\n")
    assert marker in source
    (folder / "hang.py").write_text(source)
    (folder / "MANIFEST").write_text("hang fake\n")
    return folder


def test_a_worker_dies_with_a_sigkilled_harness(hang_folder: Path, tmp_path: Path) -> None:
    """``kill -9`` runs no cleanup in the harness: the kernel kills its worker (PDEATHSIG)."""
    ident = _local_ident()
    run = subprocess.Popen(
        _harness("run", "--fast", "-i", ident, "-w", "hang", "-o", str(tmp_path / "R"),
                 "--timeout", "3000"),
        cwd=REPO, env=_env(hang_folder), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_until("the workload started", (hang_folder / "started").exists)
        assert [p for p in _mentioning(str(hang_folder)) if "worker.py" in p[1]]
        run.kill()
        run.wait()
        # A bound, not a speed claim: without PDEATHSIG the worker sleeps on forever.
        _wait_until("the worker gone", lambda: not _mentioning(str(hang_folder)), bound=60)
    finally:
        for pid, _ in _mentioning(str(hang_folder)):
            os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------- reasons in the terminal


def test_a_crashing_workload_shows_its_exception_on_the_progress_line(tmp_path: Path) -> None:
    ident = _local_ident()
    done = subprocess.run(
        _harness("run", "--fast", "-i", ident, "-w", "crash", "-o", str(tmp_path / "R")),
        cwd=REPO, env=_env(FAKE), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    line = next(x for x in done.stderr.splitlines() if "crash" in x and "failed" in x)
    assert "RuntimeError: deliberate crash in the fake workload" in line, done.stderr
    assert "Traceback" not in done.stderr


def _a_container_entry() -> Interpreter:
    for ident in ("3.14", "3.15", "jython2.7"):
        interp = ready_by_id(ident)
        if interp is not None and interp.container is not None:
            return interp
    skip_unless_provisioned("no container entry (3.14, 3.15, jython2.7) is ready here")
    raise AssertionError


@pytest.mark.container
def test_a_missing_image_is_one_line_with_the_provision_command(tmp_path: Path) -> None:
    """The image removed under a ready entry: no pull (``--pull=never``), the command to make it."""
    interp = _a_container_entry()
    assert interp.container is not None
    gone = dataclasses.replace(interp.container, image="localhost/harness-gone-h23:none")
    entry = dataclasses.replace(interp, container=gone)
    argv = entry.command(paths.WORKER_SCRIPT, ["--workload", "tiny"], FAKE)
    assert "--pull=never" in argv
    with pytest.raises(WorkerError) as caught:
        spawn.run_worker(entry, "tiny", [], timeout=WAIT, workloads_dir=FAKE)
    assert "localhost/harness-gone-h23:none is not there" in caught.value.message
    assert f"python -m harness provision {interp.id}" in caught.value.message
    assert "\n" not in caught.value.message


# ----------------------------------------------------------------- output and temporary folders


def test_an_unusable_cache_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """An unusable cache folder sends ``containers.conf`` to a temporary folder: removed at exit."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**_env(), "TMPDIR": str(temp), "HARNESS_CACHE_DIR": str(blocker / "cache")}
    done = subprocess.run(_harness("interpreters"), cwd=REPO, env=env, text=True,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=WAIT,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr  # listing needs no cache
    assert list(temp.iterdir()) == []


def test_an_over_long_output_folder_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / ("x" * 260) / "R"
    done = subprocess.run(
        _harness("run", "--fast", "-i", _local_ident(), "-w", "countdown", "-o", str(out)),
        cwd=REPO, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=WAIT, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot use output folder "), lines
    assert "File name too long" in lines[0] and "-o DIR" in lines[0]


# ----------------------------------------------------------------- a full disk


def test_a_full_disk_keeps_the_completed_workloads_and_names_the_file(
    two_tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ENOSPC injected at the write layer once round 2 has values: round 1 is kept."""
    ident = _local_ident()
    real = results.atomic_write

    def full_once_round_2_is_in(path: Path, write: Callable[[IO[str]], object]) -> None:
        text = io.StringIO()
        write(text)
        if re.search(r'"harness_round": ?2', text.getvalue()):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, write)

    monkeypatch.setattr(results, "atomic_write", full_once_round_2_is_in)
    monkeypatch.setitem(PROFILES, "fast", dataclasses.replace(PROFILES["fast"], processes=2))
    monkeypatch.setenv("HARNESS_WORKLOADS", str(two_tiny))
    out = tmp_path / "R"
    code = harness_main.main(["run", "--fast", "-i", ident, "-w", "tiny", "-w", "tiny2",
                              "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: No space left on device writing "), err
    assert "kB free" in last and "-o DIR" in last and f"kept in {out}" in last, last
    assert {n.split("/")[0] for n in _benchmarks(out / f"{ident}.json")} == {"tiny", "tiny2"}
    kept = results.load_suite(out / f"{ident}.json")
    rounds = {run.get_metadata()["harness_round"]
              for bench in kept.get_benchmarks() for run in bench.get_runs() if run.values}
    assert rounds == {1}  # the complete round, of both workloads
    assert not [p for p in out.iterdir() if p.name.startswith(".")  and "lock" not in p.name]
