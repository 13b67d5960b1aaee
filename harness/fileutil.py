"""File helpers every host module shares: atomic writes, staged folders, sha256, downloads
that never half-land."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


def atomic_write(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Write through a temporary file in the same folder, then ``os.replace``.

    A reader (or a Ctrl-C) sees the old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp's 0600 is not what open() gives
        with os.fdopen(fd, "w", encoding="utf-8") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting it, and put it back at once
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda fp: fp.write(text))


STAGING_PREFIX = ".staging-"


@contextlib.contextmanager
def staged_into(folder: Path) -> Iterator[Path]:
    """A private folder inside ``folder`` to write a set of files into; moved in at the end.

    Everything is written in full into ``folder/.staging-XXXX`` first (a full
    disk, an error or a Ctrl-C there leaves ``folder`` as it was, and the
    staging folder is removed). Only when the block ends without error are the
    files renamed into ``folder``, subfolders included: renames need no free
    space, so no reader ever finds a truncated file or half of a new set beside
    half of an old one. A staging folder left by a killed process is removed
    the next time.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        os.chmod(stage, 0o777 & ~current_umask())
        yield stage
        _move_in(stage, folder)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_in(stage: Path, folder: Path) -> None:
    """Rename every file under ``stage`` to the same place under ``folder``."""
    for root, _dirs, files in os.walk(stage):
        target = folder / Path(root).relative_to(stage)
        target.mkdir(exist_ok=True)
        for name in files:
            os.replace(Path(root) / name, target / name)


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: Path, timeout: float) -> Path:
    """Fetch ``url`` into ``dest``: written as ``dest.partial``, renamed only when complete.

    Raises ``OSError`` (``urllib.error.URLError`` is one) or ``ValueError`` (a bad URL);
    nothing is left at ``dest`` or beside it on failure.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest
