"""Provisioning: ``python -m harness provision [ID ...]`` makes missing interpreters ready.

The targets (which ids each makes ready, and by default which run) are rows of
``harness.kinds``; what each does lives here and in the modules of this package:

* ``apt``: Debian packages (PyPy, Jython, build dependencies, the container engine);
* ``cpython``: free-threaded CPython and its GIL twin built into the cache (``build``), from
  Debian's pinned 3.13.5, python.org's newest release (``catalogue``) or ``--source``;
* ``image``: the Jython container image;
* ``sid``: Debian unstable's image (CPython 3.14, 3.15, PyPy 3.11), sharing ``images`` with it.

Progress goes to stderr, one line per step with the elapsed seconds. Why a
target failed is remembered (``harness.state``) for discovery's hints.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from harness import interpreters, kinds
from harness.errors import ProvisionError, Unavailable, UsageError
from harness.progress import Progress, ProgressFn
from harness.provision.apt import apt_install
from harness.provision.cpython import (
    CPYTHON_313,
    provision_free_threaded,
    provision_newest,
    provision_source,
)
from harness.provision.image import provision_image
from harness.provision.sid import provision_sid
from harness.state import record_failure


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
    ids: list[str] = list(getattr(args, "ids", None) or [])
    explicit = bool(ids)
    targets: list[str] = []
    if explicit:
        known = {i.id: i for i in interpreters.discover()}
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

    failed: list[str] = []
    skipped: list[str] = []
    for target in targets:
        started = time.monotonic()
        progress(f"== {target}")
        try:
            TARGETS[target](args, progress)
        except Unavailable as exc:
            record_failure(target, exc.message)
            if explicit:
                progress(f"{target}: FAILED: {exc}")
                failed.append(target)
            else:
                progress(f"{target}: skipped: {exc}")
                skipped.append(target)
            continue
        except ProvisionError as exc:
            record_failure(target, exc.message)
            progress(f"{target}: FAILED: {exc}")
            failed.append(target)
            continue
        record_failure(target, None)
        progress(f"{target}: ready ({time.monotonic() - started:.1f} s)")
    summary = f"provision: {len(targets) - len(failed) - len(skipped)} ready"
    if skipped:
        summary += f", skipped {', '.join(skipped)}"
    if failed:
        summary += f", FAILED {', '.join(failed)}"
    progress(summary)
    return 1 if failed else 0
