"""The shared model: what an interpreter entry is, and what every child process may inherit.

Everyone imports this module (discovery, provisioning, the container engine, the
runner, the report); it imports only ``harness.errors``, so it sits at the
bottom of the import graph and no cycle can pass through it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import affinity
from harness.errors import UsageError

READY = "ready"
MISSING = "missing"

# Where an entry was found (``Interpreter.source``).
SOURCE_PATH = "PATH"
SOURCE_PYENV = "pyenv"
SOURCE_BUILT = "built"
SOURCE_APT = "apt"
SOURCE_UV = "uv"
SOURCE_CONTAINER = "container"
SOURCE_USER = "user"

# The GIL at run time: on, off, none (no GIL at all: Jython), unknown.
GIL_VALUES = ("on", "off", "none", "unknown")

# Where a container sees the harness's scripts folder (worker.py, probe.py) and the workloads.
CONTAINER_SCRIPTS = "/harness"
CONTAINER_WORKLOADS = "/workloads"
# Who a container's process runs as when the harness runs as root: nobody:nogroup
# of Debian-based images (a numeric uid needs no passwd entry). The mounted
# folders must then be readable by others (harness.container.check_mounts).
CONTAINER_NOBODY = (65534, 65534)
# The engine's ``nproc`` ulimit from the harness's containers.conf: a pids limit
# above it is useless unless the ulimit is raised with it.
CONTAINER_NPROC = 4096


def container_name() -> str:
    """A fresh name for one container run: ``gil-harness-<12 hex digits>``."""
    return f"gil-harness-{uuid.uuid4().hex[:12]}"


def container_pids_limit() -> int:
    """Processes and threads a container may hold: 2 x 64 x CPUs (the harness's thread bound,
    twice, for a JVM's own threads and a workload's child processes) plus 512, at least 4096."""
    return max(CONTAINER_NPROC, 128 * (os.cpu_count() or 1) + 512)


def container_user() -> tuple[int, int]:
    """The uid and gid a container runs as: the harness's own, or nobody's when that is root.

    As the invoking user the container reads exactly what that user can (its
    checkout, a private folder of workloads); root is never passed on.
    """
    uid = os.geteuid()
    return CONTAINER_NOBODY if uid == 0 else (uid, os.getegid())


# A worker's memory limit: a size ("8G", "512M", "75%" of the machine's memory) or
# "none"; by default half of the machine's memory (generous: a runaway workload stops
# with one line instead of swapping the machine to a halt).
MEMORY_ENV = "HARNESS_WORKER_MEMORY"
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def machine_memory() -> int | None:
    """The machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def worker_memory() -> tuple[int | None, str]:
    """(the workers' memory limit in bytes or None, what set it); ``UsageError`` when invalid."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    total = machine_memory()
    if not raw:
        return (total // 2 if total else None), "half of the machine's memory (the default)"
    said = f"{MEMORY_ENV}={raw}"
    if raw.lower() in ("none", "0", "off"):
        return None, said
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?|(\d+(?:\.\d+)?)\s*%", raw, re.I)
    if match and match.group(3) and total:
        return int(total * float(match.group(3)) / 100), said
    if match and match.group(1):
        return int(float(match.group(1)) * _UNITS[match.group(2).upper()]), said
    raise UsageError(f"{said}: not a size (8G, 512M), a share of memory (75%) or none",
                     f"fix or unset {MEMORY_ENV}")


def memory_facts() -> dict[str, object]:
    """A run's facts ``run.worker_memory``: the limit in bytes (null: none) and what set it."""
    limit, said = worker_memory()
    return {"limit_bytes": limit, "set_by": said}


def memory_text(limit: int | None) -> str:
    """A limit in words: "11.5 GiB" or "no limit"."""
    return "no limit" if limit is None else f"{limit / (1 << 30):.1f} GiB"


def _memory_flags(engine: str) -> list[str]:
    limit = worker_memory()[0]
    if limit is None:
        return []
    # Rootless podman on cgroups v1 cannot limit memory (it says so and ignores the flag).
    rootless_v1 = os.geteuid() != 0 and not os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    if rootless_v1 and "docker" not in os.path.basename(engine):
        return []
    return [f"--memory={limit}b", f"--memory-swap={limit}b"]


