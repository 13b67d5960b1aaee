"""Where things are: the checkout's worker and workloads, and the user's cache folder."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
WORKER_SCRIPT = PACKAGE_DIR / "worker.py"
PROBE_SCRIPT = PACKAGE_DIR / "probe.py"


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
