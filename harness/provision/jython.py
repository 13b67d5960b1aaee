"""The Jython container image, ``localhost/harness-jython:2.7``: the engine, the build, a check.

Built from ``containers/jython/`` in one of two ways:

``registry``
    a JRE base image (``eclipse-temurin:17-jre``) plus ``jython-standalone-2.7.4.jar``
    from Maven Central, pinned by sha256: what users with internet access get.
``offline``
    a Debian base image made here with ``debootstrap`` and imported into the
    engine, plus Debian's ``default-jre-headless`` and ``jython`` packages: only
    Debian's mirror is needed. This is the path on machines that reach no registry.

``HARNESS_JYTHON_BUILD=registry|offline`` chooses; otherwise the registry path is
taken when the engine can pull the base image (a failed pull is fast: DNS or
connection refused; a hung one is cut at 20 s) and the jar can be fetched, else
the offline path. The engine itself, its configuration and what runs inside
live in ``harness.container``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from harness import paths
from harness.container import (
    IMAGE,
    INTERPRETER_ID,
    PROVISION_HINT,
    Engine,
    image_id_of,
    image_versions,
)
from harness.errors import ProvisionError, WorkerError
from harness.fileutil import download, sha256_of
from harness.progress import Progress, ProgressFn
from harness.provision.images import (
    Relay,
    build_mode,
    debian_base,
    engine_build,
    ensure_engine,
)

CONTAINER_DIR = paths.CONTAINERS_DIR / "jython"
REGISTRY_BASE = "docker.io/library/eclipse-temurin:17-jre"
JAR_NAME = "jython-standalone-2.7.4.jar"
JAR_URL = f"https://repo1.maven.org/maven2/org/python/jython-standalone/2.7.4/{JAR_NAME}"
# Used when the host is not Debian (its codename would mean nothing to Debian's mirror).
DEFAULT_SUITE = "bookworm"


def _timed(steps: Progress, name: str) -> contextlib.AbstractContextManager[None]:
    """A timed step of the image's provisioning, its lines prefixed with the interpreter id."""
    return steps.timed(f"{INTERPRETER_ID}: {name}")


def _ensure_engine(steps: Progress) -> Engine:
    return ensure_engine(steps, INTERPRETER_ID)


def _build_mode(engine: Engine, steps: Progress) -> str:
    return build_mode(engine, steps, INTERPRETER_ID, "HARNESS_JYTHON_BUILD", REGISTRY_BASE)


def provision_image(progress: ProgressFn | None = None) -> None:
    """Make ``localhost/harness-jython:2.7`` exist: install the engine, build, check.

    ``progress`` receives one line per step (its name, then its elapsed seconds);
    ``None`` prints them to stderr. An image already there is reused. On failure
    every partial thing (temporary trees, half-written tarballs, the image if its
    check failed) is removed and ``ProvisionError`` names the step.
    """
    steps = Progress(stamp=False) if progress is None else Relay(progress)
    engine = _ensure_engine(steps)
    image_id = image_id_of(engine, IMAGE)
    if image_id is not None:
        steps(f"{INTERPRETER_ID}: image {IMAGE} present ({image_id[:12]}), reused")
        _check_image(engine, image_id, steps)
        return
    mode = _build_mode(engine, steps)
    if mode == "registry":
        _build_registry(engine, steps)
    else:
        _build_offline(engine, steps)
    image_id = image_id_of(engine, IMAGE)
    if image_id is None:
        raise ProvisionError(f"{INTERPRETER_ID}: the build reported success but {IMAGE} is absent")
    try:
        _check_image(engine, image_id, steps)
    except (WorkerError, ProvisionError):
        engine.run(["rmi", "-f", IMAGE])
        raise
    steps(f"{INTERPRETER_ID}: image {IMAGE} ready ({steps.total():.0f} s in all)")


def _check_image(engine: Engine, image_id: str, steps: Progress) -> None:
    """Start the image once (unless its versions are known) and say what it holds."""
    with _timed(steps, "read the image's versions (no network)"):
        meta = image_versions(engine, image_id)
    steps(
        f"{INTERPRETER_ID}: Jython {meta.get('jython_version')} on Java {meta.get('java_version')}"
    )


