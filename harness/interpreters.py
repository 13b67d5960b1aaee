"""The interpreters the harness knows: what each is, where it is, and whether it is ready.

(Skeleton: the ``Interpreter`` spec is the contract shared by the runner, the
container support and the report; discovery is filled in by the interpreters issue.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

READY = "ready"
MISSING = "missing"

# Where a container sees the worker/probe scripts and the workloads folder.
CONTAINER_SCRIPTS = "/harness"
CONTAINER_WORKLOADS = "/workloads"


@dataclass(frozen=True)
class ContainerRef:
    """A container image that runs an interpreter: the engine binary, the image, its command."""

    engine: str  # path or name of "podman" / "docker"
    image: str  # e.g. "localhost/harness-jython:2.7"
    interpreter: tuple[str, ...] = ("jython",)  # the command inside the image
    engine_env: tuple[tuple[str, str], ...] = ()  # e.g. (("CONTAINERS_CONF", "/.../containers.conf"),)


@dataclass(frozen=True)
class Interpreter:
    """One interpreter the harness can run (or would run, once provisioned)."""

    id: str
    implementation: str
    version: str
    gil: str  # expected at run time: "on" | "off" | "none" | "unknown"
    source: str  # "PATH" | "pyenv" | "built" | "apt" | "container" | "user"
    family: str  # "cpython" | "free-threaded" | "pypy" | "jython"
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

        ``workloads`` (a folder) is passed as ``--workloads DIR`` last; for a
        container it is mounted read-only and the path inside is passed instead.
        """
        if self.container is None:
            cmd = [*self.argv, str(script), *args]
            if workloads is not None:
                cmd += ["--workloads", str(workloads)]
            return cmd
        ref = self.container
        inside = f"{CONTAINER_SCRIPTS}/{script.name}"
        cmd = [ref.engine, "run", "--rm", "--network=none", "-i"]
        cmd += ["-v", f"{script.resolve()}:{inside}:ro"]
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
        }
        if self.container is not None:
            data["container"] = {
                "engine": os.path.basename(self.container.engine),
                "image": self.container.image,
            }
        return data
