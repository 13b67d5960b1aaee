"""Provisioning steps side by side: lanes, failures, interruptions, the announcement.

The steps here are real child processes (short Python scripts) that prove what
ran at the same time by files they wait for, never by timing.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness import kinds, provision, state
from harness.progress import Progress
from harness.provision import plan, schedule
from harness.provision.schedule import Step, run_steps

# A fake step: writes <name>.start, waits for the files named in WAIT (each within
# 30 s, else exits 1 saying which), requires the files in NEED to exist already,
# prints, writes <name>.end, exits with CODE.
FAKE = r"""
import os, sys, time
folder, name, wait, need, code = sys.argv[1:6]
code = int(code)
open(os.path.join(folder, name + ".start"), "w").close()
for other in filter(None, need.split(",")):
    if not os.path.exists(os.path.join(folder, other)):
        print(name + ": ran before " + other); sys.exit(1)
for other in filter(None, wait.split(",")):
    print(name + ": waiting for " + other, flush=True)
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(folder, other)):
        if time.time() > deadline:
            print(name + ": never saw " + other); sys.exit(1)
        time.sleep(0.02)
print(name + ": working")
print(name + ": last words of " + name)
open(os.path.join(folder, name + ".end"), "w").close()
sys.exit(code)
"""


def fake(tmp_path: Path, name: str, lane: str, wait: str = "", need: str = "",
         code: int = 0) -> Step:
    argv = (sys.executable, "-c", FAKE, str(tmp_path), name, wait, need, str(code))
    return Step(name, lane, argv, tmp_path / "logs" / f"{name}.log")


def printer() -> tuple[Progress, io.StringIO]:
    out = io.StringIO()
    return Progress(out, stamp=False), out


def test_lanes_run_side_by_side_and_a_lane_in_order(tmp_path: Path) -> None:
    progress, out = printer()
    steps = [
        # a and b can only finish if they run at the same time (each waits for the other).
        fake(tmp_path, "a", "builds", wait="b.start"),
        fake(tmp_path, "b", "images", wait="a.start"),
        # c shares a's lane: it must start after a has ended.
        fake(tmp_path, "c", "builds", need="a.end"),
    ]
    outcomes = run_steps(steps, progress)
    assert [(o.name, o.status) for o in outcomes] == [("a", "ready"), ("b", "ready"),
                                                      ("c", "ready")]
    lines = out.getvalue().splitlines()
    for name in "abc":  # one line when it starts, one when it ends; the rest in its log
        mine = [x for x in lines if x.startswith(f"{name}: ")]
        assert len(mine) == 2 and "started" in mine[0] and "ready" in mine[1], lines
        assert f"{name}: working" in (tmp_path / "logs" / f"{name}.log").read_text()
    assert not any("working" in x for x in lines)


def test_a_failing_step_does_not_lose_the_others(tmp_path: Path) -> None:
    progress, out = printer()
    steps = [
        fake(tmp_path, "a", "builds", code=1),
        fake(tmp_path, "b", "images", wait="a.end"),  # goes on after a failed
        fake(tmp_path, "c", "builds", need="a.end"),  # a's lane goes on too
        fake(tmp_path, "d", "other", code=schedule.SKIPPED_EXIT),
    ]
    outcomes = {o.name: o for o in run_steps(steps, progress)}
    assert {n: o.status for n, o in outcomes.items()} == {
        "a": "failed", "b": "ready", "c": "ready", "d": "skipped"}
    assert outcomes["a"].message == "a: last words of a"
    failed = [x for x in out.getvalue().splitlines() if x.startswith("a: FAILED")]
    assert len(failed) == 1 and "last words of a" in failed[0]
    assert str(tmp_path / "logs" / "a.log") in failed[0]


def test_the_status_line_names_each_running_step_and_what_it_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule, "STATUS_SECONDS", 0.0)  # a status line at every turn
    progress, out = printer()
    steps = [fake(tmp_path, "a", "x", wait="go"), fake(tmp_path, "b", "y", wait="go")]

    def later() -> None:  # both steps wait for "go": given once a status line names both
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                "a: waiting for go" in x and "b: waiting for go" in x
                for x in out.getvalue().splitlines()):
            time.sleep(0.05)
        (tmp_path / "go").touch()

    helper = threading.Thread(target=later)
    helper.start()
    outcomes = run_steps(steps, progress)
    helper.join()
    assert [o.status for o in outcomes] == ["ready", "ready"]
    status = [x for x in out.getvalue().splitlines() if x.startswith("still running: ")]
    assert any(x.startswith("still running: a (") and "a: waiting for go); b (" in x
               and "b: waiting for go)" in x for x in status), status


def test_a_step_that_cannot_start_is_a_failure(tmp_path: Path) -> None:
    progress, _ = printer()
    missing = Step("x", "x", (str(tmp_path / "no-such-program"),), tmp_path / "x.log")
    ok = fake(tmp_path, "ok", "y")
    outcomes = run_steps([missing, ok], progress)
    assert [o.status for o in outcomes] == ["failed", "ready"]
    assert "cannot start" in outcomes[0].message


# The scheduler in a process of its own, with steps that leave a grandchild
# running in their group; one step cleans up on SIGTERM, one ignores it.
DRIVER = r"""
import sys, pathlib
from harness import procgroup
from harness.errors import Interrupted
from harness.progress import Progress
from harness.provision import schedule
schedule.GRACE_SECONDS = 2.0
folder = pathlib.Path(sys.argv[1])
STEP = '''
import os, signal, subprocess, sys, time
folder, name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
child = subprocess.Popen(["sleep", "300"])
if mode == "clean":
    def bye(signum, frame):
        open(os.path.join(folder, name + ".cleaned"), "w").close()
        sys.exit(143)
    signal.signal(signal.SIGTERM, bye)
elif mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open(os.path.join(folder, name + ".pids"), "w") as f:
    f.write("%d %d" % (os.getpid(), child.pid))
while True:
    time.sleep(0.1)
'''
steps = [schedule.Step(n, n, (sys.executable, "-c", STEP, str(folder), n, n),
                       folder / (n + ".log")) for n in ("clean", "stubborn")]
