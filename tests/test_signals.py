"""SIGTERM and SIGHUP end a run as Ctrl-C does, and leave no process and no container behind.

``python -m harness run`` is started for real with a workload that sleeps
forever, under a local interpreter and under the Jython container; once its
worker runs, the signal is sent. The run must exit 128 + the signal with its
one line, and ``/proc`` and the engine's ``ps -a`` must show nothing of it.
The two windows where a child could leak (a signal while ``Popen`` starts it, a
second signal while the first one's cleanup removes the container) are tested
too, as is an interrupted image build.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ready_by_id, skip_unless_provisioned

from harness import container, procgroup, sid
from harness.errors import Interrupted
from harness.spec import Interpreter

REPO = Path(__file__).resolve().parents[1]  # the checkout: commands run from it

HANG = Path(__file__).parent / "fake_workloads" / "hang.py"  # sleeps forever
SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGHUP, id="SIGHUP")]
WAIT = 300.0  # seconds: a bound on waiting for a start or an exit, never an assertion


@pytest.fixture
def hang_folder(tmp_path: Path) -> Path:
    """A workloads folder holding only ``hang`` (readable by a container's non-root user)."""
    folder = tmp_path / "hang-workloads"
    folder.mkdir()
    (folder / "MANIFEST").write_text("hang fake\n")
    shutil.copyfile(HANG, folder / "hang.py")
    for path in (folder, folder / "MANIFEST", folder / "hang.py"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def _wait_for(what: str, found: Callable[[], object]) -> object:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"never saw {what}")


def _processes() -> Iterator[tuple[int, int, str]]:
    """(pid, session id, command line) of every process in /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":  # a zombie holds nothing
            continue
        yield int(entry.name), int(fields[3]), cmdline


def _mentioning(text: str) -> list[tuple[int, int, str]]:
    return [p for p in _processes() if text in p[2] and p[0] != os.getpid()]


def _start_run(ident: str, folder: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HARNESS_WORKLOADS": str(folder)}
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--fast", "-i", ident, "-w", "hang",
         "-o", str(out), "--timeout", "3000"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def _end(run: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, stderr = run.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
        pytest.fail("the run did not end after the signal")
    return run.returncode, stderr


def _assert_interrupted(returncode: int, stderr: str, signum: int) -> None:
    name = signal.Signals(signum).name
    assert returncode == 128 + signum, stderr
    assert "Traceback" not in stderr, stderr
    # The last line (the runner may leave its workload's progress line open before it).
    last = stderr.strip().splitlines()[-1]
    assert last.endswith(f"...interrupted ({name}): completed suites are kept") or (
        last == f"interrupted ({name}): completed suites are kept"), stderr


def _local_entry() -> Interpreter:
    for ident in ("3.12", "3.11", "3.13", "2.7"):
        interp = ready_by_id(ident)
        if interp is not None and interp.container is None:
            return interp
    skip_unless_provisioned("no local CPython 2.7 or 3.11+ ready")
    raise AssertionError


def _container_entry(ident: str) -> Interpreter:
    interp = ready_by_id(ident)
    if interp is None or interp.container is None:
        skip_unless_provisioned(f"{ident} in its container is not ready here")
    assert interp is not None
    return interp


def _engine_ps(interp: Interpreter, name: str) -> list[str]:
    """The engine's containers (running or not) with the given name prefix."""
    assert interp.container is not None
    done = subprocess.run(
        [interp.container.engine, "ps", "-a", "--format", "{{.Names}}"], capture_output=True,
        text=True, env=interp.environ(dict(os.environ)), check=True,
    )  # fmt: skip
    return [n for n in done.stdout.split() if n.startswith(name)]


# --------------------------------------------------------------------------- local worker


@pytest.mark.slow
@pytest.mark.parametrize("signum", [*SIGNALS, pytest.param(signal.SIGINT, id="SIGINT")])
def test_a_signal_ends_a_local_run_and_its_worker(
    hang_folder: Path, tmp_path: Path, signum: int
) -> None:
    interp = _local_entry()
    run = _start_run(interp.id, hang_folder, tmp_path / "results")
    try:
        worker = _wait_for("the worker", lambda: [
            p for p in _mentioning(str(hang_folder)) if "worker.py" in p[2]])  # fmt: skip
        assert isinstance(worker, list)
        pid, session, _ = worker[0]
        assert session == pid  # the worker leads its own session: its group is killed whole
        run.send_signal(signum)
        returncode, stderr = _end(run)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    _assert_interrupted(returncode, stderr, signum)
    assert [p for p in _processes() if p[1] == session] == []
    assert _mentioning(str(hang_folder)) == []


# --------------------------------------------------------------------------- container worker


def _container_worker(folder: Path) -> str:
    """The running container's name, from its engine client's command line."""
    mount = f"source={folder},target=/workloads"
    client = _wait_for("the engine client of the worker", lambda: [
        p for p in _mentioning(mount) if "worker.py" in p[2]])  # fmt: skip
    assert isinstance(client, list)
    words = client[0][2].split()
    return words[words.index("--name") + 1]


@pytest.mark.slow
@pytest.mark.container
@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_ends_a_container_run_and_removes_its_container(
    hang_folder: Path, tmp_path: Path, signum: int
) -> None:
    interp = _container_entry("jython2.7")
    run = _start_run(interp.id, hang_folder, tmp_path / "results")
    try:
        name = _container_worker(hang_folder)
        _wait_for("the container running", lambda: _engine_ps(interp, name))
        run.send_signal(signum)
        returncode, stderr = _end(run)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    _assert_interrupted(returncode, stderr, signum)
    assert _engine_ps(interp, name) == []
    assert _mentioning(name) == []  # no engine client, conmon or JVM of it
    assert _mentioning(str(hang_folder)) == []


@pytest.mark.slow
@pytest.mark.container
def test_a_second_signal_during_the_cleanup_still_removes_the_container(
    hang_folder: Path, tmp_path: Path
) -> None:
    """SIGTERM, then SIGTERM again while ``engine rm -f`` runs: the removal is not cut short."""
    interp = _container_entry("3.14" if ready_by_id("3.14") else "jython2.7")
    run = _start_run(interp.id, hang_folder, tmp_path / "results")
    try:
        name = _container_worker(hang_folder)
        _wait_for("the container running", lambda: _engine_ps(interp, name))
        run.send_signal(signal.SIGTERM)
        # The removal is a child of the harness: the second signal lands while it runs.
        _wait_for("the container's removal", lambda: [
            p for p in _mentioning(name) if " rm " in p[2]] or run.poll() is not None)  # fmt: skip
        run.send_signal(signal.SIGTERM)
        returncode, stderr = _end(run)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    _assert_interrupted(returncode, stderr, signal.SIGTERM)
    assert _engine_ps(interp, name) == []
    assert _mentioning(name) == []


# --------------------------------------------------------------------------- the windows


def test_held_signals_wait_for_the_end_of_the_block() -> None:
    with procgroup.raise_on_signals():
        with pytest.raises(Interrupted) as err, procgroup.held():
            os.kill(os.getpid(), signal.SIGHUP)
            reached = True  # the signal did not cut the block short
        assert reached
        assert (err.value.signum, err.value.signame) == (signal.SIGHUP, "SIGHUP")
        with procgroup.held(reraise=False):
            os.kill(os.getpid(), signal.SIGTERM)  # dropped: a cleanup re-raising anyway
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_a_signal_while_the_child_starts_kills_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signal lands after the child exists, before ``Popen`` returns it: no orphan."""
    real = subprocess.Popen
    started: list[subprocess.Popen[str]] = []

    def popen_then_signal(*args: object, **kwargs: object) -> subprocess.Popen[str]:
        proc = real(*args, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        os.kill(os.getpid(), signal.SIGTERM)
        return proc

    monkeypatch.setattr(subprocess, "Popen", popen_then_signal)
    marker = f"sleep {os.getpid() % 1000 + 700000}"
    with procgroup.raise_on_signals(), pytest.raises(Interrupted, match="SIGTERM"):
        procgroup.run(["sh", "-c", f"{marker}; true"], timeout=600)
    monkeypatch.undo()
    assert started and started[0].returncode is not None
    assert _mentioning(marker) == []


def test_nohup_keeps_sighup_ignored() -> None:
    """A run started under ``nohup`` (SIGHUP ignored) is not ended by SIGHUP."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with procgroup.raise_on_signals():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


# --------------------------------------------------------------------------- image builds

BUILD_SCRIPT = """
import sys
from pathlib import Path
from harness import procgroup
from harness.container import find_engine
from harness.progress import Progress
from harness.provision.images import engine_build
with procgroup.raise_on_signals():
    try:
        engine_build(find_engine(), Progress(), "test", "localhost/harness-signal-test:x",
                     Path(sys.argv[1]), {}, "signal-test-build.log")
    except KeyboardInterrupt as exc:
        print("interrupted", exc.signame, file=sys.stderr)
        sys.exit(128 + exc.signum)
"""


@pytest.mark.slow
@pytest.mark.container
def test_an_interrupted_image_build_leaves_no_step_running(tmp_path: Path) -> None:
    """podman build killed alone leaves its RUN step and working container: not so here."""
    interp = _container_entry("3.14")
    if "docker" in os.path.basename(interp.container.engine if interp.container else ""):
        pytest.skip("docker's builder runs in its daemon: killing the client cancels it")
    marker = f"sleep {os.getpid() % 1000 + 800000}"
    (tmp_path / "Containerfile").write_text(f"FROM {sid.IMAGE}\nRUN {marker}\n")
    env = {**os.environ, "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    build = subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, str(tmp_path / "Containerfile")], cwd=REPO,
        env=env, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for("the RUN step", lambda: _mentioning(marker))
        build.send_signal(signal.SIGTERM)
        returncode, stderr = _end(build)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
    assert returncode == 143, stderr
    assert _mentioning(marker) == []
    engine = container.find_engine()
    working = engine.run(["ps", "-a", "--external", "--format", "{{.Names}}"]).stdout.split()
    assert not [n for n in working if n.startswith("harness-sid-working-container")]
    if shutil.which("runc"):
        listed = subprocess.run(["runc", "list", "-q"], capture_output=True, text=True).stdout
        assert "buildah-" not in listed
