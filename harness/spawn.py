"""One worker process: start it in its own session, enforce its timeout, read its document.

Every worker gets an allow-listed environment (``harness.spec.base_environ``),
its own session (so a hang is killed with its whole process group: threads'
subprocesses, a JVM, a container engine client), and a timeout.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import affinity, container, paths, procgroup
from harness import suite as suite_mod
from harness.errors import WorkerError
from harness.spec import MEMORY_ENV, Interpreter, base_environ, memory_text, worker_memory

_STDERR_TAIL_LINES = 10
# What podman and docker say (``--pull=never``) when the image is not there.
_NO_IMAGE = ("image not known", "no such image", "unable to find image")


class WorkerTimeout(WorkerError):
    """A worker process ran past its timeout and was killed with its process group."""


def tail(text: str, lines: int = _STDERR_TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text`` (a worker's stderr), without trailing space."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def last_error(text: str, limit: int = 200) -> str:
    """The last non-blank line of ``text``: a traceback's exception, the engine's reason."""
    for line in reversed(text.splitlines()):
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def _out_of_memory(status: int, why: str, boxed: bool) -> str:
    """``why``, and the workers' memory limit when the worker ran out of memory or was killed."""
    limit, said = worker_memory()
    if limit is None:
        return why
    # Thread stacks count too (8 MB each by default): a thread that cannot start says so.
    ran_out = any(words in why for words in ("MemoryError", "can't start new thread"))
    # An engine's OOM kill: the container's process ends with SIGKILL (the client exits 137).
    killed = status == (137 if boxed else -9)
    if not (ran_out or killed):
        return why
    return ((why + "; " if why else "killed (SIGKILL); ")
            + f"the workers' memory limit is {memory_text(limit)} ({said}): "
            f"raise it with {MEMORY_ENV}=SIZE (8G, 75%, none)")


def _no_image(stderr: str) -> bool:
    lowered = stderr.lower()
    return any(words in lowered for words in _NO_IMAGE)


def escaped_note(escaped: Sequence[str]) -> str:
    """What an outcome and the progress line say of processes a workload left running."""
    if not escaped:
        return ""
    n = len(escaped)
    return (f"{n} process{'es' if n != 1 else ''} left running by its workers, killed "
            f"({escaped[0]}{', ...' if n > 1 else ''}): a workload must wait for its children")


def _run(
    argv: list[str], timeout: float, env: dict[str, str], name: str | None, tag: str | None,
    escaped: list[str] | None,
) -> subprocess.CompletedProcess[str]:
    # A container gets its limit from the engine (spec.container_run_flags).
    memory = worker_memory()[0] if name is None else None
    try:
        return procgroup.run(argv, timeout=timeout, env=env, name=name, memory=memory)
    finally:
        if tag is not None:
            left = procgroup.kill_escaped(tag)
            if escaped is not None:
                escaped.extend(left)


def run_worker(
    interp: Interpreter,
    workload: str,
    args: Sequence[str],
    *,
    timeout: float,
    workloads_dir: Path,
    worker: Path = paths.WORKER_SCRIPT,
    env: Mapping[str, str] | None = None,
    cpus: affinity.Cpus = (),
    escaped: list[str] | None = None,
) -> dict[str, Any]:
    """Run one worker process; return its checked document or raise ``WorkerError``.

    ``cpus`` pins it to those CPU ids (``harness.affinity``; ``()``: all of them).

    The process gets its own session (``harness.procgroup``): on timeout, Ctrl-C,
    SIGTERM or SIGHUP the whole group is killed and a container removed by its
    name, so no thread, child process, JVM or container outlives it. A local
    worker's descendants that left its session (``setsid``) are found by the
    tag in their environment once it ends, killed, and added to ``escaped``.
    """
    argv = interp.command(
        worker, ["--workload", workload, *args, *affinity.worker_args(cpus)], workloads_dir, cpus
    )
    child_env = interp.environ(base_environ() if env is None else env)
    where = f"{workload!r} under {interp.id!r}"
    # A killed engine client leaves its container running: it is removed by its name too.
    name, tag = None, None
    if interp.container is not None:
        container.check_mounts([worker.parent, workloads_dir])
        name = procgroup.container_name(argv)
    else:  # inside a container, the container's end ends every process in it
        tag = child_env[procgroup.TAG] = procgroup.new_tag()
    try:
        done = _run(argv, timeout, child_env, name, tag, escaped)
    except subprocess.TimeoutExpired as exc:
        raise WorkerTimeout(
            f"{where} timed out after {timeout:g} s and was killed",
            tail(str(exc.stderr or "")) or "no output on stderr",
        ) from None
    except OSError as exc:
        raise WorkerError(f"cannot start {where}: {exc}", f"command: {shlex.join(argv)}") from None
    if done.returncode != 0 and interp.container is not None and _no_image(done.stderr):
        raise WorkerError(
            f"{where}: the image {interp.container.image} is not there (removed?); "
            f"make it again with: python -m harness provision {interp.id}",
            last_error(done.stderr),
        )
    if done.returncode != 0:
        # The reason in the message itself: the progress line and the summary show its first line.
        why = _out_of_memory(done.returncode, last_error(done.stderr), interp.container is not None)
        raise WorkerError(
            f"{where} exited with status {done.returncode}" + (f": {why}" if why else ""),
            tail(done.stderr) or "no output on stderr",
        )
    return suite_mod.parse_worker_output(done.stdout, interp.id, workload)
