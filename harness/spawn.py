"""One worker process: start it in its own session, enforce its timeout, read its document.

Every worker gets an allow-listed environment (``harness.spec.base_environ``),
its own session (so a hang is killed with its whole process group: threads'
subprocesses, a JVM, a container engine client), and a timeout.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import container, paths
from harness import suite as suite_mod
from harness.errors import WorkerError
from harness.spec import Interpreter, base_environ

_STDERR_TAIL_LINES = 10


class WorkerTimeout(WorkerError):
    """A worker process ran past its timeout and was killed with its process group."""


def tail(text: str, lines: int = _STDERR_TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text`` (a worker's stderr), without trailing space."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the worker and everything it started (threads' subprocesses, a JVM, an engine)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _stop_container(interp: Interpreter, argv: Sequence[str], env: Mapping[str, str]) -> None:
    """A killed engine client leaves its container running: remove it too."""
    if interp.container is not None:
        container.stop_container(argv, env)


def run_worker(
    interp: Interpreter,
    workload: str,
    args: Sequence[str],
    *,
    timeout: float,
    workloads_dir: Path,
    worker: Path = paths.WORKER_SCRIPT,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run one worker process; return its checked document or raise ``WorkerError``.

    The process gets its own session: on timeout (or Ctrl-C) the whole group
    is killed, so no thread, child process or JVM outlives it.
    """
    argv = interp.command(worker, ["--workload", workload, *args], workloads_dir)
    child_env = interp.environ(base_environ() if env is None else env)
    where = f"{workload!r} under {interp.id!r}"
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise WorkerError(f"cannot start {where}: {exc}", f"command: {shlex.join(argv)}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        _stop_container(interp, argv, child_env)
        _, stderr = proc.communicate()
        raise WorkerTimeout(
            f"{where} timed out after {timeout:g} s and was killed",
            tail(stderr) or "no output on stderr",
        ) from None
    except BaseException:  # Ctrl-C: no orphan left burning a core
        _kill_group(proc)
        _stop_container(interp, argv, child_env)
        proc.communicate()
        raise
    finally:
        # A daemon grandchild could still hold the group: never leave one behind.
        if proc.returncode is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode != 0:
        raise WorkerError(
            f"{where} exited with status {proc.returncode}",
            tail(stderr) or "no output on stderr",
        )
    return suite_mod.parse_worker_output(stdout, interp.id, workload)
