"""Child processes that leave nothing behind: their own session, a group kill, a named container.

Every long-lived child of the harness (a worker, the probe, an engine's ``run``
or ``build``) starts in its own session through :func:`start` or :func:`run`.
When it times out, or when the harness is interrupted (Ctrl-C, SIGTERM, SIGHUP:
:func:`raise_on_signals`, installed by ``__main__``, turns the latter two into
``harness.errors.Interrupted``, a ``KeyboardInterrupt``), its whole process
group is killed and, for a container, the container is removed by its name:
killing the engine's client leaves the container running under the engine's
monitor.

Two windows would otherwise leak a child: a signal that arrives while
``Popen`` is starting it (the exception leaves ``Popen`` before the caller has
the process to kill), and a second signal while the first one's cleanup runs
(``engine rm -f`` cut short leaves the container up). Inside :func:`held` a
signal is kept and raised once the block is over.

A SIGKILLed harness runs no cleanup at all: each child therefore asks the
kernel to SIGKILL it when the harness dies (``PR_SET_PDEATHSIG``, set by
:func:`die_with_parent` between fork and exec), so a worker does not run on
for minutes reparented to PID 1. That reaches the child only: the rest of its
process group (make's compilers, a JVM's helpers) and a container (run by
the engine's monitor, not by its client) are the watchdog's. The watchdog is
a small process of its own (:func:`start` starts it with the first child)
that reads a pipe from the harness: every group and container is announced
on it when it starts and withdrawn when it is gone. When the pipe closes
without the harness's goodbye (an ``atexit`` line), the harness died:
the watchdog kills the groups still announced and removes the containers.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import FrameType
from typing import Any

from harness.errors import Interrupted

# The signals that end a command like Ctrl-C does.
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# `engine rm -f NAME` answers within a second; an engine that hangs is left after this.
STOP_TIMEOUT = 60.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _libc_prctl() -> Any:
    """libc's ``prctl``, or None off Linux (loaded once, in the harness, never in a child)."""
    if os.uname().sysname != "Linux":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()


def die_with_parent(memory: int | None = None) -> Callable[[], None] | None:
    """A ``preexec_fn``: the child gets SIGKILL when the harness dies (None where impossible).

    Checked against the harness's pid after the call: if the harness died
    before ``prctl`` ran, the child ends itself at once. ``memory`` (bytes):
    the child's ``RLIMIT_DATA`` (its heap and private mappings; a JVM's or a
    PyPy's reserved but unused address space does not count).
    """
    if _PRCTL is None and memory is None:
        return None
    parent = os.getpid()
    prctl = _PRCTL

    def preexec() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)

    return preexec


# Run by a separate interpreter (``-I -S``): nothing of the harness is imported there.
_WATCHDOG = r"""
import json, os, shutil, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups, boxes, tags, folders, bye = {}, {}, {}, {}, False
for line in sys.stdin:
    op, key, data = json.loads(line)
    if op == "bye":
        bye = True
    elif op in ("group", "box", "tag", "folder"):
        {"group": groups, "box": boxes, "tag": tags, "folder": folders}[op][key] = data
    else:
        for table in (groups, boxes, tags, folders):
            table.pop(key, None)
if not bye:
    for pgid in groups:
        try:
            os.killpg(int(pgid), signal.SIGKILL)
        except OSError:
            pass
    needles = [("\0%s\0" % tag).encode() for tag in tags]
    for pid in (os.listdir("/proc") if needles else []):
        try:
            with open("/proc/%s/environ" % pid, "rb") as handle:
                environ = b"\0" + handle.read() + b"\0"
            if any(needle in environ for needle in needles):
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    for argv, env in boxes.values():
        try:
            subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        except Exception:
            pass
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
"""


class _Watchdog:
    """The watchdog process and the pipe to it (one per harness process, started on demand)."""

    proc: subprocess.Popen[str] | None = None
    owner = 0  # the pid that started it: a forked child must not talk to its parent's


