"""harness.calibrations: a plan chosen before on this machine is recalled while the fresh
choice lies near it, so that two runs measure the same loops and work scale.

Real worker, real interpreter (the running Python), the workload of
``test_measure.py``; the memory's file is the one thing a test edits, to plant
a remembered plan near the fresh one or far from it. No timing assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_measure import PROFILE, _job, _workloads

from harness import calibrations, measure
from harness.results import Facts

REPO = Path(__file__).resolve().parents[1]
MACHINE = "test machine|2|x86_64"


def _memory(tmp_path: Path, recall: bool = True) -> calibrations.Memory:
    return calibrations.Memory(tmp_path / "cache" / calibrations.FILE_NAME, MACHINE, recall)


def _calibrated(folder: Path, memory: calibrations.Memory | None) -> measure.WorkloadJob:
    job = _job(folder, PROFILE)
    job.setup.memory = memory
    job.prepare()
    assert job.plan is not None, job.outcomes
    return job


def _plant(memory: calibrations.Memory, loops: dict[str, int], scale: int) -> None:
    """Replace the one remembered entry's loops and scale."""
    data = json.loads(memory.path.read_text())
    [entry] = data["calibrations"].values()
    entry.update(loops=loops, scale=scale)
    memory.path.write_text(json.dumps(data))


def _not_a_power_of_two_near(n: int) -> int:
    """A loop count calibration never picks (it picks powers of two), within 2x of ``n``."""
    return n + 1 if n % 2 == 0 else n + 2


def test_keep_holds_a_remembered_choice_within_its_factors() -> None:
    fewer, more = calibrations.LOOPS_FEWER, calibrations.LOOPS_MORE
    assert calibrations.keep(64, 256, fewer, more) == 256  # Jython's thread start, 2026-12-07
    assert calibrations.keep(256, 64, fewer, more) == 64
    assert calibrations.keep(8, 1, fewer, more) == 1  # PyPy's counter_lock: 1 loop, then 8
    assert calibrations.keep(32, 256, fewer, more) == 32  # 8x fewer: the fresh choice wins
    assert calibrations.keep(32, 1, fewer, more) == 32  # 32x more: the fresh choice wins
    assert calibrations.keep(12, 8, 2) == 8 and calibrations.keep(17, 8, 2) == 17  # scale
    assert calibrations.keep(4, 8, 2) == 8 and calibrations.keep(3, 8, 2) == 3
    assert calibrations.keep(12, None, 4) == 12
    assert calibrations.keep(12, 0, 4) == 12


@pytest.mark.slow
def test_a_second_calibration_keeps_the_remembered_plan(tmp_path: Path) -> None:
    folder = _workloads(tmp_path, "cpu")
    memory = _memory(tmp_path)
    first = _calibrated(folder, memory)
    assert first.plan is not None and first.calibration["plan"] == "fresh"
    assert first.work.scale > 1  # the workload's call is short: sized up, as in test_measure
    near = {k: _not_a_power_of_two_near(n) for k, n in first.plan.loops.items()}
    _plant(memory, near, first.work.scale + 1)

    second = _calibrated(folder, memory)
    assert second.plan is not None
    assert dict(second.plan.loops) == near
    assert second.work.scale == first.work.scale + 1
    assert second.work.params["total"] == 1000 * (first.work.scale + 1)
    assert second.calibration["plan"] == "recalled"
    assert second.work_facts()["calibration"]["plan"] == "recalled"

    fresh = _calibrated(folder, None)  # no memory: calibration's own powers of two
    assert fresh.plan is not None and dict(fresh.plan.loops) != near
    assert "calibration" not in fresh.work_facts()


