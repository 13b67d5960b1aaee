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
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from conftest import ready_by_id, skip_unless_provisioned

from harness import __main__ as harness_main
from harness import paths, procgroup, results, spawn
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
    # What the killed run staged is named by `report`, and kept by the next run.
    out = tmp_path / "R"
    report = subprocess.run(_harness("report", str(out)), cwd=REPO, env=_env(), text=True,
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=WAIT,
                            check=False)  # fmt: skip
    assert report.returncode == 1
    assert f"no complete results in {out}: a run that was killed (pid {run.pid}" in report.stderr
    assert f".{ident}.partial.facts.json" in report.stderr, report.stderr
    again = subprocess.run(
        _harness("run", "--fast", "-i", ident, "-w", "tiny", "-o", str(out)),
        cwd=REPO, env=_env(FAKE), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=WAIT, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"kept the partial results of {ident} left by a killed run" in again.stderr
    assert [p.name for p in out.iterdir() if ".partial" in p.name] == []


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


def test_the_temporary_folder_goes_even_with_a_sigkilled_harness(tmp_path: Path) -> None:
    """``kill -9`` while the temporary ``containers.conf`` exists: the watchdog removes it."""
    if shutil.which("podman") is None:
        pytest.skip("no podman: the harness writes no containers.conf")
    temp = tmp_path / "tmp"
    temp.mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**_env(), "TMPDIR": str(temp), "HARNESS_CACHE_DIR": str(blocker / "cache"),
           "HARNESS_CONTAINER_ENGINE": "podman"}
    run = subprocess.Popen(_harness("interpreters"), cwd=REPO, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait_until("the temporary containers.conf", lambda: list(temp.glob("*/containers.conf")))
    finally:
        run.kill()
        run.wait()
    _wait_until("the temporary folder gone", lambda: not list(temp.iterdir()), bound=60)


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


# ----------------------------------------------------------------- a report into a full folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_a_report_that_meets_a_full_disk_leaves_the_old_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart cut short by ENOSPC halfway through a re-render: the old report stays as it was."""
    from report_data import write_results  # noqa: PLC0415 (the report tests' data)

    from harness import report  # noqa: PLC0415
    from harness.report import model  # noqa: PLC0415

    res = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    out = tmp_path / "report"
    report.write_report(res, out)
    before = _tree(out)
    assert any(name.startswith("chart-") for name in before)
    (res / "3.13t.json").write_text((res / "3.13.json").read_text())  # a new report differs
    real = Path.write_text

    def full_halfway(self: Path, data: str, *args: object, **kw: object) -> int:
        if self.name.startswith("chart-"):
            real(self, data[: len(data) // 2], encoding="utf-8")  # what a full disk leaves
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full_halfway)
    with pytest.raises(model.ReportError) as caught:
        report.write_report(res, out)
    assert caught.value.message.startswith(f"No space left on device writing the report into {out}")
    assert "kB free; the report needs about " in caught.value.message
    assert "the report there is unchanged" in (caught.value.hint or "")
    assert _tree(out) == before  # no truncated chart, no new file beside old ones
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    monkeypatch.undo()
    report.write_report(res, out)
    after = _tree(out)
    assert after != before and set(after) >= {"index.html", "README.md", "compare.md"}


def test_a_report_on_a_real_full_tmpfs_keeps_the_old_one(tmp_path: Path) -> None:
    """A 400 kB tmpfs with 60 kB free: the re-render fails in one line; the old report stays."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("mounting a small tmpfs needs root and unshare (util-linux)")
    from report_data import write_results  # noqa: PLC0415 (the report tests' data)

    res = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    disk = tmp_path / "disk"
    disk.mkdir()
    out, keep = disk / "report", tmp_path / "before"
    report = shlex.join(_harness("report", str(res), "-o", str(out)))
    script = f"""
        mount -t tmpfs -o size=400k tmpfs {shlex.quote(str(disk))} || exit 9
        {report} >/dev/null || exit 8
        cp -a {shlex.quote(str(out))} {shlex.quote(str(keep))}
        free=$(df -k --output=avail {shlex.quote(str(disk))} | tail -1)
        dd if=/dev/zero of={shlex.quote(str(disk / 'fill'))} bs=1k count=$((free - 60)) 2>/dev/null
        {report}; echo "exit $?"
        cd {shlex.quote(str(out))} && ls -A && cat -- * | sha256sum
        cd {shlex.quote(str(keep))} && cat -- * | sha256sum
    """
    done = subprocess.run([unshare, "-m", "sh", "-c", script], cwd=REPO, env=_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=WAIT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "exit 1", done.stdout
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(
        f"error: No space left on device writing the report into {out} ("), errors
    assert not [n for n in lines[1:-2] if n.startswith(".")], lines  # no staging folder left
    assert lines[-2] == lines[-1]  # the old report, byte for byte


# ----------------------------------------------------------------- escaped processes

_ESCAPE = '''
import os
import re
import time

# Once per worker process: a child leaves the session (setsid) and sleeps on.
if os.fork() == 0:
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    time.sleep(600)
    os._exit(0)
'''


def test_a_process_that_escapes_the_session_is_killed_and_said(
    two_tiny: Path, tmp_path: Path
) -> None:
    """A workload whose worker forks a ``setsid`` child: found, killed, counted in the outcome."""
    ident = _local_ident()
    (two_tiny / "escape.py").write_text(_ESCAPE + (two_tiny / "tiny.py").read_text())
    (two_tiny / "MANIFEST").write_text("escape fake\n")
    out = tmp_path / "R"
    done = subprocess.run(
        _harness("run", "--fast", "-i", ident, "-w", "escape", "-o", str(out)),
        cwd=REPO, env=_env(two_tiny), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    try:
        assert done.returncode == 0, done.stderr
        assert not _mentioning(str(two_tiny)), "an escaped process still runs"
        line = next(x for x in done.stderr.splitlines() if "escape" in x and " ok" in x)
        assert "left running by its workers, killed" in line, line
        facts = json.loads((out / f"{ident}.facts.json").read_text())
        reasons = {o["reason"] for o in facts["outcomes"] if o["status"] == "ok"}
        assert len(reasons) == 1
        (reason,) = reasons
        assert "processes left running by its workers, killed (pid " in reason, reason
    finally:
        for pid, _ in _mentioning(str(two_tiny)):
            os.kill(pid, signal.SIGKILL)


def _containers_mounting(folder: Path, engine: str, env: dict[str, str]) -> set[str]:
    """The engine's containers (any state) with ``folder`` mounted: this test's, not others'."""
    names = subprocess.run([engine, "ps", "-a", "--format", "{{.Names}}"], env=env,
                           capture_output=True, text=True, timeout=WAIT, check=True)  # fmt: skip
    found = set()
    for name in names.stdout.split():
        done = subprocess.run(
            [engine, "inspect", "--format", "{{range .Mounts}}{{.Source}}\n{{end}}", name],
            env=env, capture_output=True, text=True, timeout=WAIT, check=False,
        )  # fmt: skip
        if str(folder) in done.stdout.splitlines():
            found.add(name)
    return found


@pytest.mark.container
def test_a_container_dies_with_a_sigkilled_harness(tmp_path: Path) -> None:
    """``kill -9`` of the harness: the engine's client, its monitor and the container go too.

    The client dies of PDEATHSIG; the container, run by the engine's monitor
    (conmon), is removed by the harness's watchdog once the harness's pipe closes.
    """
    interp = _a_container_entry()
    ref = interp.container
    assert ref is not None
    folder = tmp_path / "hang-workloads"
    folder.mkdir()
    shutil.copyfile(FAKE / "hang.py", folder / "hang.py")
    (folder / "MANIFEST").write_text("hang fake\n")
    engine_env = {**os.environ, **dict(ref.engine_env)}
    run = subprocess.Popen(
        _harness("run", "--fast", "-i", interp.id, "-w", "hang", "-o", str(tmp_path / "R"),
                 "--timeout", "3000"),
        cwd=REPO, env=_env(folder), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    mine: set[str] = set()
    try:
        mine = _wait_until(  # type: ignore[assignment]
            "the worker's container", lambda: _containers_mounting(folder, ref.engine, engine_env))
        time.sleep(2.0)  # the workload is running inside it
        assert _containers_mounting(folder, ref.engine, engine_env) == mine
        run.kill()
        run.wait()
        killed = time.monotonic()
        _wait_until("the container gone",
                    lambda: not _containers_mounting(folder, ref.engine, engine_env), bound=60)
        _wait_until("the engine's client and monitor (conmon) gone", lambda: not [
            p for p in _processes() if any(n in p[1] for n in mine)], bound=60)
        gone_after = time.monotonic() - killed
        # A bound, not a speed claim: without the watchdog it runs on for the workload's life.
        assert gone_after < 30, gone_after
    finally:
        for name in mine:
            procgroup.remove_container(ref.engine, name, engine_env)


def test_an_escaped_process_dies_with_a_sigkilled_harness(tmp_path: Path) -> None:
    """``kill -9`` while a worker's ``setsid`` child sleeps: the watchdog finds it by its tag."""
    ident = _local_ident()
    folder = tmp_path / "escape-hang"
    folder.mkdir()
    (folder / "hang.py").write_text(_ESCAPE + (FAKE / "hang.py").read_text())
    (folder / "MANIFEST").write_text("hang fake\n")
    run = subprocess.Popen(
        _harness("run", "--fast", "-i", ident, "-w", "hang", "-o", str(tmp_path / "R"),
                 "--timeout", "3000"),
        cwd=REPO, env=_env(folder), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        # The worker and its child (the fork keeps the worker's command line): two processes.
        _wait_until("the escaped child", lambda: len(_mentioning(str(folder))) >= 2)
        run.kill()
        run.wait()
        _wait_until("every process gone", lambda: not _mentioning(str(folder)), bound=60)
    finally:
        for pid, _ in _mentioning(str(folder)):
            os.kill(pid, signal.SIGKILL)


# ----------------------------------------------------------------- a memory limit for workers

_HOG = '''
PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    return None


def run(point, params):
    block = bytearray(1024 * 1024 * 1024)  # 1 GiB, over the test's limit
    return {"calls": len(block)}
'''


def _hog_run(tmp_path: Path, ident: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder = tmp_path / "hog-workloads"
    folder.mkdir()
    (folder / "hog.py").write_text(_HOG)
    (folder / "MANIFEST").write_text("hog fake\n")
    out = tmp_path / "R"
    done = subprocess.run(
        _harness("run", "--fast", "-i", ident, "-w", "hog", "-o", str(out)),
        cwd=REPO, env={**_env(folder), "HARNESS_WORKER_MEMORY": "300M"},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    return done, out


def test_a_worker_over_the_memory_limit_is_one_line(tmp_path: Path) -> None:
    ident = _local_ident()
    done, out = _hog_run(tmp_path, ident)
    assert done.returncode == 1, done.stderr
    line = next(x for x in done.stderr.splitlines() if "hog" in x and "failed" in x)
    assert "MemoryError; the workers' memory limit is 0.3 GiB (HARNESS_WORKER_MEMORY=300M)" in line
    facts = json.loads((out / f"{ident}.facts.json").read_text())
    assert facts["run"]["worker_memory"] == {"limit_bytes": 300 << 20,
                                             "set_by": "HARNESS_WORKER_MEMORY=300M"}


@pytest.mark.container
def test_a_container_over_the_memory_limit_is_one_line(tmp_path: Path) -> None:
    interp = _a_container_entry()
    done, out = _hog_run(tmp_path, interp.id)
    assert done.returncode == 1, done.stderr
    line = next(x for x in done.stderr.splitlines() if "hog" in x and "failed" in x)
    # The JVM says OutOfMemoryError; CPython is killed by the engine's limit (or says MemoryError).
    assert "the workers' memory limit is 0.3 GiB (HARNESS_WORKER_MEMORY=300M)" in line, line
    facts = json.loads((out / f"{interp.id}.facts.json").read_text())
    assert "--memory=314572800b" in facts["container"]["run_flags"]


def test_an_invalid_memory_limit_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        _harness("run", "--fast", "-i", _local_ident(), "-w", "tiny", "-o", str(tmp_path / "R")),
        cwd=REPO, env={**_env(FAKE), "HARNESS_WORKER_MEMORY": "lots"},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: HARNESS_WORKER_MEMORY=lots: not a size (8G, 512M), a share of memory (75%) "
        "or none (fix or unset HARNESS_WORKER_MEMORY)"]


# ----------------------------------------------------------------- folders users really have

_ODD = ("my:work, space", 'ü "quoted"')


@pytest.mark.container
def test_a_workloads_folder_with_colons_commas_and_non_ascii_works_in_a_container(
    tmp_path: Path,
) -> None:
    """``--workloads "my:work, space/ü"`` under a container entry (``-v`` split on the colon)."""
    interp = _a_container_entry()
    folder = tmp_path.joinpath(*_ODD)
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    folder.parent.chmod(0o755)
    shutil.copyfile(FAKE / "tiny.py", folder / "tiny_loop.py")
    (folder / "tiny_loop.py").chmod(0o644)
    out = tmp_path / "results, with: odd ü"
    done = subprocess.run(
        _harness("run", "--fast", "-i", interp.id, "--workloads", str(folder), "-w", "tiny_loop",
                 "-o", str(out)),
        cwd=REPO, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=WAIT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {n.split("/")[0] for n in _benchmarks(out / f"{interp.id}.json")} == {"tiny_loop"}


def test_a_folder_name_with_a_line_break_is_refused_in_one_line(tmp_path: Path) -> None:
    from harness.errors import UsageError  # noqa: PLC0415
    from harness.spec import bind_mount  # noqa: PLC0415

    with pytest.raises(UsageError, match="control character"):
        bind_mount(tmp_path / "two\nlines", "/workloads")


# ----------------------------------------------------------------- a user without root


@pytest.fixture
def unprivileged(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str], Path]]:
    """(argv prefix, environment, a folder of its own) to run the harness without root.

    Run as root, the commands drop to ``nobody`` (setpriv) with a home and cache in
    a world-writable folder; the same Python, or else the system's binary of the same
    version reading this environment's packages (a Python under /root is unreachable).
    """
    home = Path(tempfile.mkdtemp(prefix="h23-nobody-"))
    home.chmod(0o777)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "HARNESS_CACHE_DIR": str(home / "cache"), "HARNESS_WORKLOADS": str(FAKE)}
    try:
        if os.geteuid() != 0:
            yield [sys.executable], env, home
            return
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot become nobody")
        drop = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        pythonpath = os.pathsep.join([sysconfig.get_paths()["purelib"], str(REPO)])
        system = f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}"
        for python, extra in ((sys.executable, {}), (system, {"PYTHONPATH": pythonpath})):
            probe = subprocess.run([*drop, python, "-c", "import harness, pyperf"],
                                   env={**env, **extra}, capture_output=True, check=False,
                                   timeout=WAIT)  # fmt: skip
            if probe.returncode == 0:
                yield [*drop, python], {**env, **extra}, home
                return
        pytest.skip(f"nobody can run neither {sys.executable} nor {system} with this "
                    "environment's packages")
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_the_main_commands_work_without_root(
    unprivileged: tuple[list[str], dict[str, str], Path],
) -> None:
    """interpreters, run, report and diff as an unprivileged user, with a cache of its own."""
    python, env, home = unprivileged

    def harness(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*python, "-m", "harness", *argv], cwd=home, env=env, text=True,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=WAIT,
                              check=False)  # fmt: skip

    listed = harness("interpreters", "--json")
    assert listed.returncode == 0, listed.stderr
    ready = [e["id"] for e in json.loads(listed.stdout)
             if e["status"] == "ready" and "container" not in e]
    local = next((i for i in ("3.11", "3.12", "3.13", "3.10", "pypy3.9") if i in ready), None)
    if local is None:
        skip_unless_provisioned(f"no local CPython or PyPy that this user can run: {ready}")
    out = home / "R"
    run = harness("run", "--fast", "-i", str(local), "-w", "tiny", "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert {n.split("/")[0] for n in _benchmarks(out / f"{local}.json")} == {"tiny"}
    report = harness("report", str(out))
    assert report.returncode == 0, report.stderr
    assert (out / "report" / "index.html").is_file()
    diff = harness("diff", str(out), str(out), "-o", str(home / "D"))
    assert diff.returncode == 0, diff.stderr
    assert (home / "D" / "diff.html").is_file()


def test_making_a_debian_base_without_root_says_to_run_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """debootstrap needs root (and lives in sbin): one line with the command as root."""
    from harness.errors import Unavailable  # noqa: PLC0415
    from harness.progress import Progress  # noqa: PLC0415
    from harness.provision import images  # noqa: PLC0415

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(images, "is_root", lambda: False)
    monkeypatch.setattr(sys, "argv", ["harness", "provision", "3.14"])
    with pytest.raises(Unavailable) as caught:
        images.debootstrap_tarball("sid", Progress(stamp=False), "sid")
    assert caught.value.message == "making the Debian sid base image (debootstrap) needs root"
    hint = caught.value.hint or ""
    assert hint.startswith("run as root: sudo python -m harness provision 3.14"), hint


# ----------------------------------------------------------------- output folders: exit 2


def test_every_command_refuses_an_unusable_output_folder_with_exit_2(tmp_path: Path) -> None:
    """A read-only mount and a 260-character name, for run, warmup, report and diff."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("a read-only bind mount needs root and unshare (util-linux)")
    results_dir = tmp_path / "results"
    from report_data import write_results  # noqa: PLC0415 (the report tests' data)

    write_results(results_dir, ids=("3.13", "3.13t"))
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    long = tmp_path / ("x" * 260)
    ident = _local_ident()
    commands = {
        "run": ["run", "--fast", "-i", ident, "-w", "tiny", "-o"],
        "warmup": ["warmup", "-i", ident, "-w", "tiny", "-o"],
        "report": ["report", str(results_dir), "-o"],
        "diff": ["diff", str(results_dir), str(results_dir), "-o"],
    }
    script = "\n".join([
        f"mount --bind {shlex.quote(str(frozen))} {shlex.quote(str(frozen))} || exit 9",
        f"mount -o remount,bind,ro {shlex.quote(str(frozen))} || exit 9",
        *(f"{shlex.join(_harness(*argv, str(where / name)))}; echo \"exit $?\""
          for name, argv in commands.items() for where in (frozen, long)),
    ])
    done = subprocess.run([unshare, "-m", "sh", "-c", script], cwd=REPO, env=_env(FAKE),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=WAIT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == ["exit 2"] * 8, (lines, done.stderr)
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 8 and all(e.startswith("error: ") for e in errors), errors
    assert sum("Read-only file system" in e or "read-only file system" in e
               for e in errors) == 4, errors
    assert sum("File name too long" in e for e in errors) == 4, errors
    assert list(frozen.iterdir()) == []


def test_the_readme_lists_at_least_45_faults_numbered_in_order() -> None:
    """README "When something goes wrong": the fault kinds, numbered 1..N without a gap."""
    text = (REPO / "README.md").read_text()
    section = text.split("## When something goes wrong\n", 1)[1].split("\n## ", 1)[0]
    numbers = [int(n) for n in re.findall(r"(?:^|\s)(\d+)\. \*\*", section)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert len(numbers) >= 45


_MANY_THREADS = '''
import threading
import time

PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    return None


def run(point, params):
    threads = [threading.Thread(target=time.sleep, args=(0.2,)) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"calls": 1}
'''


def test_threads_that_cannot_start_under_the_memory_limit_name_it(tmp_path: Path) -> None:
    """64 threads' stacks (8 MB each) do not fit in 200 MB: the line names the limit."""
    folder = tmp_path / "threads"
    folder.mkdir()
    (folder / "many.py").write_text(_MANY_THREADS)
    (folder / "MANIFEST").write_text("many fake\n")
    done = subprocess.run(
        _harness("run", "--fast", "-i", _local_ident(), "-w", "many", "-o", str(tmp_path / "R")),
        cwd=REPO, env={**_env(folder), "HARNESS_WORKER_MEMORY": "200M"},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    line = next(x for x in done.stderr.splitlines() if "many" in x and "failed" in x)
    assert "can't start new thread; the workers' memory limit is 0.2 GiB" in line, line
