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
import subprocess
import tempfile
import threading
from pathlib import Path

from harness import paths
from harness.container import (
    IMAGE,
    INTERPRETER_ID,
    PROVISION_HINT,
    Engine,
    find_engine,
    first_line,
    image_id_of,
    image_versions,
    last_line,
)
from harness.errors import ProvisionError, Unavailable, WorkerError
from harness.fileutil import download, sha256_of
from harness.progress import Progress, ProgressFn
from harness.provision.apt import apt_install

CONTAINER_DIR = paths.ROOT / "containers" / "jython"
REGISTRY_BASE = "docker.io/library/eclipse-temurin:17-jre"
JAR_NAME = "jython-standalone-2.7.4.jar"
JAR_URL = f"https://repo1.maven.org/maven2/org/python/jython-standalone/2.7.4/{JAR_NAME}"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_BASE = "localhost/harness-debian"
# Used when the host is not Debian (its codename would mean nothing to Debian's mirror).
DEFAULT_SUITE = "bookworm"
ENGINE_PACKAGES = ("podman", "runc", "debootstrap")

PULL_TIMEOUT = 20.0
BUILD_TIMEOUT = 1800.0


def _timed(steps: Progress, name: str) -> contextlib.AbstractContextManager[None]:
    """A timed step of the image's provisioning, its lines prefixed with the interpreter id."""
    return steps.timed(f"{INTERPRETER_ID}: {name}")


class _Relay(Progress):
    """A ``Progress`` whose lines go to the caller's function (``provision_image(progress)``)."""

    def __init__(self, say: ProgressFn) -> None:
        super().__init__(stamp=False)
        self.say = say

    def line(self, text: str) -> None:
        self.say(text)


def _ensure_engine(steps: Progress) -> Engine:
    try:
        engine = find_engine()
    except ProvisionError:
        if os.environ.get("HARNESS_CONTAINER_ENGINE"):
            raise
    else:
        # Podman without runc falls back to crun, which fails on this kind of
        # machine (cgroups in hybrid mode): install runc beside a podman that came alone.
        if engine.name == "podman" and shutil.which("runc") is None:
            try:
                with _timed(steps, "install runc (apt): podman's crun fails here"):
                    apt_install(["runc"], "podman's runtime", steps)
            except Unavailable as exc:
                steps(f"{INTERPRETER_ID}: runc not installed: {exc}")
            return find_engine()
        return engine
    with _timed(steps, f"install {' '.join(ENGINE_PACKAGES)} (apt)"):
        apt_install(ENGINE_PACKAGES, "the Jython container image", steps)
    return find_engine()


def _build_mode(engine: Engine, steps: Progress) -> str:
    chosen = os.environ.get("HARNESS_JYTHON_BUILD", "").strip().lower()
    if chosen in ("registry", "offline"):
        steps(f"{INTERPRETER_ID}: build mode {chosen} (HARNESS_JYTHON_BUILD)")
        return chosen
    if chosen:
        raise ProvisionError(
            f"HARNESS_JYTHON_BUILD={chosen!r} is not a build mode",
            "set it to registry or offline, or unset it",
        )
    with _timed(steps, f"pull {REGISTRY_BASE} (is a registry reachable?)"):
        done = engine.run(["pull", REGISTRY_BASE], timeout=PULL_TIMEOUT)
    if done.returncode == 0:
        steps(f"{INTERPRETER_ID}: build mode registry (the base image pulled)")
        return "registry"
    steps(
        f"{INTERPRETER_ID}: build mode offline (no registry: "
        f"{last_line(done.stderr)[:120] or 'pull failed'})"
    )
    return "offline"


