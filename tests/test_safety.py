"""Issue 13, the results folder: ids are names, writes stay inside it, a rerun never destroys
what it did not replace, one run per folder at a time, output checked first, files 0644.

Real ``python -m harness run`` processes on the running Python (a user entry through
``HARNESS_CONFIG``) and the fake workloads (``HARNESS_WORKLOADS``); signals are real.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyperf
import pytest

from harness import lock, results, runner, schedule
from harness.errors import UsageError
from harness.fileutil import atomic_write_text
from harness.spec import Interpreter, check_id
from harness.workloads import resolve_workloads

REPO = Path(__file__).resolve().parents[1]  # the checkout: commands run from it

FAKE_WORKLOADS = Path(__file__).resolve().parent / "fake_workloads"
HOST = Interpreter(id="host", implementation="cpython", version="", gil="on", source="PATH",
                   family="cpython", argv=(sys.executable,))


def _env(tmp_path: Path, config: str | None = None) -> dict[str, str]:
    """A user entry ``testhost`` for the running Python, the fake workloads, a fresh cache."""
    conf = tmp_path / "interpreters.toml"
    conf.write_text(config or f'[interpreters.testhost]\npath = "{sys.executable}"\n')
    workloads = tmp_path / "workloads"
    if not workloads.exists():
        shutil.copytree(FAKE_WORKLOADS, workloads)
    return {**os.environ, "HARNESS_CONFIG": str(conf), "HARNESS_CACHE_DIR": str(tmp_path / "c"),
            "HARNESS_WORKLOADS": str(workloads)}


def _harness(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, check=False, timeout=600)


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# Calibrates, then hangs in its first measuring process (the worker's argv says which).
HANG_MEASURING = '''\
"""Calibrates like any workload, then hangs in a measuring process."""
import sys
import time
PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def run(point, params):
    while "--calibrate" not in sys.argv:
        time.sleep(3600)
'''


def _hang_after_tiny(workloads: Path, ident: str) -> int:
    """Add ``hang_measuring`` to ``workloads``; a seed whose round 1 runs ``tiny`` first."""
    (workloads / "hang_measuring.py").write_text(HANG_MEASURING)
    with (workloads / "MANIFEST").open("a") as manifest:
        manifest.write("hang_measuring fake\n")
    keys = [f"{ident}:tiny", f"{ident}:hang_measuring"]
    return next(s for s in range(100) if schedule.round_order(s, 1, keys)[0] == keys[0])


def _wait_for_hang(folder: Path, proc: subprocess.Popen[str]) -> None:
    """Until a worker runs the hanging workload of ``folder`` (its pid in /proc);
    ``hang_measuring``: its measuring process (``--loops``), not its calibration."""
    for _ in range(1200):
        assert proc.poll() is None, proc.communicate()
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, UnicodeDecodeError):
                continue
            if "--workload hang" in cmdline and str(folder) in cmdline and (
                    "hang_measuring" not in cmdline or "--loops" in cmdline):
                time.sleep(0.5)  # let it get going
                return
        time.sleep(0.1)
    raise AssertionError("the hanging workload never started")


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


# ---------------------------------------------------------------- ids are names


@pytest.mark.parametrize("ident", ["3.13t", "3.13t+gil", "pypy3.9", "my_build-2", "X"])
def test_valid_ids_pass(ident: str) -> None:
    assert check_id(ident) == ident


@pytest.mark.parametrize("ident", ["../victim", "a/b", "/abs", ".hidden", "-i", "", "..",
                                   "a b", "a\nb", "a\\b", "é"])
def test_ids_that_are_not_names_are_usage_errors(ident: str) -> None:
    with pytest.raises(UsageError) as info:
        check_id(ident)
    assert "\n" not in str(info.value).replace(repr(ident), "")


def test_inside_refuses_what_leaves_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "results"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    assert results.inside(root, "3.13.json") == root.resolve() / "3.13.json"
    assert results.inside(root, "interrupted/3.13.json") == (
        root.resolve() / "interrupted" / "3.13.json")
    for bad in ("../victim.json", "/etc/passwd", "a/../../x", "link/x.json", ".", ""):
        with pytest.raises(UsageError):
            results.inside(root, bad)


@pytest.mark.slow
@pytest.mark.parametrize("with_i", [True, False], ids=["-i", "config-only"])
def test_traversal_id_writes_nothing_outside(tmp_path: Path, with_i: bool) -> None:
    """The issue's case: ``[interpreters."../victim"]`` and ``-i ../victim``."""
    base = tmp_path / "t"
    (base / "results").mkdir(parents=True)
    victim = base / "victim.json"
    victim.write_text("data\n")
    env = _env(tmp_path, '[interpreters."../victim"]\ncommand = ["python3"]\n')
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args = ["-w", "tiny", "--fast", "-o", str(base / "results")]
    done = _harness(env, "run", *(["-i", "../victim"] if with_i else []), *args)
    assert done.returncode == 2, done.stderr
    line = _one_line(done.stderr)
    assert "'../victim'" in line and "invalid interpreter id" in line
    assert victim.read_text() == "data\n"
    assert list((base / "results").iterdir()) == []
    created = [p for p in tmp_path.rglob("*") if p.relative_to(tmp_path) not in before]
    assert all(p.is_relative_to(tmp_path / "c") for p in created), created  # the cache only