try:
    with procgroup.raise_on_signals():
        schedule.run_steps(steps, Progress())
except Interrupted as exc:
    sys.exit(128 + exc.signum)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: its parent just has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_an_interruption_ends_every_step_and_its_group(tmp_path: Path) -> None:
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid_files = [tmp_path / "clean.pids", tmp_path / "stubborn.pids"]
    deadline = time.monotonic() + 60
    while not all(p.is_file() and p.read_text() for p in pid_files):
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "the steps never started"
        time.sleep(0.05)
    pids = [int(x) for p in pid_files for x in p.read_text().split()]
    assert all(_alive(pid) for pid in pids)
    driver.send_signal(signal.SIGTERM)
    _, err = driver.communicate(timeout=60)
    assert driver.returncode == 128 + signal.SIGTERM, err
    assert (tmp_path / "clean.cleaned").is_file()  # it was told first, and could clean up
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)], "a step or its grandchild outlived the run"


# ---------------------------------------------------------------- through cmd_provision


def test_provision_runs_its_targets_as_steps_and_records_each(
    isolated_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(kinds, "default_targets", lambda: ("t1", "t2", "t3"))
    lanes = {"t1": "builds", "t2": "images", "t3": "builds"}
    plans = {"t1": dict(wait="t2.start"), "t2": dict(wait="t1.start", code=1),
             "t3": dict(need="t1.end")}
    monkeypatch.setattr(plan, "LANES", lanes)
    monkeypatch.setattr(provision, "step_argv", lambda target, args, explicit: fake(
        tmp_path, target, lanes[target], **plans[target]).argv)  # type: ignore[arg-type]
    namespace = argparse.Namespace(ids=[], source=None, source_314=None)
    assert provision.cmd_provision(namespace) == 1
    err = capsys.readouterr().err
    assert "provision: to do t1 (~60 s), t2 (~60 s), t3 (~60 s); expected about 2 min" in err
    assert "provision: 2 ready, FAILED t2" in err
    assert (isolated_cache / "logs" / "provision-t1.log").is_file()
    assert "t2: FAILED (0 s): t2: last words of t2 (log: " in err


def test_one_step_as_a_child_process(isolated_cache: Path, tmp_path: Path) -> None:
    """``python -m harness.provision TARGET``: the outcome as its exit status and last line."""
    missing = tmp_path / "Python-3.14.0.tar.xz"
    done = subprocess.run(
        [sys.executable, "-m", "harness.provision", "3.14t", "--source-3.14", str(missing)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "HARNESS_CACHE_DIR": str(isolated_cache)})
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "3.14t: FAILED:" in last and "does not exist" in last
    # It remembers why, for discovery's hint (steps side by side take turns at the file).
    assert "does not exist" in state.last_failures(isolated_cache)["3.14t"]


# ---------------------------------------------------------------- the announcement


def test_the_expected_time_is_the_longest_lane() -> None:
    everything = ["sid", "pypy", "jython", "3.13t"]
    builds = plan.ESTIMATES["3.13t"]
    assert plan.expected_seconds(everything) == builds  # the images fit beside the builds
    assert plan.expected_seconds(["sid", "jython"]) == plan.ESTIMATES["sid"] + plan.ESTIMATES[
        "jython"]
    text = plan.announcement(everything, {})
    assert f"expected about {builds / 60:.0f} min" in text and plan.MACHINE in text


def test_what_is_ready_is_not_counted() -> None:
    assert set(plan.ids_of("3.13t")) == {"3.13t", "3.13-twin"}
    # pypy's id is found as pypy3.9: ready; 3.13t without its twin is still to do.
    known = {"3.13t": True, "3.13-twin": False, "pypy3.9": True, "3.14": False}
    assert plan.needed(["3.13t", "pypy", "sid"], known) == ["3.13t", "sid"]
    known["3.13-twin"] = True
    assert plan.needed(["3.13t", "pypy"], known) == []
    assert plan.announcement([], {}) == "provision: everything is ready"
    text = plan.announcement(["sid", "3.14t"], {"3.14t": "python.org unreachable"})
    assert "3.14t (~" not in text and "not counted (not had last time): 3.14t" in text
    text = plan.announcement(["3.14t"], {"3.14t": "python.org unreachable"})
    assert text.startswith("provision: nothing new to do;") and "expected" not in text


def test_the_steps_beside_the_builds_are_niced() -> None:
    namespace = argparse.Namespace(ids=[], source=None, source_314=None)
    build = provision.step_argv("3.13t", namespace, explicit=False)
    image = provision.step_argv("sid", namespace, explicit=True)
    assert build[:3] == (sys.executable, "-m", "harness.provision") and build[3] == "3.13t"
    assert image[:3] == ("nice", "-n", str(plan.BESIDE_NICENESS))
    assert image[3:] == (sys.executable, "-m", "harness.provision", "sid", "--explicit")
    # What runs niced is still the step: it ends as the step ends.
    done = subprocess.run([*image[:3], sys.executable, "-c",
                           "import os; print(os.nice(0))"], capture_output=True, text=True,
                          check=True)
    assert int(done.stdout) >= plan.BESIDE_NICENESS
