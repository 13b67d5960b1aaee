"""Provisioning: Debian packages (PyPy, Jython), the free-threaded CPython builds, 3.14t sources.

Everything installed by the harness goes under ``harness.paths.cache_dir()``
(never into the checkout), and only appears there once complete: a build is
installed into a staging folder and renamed into place on success, so nothing
half-installed ever looks ready to discovery.

Progress goes to stderr, one line per step with the elapsed seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from harness.errors import ProvisionError, UsageError
from harness.paths import cache_dir

ProgressFn = Callable[[str], None]

# Seconds to wait for python.org before deciding it is not reachable.
DOWNLOAD_TIMEOUT = 10.0
# How often a long step (make) says it is still alive.
HEARTBEAT_SECONDS = 20.0

PYPY_PACKAGES = ("pypy3", "pypy3-venv", "pypy3-dev")
JYTHON_PACKAGES = ("jython",)
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

# Debian's keyring signs the archive; the suite that carries python3.13 3.13.5.
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SOURCE_SUITE = "trixie"


class Unavailable(ProvisionError):
    """Something that cannot be provided on this machine (not root, no apt, no source).

    A plain ``provision`` run reports it as a skip and exits 0; when its id was
    asked for explicitly, the command exits non-zero.
    """


@dataclass(frozen=True)
class SourceRelease:
    """A CPython source release the harness can build free-threaded, pinned by sha256."""

    version: str  # "3.13.5"
    sha256: str
    url: str  # python.org tarball
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
    def debian_tarball(self) -> str:
        """The file name Debian gives the upstream tarball."""
        return f"{self.debian_package}_{self.version}.orig.tar.xz"


CPYTHON_313 = SourceRelease(
    "3.13.5",
    "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640",
    "https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz",
    debian_package="python3.13",
)
# Debian's mirror lists python3.14 sources but serves 404 for them, so 3.14
# comes from python.org or a tarball the user gives. Checksums as pinned by
# pyenv's python-build definitions.
CPYTHON_314 = SourceRelease(
    "3.14.0",
    "2299dae542d395ce3883aca00d3c910307cd68e0b2f7336098c8e7b7eee9f3e9",
    "https://www.python.org/ftp/python/3.14.0/Python-3.14.0.tar.xz",
)
KNOWN_SHA256 = {
    "Python-3.13.5.tar.xz": CPYTHON_313.sha256,
    "python3.13_3.13.5.orig.tar.xz": CPYTHON_313.sha256,
    "Python-3.14.0.tar.xz": CPYTHON_314.sha256,
    "Python-3.14.4.tar.xz": "d923c51303e38e249136fc1bdf3568d56ecb03214efdef48516176d3d7faaef8",
}
RELEASES = {CPYTHON_313.id: CPYTHON_313, CPYTHON_314.id: CPYTHON_314}


class Progress:
    """Prints ``[  12.3s] step`` lines to stderr: what is happening and since when."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.start = time.monotonic()
        self.stream = stream

    def __call__(self, step: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        print(f"[{time.monotonic() - self.start:7.1f}s] {step}", file=stream, flush=True)


def _quiet(step: str) -> None:
    """A progress function that says nothing (library callers that pass none)."""


# ---------------------------------------------------------------- paths


def built_prefix(release: SourceRelease) -> Path:
    """Where the free-threaded build of ``release`` is installed: ``<cache>/cpython-3.13.5t``."""
    return cache_dir() / f"cpython-{release.version}t"


def built_binary(prefix: Path, minor: str) -> Path:
    """The free-threaded binary of a built prefix (``bin/python3.13t``)."""
    return prefix / "bin" / f"python{minor}t"


def logs_dir() -> Path:
    """Build and apt logs, kept in the cache to read after a failure."""
    path = cache_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


STATE_FILE = "provision-state.json"


def last_failures() -> dict[str, str]:
    """Why each id could not be provisioned the last time (read by discovery for its hints)."""
    try:
        data = json.loads((cache_dir() / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _record_failure(ident: str, reason: str | None) -> None:
    failures = last_failures()
    if reason is None:
        failures.pop(ident, None)
    else:
        failures[ident] = reason
    path = cache_dir() / STATE_FILE
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(failures, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive lock in the cache, so two provision runs never build the same thing."""
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- running commands


def _tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def _run_logged(
    cmd: Sequence[str],
    log: Path,
    progress: ProgressFn,
    step: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """Run ``cmd`` with its output appended to ``log``; heartbeat lines while it runs."""
    started = time.monotonic()
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        try:
            proc = subprocess.Popen(
                list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise ProvisionError(f"{step}: cannot run {cmd[0]}: {exc.strerror}") from exc
        while True:
            try:
                code = proc.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                progress(f"{step}: still running ({time.monotonic() - started:.0f} s)")
            except BaseException:
                proc.kill()
                proc.wait()
                raise
    if code != 0:
        raise ProvisionError(
            f"{step} failed (exit {code}): {_tail(log)}", hint=f"full output in {log}"
        )


# ---------------------------------------------------------------- apt


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
    global _apt_updated
    say = progress or _quiet
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
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = logs_dir() / "apt.log"
    if not _apt_updated and not _installable(missing):
        say("apt-get update")
        _run_logged(["apt-get", "update"], log, say, "apt-get update", env=env)
        _apt_updated = True
    say(f"{command}  ({why})")
    _run_logged(["apt-get", "install", "-y", *missing], log, say, command, env=env)
    still = missing_packages(missing)
    if still:
        raise ProvisionError(
            f"apt-get reported success but {' '.join(still)} is not installed",
            hint=f"see {log}",
        )
    return missing


# ---------------------------------------------------------------- sources


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def download(url: str, dest: Path, progress: ProgressFn, timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Fetch ``url`` into ``dest`` (written under a temporary name, renamed when complete)."""
    progress(f"download {url}")
    partial = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise ProvisionError(f"download of {url} failed: {reason}") from exc
    os.replace(partial, dest)
    progress(f"downloaded {dest.name} ({dest.stat().st_size / 1e6:.1f} MB)")
    return dest


def debian_source(release: SourceRelease, dest_dir: Path, progress: ProgressFn) -> Path:
    """Download ``release``'s upstream tarball from Debian's source package.

    Uses a private apt configuration in the cache (its own sources.list, lists
    and package cache) so /etc/apt and /var/cache/apt are left alone.
    """
    if release.debian_package is None:
        raise Unavailable(f"Debian carries no source package for CPython {release.version}")
    if shutil.which("apt-get") is None:
        raise Unavailable("no apt-get: Debian's source packages are out of reach")
    if not Path(DEBIAN_KEYRING).exists():
        raise Unavailable(f"no {DEBIAN_KEYRING}: cannot check Debian's signatures")
    apt_dir = cache_dir() / "apt-source"
    (apt_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    sources = apt_dir / "sources.list"
    sources.write_text(
        f"deb-src [signed-by={DEBIAN_KEYRING}] {DEBIAN_MIRROR} {DEBIAN_SOURCE_SUITE} main\n"
    )
    opts = [
        "-o", f"Dir::Etc::SourceList={sources}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={apt_dir / 'lists'}",
        "-o", f"Dir::Cache={apt_dir / 'cache'}",
        "-o", "APT::Sandbox::User=root",
    ]
    log = logs_dir() / "apt-source.log"
    progress(f"download Debian source {release.debian_package} ({DEBIAN_SOURCE_SUITE})")
    _run_logged(["apt-get", *opts, "update"], log, progress, "apt-get update (deb-src)")
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix="apt-source-") as tmp:
        _run_logged(
            ["apt-get", *opts, "source", "--download-only", "--tar-only", release.debian_package],
            log, progress, f"apt-get source {release.debian_package}", cwd=Path(tmp),
        )
        got = Path(tmp) / release.debian_tarball
        if not got.exists():
            found = ", ".join(sorted(p.name for p in Path(tmp).iterdir())) or "nothing"
            raise ProvisionError(
                f"Debian's {release.debian_package} source is not {release.version} "
                f"(got {found})",
                hint=f"the pinned release may have left {DEBIAN_SOURCE_SUITE}",
            )
        dest = dest_dir / release.debian_tarball
        os.replace(got, dest)
    progress(f"downloaded {dest.name} ({dest.stat().st_size / 1e6:.1f} MB)")
    return dest


def fetch_source(release: SourceRelease, progress: ProgressFn) -> Path:
    """A verified tarball of ``release``: from the cache, Debian's sources, or python.org.

    Each source that fails is tried in turn; the error lists every reason.
    """
    downloads = cache_dir() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    names = [Path(release.url).name]
    if release.debian_package:
        names.append(release.debian_tarball)
    for name in names:
        cached = downloads / name
        if cached.exists():
            if sha256_of(cached) == release.sha256:
                progress(f"source {cached.name}: in the cache, sha256 ok")
                return cached
            cached.unlink()
    getters: list[tuple[str, Callable[[], Path]]] = []
    if release.debian_package and shutil.which("apt-get"):
        getters.append(("Debian source", lambda: debian_source(release, downloads, progress)))
    getters.append(
        ("python.org", lambda: download(release.url, downloads / names[0], progress))
    )
    reasons = []
    for label, getter in getters:
        try:
            path = getter()
        except ProvisionError as exc:
            progress(f"{label}: {exc}")
            reasons.append(f"{label}: {exc.message}")
            continue
        try:
            verify(path, release.sha256, progress)
        except ProvisionError as exc:
            path.unlink(missing_ok=True)
            progress(f"{label}: {exc.message}")
            reasons.append(f"{label}: {exc.message}")
            continue
        return path
    raise Unavailable(
        f"no source for CPython {release.version}: " + "; ".join(reasons),
        hint=f"download {release.url} elsewhere and put it in {downloads}",
    )


# ---------------------------------------------------------------- building


def _build_deps(progress: ProgressFn) -> None:
    try:
        apt_install(BUILD_DEPS, "building CPython", progress)
    except Unavailable as exc:
        # Without apt (another distribution) the tools may still be there: try.
        if shutil.which("cc") is None or shutil.which("make") is None:
            raise
        progress(f"warning: {exc}; building with what is installed")


def build_free_threaded(
    release: SourceRelease, tarball: Path, progress: ProgressFn | None = None
) -> Path:
    """Build and install ``release`` with ``--disable-gil`` from ``tarball``; return the prefix.

    The tarball is checked against the pinned sha256 first. The build runs in a
    temporary folder and installs with ``DESTDIR`` into a staging folder that is
    renamed to ``<cache>/cpython-X.Y.Zt`` only once the installed binary reports
    a free-threaded build; on any failure nothing is left at the prefix.
    """
    say = progress or _quiet
    prefix = built_prefix(release)
    with _locked(prefix.name):
        if built_binary(prefix, release.minor).exists():
            say(f"{release.id}: already built at {prefix}")
            return prefix
        verify(tarball, release.sha256, _quiet)  # fetch_source said so already; be sure
        if prefix.exists():
            # Only the harness writes here, and a complete install has its binary:
            # this is debris (a copy interrupted by hand); make room for the rename.
            say(f"removing incomplete {prefix}")
            shutil.rmtree(prefix)
        _build_deps(say)
        tmp_root = cache_dir() / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        log = logs_dir() / f"{prefix.name}.log"
        log.write_text(f"# build of {prefix.name} from {tarball}\n")
        say(f"build log: {log}")
        with tempfile.TemporaryDirectory(dir=tmp_root, prefix=f"build-{prefix.name}-") as tmp:
            work = Path(tmp)
            step = time.monotonic()
            _run_logged(["tar", "-xf", str(tarball), "-C", str(work)], log, say, "extract")
            sources = [p for p in work.iterdir() if (p / "configure").exists()]
            if len(sources) != 1:
                raise ProvisionError(f"{tarball.name} does not hold one CPython source tree")
            src = sources[0]
            say(f"extract: done ({time.monotonic() - step:.1f} s)")
            step = time.monotonic()
            say("configure --disable-gil --disable-test-modules")
            _run_logged(
                [
                    "./configure", "--disable-gil", "--disable-test-modules",
                    f"--prefix={prefix}",
                ],
                log, say, "configure", cwd=src,
            )
            say(f"configure: done ({time.monotonic() - step:.1f} s)")
            step = time.monotonic()
            jobs = os.cpu_count() or 1
            say(f"make -j{jobs}")
            _run_logged(["make", f"-j{jobs}"], log, say, "make", cwd=src)
            say(f"make: done ({time.monotonic() - step:.1f} s)")
            step = time.monotonic()
            stage = work / "stage"
            say("make altinstall (staged)")
            _run_logged(["make", "altinstall", f"DESTDIR={stage}"], log, say, "make altinstall",
                        cwd=src)
            staged = stage / prefix.relative_to(prefix.anchor)
            binary = built_binary(staged, release.minor)
            check = subprocess.run(
                [str(binary), "-c",
                 "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'))"],
                capture_output=True, text=True, check=False,
            )
            if check.returncode != 0 or check.stdout.strip() != "1":
                raise ProvisionError(
                    f"the built {binary.name} is not free-threaded: "
                    f"{(check.stdout + check.stderr).strip()[:200]}",
                    hint=f"see {log}",
                )
            os.rename(staged, prefix)
            say(f"install: {prefix} ({time.monotonic() - step:.1f} s)")
    return prefix


def provision_free_threaded(release: SourceRelease, progress: ProgressFn) -> Path:
    """Make the free-threaded build of ``release`` ready: fetch, verify, build (idempotent)."""
    prefix = built_prefix(release)
    if built_binary(prefix, release.minor).exists():
        progress(f"{release.id}: already built at {prefix}")
        return prefix
    # First: `apt-get source` and tar's xz support come with the build dependencies.
    _build_deps(progress)
    with _locked(f"source-{release.version}"):
        tarball = fetch_source(release, progress)
    return build_free_threaded(release, tarball, progress)


_TARBALL_NAME = re.compile(
    r"^(?:Python-|python3\.\d+_)(3\.14\.\d+)(?:\.orig)?\.(?:tar\.xz|tgz|tar\.gz)$"
)


def release_for_tarball(name: str) -> SourceRelease:
    """The 3.14 release a tarball's file name says it holds (its sha256 pinned when known)."""
    match = _TARBALL_NAME.match(name)
    if match is None:
        raise UsageError(
            f"cannot tell the CPython version of {name!r}",
            hint="give a tarball named like Python-3.14.0.tar.xz",
        )
    version = match.group(1)
    return SourceRelease(version, KNOWN_SHA256.get(name, ""), "")


def provision_314t(source: str | None, progress: ProgressFn) -> Path | None:
    """Make 3.14t ready from ``source`` (a tarball path or URL), python.org, or an existing install.

    Returns the built prefix, or None when an existing install was found.
    Raises :class:`Unavailable` when no source can be had.
    """
    from harness import interpreters

    existing = [i for i in interpreters.discover() if i.id == "3.14t" and i.ready]
    if existing and not source:
        progress(f"3.14t: already present ({existing[0].argv[0]}, {existing[0].source})")
        return None
    source = source or os.environ.get("HARNESS_PY314_SOURCE") or None
    for prefix in sorted(cache_dir().glob("cpython-3.14.*t"), reverse=True):
        if built_binary(prefix, "3.14").exists():
            progress(f"3.14t: already built at {prefix}")
            return prefix
    if source:
        if re.match(r"^(https?|ftp)://", source):
            name = source.rstrip("/").rsplit("/", 1)[-1]
            release = release_for_tarball(name)
            downloads = cache_dir() / "downloads"
            downloads.mkdir(parents=True, exist_ok=True)
            tarball = download(source, downloads / name, progress, timeout=60)
        else:
            tarball = Path(source).expanduser()
            if not tarball.is_file():
                raise ProvisionError(
                    f"3.14 source {source} does not exist",
                    hint="give the path of a Python-3.14.x.tar.xz",
                )
            release = release_for_tarball(tarball.name)
        if not release.sha256:
            # No pinned checksum for that release: build what the user gave, say so.
            progress(f"{tarball.name}: no pinned sha256 for {release.version}; not verified")
            release = SourceRelease(release.version, sha256_of(tarball), "")
        return build_free_threaded(release, tarball, progress)
    try:
        tarball = fetch_source(CPYTHON_314, progress)
    except Unavailable as exc:
        raise Unavailable(
            f"3.14t cannot be had here: {exc.message}; Debian's mirror does not serve "
            "python3.14 sources, and no 3.14t is installed",
            hint="pass --source-3.14 PATH_OR_URL (or $HARNESS_PY314_SOURCE), or install one "
            "with `uv python install 3.14t` or `pyenv install 3.14.0t`",
        ) from exc
    return build_free_threaded(CPYTHON_314, tarball, progress)


# ---------------------------------------------------------------- the command


def _provision_jython(progress: ProgressFn, local: bool, image: bool) -> None:
    failures: list[ProvisionError] = []
    if local:
        try:
            done = apt_install(JYTHON_PACKAGES, "jython2.7 (local)", progress)
            progress("jython2.7 (local): " + ("installed" if done else "present"))
        except ProvisionError as exc:
            failures.append(exc)
    if image:
        from harness import container  # imported here: container imports this module

        try:
            container.provision_image(progress)
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


def _target(ident: str) -> str | None:
    """The provisioning target of an id: "pypy", "jython", "jython-local", "3.13t", ..."""
    base = ident.removesuffix("+gil")
    if base in RELEASES:
        return base
    if base == "pypy3" or re.fullmatch(r"pypy3\.\d+", base):
        return "pypy"
    if base == "jython2.7":
        return "jython"
    if base == "jython2.7-local":
        return "jython-local"
    if base == "jython2.7-container":
        return "jython-container"
    return None


DEFAULT_TARGETS = ("pypy", "jython", "3.13t", "3.14t")


def _run_target(target: str, args: argparse.Namespace, progress: ProgressFn) -> None:
    if target == "pypy":
        done = apt_install(PYPY_PACKAGES, "PyPy", progress)
        progress("pypy3: " + ("installed" if done else "present"))
    elif target == "jython":
        _provision_jython(progress, local=True, image=True)
    elif target == "jython-local":
        _provision_jython(progress, local=True, image=False)
    elif target == "jython-container":
        _provision_jython(progress, local=False, image=True)
    elif target == "3.13t":
        provision_free_threaded(CPYTHON_313, progress)
    elif target == "3.14t":
        provision_314t(getattr(args, "source_314", None), progress)
    else:  # pragma: no cover - _target only yields the above
        raise AssertionError(target)


def cmd_provision(args: argparse.Namespace) -> int:
    """``python -m harness provision [ID ...]``: install or build what is missing.

    Without ids: PyPy, Jython (local package and container image), 3.13t and
    3.14t; what cannot be had here (3.14t without a source, apt without root) is
    a skip line and does not fail the command. An id asked for explicitly that
    ends up missing makes the exit status 1. Ids that need nothing (pyenv or
    PATH CPythons, user entries) are reported as present.
    """
    from harness import interpreters

    progress = Progress()
    ids: list[str] = list(getattr(args, "ids", None) or [])
    explicit = bool(ids)
    targets: list[str] = []
    if explicit:
        known = {i.id: i for i in interpreters.discover()}
        valid = sorted(set(known) | set(interpreters.PROVISIONABLE_IDS))
        for ident in ids:
            target = _target(ident)
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
    else:
        targets = list(DEFAULT_TARGETS)

    failed: list[str] = []
    skipped: list[str] = []
    for target in targets:
        started = time.monotonic()
        progress(f"== {target}")
        try:
            _run_target(target, args, progress)
        except Unavailable as exc:
            _record_failure(target, exc.message)
            if explicit:
                progress(f"{target}: FAILED: {exc}")
                failed.append(target)
            else:
                progress(f"{target}: skipped: {exc}")
                skipped.append(target)
            continue
        except ProvisionError as exc:
            _record_failure(target, exc.message)
            progress(f"{target}: FAILED: {exc}")
            failed.append(target)
            continue
        _record_failure(target, None)
        progress(f"{target}: ready ({time.monotonic() - started:.1f} s)")
    summary = f"provision: {len(targets) - len(failed) - len(skipped)} ready"
    if skipped:
        summary += f", skipped {', '.join(skipped)}"
    if failed:
        summary += f", FAILED {', '.join(failed)}"
    progress(summary)
    return 1 if failed else 0