def _engine_build(
    engine: Engine, steps: Progress, containerfile: str, context: Path, build_args: dict[str, str]
) -> None:
    """``engine build`` of the Jython image, logged to ``<cache>/logs/jython-image-build.log``."""
    engine_build(
        engine, steps, INTERPRETER_ID, IMAGE, context / containerfile, build_args,
        "jython-image-build.log",
    )


# ----- registry


def pinned_sha256() -> str:
    """The jar's sha256 pinned in containers/jython/."""
    pin = CONTAINER_DIR / f"{JAR_NAME}.sha256"
    words = pin.read_text().split()
    if not words or len(words[0]) != 64:
        raise ProvisionError(f"no sha256 in {pin}", "put the jar's sha256 (64 hex digits) there")
    return words[0].lower()


def _fetch_jar(steps: Progress) -> Path:
    """The pinned standalone jar, from the cache or Maven Central, checked by sha256."""
    expected = pinned_sha256()
    cached = paths.cache_dir() / "downloads" / JAR_NAME
    if cached.is_file() and sha256_of(cached) == expected:
        return cached
    with _timed(steps, f"download {JAR_URL}"):
        # Checked under another name first: a jar that fails its sha256 never lands in the cache.
        fresh = cached.with_name(cached.name + ".unchecked")
        try:
            download(JAR_URL, fresh, timeout=60)
            got = sha256_of(fresh)
            if got != expected:
                raise ProvisionError(
                    f"{JAR_NAME}: sha256 {got} is not the pinned {expected}",
                    f"check {CONTAINER_DIR / (JAR_NAME + '.sha256')} against Maven Central",
                )
            os.replace(fresh, cached)
        except OSError as exc:
            raise ProvisionError(
                f"cannot download {JAR_NAME}: {exc}",
                "HARNESS_JYTHON_BUILD=offline builds from Debian's packages instead",
            ) from None
        finally:
            fresh.unlink(missing_ok=True)
    return cached


def _build_registry(engine: Engine, steps: Progress) -> None:
    jar = _fetch_jar(steps)
    with tempfile.TemporaryDirectory(prefix="harness-jython-build-") as tmp:
        context = Path(tmp)
        for name in ("Containerfile", "jython", f"{JAR_NAME}.sha256"):
            shutil.copy2(CONTAINER_DIR / name, context / name)
        shutil.copy2(jar, context / JAR_NAME)
        with _timed(steps, f"{engine.name} build {IMAGE} (registry: {REGISTRY_BASE} + {JAR_NAME})"):
            _engine_build(engine, steps, "Containerfile", context, {"BASE": REGISTRY_BASE})


# ----- offline


def host_suite(os_release: Path = Path("/etc/os-release")) -> str:
    """The Debian suite the base image is made from: the host's codename when it is Debian.

    ``HARNESS_DEBIAN_SUITE`` overrides; off Debian, ``DEFAULT_SUITE``.
    """
    explicit = os.environ.get("HARNESS_DEBIAN_SUITE", "").strip()
    if explicit:
        return explicit
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in os_release.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                fields[key.strip()] = value.strip().strip('"')
    if fields.get("ID") == "debian" and fields.get("VERSION_CODENAME"):
        return fields["VERSION_CODENAME"]
    return DEFAULT_SUITE


def _build_offline(engine: Engine, steps: Progress) -> None:
    base = debian_base(engine, host_suite(), steps, INTERPRETER_ID, PROVISION_HINT)
    with tempfile.TemporaryDirectory(prefix="harness-jython-build-") as tmp:
        context = Path(tmp)
        shutil.copy2(CONTAINER_DIR / "Containerfile.debian", context / "Containerfile.debian")
        with _timed(steps, f"{engine.name} build {IMAGE} (offline: {base} + Debian's jython)"):
            _engine_build(engine, steps, "Containerfile.debian", context, {"BASE": base})