def container_run_flags(engine: str = "podman", cpus: affinity.Cpus = ()) -> list[str]:
    """Every container run's confinement, in one place (workers, the probe, looks inside images).

    No network; a read-only root with a writable /tmp (the JVM's hsperfdata and
    jffi's native library, Python's tempfile); no capabilities, no privilege
    gain through setuid files; a non-root user; a pids limit (threads count);
    the workers' memory limit (:func:`worker_memory`).
    ``engine`` (a name or path): rootless podman maps the user with keep-id.
    ``cpus``: the CPU ids a pinned worker may use (``run --cpus``, ``--cpuset-cpus``).
    """
    pids = container_pids_limit()
    uid, gid = container_user()
    flags = [
        # A missing image is an error at once, never a pull of localhost/... from the network.
        "--pull=never",
        "--network=none",
        "--read-only",
        "--tmpfs=/tmp:rw,nosuid,nodev,size=512m,mode=1777",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        f"--user={uid}:{gid}",
        "--env=HOME=/tmp",
        f"--pids-limit={pids}",
    ]
    if os.geteuid() != 0 and "docker" not in os.path.basename(engine):
        # Rootless podman: without keep-id the uid would map to a subordinate id that
        # cannot read the invoking user's files.
        flags.append("--userns=keep-id")
    if pids > CONTAINER_NPROC:
        flags.append(f"--ulimit=nproc={pids}:{pids}")
    return flags + _memory_flags(engine) + affinity.container_flags(cpus)

# Environment variables a child (worker, probe) may inherit, besides ``LC_*``:
# pyperf's create_environ, minus PYTHONPATH and PYTHON_GIL, which would steer what
# is measured (PYTHON_GIL reaches the "+gil" entry through its own env). JAVA_HOME
# picks Jython's JVM; XDG_RUNTIME_DIR lets a rootless container engine find its state.
ENV_ALLOW = (
    "PATH", "HOME", "TMPDIR", "TEMP", "LANG", "JAVA_HOME", "XDG_RUNTIME_DIR", "USER", "LOGNAME",
)


# An interpreter id is a name, never a path: it becomes file names in a results folder.
ID_PATTERN = re.compile(r"[A-Za-z0-9_+][A-Za-z0-9._+-]*")


def check_id(ident: str) -> str:
    """``ident`` when it is a valid interpreter id; else :class:`UsageError` saying why.

    Letters, digits, ``.``, ``+``, ``-``, ``_``, not starting with ``.`` or ``-``:
    an id names files (``<id>.json``) and must never reach outside their folder.
    """
    if not isinstance(ident, str) or not ID_PATTERN.fullmatch(ident):
        raise UsageError(
            f"invalid interpreter id {ident!r}: an id names result files, so it may hold "
            "only letters, digits, '.', '+', '-', '_' and may not start with '.' or '-'",
            "valid ids: `python -m harness interpreters --ids`",
        )
    return ident


