"""CPython built from source: where the source comes from, and the provisioning targets.

A free-threaded build always comes with its GIL twin (``harness.provision.build``):
``3.13t`` and ``3.13-twin`` from Debian's sha256-pinned 3.13.5 source; ``3.14t``,
``3.15t`` and their twins from the newest release python.org lists
(``harness.provision.catalogue``), or from any tarball given with ``--source``.
Everything goes under ``harness.paths.cache_dir()`` (never into the checkout),
and only appears there once complete.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness import fileutil, interpreters, kinds
from harness.errors import ProvisionError, Unavailable, UsageError
from harness.fileutil import sha256_of
from harness.paths import cache_dir
from harness.progress import ProgressFn
from harness.provision import catalogue
from harness.provision.apt import DEBIAN_MIRROR
from harness.provision.build import (
    BUILD_DEPS,
    SourceRelease,
    backfill_record,
    build_deps,
    build_free_threaded,
    build_twin,
    built_binary,
    built_prefix,
    configure_args,
    verify,
)
from harness.provision.commands import locked, logs_dir, run_logged

__all__ = [
    "BUILD_DEPS", "CPYTHON_313", "SourceRelease", "build_free_threaded", "build_twin",
    "built_binary", "built_prefix", "configure_args", "provision_free_threaded",
    "provision_newest", "provision_source",
]

# Seconds to wait for python.org before deciding it is not reachable.
DOWNLOAD_TIMEOUT = 10.0

# Debian's keyring signs the archive; the suite that carries python3.13 3.13.5.
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEBIAN_SOURCE_SUITE = "trixie"


CPYTHON_313 = SourceRelease(
    "3.13.5",
    "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640",
    "https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz",
    debian_package="python3.13",
)
KNOWN_SHA256 = {
    "Python-3.13.5.tar.xz": CPYTHON_313.sha256,
    "python3.13_3.13.5.orig.tar.xz": CPYTHON_313.sha256,
}


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



# ---------------------------------------------------------------- the targets


def build_pair(release: SourceRelease, tarball: Path, progress: ProgressFn) -> tuple[Path, Path]:
    """The free-threaded build of ``tarball`` and its GIL twin (each cached, staged, checked)."""
    free = build_free_threaded(release, tarball, progress)
    backfill_record(release, free, tarball.name, twin=False)
    twin = build_twin(release, tarball, progress)
    return free, twin


def _both_built(release: SourceRelease) -> bool:
    return all(built_binary(built_prefix(release, twin), release.minor, twin).exists()
               for twin in (False, True))


def provision_free_threaded(release: SourceRelease, progress: ProgressFn) -> Path:
    """Make ``release``'s free-threaded build and its GIL twin ready (idempotent).

    Returns the free-threaded prefix.
    """
    prefix = built_prefix(release)
    if _both_built(release):
        cached = [n for n in (release.debian_tarball if release.debian_package else "",)
                  if n and (cache_dir() / "downloads" / n).exists()]
        backfill_record(release, prefix, (cached or [Path(release.url).name])[0], twin=False)
        progress(f"{release.id}: already built at {prefix}")
        progress(f"{release.twin_id}: already built at {built_prefix(release, twin=True)}")
        return prefix
    # First: `apt-get source` and tar's xz support come with the build dependencies.
    build_deps(progress)
    with locked(f"source-{release.version}"):
        tarball = fetch_source(release, progress)
    return build_pair(release, tarball, progress)[0]


def _release_of(tarball: Path, name: str, minor: str | None) -> SourceRelease:
    """The release a given tarball holds (pinned sha256 when known, else its own, recorded)."""
    version = catalogue.tarball_version(tarball, name)
    if minor is not None and catalogue.minor_of(version) != minor:
        raise UsageError(f"{name} holds CPython {version}, not {minor}",
                         hint=f"give a CPython {minor} source tarball")
    pinned = KNOWN_SHA256.get(name, "")
    return SourceRelease(version, pinned or sha256_of(tarball), "")


def _fetch_given(source: str, progress: ProgressFn) -> tuple[Path, str]:
    """A tarball path or URL the user gave: (local file, its name)."""
    if re.match(r"^(https?|ftp|file)://", source):
        name = source.rstrip("/").rsplit("/", 1)[-1]
        downloads = cache_dir() / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        return download(source, downloads / name, progress, timeout=60), name
    tarball = Path(source).expanduser()
    if not tarball.is_file():
        raise ProvisionError(f"CPython source {source} does not exist",
                             hint="give the path or URL of a CPython source tarball")
    return tarball, tarball.name


def provision_source(source: str, progress: ProgressFn, minor: str | None = None) -> Path:
    """``provision --source PATH_OR_URL``: build X.Yt and X.Y-twin from any CPython tarball.

    X.Y comes from the tarball's name or its ``Include/patchlevel.h``; ``minor``
    (the old ``--source-3.14``) insists on one. A tarball whose name has a pinned
    sha256 is verified; any other is built as given, its sha256 recorded.
    """
    tarball, name = _fetch_given(source, progress)
    release = _release_of(tarball, name, minor)
    if name not in KNOWN_SHA256:
        progress(f"{name}: CPython {release.version}, sha256 {release.sha256} (not pinned: "
                 "built as given, recorded in the build)")
    return build_pair(release, tarball, progress)[0]


def _cached_builds(minor: str) -> list[Path]:
    """The harness's free-threaded builds of ``minor``, newest first."""
    found = [p for p in cache_dir().glob(f"cpython-{minor}.*t")
             if built_binary(p, minor).exists()]
    return sorted(found, key=lambda p: kinds.version_key(p.name), reverse=True)


