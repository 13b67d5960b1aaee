"""CPython built from source with ``--disable-gil``: pinned releases, fetching, the build.

Everything goes under ``harness.paths.cache_dir()`` (never into the checkout),
and only appears there once complete: a build is installed into a staging
folder and renamed into place on success, so nothing half-installed ever looks
ready to discovery.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import fileutil, interpreters
from harness.errors import ProvisionError, Unavailable, UsageError
from harness.fileutil import sha256_of
from harness.paths import cache_dir
from harness.progress import ProgressFn, quiet
from harness.provision.apt import apt_install
from harness.provision.commands import locked, logs_dir, run_logged

# Seconds to wait for python.org before deciding it is not reachable.
DOWNLOAD_TIMEOUT = 10.0

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


def built_prefix(release: SourceRelease) -> Path:
    """Where the free-threaded build of ``release`` is installed: ``<cache>/cpython-3.13.5t``."""
    return cache_dir() / f"cpython-{release.version}t"


def built_binary(prefix: Path, minor: str) -> Path:
    """The free-threaded binary of a built prefix (``bin/python3.13t``)."""
    return prefix / "bin" / f"python{minor}t"


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
    try:
        fileutil.download(url, dest, timeout)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ProvisionError(f"download of {url} failed: {reason}") from exc
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
    run_logged(["apt-get", *opts, "update"], log, progress, "apt-get update (deb-src)")
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix="apt-source-") as tmp:
        run_logged(
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
    say = progress or quiet
    prefix = built_prefix(release)
    with locked(prefix.name):
        if built_binary(prefix, release.minor).exists():
            say(f"{release.id}: already built at {prefix}")
            return prefix
        verify(tarball, release.sha256, quiet)  # fetch_source said so already; be sure
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
            run_logged(["tar", "-xf", str(tarball), "-C", str(work)], log, say, "extract")
            sources = [p for p in work.iterdir() if (p / "configure").exists()]
            if len(sources) != 1:
                raise ProvisionError(f"{tarball.name} does not hold one CPython source tree")
            src = sources[0]
            say(f"extract: done ({time.monotonic() - step:.1f} s)")
            step = time.monotonic()
            say("configure --disable-gil --disable-test-modules")
            run_logged(
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
            run_logged(["make", f"-j{jobs}"], log, say, "make", cwd=src)
            say(f"make: done ({time.monotonic() - step:.1f} s)")
            step = time.monotonic()
            stage = work / "stage"
            say("make altinstall (staged)")
            run_logged(["make", "altinstall", f"DESTDIR={stage}"], log, say, "make altinstall",
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
    with locked(f"source-{release.version}"):
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
