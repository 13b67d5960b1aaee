"""Running provisioning commands: output appended to a log in the cache, a heartbeat, a lock."""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness import procgroup
from harness.errors import ProvisionError
from harness.paths import cache_dir
from harness.progress import ProgressFn

# How often a long step (make) says it is still alive.
HEARTBEAT_SECONDS = 20.0


def logs_dir() -> Path:
    """Build and apt logs, kept in the cache to read after a failure."""
    path = cache_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive lock in the cache, so two provision runs never build the same thing."""
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- running commands


def tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def run_logged(
    cmd: Sequence[str],
    log: Path,
    progress: ProgressFn,
    step: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """Run ``cmd`` with its output appended to ``log``; heartbeat lines while it runs."""
    started = time.monotonic()
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        try:
            # Its own session: interrupted, or the harness SIGKILLed, the whole group
            # (make's compilers, dpkg under apt) goes with it (harness.procgroup).
            proc = procgroup.start(
                list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise ProvisionError(f"{step}: cannot run {cmd[0]}: {exc.strerror}") from exc
        while True:
            try:
                code = proc.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                progress(f"{step}: still running ({time.monotonic() - started:.0f} s)")
            except BaseException:
                procgroup.finish(proc, reraise=False)
                raise
        procgroup.forget(proc)
    if code != 0:
        raise ProvisionError(
            f"{step} failed (exit {code}): {tail(log)}", hint=f"full output in {log}"
        )