def provision_image(progress: ProgressFn | None = None) -> None:
    """Make ``localhost/harness-jython:2.7`` exist: install the engine, build, check.

    ``progress`` receives one line per step (its name, then its elapsed seconds);
    ``None`` prints them to stderr. An image already there is reused. On failure
    every partial thing (temporary trees, half-written tarballs, the image if its
    check failed) is removed and ``ProvisionError`` names the step.
    """
    steps = Progress(stamp=False) if progress is None else _Relay(progress)
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
    """``engine build`` with the build's output in a log file; STEP lines go to progress."""
    log = paths.cache_dir() / "logs" / "jython-image-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [engine.path, "build", "--force-rm", "-t", IMAGE, "-f", str(context / containerfile)]
    if engine.name == "podman":
        # Without intermediate images a failed build leaves nothing behind (docker's
        # BuildKit keeps its cache out of the image list anyway).
        argv.append("--layers=false")
    for key, value in build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    argv.append(str(context))
    with log.open("w") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=engine.environ(),
        ) as proc:  # fmt: skip
            assert proc.stdout is not None
            # A build that hangs without printing is still cut at BUILD_TIMEOUT.
            watchdog = threading.Timer(BUILD_TIMEOUT, proc.kill)
            watchdog.start()
            try:
                for line in proc.stdout:
                    out.write(line)
                    # podman/buildah and docker's classic builder announce steps so.
                    if line.startswith(("STEP ", "Step ")):
                        steps(f"{INTERPRETER_ID}:   {line.rstrip()[:140]}")
                status = proc.wait()
            except BaseException:
                proc.kill()
                raise
            finally:
                watchdog.cancel()
    if status != 0:
        tail = [x for x in log.read_text().splitlines() if x.strip()][-1:]
        raise ProvisionError(
            f"{INTERPRETER_ID}: image build failed ({engine.name} build exit {status}"
            + (f": {tail[0].strip()[:160]}" if tail else "")
            + ")",
            f"see {log}",
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


def _unmount_under(root: Path) -> None:
    """Unmount whatever a failed debootstrap left mounted (proc, sys) before deleting the tree."""
    with contextlib.suppress(OSError):
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines() if line]
        prefix = str(root.resolve()) + "/"
        for mount in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)


def _debootstrap_tarball(suite: str, steps: Progress) -> Path:
    """A tar of a minbase Debian tree for ``suite``, cached under ``cache_dir()/containers``."""
    tarball = paths.cache_dir() / "containers" / f"debian-{suite}-minbase.tar"
    if tarball.is_file():
        steps(f"{INTERPRETER_ID}: reusing {tarball}")
        return tarball
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        with _timed(steps, "install debootstrap (apt)"):
            apt_install(["debootstrap"], "a Debian base image made without a registry", steps)
        debootstrap = shutil.which("debootstrap")
        if debootstrap is None:
            raise ProvisionError("debootstrap is not installed", "apt-get install debootstrap")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_name(tarball.name + ".partial")
    tree = Path(tempfile.mkdtemp(prefix=f"harness-debian-{suite}-"))
    try:
        with _timed(steps, f"debootstrap --variant=minbase {suite} ({DEBIAN_MIRROR})"):
            done = subprocess.run(
                [debootstrap, "--variant=minbase", suite, str(tree), DEBIAN_MIRROR],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                log = paths.cache_dir() / "logs" / "debootstrap.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(done.stdout + done.stderr)
                raise ProvisionError(
                    f"debootstrap {suite} failed (exit {done.returncode}): "
                    f"{last_line(done.stderr)[:160]}",
                    f"see {log}; is {DEBIAN_MIRROR} reachable?",
                )
        with _timed(steps, f"tar the tree into {tarball.name}"):
            done = subprocess.run(
                ["tar", "-C", str(tree), "-cf", str(partial), "."],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise ProvisionError(f"tar of the Debian tree failed: {first_line(done.stderr)}")
            os.replace(partial, tarball)
    finally:
        partial.unlink(missing_ok=True)
        _unmount_under(tree)
        shutil.rmtree(tree, ignore_errors=True)
    return tarball


def _build_offline(engine: Engine, steps: Progress) -> None:
    suite = host_suite()
    base = f"{DEBIAN_BASE}:{suite}"
    if image_id_of(engine, base) is None:
        tarball = _debootstrap_tarball(suite, steps)
        with _timed(steps, f"{engine.name} import {tarball.name} as {base}"):
            done = engine.run(["import", str(tarball), base], timeout=600)
            if done.returncode != 0:
                raise ProvisionError(
                    f"{engine.name} import of {tarball} failed: {last_line(done.stderr)}",
                    f"delete {tarball} and retry: {PROVISION_HINT}",
                )
    else:
        steps(f"{INTERPRETER_ID}: base image {base} present, reused")
    with tempfile.TemporaryDirectory(prefix="harness-jython-build-") as tmp:
        context = Path(tmp)
        shutil.copy2(CONTAINER_DIR / "Containerfile.debian", context / "Containerfile.debian")
        with _timed(steps, f"{engine.name} build {IMAGE} (offline: {base} + Debian's jython)"):
            _engine_build(engine, steps, "Containerfile.debian", context, {"BASE": base})
