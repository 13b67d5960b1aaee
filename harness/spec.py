"""The shared model: what an interpreter entry is, and what every child process may inherit.

Everyone imports this module (discovery, provisioning, the container engine, the
runner, the report); it imports nothing of the harness, so it sits at the
bottom of the import graph and no cycle can pass through it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

# Environment variables a child (worker, probe) may inherit, besides ``LC_*``:
# pyperf's create_environ, minus PYTHONPATH and PYTHON_GIL, which would steer what
# is measured (PYTHON_GIL reaches the "+gil" entry through its own env). JAVA_HOME
# picks Jython's JVM; XDG_RUNTIME_DIR lets a rootless container engine find its state.
ENV_ALLOW = (
    "PATH", "HOME", "TMPDIR", "TEMP", "LANG", "JAVA_HOME", "XDG_RUNTIME_DIR", "USER", "LOGNAME",
)


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
        self, script: Path, args: Sequence[str], workloads: Path | None = None
    ) -> list[str]:
        """The argv that runs ``script`` with ``args`` under this interpreter.

        ``workloads`` (a folder) is passed as ``--workloads DIR`` last. For a
        container, the script's whole folder (the worker imports the probe beside
        it) and the workloads are mounted read-only, and the paths inside are passed.
        """
        if self.container is None:
            cmd = [*self.argv, str(script), *args]
            if workloads is not None:
                cmd += ["--workloads", str(workloads)]
            return cmd
        ref = self.container
        inside = f"{CONTAINER_SCRIPTS}/{script.name}"
        cmd = [ref.engine, "run", "--rm", "--network=none", "-i"]
        # Named, so that a worker killed on timeout can have its container removed
        # too (harness.container.stop_container): the engine's client dies, the container not.
        cmd += ["--name", f"gil-harness-{uuid.uuid4().hex[:12]}"]
        cmd += ["-v", f"{script.resolve().parent}:{CONTAINER_SCRIPTS}:ro"]
        for key, value in self.env:
            cmd += ["-e", f"{key}={value}"]
        if workloads is not None:
            cmd += ["-v", f"{workloads.resolve()}:{CONTAINER_WORKLOADS}:ro"]
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
