"""Where things are: the package's worker, probe and data, and the user's cache folder.

Everything a run reads comes from inside the installed package (``harness/data/``
holds the built-in workloads and the container build folders), so a wheel
installed with pipx works from any folder. In a clone, ``harness/data/workloads``
and ``harness/data/containers`` are symlinks to the top-level ``workloads/`` and
``containers/`` (the layout the README names, and where one edits them); a wheel
holds their files. Nothing is looked up beside the package.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
BUILTIN_WORKLOADS = DATA_DIR / "workloads"
CONTAINERS_DIR = DATA_DIR / "containers"
WORKER_SCRIPT = PACKAGE_DIR / "worker.py"
PROBE_SCRIPT = PACKAGE_DIR / "probe.py"
# What to set when the cache folder cannot be used (said in the error line).
CACHE_HINT = "set HARNESS_CACHE_DIR (or XDG_CACHE_HOME) to a folder you can write"


def workloads_dir() -> Path:
    """The workloads folder: ``$HARNESS_WORKLOADS`` or the package's built-in ones."""
    return Path(os.environ.get("HARNESS_WORKLOADS") or BUILTIN_WORKLOADS).resolve()


def checkout_root() -> Path | None:
    """The git checkout the package is imported from (a clone, an editable install), or None.

    Only for what exists in a clone alone (the commit, the tests' fake workloads):
    an installed package has no checkout, and a venv inside some other git
    repository must not record that repository's commit.
    """
    top = PACKAGE_DIR.parent
    return top if (top / ".git").exists() and (top / "pyproject.toml").is_file() else None


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
