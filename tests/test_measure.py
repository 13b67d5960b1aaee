"""harness.measure: work sized per interpreter, and re-runs of processes measured in a burst.

Real worker, real interpreter (the running Python), tiny workloads written
here; the noise monitor's reference is the one seam replaced (a scripted list
of times), so that a burst happens when the test says. No timing assertions.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pyperf
import pytest

from harness import environment, machine, measure, profiles
from harness import job as job_mod
from harness.spec import Interpreter
from harness.workloads import resolve_workloads

FAKES = Path(__file__).resolve().parent / "fake_workloads"
HOST = Interpreter(
    id="host", implementation="cpython", version="", gil="on", source="PATH",
    family="cpython", argv=(sys.executable,),
)

SIZED = '''\
"""A short CPU-bound loop whose total the runner may scale."""
KIND = "strong"
PARAMS = {"total": 1000}
SIZED_BY = "total"


def points(thread_counts, params):
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def run(point, params):
    n = params["total"]
    while n > 0:
        n -= 1
    return {"counted": params["total"]}
'''

PROFILE = profiles.Profile(
    processes=2, values=2, warmups=0, jit_warmups=0, min_time=0.001, timeout=60,
    min_call=0.002, noise_reruns=2,
)


def _workloads(tmp_path: Path, group: str, source: str = SIZED) -> Path:
    folder = tmp_path / "workloads"
    folder.mkdir()
    (folder / "MANIFEST").write_text(f"sized {group}\n")
    (folder / "sized.py").write_text(source)
    return folder


def _job(folder: Path, profile: profiles.Profile,
         noise: environment.NoiseMonitor | None = None, user: bool = False) -> measure.WorkloadJob:
    if user:  # a user's folder, no MANIFEST: ``run --workloads DIR``
        [workload] = resolve_workloads([], FAKES, user_dirs=[folder])
    else:
        [workload] = resolve_workloads(["sized"], folder)
    references = machine.Machine(noise) if noise is not None else None
    setup = measure.JobSetup(workloads_dir=folder, machine=references, seed=5)
    return measure.WorkloadJob(HOST, workload, [1, 2], profile, setup)


def test_work_scale_is_an_integer_factor() -> None:
    assert measure.work_scale(0.003, 0.05) == 17
    assert measure.work_scale(0.2, 0.05) == 1
    assert measure.work_scale(0.01, 0.0) == 1  # --fast: no sizing
    assert measure.work_scale(1e-9, 0.05) == measure.MAX_WORK_SCALE


@pytest.mark.slow
def test_a_short_cpu_bound_call_is_scaled_and_recorded(tmp_path: Path) -> None:
    job = _job(_workloads(tmp_path, "cpu"), PROFILE)
    job.prepare()
    assert job.state is job_mod.JobState.MEASURING and job.work.scale > 1
    scale = job.work.scale
    assert job.work_facts() == {"scale": float(scale), "params": {"total": 1000 * scale}}
    job.add_process()
    result = job.finish()
    run = result.runs["sized/threads=1"][0]
    assert run.get_metadata()["work_scale"] == float(job.work.scale)
    assert run.get_metadata()["counted"] == 2 * 1000 * job.work.scale  # two values, summed


@pytest.mark.slow
def test_only_a_workload_declaring_sized_by_is_scaled(tmp_path: Path) -> None:
    """``SIZED_BY`` is the declaration, whatever the group (cpu here)."""
    unsized = SIZED.replace('SIZED_BY = "total"', "SIZED_BY = None")
    job = _job(_workloads(tmp_path, "cpu", unsized), PROFILE)
    job.prepare()
    assert job.state is job_mod.JobState.MEASURING and job.work.scale == 1 and job.work.params == {}


@pytest.mark.slow
def test_a_user_workload_declaring_sized_by_is_sized_per_interpreter(tmp_path: Path) -> None:
    """A user's workload (no MANIFEST, no group) is sized like countdown, by the parameter
    it names: here ``spins``, on the ``processes`` axis its SCALES declares."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "spinner.py").write_text(
        SIZED.replace('"total"', '"spins"').replace("threads", "processes")
        .replace('SIZED_BY = "spins"', 'SIZED_BY = "spins"\nSCALES = "processes"'))
    job = _job(folder, PROFILE, user=True)
    assert (job.workload.sized_by, job.workload.scales, job.workload.user) == (
        "spins", "processes", True)
    job.prepare()
    assert job.state is job_mod.JobState.MEASURING and job.work.scale > 1
    assert job.work.params == {"spins": 1000 * job.work.scale}
    job.add_process()
    run = job.finish().runs["spinner/processes=1"][0]
    assert run.get_metadata()["work_scale"] == float(job.work.scale)


@pytest.mark.slow
def test_a_process_in_a_burst_is_measured_again(tmp_path: Path) -> None:
    # Five quiet references, then a burst after process 1, then quiet again.
    times = iter([0.02] * 5 + [0.05, 0.02, 0.02, 0.02])
    noise = environment.NoiseMonitor(measure=lambda: next(times))
    for _ in range(5):
        noise.sample()
    job = _job(_workloads(tmp_path, "cpu"), dataclasses.replace(PROFILE, min_call=0.0), noise)
    job.prepare()
    job.add_process()
    job.add_process()
    result = job.finish()
    assert job.runs.flagged == 1 and job.runs.reruns == 1
    assert len(job.runs.seconds) == 3  # three processes ran, two were kept
    runs = result.runs["sized/threads=2"]
    assert [r.get_metadata()["process"] for r in runs] == [1, 2]
    assert [r.get_metadata()["seed"] for r in runs] == [6, 7]  # base seed 5 + index
    assert isinstance(pyperf.Benchmark(runs), pyperf.Benchmark)
    # The process set aside is kept, marked with why, never among the runs used.
    [discarded] = job.runs.discarded["sized/threads=2"]
    assert discarded.get_metadata()["harness_discarded"].startswith("noise burst")
    assert discarded.get_metadata()["process"] == 1
    assert discarded.get_metadata()["harness_started"] < runs[0].get_metadata()["harness_started"]
    assert not any("harness_burst" in r.get_metadata() for r in runs)


@pytest.mark.slow
def test_a_burst_with_no_rerun_left_is_kept_flagged(tmp_path: Path) -> None:
    times = iter([0.02] * 5 + [0.05, 0.05])
    noise = environment.NoiseMonitor(measure=lambda: next(times))
    for _ in range(5):
        noise.sample()
    profile = dataclasses.replace(PROFILE, min_call=0.0, noise_reruns=0)
    job = _job(_workloads(tmp_path, "cpu"), profile, noise)
    job.prepare()
    job.add_process(round_index=4)
    job.add_process(round_index=5)
    runs = job.finish().runs["sized/threads=1"]
    assert [r.get_metadata().get("harness_burst") for r in runs] == [True, True]
    assert [r.get_metadata()["harness_round"] for r in runs] == [4, 5]
    assert job.runs.discarded == {} and job.runs.flagged == 2