def _tell(op: str, key: str, data: object = None) -> None:
    """One line to the watchdog; a watchdog that cannot be started or is gone is no error."""
    if _Watchdog.proc is None or _Watchdog.owner != os.getpid():
        if op not in ("group", "box", "tag", "folder"):
            return
        try:
            _Watchdog.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WATCHDOG], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                start_new_session=True,  # neither Ctrl-C nor a group kill reaches it
            )
        except OSError:
            return
        _Watchdog.owner = os.getpid()
        atexit.register(_tell, "bye", "")
    stdin = _Watchdog.proc.stdin
    assert stdin is not None
    with contextlib.suppress(OSError, ValueError):
        stdin.write(json.dumps([op, key, data]) + "\n")
        stdin.flush()


def remove_when_killed(folder: str) -> None:
    """A temporary folder the watchdog removes if the harness dies without its ``atexit``."""
    _tell("folder", folder)


def watchdog_pid() -> int | None:
    """The watchdog's pid, once started (for tests)."""
    return _Watchdog.proc.pid if _Watchdog.proc is not None else None


def _remove_argv(engine: str, name: str) -> list[str]:
    argv = [engine, "rm", "-f", name]
    if "docker" not in os.path.basename(engine):
        # podman's rm -f first sends SIGTERM and waits 10 s: a JVM as pid 1 ignores it.
        argv[2:2] = ["--time=0"]
    return argv


def _announce(proc: subprocess.Popen[Any], name: str | None, env: Mapping[str, str] | None) -> None:
    _tell("group", str(proc.pid))
    if name is not None:
        engine = str(list(proc.args)[0])  # type: ignore[arg-type]
        _tell("box", name, [_remove_argv(engine, name), dict(env or os.environ)])


def _withdraw(proc: subprocess.Popen[Any], name: str | None) -> None:
    _tell("gone", str(proc.pid))
    if name is not None:
        _tell("gone", name)


class _Holding:
    """How many ``held`` blocks are open, and the signals that arrived meanwhile."""

    depth = 0
    pending: list[int] = []  # noqa: RUF012 (one process-wide record)


