"""Which CPython release to build: the newest of a minor version, or what a tarball holds.

No patch version is written in the code (but the sha256-pinned 3.13.5 that
Debian's source package carries): for 3.14, 3.15 and any later minor version
the newest final release is read from python.org's download tree at
provisioning time, so the catalogue never goes stale. Where python.org is not
reachable the reason is raised as :class:`Unavailable` and ends up in the
missing entry's notes, beside the command that provides it anyway
(``--source PATH_OR_URL``).
"""

from __future__ import annotations

import re
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.errors import Unavailable, UsageError

# python.org's download tree: one "X.Y.Z/" folder per release, holding Python-X.Y.Z.tar.xz
# once it is final (a folder may hold only alphas or release candidates: Python-X.Y.ZaN.tar.xz).
PYTHON_ORG_FTP = "https://www.python.org/ftp/python/"

# Seconds to wait for python.org before deciding it is not reachable.
LISTING_TIMEOUT = 10.0

_FOLDER = re.compile(r'href="(\d+)\.(\d+)\.(\d+)/"')
_TARBALL_NAME = re.compile(
    r"^(?:Python-|python\d\.\d+_)(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?:\+dfsg)?(?:\.orig)?"
    r"\.(?:tar\.xz|tgz|tar\.gz|tar\.bz2)$"
)
_PY_VERSION = re.compile(rb'#define\s+PY_VERSION\s+"([^"]+)"')


@dataclass(frozen=True)
class Release:
    """A CPython release found on python.org: its version and its tarball's URL."""

    version: str  # "3.14.2"
    url: str

    @property
    def tarball(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def _get(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data: bytes = response.read()
    return data.decode("utf-8", "replace")


def newest_release(
    minor: str, index_url: str | None = None, timeout: float | None = None
) -> Release:
    """The newest final release of ``minor`` ("3.14") listed at ``index_url`` (python.org's).

    The highest ``X.Y.Z/`` folder that holds a final ``Python-X.Y.Z.tar.xz`` wins
    (a newer folder with only pre-releases is passed over). Raises
    :class:`Unavailable` when the listing cannot be read or holds no final release.
    """
    wait = LISTING_TIMEOUT if timeout is None else timeout
    base = index_url or PYTHON_ORG_FTP
    base = base if base.endswith("/") else base + "/"
    try:
        listing = _get(base, wait)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Unavailable(f"cannot list CPython releases at {base}: {reason}") from exc
    want = tuple(int(p) for p in minor.split("."))
    versions = sorted(
        {tuple(int(g) for g in m.groups()) for m in _FOLDER.finditer(listing)
         if tuple(int(g) for g in m.groups()[:2]) == want},
        reverse=True,
    )
    for parts in versions:
        version = ".".join(str(p) for p in parts)
        name = f"Python-{version}.tar.xz"
        try:
            folder = _get(f"{base}{version}/", wait)
        except (OSError, ValueError):
            continue
        if f'href="{name}"' in folder:
            return Release(version, f"{base}{version}/{name}")
    raise Unavailable(f"no final CPython {minor} release is listed at {base}")


def version_from_name(name: str) -> str | None:
    """"3.13.5" for ``Python-3.13.5.tar.xz`` (or Debian's ``python3.13_3.13.5.orig.tar.xz``)."""
    match = _TARBALL_NAME.match(name)
    return match.group(1) if match else None


def version_from_patchlevel(tarball: Path) -> str | None:
    """PY_VERSION of the tarball's ``Include/patchlevel.h`` (None when it holds none)."""
    try:
        with tarfile.open(tarball) as tar:
            for member in tar:
                if member.isfile() and member.name.endswith("Include/patchlevel.h"):
                    handle = tar.extractfile(member)
                    if handle is None:
                        return None
                    found = _PY_VERSION.search(handle.read())
                    return found.group(1).decode() if found else None
    except (OSError, tarfile.TarError, EOFError):
        return None
    return None


def tarball_version(tarball: Path, name: str | None = None) -> str:
    """The CPython version a source tarball holds: from its file name, else its patchlevel.h.

    Raises :class:`UsageError` when neither says (not a CPython source tarball).
    """
    version = version_from_name(name or tarball.name) or version_from_patchlevel(tarball)
    if version is None or not re.match(r"^\d+\.\d+\.\d+", version):
        raise UsageError(
            f"cannot tell the CPython version of {tarball.name}",
            hint="give a CPython source tarball (Python-X.Y.Z.tar.xz, or one holding "
            "Include/patchlevel.h)",
        )
    return version.rstrip("+")


def minor_of(version: str) -> str:
    """"3.14" for "3.14.2" or "3.15.0a2"."""
    match = re.match(r"^(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(version)
    return f"{match.group(1)}.{match.group(2)}"


