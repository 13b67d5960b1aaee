"""What a workload is for in the report: its role, declared by the workload as data.

A workload file declares ``ROLE = "<role>"`` (one of ``ROLES``); the worker's
suite carries it in the run metadata (``workload_role``), so the report finds,
for example, the headline's CPU-bound workload or the lost-update counter by its
role, never by its name, and a user's workload can take a role. Suites written
before roles existed carry no ``workload_role``: ``LEGACY`` gives the role the
built-in workloads had then (the only place their names appear for the report).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The role the report's first words and the sampler's stricter floor rest on.
HEADLINE = "headline"
# role -> what the report does with a workload of that role
ROLES: dict[str, str] = {
    "headline": "CPU-bound Python over T threads: the headline ratio, threads as a way",
    "processes": "the same CPU-bound work over T processes: a way around the GIL",
    "interpreters": "the same CPU-bound work over T sub-interpreters: a way around the GIL",
    "c_code": "C code that releases the GIL, over T threads",
    "race": "an unsynchronized counter: lost updates",
    "race_method": "an unsynchronized counter whose __add__ is Python code: lost updates",
    "lock": "the same counter under a lock: the cost of the lock",
    "waiting": "threads that wait (I/O, sleep): they overlap",
    "convoy": "an I/O thread beside CPU-bound threads: the convoy effect",
    "latency": "how late a sleeping thread wakes while another spins",
    "start_cost": "the fixed cost of starting and joining a thread",
    "": "no role: shown in the tables of its kind only",
}

# The built-in workloads' roles, for suites written before the run metadata held them.
LEGACY: dict[str, str] = {
    "countdown": "headline",
    "countdown_processes": "processes",
    "subinterpreters": "interpreters",
    "c_release": "c_code",
    "counter_race": "race",
    "counter_race_method": "race_method",
    "counter_lock": "lock",
    "io_wait": "waiting",
    "io_convoy": "convoy",
    "switch_latency": "latency",
    "thread_start": "start_cost",
}


def role_of(workload: str, metadata: Mapping[str, Any] | None = None) -> str:
    """The role recorded in the run metadata, else the built-in one of old suites, else ""."""
    recorded = (metadata or {}).get("workload_role")
    if isinstance(recorded, str) and recorded in ROLES:
        return recorded
    return LEGACY.get(workload, "")