def _handler(signum: int, frame: FrameType | None) -> None:
    if _Holding.depth > 0:
        _Holding.pending.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def raise_on_signals(signums: Sequence[int] = SIGNALS) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` inside the block; restored after it.

    A signal ignored when the harness started (``nohup``, a background job's
    SIGINT) stays ignored. Outside the main thread nothing is installed (Python
    allows handlers only there).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for signum in signums:
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN:
            continue
        previous[signum] = current
        signal.signal(signum, _handler)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def held(reraise: bool = True) -> Iterator[None]:
    """Keep the signals that arrive inside the block; raise the first one after it.

    ``reraise=False`` drops them: for a cleanup that ends by re-raising an
    interruption anyway. Only the outermost block raises.
    """
    _Holding.depth += 1
    try:
        yield
    except Exception as exc:  # an error while held (a child that cannot start): say both
        if _Holding.depth == 1 and _Holding.pending and reraise:
            raise Interrupted(_Holding.pending[0]) from exc
        raise
    finally:
        _Holding.depth -= 1
        signums = list(_Holding.pending) if _Holding.depth == 0 else []
        if _Holding.depth == 0:
            _Holding.pending.clear()
    if signums and reraise:
        raise Interrupted(signums[0])


def container_name(argv: Sequence[str]) -> str | None:
    """The ``--name`` an engine's ``run`` argv gives its container, or None."""
    argv = list(argv)
    for i, word in enumerate(argv[:-1]):
        if word == "--name":
            return argv[i + 1]
        if word.startswith("--name="):
            return word.partition("=")[2]
    return None


def remove_container(engine: str, name: str, env: Mapping[str, str] | None) -> None:
    """``engine rm -f name``; signals wait until it is done (the container must not stay up)."""
    argv = _remove_argv(engine, name)
    with held(), contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(
            argv, capture_output=True, stdin=subprocess.DEVNULL,
            env=None if env is None else dict(env), timeout=STOP_TIMEOUT, check=False,
        )


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the child's whole process group (threads' subprocesses, a JVM, an engine client)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def finish(
    proc: subprocess.Popen[Any],
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    reraise: bool = True,
) -> tuple[Any, Any]:
    """Kill the group, collect what it printed, remove the container ``name`` (if any).

    Runs with signals held: a second Ctrl-C or SIGTERM cannot cut it short.
    Returns ``(stdout, stderr)`` as ``communicate`` does.
    """
    with held(reraise=reraise):
        kill_group(proc)
        proc.wait()  # the engine's client is gone before its container is removed
        if name is not None:
            remove_container(str(list(proc.args)[0]), name, env)  # type: ignore[arg-type]
        out, err = proc.communicate()
        _withdraw(proc, name)
    return out, err


def start(argv: Sequence[str], *, name: str | None = None, **popen: Any) -> subprocess.Popen[Any]:
    """``Popen(argv, start_new_session=True, **popen)``, leak-free if interrupted while starting.

    A signal that arrives while the child starts is raised only once the child
    is known, after it (and its container ``name``) has been removed. The child
    dies with the harness (:func:`die_with_parent`), even a SIGKILLed one; so do
    its group and its container (the watchdog). :func:`finish` (or :func:`forget`
    once it is done) withdraws them from the watchdog.
    """
    popen.setdefault("preexec_fn", die_with_parent())
    try:
        with held():
            proc = subprocess.Popen(list(argv), start_new_session=True, **popen)
            _announce(proc, name, popen.get("env"))
    except Interrupted:
        finish(proc, name, popen.get("env"), reraise=False)
        raise
    return proc


def forget(proc: subprocess.Popen[Any], name: str | None = None) -> None:
    """Withdraw a finished child (its group, its container ``name``) from the watchdog."""
    _withdraw(proc, name)


def run(
    argv: Sequence[str],
    *,
    timeout: float | None,
    env: Mapping[str, str] | None = None,
    name: str | None = None,
    cwd: str | None = None,
    memory: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in its own session and capture its text output (``subprocess.run``-like).

    On timeout the group is killed, the container ``name`` removed, and
    ``subprocess.TimeoutExpired`` raised with what it printed; an interruption
    does the same and propagates. ``OSError`` when it cannot start. ``memory``:
    the child's data limit in bytes (:func:`die_with_parent`).
    """
    proc = start(
        argv, name=name, env=None if env is None else dict(env), cwd=cwd,
        preexec_fn=die_with_parent(memory),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", errors="replace",
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out, err = finish(proc, name, env)
        raise subprocess.TimeoutExpired(list(argv), timeout or 0.0, out, err) from None
    except BaseException:  # Ctrl-C, SIGTERM, SIGHUP: no orphan left burning a core
        finish(proc, name, env, reraise=False)
        raise
    finally:
        # A daemon grandchild could still hold the group: never leave one behind.
        if proc.returncode is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            _withdraw(proc, name)
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


# --------------------------------------------------------------------------- escaped processes

# Set in a local worker's environment (a fresh token per process): its descendants inherit
# it, wherever they go (a new session, reparented to PID 1), so what outlives it is found.
TAG = "GIL_HARNESS_PROCESS"


def new_tag() -> str:
    """A token for one worker process's :data:`TAG` (the watchdog kills its carriers too)."""
    token = os.urandom(8).hex()
    _tell("tag", f"{TAG}={token}")
    return token


def _tagged(token: str) -> list[int]:
    needle = f"\0{TAG}={token}\0".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:  # gone, a zombie's, or another user's
            continue
        if needle in b"\0" + environ + b"\0":
            found.append(int(entry.name))
    return found


def _command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().rstrip(b"\0").split(b"\0")
    except OSError:
        return "?"
    text = " ".join(w.decode(errors="replace") for w in words)
    return text if len(text) <= 80 else text[:77] + "..."


def kill_escaped(token: str) -> list[str]:
    """Kill every process still carrying ``token`` (after its worker ended); describe each.

    A workload's child that called ``setsid`` (or forked twice) leaves the
    worker's session and group, so no group kill reaches it; its environment
    still names the worker it came from. Returns ``"pid N: command"`` lines.
    """
    _tell("gone", f"{TAG}={token}")
    if not os.path.isdir("/proc"):
        return []
    found = []
    for pid in _tagged(token):
        found.append(f"pid {pid}: {_command_of(pid)}")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return found