def base_environ(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment every child starts from (never the caller's whole one)."""
    source = os.environ if source is None else source
    env = {k: v for k, v in source.items() if k in ENV_ALLOW or k.startswith("LC_")}
    # Keep the checkout free of .pyc/$py.class files, and every process equal.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def gil_state(facts: Mapping[str, Any], expected: str) -> str:
    """The GIL state at run time: what the interpreter saw (``gil_enabled``), else ``expected``.

    ``facts`` are the probe's or the worker's (the same function computes both):
    ``gil_enabled`` true/false, or null where the interpreter has no GIL at all
    (Jython). An entry that expects "none" stays "none".
    """
    if expected == "none":
        return "none"
    enabled = facts.get("gil_enabled")
    if enabled is True:
        return "on"
    if enabled is False:
        return "off"
    if facts.get("implementation") == "jython":
        return "none"
    return expected or "unknown"


def bind_mount(source: Path, target: str) -> list[str]:
    """``--mount`` of ``source`` read-only at ``target``, for any folder name a user has.

    ``-v SRC:DST:ro`` cannot hold a colon in SRC; ``--mount`` takes CSV fields,
    so a field with a comma or a quote is quoted as CSV is (podman and docker
    parse it so). A name with a line break is refused (``UsageError``).
    """
    text = str(source)
    if any(ord(c) < 32 for c in text):
        raise UsageError(f"cannot mount {text!r} into a container: its name holds a control "
                         "character (a line break)", "rename the folder or copy it elsewhere")
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(
        ["type=bind", f"source={text}", f"target={target}", "ro"])
    return ["--mount", line.getvalue()]


@dataclass(frozen=True)
class ContainerRef:
    """A container image that runs an interpreter: the engine binary, the image, its command."""

    engine: str  # path or name of "podman" / "docker"
    image: str  # e.g. "localhost/harness-jython:2.7"
    interpreter: tuple[str, ...] = ("jython",)  # the command inside the image
    # e.g. (("CONTAINERS_CONF", "/.../containers.conf"),)
    engine_env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Interpreter:
    """One interpreter the harness can run (or would run, once provisioned)."""

    id: str
    implementation: str
    version: str
    gil: str  # expected at run time: "on" | "off" | "none" | "unknown"
    source: str  # "PATH" | "pyenv" | "built" | "apt" | "uv" | "container" | "user"
    family: str  # "cpython" | "free-threaded" | "pypy" | "jython" | a user's word
    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    status: str = READY
    hint: str = ""
    container: ContainerRef | None = None
    default: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        """True when the interpreter can run a script now."""
        return self.status == READY

    def command(
        self, script: Path, args: Sequence[str], workloads: Path | None = None,
        cpus: affinity.Cpus = (),
    ) -> list[str]:
        """The argv that runs ``script`` with ``args`` under this interpreter.

        ``workloads`` (a folder) is passed as ``--workloads DIR`` last. For a
        container, the script's whole folder (the worker imports the probe beside
        it) and the workloads are mounted read-only, and the paths inside are passed.
        ``cpus`` pins the process (``harness.affinity``): ``taskset`` before a local
        command, ``--cpuset-cpus`` for a container.
        """
        if self.container is None:
            cmd = [*affinity.local_prefix(cpus), *self.argv, str(script), *args]
            if workloads is not None:
                cmd += ["--workloads", str(workloads)]
            return cmd
        ref = self.container
        inside = f"{CONTAINER_SCRIPTS}/{script.name}"
        cmd = [ref.engine, "run", "--rm", "-i", *container_run_flags(ref.engine, cpus)]
        # Named, so that a worker killed on timeout or by a signal can have its container
        # removed too (harness.procgroup): the engine's client dies, the container not.
        cmd += ["--name", container_name()]
        cmd += bind_mount(script.resolve().parent, CONTAINER_SCRIPTS)
        for key, value in self.env:
            cmd += ["-e", f"{key}={value}"]
        if workloads is not None:
            cmd += bind_mount(workloads.resolve(), CONTAINER_WORKLOADS)
        cmd += [ref.image, *ref.interpreter, inside, *args]
        if workloads is not None:
            cmd += ["--workloads", CONTAINER_WORKLOADS]
        return cmd

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """The child process's environment: ``base`` (an allow-list) plus what this entry needs."""
        env = dict(base)
        if self.container is None:
            env.update(self.env)
        else:
            env.update(self.container.engine_env)
        return env

    def to_json(self) -> dict[str, object]:
        """A JSON-ready description (for ``interpreters --json`` and the facts files)."""
        data: dict[str, object] = {
            "id": self.id,
            "implementation": self.implementation,
            "version": self.version,
            "gil": self.gil,
            "source": self.source,
            "family": self.family,
            "argv": list(self.argv),
            "env": dict(self.env),
            "status": self.status,
            "hint": self.hint,
            "default": self.default,
            "notes": list(self.notes),
        }
        if self.container is not None:
            data["container"] = {
                "engine": os.path.basename(self.container.engine),
                "image": self.container.image,
            }
        return data
