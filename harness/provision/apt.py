"""Debian packages: check what is missing, install only that (root and apt only).

The one owner of apt in the harness: PyPy and Jython (their package lists are
in ``harness.kinds``), CPython's build dependencies, the container engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence

from harness.errors import ProvisionError, Unavailable
from harness.progress import ProgressFn, quiet
from harness.provision.commands import locked, logs_dir, run_logged

# Debian's mirror: the source packages (CPython builds) and the images' debootstrap.
DEBIAN_MIRROR = "http://deb.debian.org/debian"


def is_root() -> bool:
    """True when this process may install system packages."""
    return os.geteuid() == 0


def missing_packages(packages: Sequence[str]) -> list[str]:
    """The Debian packages of ``packages`` that are not installed (all of them without dpkg)."""
    if shutil.which("dpkg-query") is None:
        return list(packages)
    missing = []
    for pkg in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0 or not result.stdout.endswith("install ok installed"):
            missing.append(pkg)
    return missing


def _installable(packages: Sequence[str]) -> bool:
    """True when apt knows a candidate version for every package (else its lists are stale)."""
    for pkg in packages:
        result = subprocess.run(
            ["apt-cache", "policy", pkg], capture_output=True, text=True, check=False
        )
        match = re.search(r"Candidate:\s*(\S+)", result.stdout)
        if match is None or match.group(1) == "(none)":
            return False
    return True


_apt_updated = False


def apt_install(
    packages: Sequence[str], why: str, progress: ProgressFn | None = None
) -> list[str]:
    """Install the Debian ``packages`` that are missing (``why`` says what needs them).

    Checks first and installs only the missing ones, with ``apt-get install -y``
    (``apt-get update`` once first when one is not installable). Raises
    :class:`Unavailable` (a :class:`ProvisionError`) with the command to run when
    this process is not root or the system has no apt, and ProvisionError when apt fails.
    Returns the packages it installed (empty when all were there).
    """
    say = progress or quiet
    missing = missing_packages(packages)
    if not missing:
        return []
    command = "apt-get install -y " + " ".join(missing)
    if shutil.which("apt-get") is None:
        raise Unavailable(
            f"{why} needs {' '.join(missing)} and this system has no apt-get",
            hint=f"install the equivalent of {' '.join(missing)} with the system's package manager",
        )
    if not is_root():
        raise Unavailable(
            f"{why} needs {' '.join(missing)}; not root, so not installed",
            hint=f"run: sudo DEBIAN_FRONTEND=noninteractive {command}",
        )
    # Steps run side by side (harness.provision.schedule): one apt at a time, and what
    # another step installed meanwhile is not installed again.
    with locked("apt"):
        missing = missing_packages(missing)
        if missing:
            _install(missing, why, say)
    return missing


def _install(missing: list[str], why: str, say: ProgressFn) -> None:
    """``apt-get install -y`` (after ``apt-get update`` once, when one is not installable)."""
    global _apt_updated
    command = "apt-get install -y " + " ".join(missing)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = logs_dir() / "apt.log"
    if not _apt_updated and not _installable(missing):
        say("apt-get update")
        run_logged(["apt-get", "update"], log, say, "apt-get update", env=env)
        _apt_updated = True
    say(f"{command}  ({why})")
    run_logged(["apt-get", "install", "-y", *missing], log, say, command, env=env)
    still = missing_packages(missing)
    if still:
        raise ProvisionError(
            f"apt-get reported success but {' '.join(still)} is not installed",
            hint=f"see {log}",
        )
