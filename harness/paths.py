"""Where things are: the checkout's worker and workloads, and the user's cache folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
WORKER_SCRIPT = PACKAGE_DIR / "worker.py"
PROBE_SCRIPT = PACKAGE_DIR / "probe.py"
# What to set when the cache folder cannot be used (said in the error line).
CACHE_HINT = "set HARNESS_CACHE_DIR (or XDG_CACHE_HOME) to a folder you can write"


def workloads_dir() -> Path:
    """The workloads folder: ``$HARNESS_WORKLOADS`` or ``workloads/`` of the checkout."""
    return Path(os.environ.get("HARNESS_WORKLOADS") or ROOT / "workloads").resolve()


def cache_dir() -> Path:
    """The harness's cache (built interpreters, apt state, container config).

    ``$HARNESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/gil-harness``, else
    ``~/.cache/gil-harness``: never inside the checkout.
    """
    explicit = os.environ.get("HARNESS_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(xdg) / "gil-harness").resolve()


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be written in, or None when it can (it is created if needed).

    Tried for real (``mkdir``, then a temporary file created and removed), not
    guessed from permission bits: root passes every permission check, yet not
    a path under a regular file, ``/proc`` or a read-only mount.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return "it is a file, not a folder"
    except NotADirectoryError:
        blocker = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
        return f"{blocker} is a file, not a folder" if blocker else "a parent is not a folder"
    except OSError as exc:
        return f"cannot create it ({exc.strerror or exc})"
    if not folder.is_dir():
        return "it is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".harness-write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write in it ({exc.strerror or exc})"
    return None


def is_inside(path: Path | str, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or below it (both made absolute, not resolved)."""
    absolute = Path(os.path.abspath(path))
    top = Path(os.path.abspath(folder))
    return absolute == top or top in absolute.parents
