"""Errors the user sees as one line: what went wrong, why, and what to do."""

from __future__ import annotations

import signal


class HarnessError(Exception):
    """An error shown to the user as one line (the traceback only with -v).

    ``hint`` says what to do about it; ``exit_code`` is what the command exits with.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(HarnessError):
    """Bad input on the command line: an unknown id or workload name. Exit status 2."""

    exit_code = 2


class InterpreterNotFound(HarnessError):
    """An interpreter that was asked for is not ready (as nox's InterpreterNotFound)."""


class ProvisionError(HarnessError):
    """A provisioning step failed: apt, a download, a checksum, a build, an image."""


class WorkerError(HarnessError):
    """A worker process crashed, hung, or printed something the runner cannot read."""


class Unavailable(ProvisionError):
    """Something that cannot be provided on this machine (not root, no apt, no source).

    A plain ``provision`` run reports it as a skip and exits 0; when its id was
    asked for explicitly, the command exits non-zero.
    """


class Interrupted(KeyboardInterrupt):
    """The harness was told to stop: Ctrl-C, SIGTERM or SIGHUP (``harness.procgroup``).

    A ``KeyboardInterrupt``, so every cleanup written for Ctrl-C runs unchanged;
    ``__main__`` exits with 128 + ``signum`` (SIGTERM 143, SIGHUP 129, SIGINT 130).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = int(signum)
        self.signame = signal.Signals(signum).name

    def __str__(self) -> str:
        return f"interrupted ({self.signame})"