def provision_newest(minor: str, source: str | None, progress: ProgressFn) -> Path | None:
    """Make ``minor``t and its twin ready: from ``source``, the cache, or python.org's newest.

    Returns the free-threaded prefix, or None when a 3.14t installed otherwise
    (uv, pyenv, PATH) is used as it is (no twin: its source is not known).
    Raises :class:`Unavailable` when no source can be had, saying why.
    """
    if source:
        return provision_source(source, progress, minor)
    for prefix in _cached_builds(minor):
        release = SourceRelease(prefix.name[len("cpython-"):-1], "", "")
        twin = built_prefix(release, twin=True)
        if not built_binary(twin, minor, twin=True).exists():
            tarball = cache_dir() / "downloads" / f"Python-{release.version}.tar.xz"
            if tarball.exists():
                build_twin(release, tarball, progress)
            else:
                progress(f"{release.twin_id}: cannot be built, {tarball.name} is not in the "
                         "cache any more")
        progress(f"{minor}t: already built at {prefix}")
        return prefix
    ident = f"{minor}t"
    existing = [i for i in interpreters.discover() if i.id == ident and i.ready]
    if existing:
        progress(f"{ident}: already present ({existing[0].argv[0]}, {existing[0].source}); "
                 f"no {minor}-twin (its source and flags are not known)")
        return None
    try:
        newest = catalogue.newest_release(minor, timeout=DOWNLOAD_TIMEOUT)
        progress(f"{ident}: python.org's newest {minor} is {newest.version}")
        downloads = cache_dir() / "downloads"
        with locked(f"source-{newest.version}"):
            tarball = downloads / newest.tarball
            if not tarball.exists():
                download(newest.url, tarball, progress)
    except (Unavailable, ProvisionError) as exc:
        raise Unavailable(
            f"{ident} cannot be had here: {exc.message} (python.org unreachable or no "
            f"release), Debian serves no python{minor} source, and no {ident} is installed",
            hint=f"python -m harness provision --source PATH_OR_URL (a CPython {minor} "
            f"tarball), or `uv python install {ident}`",
        ) from exc
    release = SourceRelease(newest.version, sha256_of(tarball), newest.url)
    progress(f"{tarball.name}: sha256 {release.sha256} (HTTPS from python.org; recorded)")
    return build_pair(release, tarball, progress)[0]
