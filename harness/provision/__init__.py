"""Provisioning: ``python -m harness provision [ID ...]`` makes missing interpreters ready.

The targets (which ids each makes ready, and by default which run) are rows of
``harness.kinds``; what each does lives here and in the modules of this package:

* ``apt``: Debian packages (PyPy, Jython, build dependencies, the container engine);
* ``cpython``: free-threaded CPython and its GIL twin built into the cache (``build``), from
  Debian's pinned 3.13.5, python.org's newest release (``catalogue``) or ``--source``;
* ``image``: the Jython container image;
* ``sid``: Debian unstable's image (CPython 3.14, 3.15, PyPy 3.11), sharing ``images`` with it.

Before anything starts, one line says what is to do and about how long it will
take (``plan``: estimates from this machine kind). Several targets run side by
side, one child process each (``python -m harness.provision TARGET``,
``schedule``): the CPython builds in one lane, the images in another, the rest
beside them; each step's output goes to its own log, the terminal gets one line
when a step starts and one when it ends. One target runs in this process. Why a
target failed is remembered (``harness.state``) for discovery's hints.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable

from harness import interpreters, kinds
from harness.errors import ProvisionError, Unavailable, UsageError
from harness.progress import Progress, ProgressFn
from harness.provision import plan
from harness.provision.apt import apt_install
from harness.provision.commands import locked, logs_dir
from harness.provision.cpython import (
    CPYTHON_313,
    provision_free_threaded,
    provision_newest,
    provision_source,
)
from harness.provision.jython import provision_image
from harness.provision.schedule import Step, run_steps
from harness.provision.sid import provision_sid
from harness.spec import Interpreter
from harness.state import last_failures, record_failure


def _provision_jython(progress: ProgressFn, local: bool, image: bool) -> None:
    failures: list[ProvisionError] = []
    if local:
        try:
            done = apt_install(kinds.packages_of("jython-local"), "jython2.7 (local)", progress)
            progress("jython2.7 (local): " + ("installed" if done else "present"))
        except ProvisionError as exc:
            failures.append(exc)
    if image:
        try:
            provision_image(progress)
            progress("jython2.7 (container): image ready")
        except ProvisionError as exc:
            failures.append(exc)
    if failures:
        first = failures[0]
        if len(failures) > 1:
            raise type(first)(
                "; ".join(str(f) for f in failures)
            )
        raise first


def _pypy(args: argparse.Namespace, progress: ProgressFn) -> None:
    done = apt_install(kinds.packages_of("pypy"), "PyPy", progress)
    progress("pypy3: " + ("installed" if done else "present"))


def _source_314(args: argparse.Namespace) -> str | None:
    """The old spelling of ``--source`` for 3.14 (``--source-3.14``, $HARNESS_PY314_SOURCE)."""
    return getattr(args, "source_314", None) or os.environ.get("HARNESS_PY314_SOURCE") or None


# What each provisioning target of ``harness.kinds`` does.
TARGETS: dict[str, Callable[[argparse.Namespace, ProgressFn], object]] = {
    "pypy": _pypy,
    "jython": lambda args, progress: _provision_jython(progress, local=True, image=True),
    "jython-local": lambda args, progress: _provision_jython(progress, local=True, image=False),
    "jython-container": lambda args, progress: _provision_jython(progress, local=False,
                                                                 image=True),
    "3.13t": lambda args, progress: provision_free_threaded(CPYTHON_313, progress),
    "3.14t": lambda args, progress: provision_newest("3.14", _source_314(args), progress),
    "3.15t": lambda args, progress: provision_newest("3.15", None, progress),
    "source": lambda args, progress: provision_source(args.source, progress),
    "sid": lambda args, progress: provision_sid(progress),
}


def run_target(target: str, args: argparse.Namespace, explicit: bool,
               progress: ProgressFn) -> tuple[str, str]:
    """Run one target here: ``(status, reason)``, status ``ready``, ``skipped`` or ``failed``.

    Its last progress line says how it ended (a step's log ends with it). What
    cannot be had here (``Unavailable``) is a skip, unless it was asked for by id.
    """
    started = time.monotonic()
    progress(f"== {target}")
    try:
        TARGETS[target](args, progress)
    except ProvisionError as exc:
        skip = isinstance(exc, Unavailable) and not explicit
        _remember(target, exc.message)
        progress(f"{target}: {'skipped' if skip else 'FAILED'}: {exc}")
        return ("skipped" if skip else "failed"), exc.message
    _remember(target, None)
    progress(f"{target}: ready ({time.monotonic() - started:.1f} s)")
    return "ready", ""


def _remember(target: str, reason: str | None) -> None:
    """Record why ``target`` failed (None: it worked); steps side by side take turns."""
    with locked("provision-state"):
        record_failure(target, reason)


def _in_process(target: str, args: argparse.Namespace, explicit: bool,
                progress: ProgressFn) -> tuple[str, str, str]:
    return (target, *run_target(target, args, explicit, progress))


def step_argv(target: str, args: argparse.Namespace, explicit: bool) -> tuple[str, ...]:
    """The command of one target's step: ``python -m harness.provision TARGET`` (niced
    beside the builds: ``plan.niceness``)."""
    nice = plan.niceness(target)
    argv = [*(["nice", "-n", str(nice)] if nice and shutil.which("nice") else []),
            sys.executable, "-m", "harness.provision", target]
    if target == "source":
        argv += ["--source", args.source]
    if target == "3.14t" and getattr(args, "source_314", None):
        argv += ["--source-3.14", args.source_314]
    return (*argv, *(["--explicit"] if explicit else []))


def _side_by_side(targets: list[str], args: argparse.Namespace, explicit: bool,
                  progress: ProgressFn) -> list[tuple[str, str, str]]:
    """Every target a child process, the lanes of ``plan`` side by side (``schedule``)."""
    steps = [Step(t, plan.lane_of(t), step_argv(t, args, explicit),
                  logs_dir() / f"provision-{t}.log") for t in targets]
    return [(o.name, o.status, o.message) for o in run_steps(steps, progress)]


def _announce(targets: list[str], known: dict[str, Interpreter],
              progress: ProgressFn) -> None:
    """Say what is to do and the expected time, before anything starts."""
    todo = plan.needed(targets, {i: entry.ready for i, entry in known.items()})
    failures = last_failures()
    progress(plan.announcement(todo, {t: failures[t] for t in todo if t in failures}))


def cmd_provision(args: argparse.Namespace) -> int:
    """``python -m harness provision [ID ...]``: install or build what is missing.

    Without ids: the sid image, PyPy, Jython (local package and container image),
    3.13t, 3.14t and 3.15t with their GIL twins; what cannot be had here (3.14t
    without python.org or a source, apt without root) is a skip line and does not
    fail the command. ``--source PATH_OR_URL`` builds X.Yt and X.Y-twin from that
    tarball (alone, or before the ids given). An id asked for explicitly that
    ends up missing makes the exit status 1. Ids that need nothing (pyenv or
    PATH CPythons, user entries) are reported as present.
    """
    progress = Progress()
    explicit = bool(getattr(args, "ids", None))
    known = {i.id: i for i in interpreters.discover()}
    targets = _targets(args, known, progress)
    if targets:
        _announce(targets, known, progress)
    if len(targets) > 1:  # side by side, one child process each
        outcomes = _side_by_side(targets, args, explicit, progress)
    else:
        outcomes = [_in_process(target, args, explicit, progress) for target in targets]
    failed: list[str] = []
    skipped: list[str] = []
    for target, status, _ in outcomes:
        if status == "failed":
            failed.append(target)
        elif status == "skipped":
            skipped.append(target)
    summary = f"provision: {len(targets) - len(failed) - len(skipped)} ready"
    if skipped:
        summary += f", skipped {', '.join(skipped)}"
    if failed:
        summary += f", FAILED {', '.join(failed)}"
    progress(summary)
    return 1 if failed else 0


def _targets(args: argparse.Namespace, known: dict[str, Interpreter],
             progress: ProgressFn) -> list[str]:
    """The targets to run, in order: the ids' targets, else the defaults; ``source`` first."""
    ids: list[str] = list(getattr(args, "ids", None) or [])
    targets: list[str] = []
    if ids:
        valid = sorted(set(known) | set(kinds.provisionable_ids()))
        for ident in ids:
            target = kinds.target_of(ident)
            if target is None and ident not in known:
                raise UsageError(
                    f"unknown interpreter id {ident!r}",
                    hint="valid ids: " + ", ".join(valid),
                )
            if target is None:
                entry = known[ident]
                if not entry.ready:
                    why = "; ".join(entry.notes) or "the harness cannot provide it"
                    raise ProvisionError(
                        f"{ident} is missing: {why}",
                        hint=entry.hint or "see `python -m harness interpreters`",
                    )
                progress(f"{ident}: present ({entry.source}), nothing to do")
                continue
            if target not in targets:
                targets.append(target)
        if getattr(args, "source_314", None) and "3.14t" not in targets:
            progress("--source-3.14 is ignored: 3.14t was not asked for")
    elif getattr(args, "source_314", None):
        targets = ["3.14t"]
    elif not getattr(args, "source", None):
        targets = list(kinds.default_targets())
    if getattr(args, "source", None):
        targets.insert(0, "source")
    return targets
