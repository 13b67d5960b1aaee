"""Building CPython from a source tarball into the cache: free-threaded, or its GIL twin.

Both builds of one source use the same configure flags but ``--disable-gil``
(:func:`configure_args`), so "one thread, free-threaded against its twin" is
the price of free threading and nothing else. Each build runs in a temporary
folder, installs with ``DESTDIR`` into a staging folder, is checked (the
free-threaded one reports ``Py_GIL_DISABLED``, the twin runs with its GIL on)
and is renamed into place only then: nothing half-installed ever looks ready
to discovery. The prefix keeps a record of what it was built from
(``kinds.BUILD_RECORD``: version, tarball, sha256, configure flags, build time),
which discovery puts in the entry's notes and the runner in the facts.
"""

from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import kinds
from harness.errors import ProvisionError, Unavailable
from harness.fileutil import atomic_write_text, sha256_of
from harness.paths import cache_dir
from harness.progress import ProgressFn, quiet
from harness.provision.apt import apt_install
from harness.provision.commands import locked, logs_dir, run_logged

# What ./configure needs for a CPython with the usual stdlib modules; gdbm for dbm.
BUILD_DEPS = (
    "build-essential",
    "dpkg-dev",
    "xz-utils",
    "libssl-dev",
    "zlib1g-dev",
    "libffi-dev",
    "libbz2-dev",
    "liblzma-dev",
    "libsqlite3-dev",
    "libreadline-dev",
    "libgdbm-dev",
    "libgdbm-compat-dev",
)

# The flags of both builds of a source; the free-threaded one adds FREE_THREADED_FLAG.
CONFIGURE_FLAGS = ("--disable-test-modules",)
FREE_THREADED_FLAG = "--disable-gil"

# Run by the installed binary: what it is, to check it before it is renamed into place.
_CHECK = (
    "import json, sys, sysconfig; print(json.dumps({"
    "'gil_disabled': sysconfig.get_config_var('Py_GIL_DISABLED'), "
    "'gil_enabled': getattr(sys, '_is_gil_enabled', lambda: True)(), "
    "'version': sys.version.split()[0], "
    "'config_args': sysconfig.get_config_var('CONFIG_ARGS') or ''}))"
)


@dataclass(frozen=True)
class SourceRelease:
    """A CPython source release the harness can build; ``sha256`` "" when not pinned."""

    version: str  # "3.13.5"
    sha256: str
    url: str  # python.org tarball ("" when a user's tarball)
    debian_package: str | None = None  # Debian source package carrying it byte for byte

    @property
    def minor(self) -> str:
        """"3.13" for "3.13.5"."""
        return ".".join(self.version.split(".")[:2])

    @property
    def id(self) -> str:
        """The harness id of the free-threaded build: "3.13t"."""
        return f"{self.minor}t"

    @property
    def twin_id(self) -> str:
        """The harness id of its GIL twin: "3.13-twin"."""
        return f"{self.minor}{kinds.GIL_TWIN_SUFFIX}"

    @property
    def debian_tarball(self) -> str:
        """The file name Debian gives the upstream tarball."""
        return f"{self.debian_package}_{self.version}.orig.tar.xz"


def built_prefix(release: SourceRelease, twin: bool = False) -> Path:
    """``<cache>/cpython-3.13.5t``, or the twin's ``<cache>/cpython-3.13.5-twin``."""
    suffix = kinds.GIL_TWIN_SUFFIX if twin else "t"
    return cache_dir() / f"cpython-{release.version}{suffix}"


def built_binary(prefix: Path, minor: str, twin: bool = False) -> Path:
    """The binary of a built prefix: ``bin/python3.13t``, or the twin's ``bin/python3.13``."""
    return prefix / "bin" / f"python{minor}{'' if twin else 't'}"


def configure_args(prefix: Path, twin: bool = False) -> list[str]:
    """``./configure``'s arguments: the same for both builds but ``--disable-gil``."""
    flags = list(CONFIGURE_FLAGS) if twin else [FREE_THREADED_FLAG, *CONFIGURE_FLAGS]
    return [*flags, f"--prefix={prefix}"]


def verify(path: Path, expected: str, progress: ProgressFn) -> None:
    """Check ``path`` against its pinned sha256; raise ProvisionError on a mismatch."""
    started = time.monotonic()
    actual = sha256_of(path)
    if actual != expected:
        raise ProvisionError(
            f"checksum mismatch for {path.name}: sha256 {actual}, expected {expected}",
            hint="the download is corrupt or not the pinned release; nothing was installed",
        )
    progress(f"verify {path.name}: sha256 ok ({time.monotonic() - started:.1f} s)")


def build_deps(progress: ProgressFn) -> None:
    """Install the build dependencies (apt); without apt, go on when cc and make exist."""
    try:
        apt_install(BUILD_DEPS, "building CPython", progress)
    except Unavailable as exc:
        if shutil.which("cc") is None or shutil.which("make") is None:
            raise
        progress(f"warning: {exc}; building with what is installed")


# ---------------------------------------------------------------- the build record


