"""Synthetic but realistic results folders for the report tests, made with pyperf's API.

The shapes follow harness/results.py (the folder's format owner) and harness/suite.py:
one ``<id>.json`` pyperf suite and one ``<id>.facts.json`` per interpreter (written
through ``results.Facts``), benchmark names ``workload/key``, run metadata as the
runner writes it (``process``, ``workload_kind``, ``platform`` = ``sys.platform``).
Values are drawn from a seeded generator: the same call gives the same files.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyperf

from harness import results

THREADS = (1, 2, 4)

# id -> (implementation, version, family, gil, speedup at 2 threads, single-thread cost,
#        lost fraction without lock, default switch interval)
INTERPRETERS: dict[str, tuple[str, str, str, str, float, float, float, float | None]] = {
    "2.7": ("cpython", "2.7.18", "cpython", "on", 0.6, 1.3, 0.02, None),
    "3.13": ("cpython", "3.13.0", "cpython", "on", 0.92, 1.0, 0.0, 0.005),
    "3.13t": ("cpython", "3.13.5", "free-threaded", "off", 1.9, 1.35, 0.4, 0.005),
    "3.13t+gil": ("cpython", "3.13.5", "free-threaded", "on", 0.98, 1.3, 0.0, 0.005),
    "pypy3.9": ("pypy", "3.9.16", "pypy", "on", 0.95, 0.08, 0.0, 0.005),
    "jython2.7": ("jython", "2.7.3", "jython", "none", 1.85, 1.6, 0.3, None),
}
# A dozen, for the readability tests (newest releases, twins, more PyPys).
MORE: dict[str, tuple[str, str, str, str, float, float, float, float | None]] = {
    "3.11": ("cpython", "3.11.9", "cpython", "on", 0.95, 0.7, 0.0, 0.005),
    "3.12": ("cpython", "3.12.7", "cpython", "on", 0.94, 1.05, 0.0, 0.005),
    "3.14": ("cpython", "3.14.10", "cpython", "on", 0.97, 0.95, 0.0, 0.005),
    "3.15": ("cpython", "3.15.2", "cpython", "on", 0.97, 0.93, 0.0, 0.005),
    "3.14t": ("cpython", "3.14.0", "free-threaded", "off", 1.92, 1.1, 0.4, 0.005),
    "pypy3.11": ("pypy", "3.11.13", "pypy", "on", 0.96, 0.07, 0.0, 0.005),
}
INTERPRETERS.update(MORE)
DEFAULT_IDS = ("2.7", "3.13", "3.13t", "3.13t+gil", "pypy3.9", "jython2.7")
KINDS = {"countdown": "strong", "counter_race": "strong", "counter_lock": "strong",
         "switch_latency": "latency", "thread_start": "overhead", "io_wait": "weak"}


def _run(rng: random.Random, mean: float, meta: dict[str, Any], nvalues: int = 3,
         noise: float = 0.05) -> pyperf.Run:
    values = [mean * rng.uniform(1.0 - noise, 1.0 + noise) for _ in range(nvalues)]
    warmups = [(int(meta.get("loops", 1)), mean * 1.2)]
    return pyperf.Run(values, warmups=warmups, metadata=meta, collect_metadata=False)


def write_interpreter(
    folder: Path,
    ident: str,
    *,
    processes: int = 5,
    seed: int = 1,
    workloads: tuple[str, ...] = ("countdown", "counter_race", "counter_lock", "switch_latency"),
    suite: bool = True,
    noise: float = 0.05,
    hostname: str = "bench-vm",
    cpu_model: str = "Intel(R) Xeon(R) CPU @ 2.20GHz",
    new_facts: bool = False,
    speed: float | None = None,
) -> None:
    """Write ``<ident>.json`` (unless ``suite`` is False) and ``<ident>.facts.json``.

    ``noise``: each value is the mean times a uniform factor in [1 - noise, 1 + noise].
    ``new_facts``: also the facts newer runners record (sampling, noise, environment,
    work) and the ``thread_start`` point. ``speed`` overrides the 2-thread speedup.
    """
    impl, version, family, gil, sp2, cost, lost_frac, interval = INTERPRETERS[ident]
    sp2 = sp2 if speed is None else speed
    rng = random.Random(f"{ident}:{seed}")
    if new_facts and "thread_start" not in workloads:
        workloads = (*workloads, "thread_start")
    common = {
        "interpreter": ident,
        "python_implementation": impl,
        "python_version": version,
        "gil": gil,
        "cpu_count": 2,
        "platform": "linux",  # the worker writes sys.platform
        "hostname": hostname,
        "date": "2026-11-25 15:30:00",
    }
    if interval is not None:
        common["switch_interval"] = interval
    outcomes: list[results.Outcome] = []
    benchmarks = []
    for workload in workloads:
        keys: list[tuple[str, dict[str, Any], float, dict[str, int] | None]] = []
        if workload == "countdown":
            for t in THREADS:
                speed = 1.0 if t == 1 else (sp2 if t == 2 else min(sp2, 2.0) * 0.97)
                keys.append((f"threads={t}", {"threads": t}, 0.05 * cost / speed, None))
        elif workload in ("counter_race", "counter_lock"):
            for t in (*THREADS, 100):
                k = 200000 // t if t != 100 else 1
                expected = t * k
                frac = lost_frac if (workload == "counter_race" and t > 1 and t != 100) else 0.0
                lost = int(expected * frac * rng.uniform(0.5, 1.0))
                keys.append((f"threads={t},increments={k}", {"threads": t, "increments": k},
                             0.01 * cost * (3 if workload == "counter_lock" else 1),
                             {"lost_updates": lost, "expected_updates": expected}))
        elif workload == "switch_latency":
            base = {"on": 0.005, "off": 0.00008, "none": 0.0001}[gil]
            keys.append(("interval=default", {}, base, None))
            if impl == "jython" or version.startswith("2."):
                outcomes.append(results.Outcome(
                    "switch_latency/interval=0.001", "unsupported",
                    "Jython has no GIL and no sys.setswitchinterval"))
            else:
                keys.append(("interval=0.001", {"interval": 0.001},
                             0.001 if gil == "on" else base, None))
        elif workload == "io_wait":
            for t in THREADS:  # fixed work per thread: the time stays the same
                keys.append((f"threads={t}", {"threads": t}, 0.05, None))
        elif workload == "thread_start":
            keys.append(("start_join", {}, 0.0001 if impl != "jython" else 0.0004, None))
        for key, params, mean, extra in keys:
            name = f"{workload}/{key}"
            runs = []
            for process in range(processes):
                meta = dict(common, name=name, workload=workload, loops=4, process=process,
                            workload_kind=KINDS[workload], **params)
                if extra is not None:
                    meta.update({k: (v if k == "expected_updates" else
                                     int(v * rng.uniform(0.8, 1.2)))
                                 for k, v in extra.items()})
                    meta["expected_updates"] = extra["expected_updates"] * 3
                runs.append(_run(rng, mean, meta, noise=noise))
            benchmarks.append(pyperf.Benchmark(runs))
            outcomes.append(results.Outcome(name, "ok"))
    if suite and benchmarks:
        pyperf.BenchmarkSuite(benchmarks).dump(str(folder / f"{ident}.json"), replace=True)
    facts = results.Facts(
        interpreter={
            "id": ident, "implementation": impl, "version": version, "gil": gil,
            "source": "container" if impl == "jython" else "pyenv", "family": family,
            "argv": [], "env": {"PYTHON_GIL": "1"} if ident.endswith("+gil") else {},
            "status": "ready", "hint": "", "default": True,
            **({"container": {"engine": "podman", "image": "localhost/harness-jython:2.7"}}
               if impl == "jython" else {}),
        },
        probe={
            "version": 1, "implementation": impl, "python_version": version,
            "executable": f"/opt/{ident}/bin/python",
            "gil_disabled_build": family == "free-threaded" if impl == "cpython" else None,
            "gil_enabled": {"on": True, "off": False, "none": None}[gil],
            "switch_interval": interval,
            "check_interval": 100 if version.startswith("2.") else None,
            "cpu_count": 2,
            "getrefcount": "not available" if impl == "jython" else 3,
            "dis_increment": "not available" if impl == "jython" else
            ["LOAD_GLOBAL 0 (n)", "LOAD_CONST 1 (1)", "BINARY_OP 13 (+=)", "STORE_GLOBAL 0 (n)"],
            "multiprocessing": "no module named _multiprocessing" if impl == "jython" else True,
            "threads": "java threads" if impl == "jython" else "pthreads",
            "platform": "Linux-6.1.0-amd64-x86_64-with-glibc2.36",
            **({"build_optimizations": "none"} if impl == "cpython" else {}),
            **({"java_version": "17.0.13"} if impl == "jython" else {}),
        },
        outcomes=outcomes,
        run={
            "profile": "default",
            "started": "2026-11-25T15:30:00+00:00",
            "finished": "2026-11-25T15:42:10+00:00",
            "command": "python -m harness run -o results",
            "git_commit": "57c77ce",
            "cpu_model": cpu_model,
            "hostname": hostname,
        },
    )
    if new_facts:
        _add_new_facts(facts, benchmarks, processes)
    if not suite:
        facts.outcomes = [results.Outcome("countdown", "failed",
                                          "worker exited with status 1: ImportError")]
    facts.save(results.facts_path(folder, ident))


def _add_new_facts(facts: results.Facts, benchmarks: list[pyperf.Benchmark],
                   processes: int) -> None:
    """The optional facts of newer runners (sampling, noise, environment, work)."""
    names = [b.get_name() for b in benchmarks]
    facts.sampling = {
        "target": {"ratio_half_width": 0.05, "mean_rel_half_width": 0.02},
        "budget_s": 75.0, "spent_s": 61.5,
        "points": {n: {"processes": processes, "met": n != "countdown/threads=4",
                       "half_width": 0.03} for n in names},
    }
    facts.noise = {"reference": "countdown 1 M on the host Python", "samples_ms": [40.1, 40.9],
                   "rsd": 0.031, "bursts": 1, "flagged_processes": 2}
    facts.environment = {"affinity": [0, 1], "governor": None, "loadavg_before": [0.1, 0.2, 0.3],
                         "loadavg_after": [1.9, 1.2, 0.6], "busy_at_start": False,
                         "point_order": "random", "seed": 12345}
    facts.work = {"countdown": {"scale": 16.0, "params": {"total": 128000000}}}


def write_results(folder: Path, ids: tuple[str, ...] = DEFAULT_IDS, **kw: Any) -> Path:
    """A full results folder with every interpreter of ``ids``."""
    folder.mkdir(parents=True, exist_ok=True)
    for ident in ids:
        write_interpreter(folder, ident, **kw)
    return folder