# ---------------------------------------------------------------- staging and interruption


def test_list_ids_ignores_staging_and_lock(tmp_path: Path) -> None:
    for name in ("3.13.json", "3.13.facts.json", ".3.13.partial.json",
                 ".3.13.partial.facts.json", ".harness-run.lock", ".x.facts.json.abc.tmp"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "interrupted").mkdir()
    (tmp_path / "interrupted" / "pypy3.9.facts.json").write_text("{}")
    assert results.list_ids(tmp_path) == ["3.13"]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_rerun_keeps_the_previous_suite(tmp_path: Path, signum: int) -> None:
    """A complete run, then a rerun cut by Ctrl-C (or SIGTERM) in round 1, once ``tiny``
    has its process and ``hang_measuring`` hangs in its own."""
    env = _env(tmp_path)
    out = tmp_path / "out"
    first = _harness(env, "run", "-i", "testhost", "-w", "tiny", "--threads", "1", "--fast",
                     "-o", str(out))
    assert first.returncode == 0, first.stderr
    suite = results.suite_path(out, "testhost")
    old_suite, old_facts = suite.read_bytes(), results.facts_path(out, "testhost").read_bytes()

    seed = _hang_after_tiny(tmp_path / "workloads", "testhost")
    proc = _start(env, "run", "-i", "testhost", "-w", "tiny", "-w", "hang_measuring",
                  "--threads", "1", "--fast", "--timeout", "300", "-o", str(out),
                  "--seed", str(seed))
    _wait_for_hang(tmp_path / "workloads", proc)
    assert suite.read_bytes() == old_suite  # nothing replaced while running
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, stderr
    assert "interrupted" in stderr.strip().splitlines()[-1]
    assert "earlier results kept" in stderr

    assert suite.read_bytes() == old_suite
    assert results.facts_path(out, "testhost").read_bytes() == old_facts
    for command in ("check", "show"):
        shown = subprocess.run([sys.executable, "-m", "pyperf", command, str(suite)],
                               capture_output=True, text=True, check=False)
        assert shown.returncode == 0, shown.stderr
    partial = results.Facts.load(results.interrupted_facts_path(out, "testhost"))
    assert partial.run["interrupted"]["signal"] == signal.Signals(signum).name
    assert partial.run["interrupted"]["at"] and partial.run["finished"] is None
    statuses = {o.benchmark: o.status for o in partial.outcomes}
    assert statuses["hang_measuring"] == "interrupted" and statuses["tiny/threads=1"] == "ok"
    names = results.load_suite(results.interrupted_suite_path(out, "testhost"))
    assert names.get_benchmark_names() == ["tiny/threads=1"]
    assert sorted(p.name for p in out.iterdir()) == [
        "interrupted", "testhost.facts.json", "testhost.json"]  # no staging file, no lock

    # The next complete run replaces the pair and the stale partial one.
    again = _harness(env, "run", "-i", "testhost", "-w", "tiny", "--threads", "1", "--fast",
                     "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert suite.read_bytes() != old_suite
    assert sorted(p.name for p in out.iterdir()) == ["testhost.facts.json", "testhost.json"]


@pytest.mark.slow
def test_interrupted_first_run_becomes_the_pair(tmp_path: Path) -> None:
    """Nothing earlier to keep: the partial pair is the folder's, and says it was cut."""
    fakes = tmp_path / "fakes"
    shutil.copytree(FAKE_WORKLOADS, fakes)
    seed = _hang_after_tiny(fakes, "host")
    out = tmp_path / "out"
    script = (
        "import sys\nfrom pathlib import Path\nfrom harness import runner\n"
        "from harness.workloads import resolve_workloads\n"
        "from harness.spec import Interpreter\n"
        f"HOST = Interpreter(id='host', implementation='cpython', version='', gil='on',"
        f" source='PATH', family='cpython', argv=({sys.executable!r},))\n"
        f"fakes = Path({str(fakes)!r})\n"
        "try:\n"
        "    runner.run([HOST], resolve_workloads(['tiny', 'hang_measuring'], fakes),"
        f" Path({str(out)!r}), threads=[1], profile='fast', timeout=300, workloads_dir=fakes,"
        f" seed={seed})\n"
        "except KeyboardInterrupt:\n    sys.exit(130)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_hang(fakes, proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    facts = results.Facts.load(results.facts_path(out, "host"))
    assert facts.run["interrupted"]["signal"] == "SIGINT"
    assert [o.status for o in facts.outcomes] == ["ok", "interrupted"]
    assert pyperf.BenchmarkSuite.load(str(results.suite_path(out, "host")))
    assert not (out / "interrupted").exists()


# ---------------------------------------------------------------- one run per folder


@pytest.mark.slow
def test_second_run_into_a_locked_folder_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    out = tmp_path / "out"
    holder = _start(env, "run", "-i", "testhost", "-w", "hang", "--threads", "1", "--fast",
                    "--timeout", "300", "-o", str(out))
    try:
        _wait_for_hang(tmp_path / "workloads", holder)
        second = _harness(env, "run", "-i", "testhost", "-w", "tiny", "--fast", "-o", str(out))
        assert second.returncode == 2, second.stderr
        line = _one_line(second.stderr)
        assert f"pid {holder.pid}" in line and "in use by another run" in line
        assert "-o DIR" in line
    finally:
        holder.send_signal(signal.SIGINT)
        holder.communicate(timeout=120)
    assert holder.returncode == 130
    assert not (out / lock.LOCK_NAME).exists()


@pytest.mark.slow
def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = ("import sys, time\nfrom pathlib import Path\nfrom harness import lock\n"
              f"with lock.hold(Path({str(out)!r})):\n"
              "    print('held', flush=True)\n    time.sleep(600)\n")
    dead = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, text=True,
                            stdout=subprocess.PIPE)
    assert dead.stdout is not None and dead.stdout.readline() == "held\n"
    with pytest.raises(UsageError, match=f"pid {dead.pid}"), lock.hold(out):
        pass
    dead.kill()  # SIGKILL: no cleanup, the file stays
    dead.communicate()
    assert (out / lock.LOCK_NAME).exists()
    said: list[str] = []
    with lock.hold(out, said.append) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert len(said) == 1 and f"pid {dead.pid}" in said[0] and "no longer running" in said[0]
    assert not (out / lock.LOCK_NAME).exists()


def test_runs_starting_together_get_one_lock(tmp_path: Path) -> None:
    """Six processes ask at once: one holds the folder, five are refused in one line."""
    out = tmp_path / "out"
    script = ("import sys\nfrom pathlib import Path\nfrom harness import lock\n"
              "from harness.errors import UsageError\n"
              "try:\n"
              f"    with lock.hold(Path({str(out)!r})):\n"
              "        print('held', flush=True)\n        sys.stdin.read()\n"
              "except UsageError as exc:\n    print(exc)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(6)]
    first_lines = {}
    for proc in procs:
        assert proc.stdout is not None
        first_lines[proc.pid] = proc.stdout.readline()  # a holder says so before it waits
    holders = [p for p in procs if first_lines[p.pid] == "held\n"]
    assert len(holders) == 1, first_lines
    for proc in procs:
        proc.communicate("")
    refused = [line for pid, line in first_lines.items() if pid != holders[0].pid]
    assert all(f"pid {holders[0].pid}" in line or "just starting" in line for line in refused)
    assert not (out / lock.LOCK_NAME).exists()


# ---------------------------------------------------------------- output checked first


def _immutable(folder: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.slow
def test_unusable_output_is_one_line_and_nothing_runs(tmp_path: Path) -> None:
    env = _env(tmp_path)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    cases = {
        str(a_file): "is not a folder",
        str(a_file / "sub"): "is not a folder",
        "/proc/self/results": "cannot write",  # root may not write there either
        "/proc/results": "cannot write",  # access() says yes to root; creating fails
    }
    if _immutable(frozen):  # read-only even for root (chattr +i)
        cases[str(frozen)] = "cannot write"
    try:
        for output, expected in cases.items():
            done = _harness(env, "run", "-i", "testhost", "-w", "tiny", "--fast", "-o", output)
            assert done.returncode == 2, (output, done.stderr)
            line = _one_line(done.stderr)
            assert expected in line and "-o DIR" in line, line
            assert done.stdout == ""
    finally:
        subprocess.run(["chattr", "-i", str(frozen)], capture_output=True, check=False)
    assert a_file.read_text() == "x" and list(frozen.iterdir()) == []


# ---------------------------------------------------------------- modes and records


def test_result_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        os.umask(0o027)
        atomic_write_text(tmp_path / "b.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o640


def test_missing_record_never_replaces_measured_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness import interpreters

    absent = [Interpreter(id=i, implementation="cpython", version="", gil="off", source="built",
                          family="free-threaded", status="missing", hint="provision it")
              for i in ("3.14t", "3.15t", "3.16t")]
    measured = results.Facts(interpreter={"id": "3.14t"}, probe={"implementation": "cpython"},
                             outcomes=[results.Outcome("x", "ok")])
    measured.save(results.facts_path(tmp_path, "3.14t"))
    record = results.Facts(interpreter={"id": "3.15t"},
                           outcomes=[results.Outcome("*", "missing", "old")])
    record.save(results.facts_path(tmp_path, "3.15t"))
    before = results.facts_path(tmp_path, "3.14t").read_bytes()
    monkeypatch.setattr(interpreters, "discover", lambda *a, **k: absent)
    recorded = runner.record_unavailable(tmp_path, "fast")
    assert [(i.id, written) for i, written in recorded] == [
        ("3.14t", False), ("3.15t", True), ("3.16t", True)]
    assert results.facts_path(tmp_path, "3.14t").read_bytes() == before
    assert "provision it" in results.facts_path(tmp_path, "3.15t").read_text()


def test_not_ready_explicit_interpreter_keeps_earlier_results(tmp_path: Path) -> None:
    workloads = resolve_workloads(["tiny"], FAKE_WORKLOADS)
    summary = runner.run([HOST], workloads, tmp_path, threads=[1], profile="fast",
                         workloads_dir=FAKE_WORKLOADS)
    assert summary.ok
    pair = [results.suite_path(tmp_path, "host").read_bytes(),
            results.facts_path(tmp_path, "host").read_bytes()]
    gone = Interpreter(**{**HOST.__dict__, "status": "missing", "hint": "install it"})
    summary = runner.run([gone], workloads, tmp_path, threads=[1], profile="fast",
                         workloads_dir=FAKE_WORKLOADS)
    assert not summary.ok
    assert [results.suite_path(tmp_path, "host").read_bytes(),
            results.facts_path(tmp_path, "host").read_bytes()] == pair


def test_symlinks_in_the_folder_never_lead_writes_outside(tmp_path: Path) -> None:
    """A pair or an interrupted/ folder that are symlinks elsewhere: replaced, never followed."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    for name in ("x.json", "x.facts.json"):
        (elsewhere / name).write_text("keep\n")
        (out / name).symlink_to(elsewhere / name)
    (out / results.INTERRUPTED_DIR).symlink_to(elsewhere)
    writer = results.PairWriter(out, "x")
    writer.save(None, results.Facts(probe={}))
    assert writer.commit() == (None, out.resolve() / "x.facts.json")
    assert [(elsewhere / n).read_text() for n in ("x.json", "x.facts.json")] == ["keep\n"] * 2
    assert not (out / "x.json").exists() and not (out / "x.facts.json").is_symlink()
    writer = results.PairWriter(out, "x")
    writer.save(None, results.Facts(probe={}))
    with pytest.raises(UsageError, match="outside the results folder"):
        writer.keep_interrupted()  # a measured pair is there: interrupted/ would be used
    assert [(elsewhere / n).read_text() for n in ("x.json", "x.facts.json")] == ["keep\n"] * 2


@pytest.mark.slow
def test_a_checkout_with_a_path_id_stops_every_command_in_one_line(tmp_path: Path) -> None:
    """A ``pyproject.toml`` in the current folder (someone else's checkout) with ``../x``."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.gil-harness.interpreters."../x"]\ncommand = ["python3"]\n')
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_CONFIG"}
    env["HARNESS_CACHE_DIR"] = str(tmp_path / "c")
    for args in (["interpreters"], ["run", "-w", "countdown", "--fast", "-o", "out"]):
        done = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                              text=True, cwd=tmp_path, env=env, check=False, timeout=600)
        assert done.returncode == 2, done.stderr
        line = _one_line(done.stderr)
        assert "pyproject.toml" in line and "'../x'" in line and "rename the entry" in line
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "x.facts.json").exists()