def read_record(prefix: Path) -> dict[str, Any] | None:
    """The build record of a prefix (None when absent or unreadable)."""
    try:
        data = json.loads((prefix / kinds.BUILD_RECORD).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _record(release: SourceRelease, tarball_name: str, checked: dict[str, Any], twin: bool,
            seconds: float | None) -> dict[str, Any]:
    """What a built prefix says about itself (see the module docstring)."""
    config = [a for a in shlex.split(str(checked.get("config_args") or ""))
              if not a.startswith("--prefix")]
    return {
        "format": 1,
        "id": release.twin_id if twin else release.id,
        "sibling": release.id if twin else release.twin_id,
        "version": checked.get("version") or release.version,
        "gil": "on" if twin else "off",
        "tarball": tarball_name,
        "sha256": release.sha256,
        "configure": config,
        "build_seconds": None if seconds is None else round(seconds, 1),
        "built_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _check(binary: Path, twin: bool, log: Path) -> dict[str, Any]:
    """What the installed ``binary`` is; ProvisionError when not the build asked for."""
    done = subprocess.run([str(binary), "-c", _CHECK], capture_output=True, text=True,
                          check=False)
    try:
        checked = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        checked = None
    if done.returncode != 0 or not isinstance(checked, dict):
        raise ProvisionError(
            f"the built {binary.name} does not run: {(done.stdout + done.stderr).strip()[:200]}",
            hint=f"see {log}",
        )
    free = str(checked.get("gil_disabled")) == "1"
    if not twin and not free:
        raise ProvisionError(f"the built {binary.name} is not free-threaded", hint=f"see {log}")
    if twin and (free or checked.get("gil_enabled") is not True):
        raise ProvisionError(f"the built {binary.name} (the GIL twin) has no GIL",
                             hint=f"see {log}")
    return checked


def backfill_record(release: SourceRelease, prefix: Path, tarball_name: str, twin: bool) -> None:
    """Write the record of a prefix built before records existed (read from its binary)."""
    if read_record(prefix) is not None:
        return
    binary = built_binary(prefix, release.minor, twin)
    try:
        checked = _check(binary, twin, logs_dir() / f"{prefix.name}.log")
    except ProvisionError:
        return
    record = _record(release, tarball_name, checked, twin, None)
    atomic_write_text(prefix / kinds.BUILD_RECORD, json.dumps(record, indent=2) + "\n")


# ---------------------------------------------------------------- building


def build(release: SourceRelease, tarball: Path, progress: ProgressFn | None = None,
          twin: bool = False) -> Path:
    """Build and install ``release`` from ``tarball`` (free-threaded, or its GIL twin).

    A pinned sha256 is checked first. Returns the prefix; on any failure nothing
    is left there. Already built: returns at once.
    """
    say = progress or quiet
    prefix = built_prefix(release, twin)
    ident = release.twin_id if twin else release.id
    with locked(prefix.name):
        if built_binary(prefix, release.minor, twin).exists():
            say(f"{ident}: already built at {prefix}")
            return prefix
        if release.sha256:
            verify(tarball, release.sha256, quiet)  # the caller said so already; be sure
        if prefix.exists():
            # Only the harness writes here, and a complete install has its binary:
            # this is debris (a copy interrupted by hand); make room for the rename.
            say(f"removing incomplete {prefix}")
            shutil.rmtree(prefix)
        build_deps(say)
        tmp_root = cache_dir() / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        log = logs_dir() / f"{prefix.name}.log"
        log.write_text(f"# build of {prefix.name} from {tarball}\n")
        say(f"build log: {log}")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=tmp_root, prefix=f"build-{prefix.name}-") as tmp:
            staged, checked = _compile(release, tarball, Path(tmp), prefix, twin, log, say)
            record = _record(release, tarball.name, checked, twin, time.monotonic() - started)
            atomic_write_text(staged / kinds.BUILD_RECORD, json.dumps(record, indent=2) + "\n")
            os.rename(staged, prefix)
        say(f"{ident}: installed at {prefix} (built in {time.monotonic() - started:.1f} s)")
    return prefix


def _compile(release: SourceRelease, tarball: Path, work: Path, prefix: Path, twin: bool,
             log: Path, say: ProgressFn) -> tuple[Path, dict[str, Any]]:
    """Extract, configure, make, stage the install and check it: (staged prefix, check)."""
    step = time.monotonic()
    run_logged(["tar", "-xf", str(tarball), "-C", str(work)], log, say, "extract")
    sources = [p for p in work.iterdir() if (p / "configure").exists()]
    if len(sources) != 1:
        raise ProvisionError(f"{tarball.name} does not hold one CPython source tree")
    src = sources[0]
    say(f"extract: done ({time.monotonic() - step:.1f} s)")
    step = time.monotonic()
    args = configure_args(prefix, twin)
    say("configure " + " ".join(args[:-1]))
    run_logged(["./configure", *args], log, say, "configure", cwd=src)
    say(f"configure: done ({time.monotonic() - step:.1f} s)")
    step = time.monotonic()
    jobs = os.cpu_count() or 1
    say(f"make -j{jobs}")
    run_logged(["make", f"-j{jobs}"], log, say, "make", cwd=src)
    say(f"make: done ({time.monotonic() - step:.1f} s)")
    stage = work / "stage"
    say("make altinstall (staged)")
    run_logged(["make", "altinstall", f"DESTDIR={stage}"], log, say, "make altinstall", cwd=src)
    staged = stage / prefix.relative_to(prefix.anchor)
    checked = _check(built_binary(staged, release.minor, twin), twin, log)
    return staged, checked


def build_free_threaded(release: SourceRelease, tarball: Path,
                        progress: ProgressFn | None = None) -> Path:
    """The free-threaded build of ``release`` (``--disable-gil``); see :func:`build`."""
    return build(release, tarball, progress, twin=False)


def build_twin(release: SourceRelease, tarball: Path, progress: ProgressFn | None = None) -> Path:
    """The GIL twin of ``release``: the same source and flags without ``--disable-gil``."""
    return build(release, tarball, progress, twin=True)