@pytest.mark.slow
def test_a_plan_far_from_the_fresh_choice_is_replaced(tmp_path: Path) -> None:
    folder = _workloads(tmp_path, "cpu")
    memory = _memory(tmp_path)
    first = _calibrated(folder, memory)
    assert first.plan is not None
    far = {k: n * 1024 for k, n in first.plan.loops.items()}
    _plant(memory, far, first.work.scale)

    second = _calibrated(folder, memory)
    assert second.plan is not None
    assert all(second.plan.loops[k] < far[k] // 4 for k in far)
    assert second.calibration["plan"] == "changed"
    [entry] = json.loads(memory.path.read_text())["calibrations"].values()
    assert entry["loops"] == dict(second.plan.loops)


@pytest.mark.slow
def test_recalibrate_chooses_afresh_and_remembers(tmp_path: Path) -> None:
    folder = _workloads(tmp_path, "cpu")
    first = _calibrated(folder, _memory(tmp_path))
    assert first.plan is not None
    near = {k: _not_a_power_of_two_near(n) for k, n in first.plan.loops.items()}
    _plant(_memory(tmp_path), near, first.work.scale)

    again = _calibrated(folder, _memory(tmp_path, recall=False))
    assert again.plan is not None and dict(again.plan.loops) != near
    assert again.calibration["plan"] == "fresh"
    [entry] = json.loads(_memory(tmp_path).path.read_text())["calibrations"].values()
    assert entry["loops"] == dict(again.plan.loops)


@pytest.mark.slow
def test_another_workload_file_is_another_key(tmp_path: Path) -> None:
    folder = _workloads(tmp_path, "cpu")
    memory = _memory(tmp_path)
    _calibrated(folder, memory)
    source = folder / "sized.py"
    source.write_text(source.read_text() + "\n# edited\n")
    edited = _calibrated(folder, memory)
    assert edited.calibration["plan"] == "fresh"
    assert len(json.loads(memory.path.read_text())["calibrations"]) == 2


@pytest.mark.slow
def test_a_memory_that_cannot_be_read_or_written_means_fresh_plans(tmp_path: Path) -> None:
    folder = _workloads(tmp_path, "cpu")
    garbled = _memory(tmp_path)
    garbled.path.parent.mkdir(parents=True)
    garbled.path.write_text("{not json")
    job = _calibrated(folder, garbled)
    assert job.calibration["plan"] == "fresh"
    assert json.loads(garbled.path.read_text())["version"] == calibrations.FORMAT_VERSION

    blocker = tmp_path / "a file"
    blocker.write_text("")
    unwritable = calibrations.Memory(blocker / calibrations.FILE_NAME, MACHINE)
    job = _calibrated(folder, unwritable)
    assert job.plan is not None and job.calibration == {"plan": "fresh", "recorded": ""}


PUBLISHED = REPO / "reports" / "2026-12-07-debian12-2cpu-x86_64-back-to-back-4"


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason=f"{PUBLISHED.name} is not in this checkout")
def test_plans_are_read_from_a_published_run() -> None:
    """Run 4 of 2026-12-07: Jython's thread start with 256 loops, PyPy's countdown sized up."""
    plans = calibrations.from_results(PUBLISHED)
    thread_start = plans[("jython2.7", "thread_start")]
    assert dict(thread_start.loops) == {"start_join": 256}
    assert thread_start.source == str(PUBLISHED) and thread_start.recorded == ""
    countdown = plans[("pypy3.11", "countdown")]
    assert countdown.scale > 1 and set(countdown.loops) == {"threads=1", "threads=2", "threads=4"}
    assert plans[("3.13", "countdown")].scale == 1


def test_a_folder_without_suites_is_one_line_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--plans-from", str(tmp_path), "-o",
         str(tmp_path / "out")],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=120,
        env={"HARNESS_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert f"--plans-from {tmp_path}: no pyperf suite" in line


@pytest.mark.slow
def test_a_folders_plan_comes_before_the_cache_and_is_remembered(tmp_path: Path) -> None:
    folder = _workloads(tmp_path, "cpu")
    first = _calibrated(folder, _memory(tmp_path))
    assert first.plan is not None
    near = {k: _not_a_power_of_two_near(n) for k, n in first.plan.loops.items()}
    seeds = {("host", "sized"): calibrations.Plan(near, first.work.scale, "", "reports/x")}
    seeded = calibrations.Memory(_memory(tmp_path).path, MACHINE, seeds=seeds)
    job = _calibrated(folder, seeded)
    assert job.plan is not None and dict(job.plan.loops) == near
    assert job.calibration == {"plan": "recalled", "recorded": "", "from": "reports/x"}
    again = _calibrated(folder, _memory(tmp_path))  # the cache has it now
    assert again.plan is not None and dict(again.plan.loops) == near


def _run(tmp_path: Path, out: Path, *extra: str) -> Facts:
    config = tmp_path / "interpreters.toml"
    config.write_text(f'[interpreters.testhost]\npath = "{sys.executable}"\n')
    env = {"HARNESS_CONFIG": str(config), "HARNESS_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "-i", "testhost", "-w", "countdown",
         "--threads", "1,2", "--fast", "-o", str(out), *extra],
        capture_output=True, text=True, cwd=REPO, env=env, check=False, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return Facts.load(out / "testhost.facts.json")


@pytest.mark.slow
def test_run_recalls_the_plan_of_the_run_before_and_says_so(tmp_path: Path) -> None:
    first = _run(tmp_path, tmp_path / "one")
    assert first.work["countdown"]["calibration"]["plan"] == "fresh"
    assert (tmp_path / "cache" / calibrations.FILE_NAME).is_file()
    second = _run(tmp_path, tmp_path / "two")
    recalled = second.work["countdown"]["calibration"]
    assert recalled == {"plan": "recalled",
                        "recorded": first.work["countdown"]["calibration"]["recorded"]}
    third = _run(tmp_path, tmp_path / "three", "--recalibrate")
    assert third.work["countdown"]["calibration"]["plan"] == "fresh"
