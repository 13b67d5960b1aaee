"""The results folder before a run: checked, created, and held by one run at a time.

The lock is ``RESULTS/.harness-run.lock``, held with ``flock``.

The lock is the kernel's (``fcntl.flock`` on the open file), so it goes with its
holder: a run killed by SIGKILL leaves the file but no lock, and the next run
takes the file over and says so. The file's content only names the holder
(pid, command, start time) for the message a second run prints.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness import environment, paths, results
from harness.errors import UsageError

LOCK_NAME = ".harness-run.lock"


def _holder(fd: int) -> dict[str, Any]:
    """What the lock file says of its holder ({} when it says nothing readable)."""
    try:
        data = json.loads(os.pread(fd, 1 << 16, 0).decode("utf-8", "replace") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(holder: dict[str, Any]) -> str:
    if "pid" not in holder:
        return "a run that is just starting"
    parts = [f"pid {holder['pid']}"]
    if holder.get("host") and holder.get("host") != socket.gethostname():
        parts.append(f"on {holder['host']}")
    if holder.get("started"):
        parts.append(f"since {holder['started']}")
    if holder.get("command"):
        parts.append(f"`{holder['command']}`")
    return ", ".join(parts)


def _open(path: Path, folder: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError(f"{path} is a symlink", "remove it; the harness owns this file") \
                from None
        raise UsageError(
            f"cannot write in results folder {folder}: {exc.strerror}",
            "choose another folder with -o DIR",
        ) from None


def _take(path: Path, folder: Path) -> tuple[int, dict[str, Any]]:
    """Open and flock the lock file; (fd, what the file said before) or UsageError if held."""
    while True:
        fd = _open(path, folder)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise UsageError(
                f"results folder {folder} is in use by another run ({_describe(holder)})",
                "wait for it to finish, or write to another folder with -o DIR",
            ) from None
        except OSError as exc:  # a file system without locks
            os.close(fd)
            raise UsageError(f"cannot lock results folder {folder}: {exc.strerror}",
                             "use a folder on a local file system with -o DIR") from None
        # The holder before us may have removed the file between our open and our
        # flock: then we hold a lock on a name nobody else sees, and try again.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            return fd, _holder(fd)
        os.close(fd)


def check_output(output: Path) -> None:
    """Refuse an output path that cannot be a writable folder, before any work (exit 2).

    A path the system cannot even look up (a name over 255 bytes, a loop of
    links) is refused the same way, not left to fail later as an ``OSError``.
    """
    try:
        _check_output(output)
    except OSError as exc:
        raise UsageError(f"cannot use output folder {output}: {exc.strerror or exc}",
                         "give a shorter or existing folder with -o DIR") from None


def _check_output(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise UsageError(f"output {output} is not a folder", "give a folder with -o DIR")
    existing = output
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot create output folder {output}: {existing} is not a folder",
                         "give a folder with -o DIR")
    if not os.access(existing, os.W_OK | os.X_OK):
        readonly = os.statvfs(existing).f_flag & os.ST_RDONLY
        raise UsageError(f"cannot write in {existing}: "
                         f"{'read-only file system' if readonly else 'permission denied'}",
                         "give a writable folder with -o DIR")


def make_output(output: Path) -> Path:
    """Create the output folder and try a write in it: UsageError (exit 2) when that fails."""
    problem = paths.folder_problem(output)
    if problem:
        raise UsageError(f"cannot write in output folder {output}: {problem}",
                         "give a writable folder with -o DIR")
    return output


def _recover(folder: Path, say: Callable[[str], None] | None) -> None:
    """Keep what a killed run left staged (``.<id>.partial.*``) as interrupted results."""
    for ident in results.stale_partials(folder):
        try:
            kept = results.recover_partial(folder, ident)
        except (OSError, ValueError, UsageError) as exc:
            if say is not None:
                say(f"cannot keep the partial results of {ident} left by a killed run: {exc}")
            continue
        if say is not None:
            say(f"kept the partial results of {ident} left by a killed run: {kept}")


def stale_run(folder: Path) -> str:
    """What a results folder holds of a run that did not finish ("" when nothing).

    Names its staging files and the lock's holder (still running, or not).
    """
    partial = results.stale_partials(folder)
    if not partial:
        return ""
    try:
        holder = json.loads((folder / LOCK_NAME).read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    holder = holder if isinstance(holder, dict) else {}
    names = ", ".join(f".{i}{results.STAGING_MARK}{results.FACTS_SUFFIX}" for i in partial)
    if holder and _alive(holder.get("pid")):
        return f"a run is still writing it ({_describe(holder)}: {names})"
    who = f" ({_describe(holder)}, no longer running)" if holder else ""
    return f"a run that was killed{who} left partial results ({names})"


@contextlib.contextmanager
def hold(folder: Path, say: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the run lock of ``folder`` (created and tried: :func:`make_output`) for the block.

    A live holder: :class:`UsageError` naming it (exit 2). A lock file whose
    holder died: taken over, and ``say`` is told in one line; the partial
    results a killed run left staged are kept as interrupted ones (``say`` too).
    """
    folder = make_output(Path(folder))
    path = results.inside(folder, LOCK_NAME)
    fd, before = _take(path, folder)
    try:
        if before and say is not None:
            state = "no longer running" if not _alive(before.get("pid")) else "lock released"
            say(f"taking over the results folder's lock left by {_describe(before)} ({state})")
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": environment.now().isoformat(timespec="seconds"),
            "command": " ".join(["python -m harness", *sys.argv[1:]]),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me, sort_keys=True) + "\n").encode(), 0)
        _recover(folder, say)
        yield path
    finally:
        # Unlink while still holding the lock: a run waiting on the old file then
        # sees it is gone (the samestat check) and makes a new one.
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
