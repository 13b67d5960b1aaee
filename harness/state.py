"""What provisioning remembers between runs: why each target failed the last time.

Written by ``harness.provision``; read by discovery, which shows the reason
beside a missing entry.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from harness.fileutil import atomic_write_text
from harness.paths import cache_dir

STATE_FILE = "provision-state.json"


def last_failures(cache: Path | None = None) -> dict[str, str]:
    """Target -> the reason its last provisioning failed (targets that succeeded are absent).

    ``cache`` is the cache folder (default ``cache_dir()``; discovery passes its seam's).
    """
    try:
        data = json.loads(((cache or cache_dir()) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_failure(target: str, reason: str | None) -> None:
    """Remember why ``target`` failed (``None``: it succeeded, forget its failure)."""
    failures = last_failures()
    if reason is None:
        failures.pop(target, None)
    else:
        failures[target] = reason
    # Best effort: a read-only cache only loses the hint.
    with contextlib.suppress(OSError):
        atomic_write_text(cache_dir() / STATE_FILE, json.dumps(failures, indent=1,
                                                               sort_keys=True) + "\n")
